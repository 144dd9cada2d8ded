-- Verify teams_obs:partition_catalog on pg

BEGIN;

SELECT pg_catalog.has_function_privilege('teams_obs.partition_bounds(regclass)', 'execute');
SELECT pg_catalog.has_function_privilege('teams_obs.lock_partition_maintenance(regclass)', 'execute');
SELECT parent, key_column, default_partition FROM teams_obs.month_partitioned_tables() WHERE false;

DO $verify$
BEGIN
    IF pg_catalog.has_function_privilege('public', 'teams_obs.partition_bounds(regclass)', 'execute') THEN
        RAISE EXCEPTION 'PUBLIC may execute teams_obs.partition_bounds';
    END IF;
END
$verify$;

ROLLBACK;
