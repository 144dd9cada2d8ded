-- Verify teams_obs:partition_maintenance on pg

BEGIN;

SELECT pg_catalog.has_function_privilege('teams_obs_maintainer', 'teams_obs.attach_month_partition(regclass, timestamptz)', 'execute');
SELECT pg_catalog.has_function_privilege('teams_obs_maintainer', 'teams_obs.default_partition_months(regclass)', 'execute');
SELECT pg_catalog.has_function_privilege('teams_obs_maintainer', 'teams_obs.month_partition_name(regclass, timestamptz)', 'execute');
SELECT pg_catalog.has_function_privilege('teams_obs_maintainer', 'teams_obs.missing_month_partitions(regclass, integer)', 'execute');
SELECT pg_catalog.has_function_privilege('teams_obs_maintainer', 'teams_obs.maintain_partitions(integer, text, integer)', 'execute');

DO $verify$
BEGIN
    IF pg_catalog.has_function_privilege('public', 'teams_obs.attach_month_partition(regclass, timestamptz)', 'execute') THEN
        RAISE EXCEPTION 'PUBLIC may execute teams_obs.attach_month_partition';
    END IF;
END
$verify$;

ROLLBACK;
