-- Verify teams_obs:partition_retention on pg

BEGIN;

SELECT pg_catalog.has_function_privilege('teams_obs.delete_expired_rows(regclass, name, timestamptz, integer)',
                                         'execute');
SELECT pg_catalog.has_function_privilege('teams_obs.cleanup_partitioned_table(regclass, timestamptz, integer)',
                                         'execute');

DO $verify$
BEGIN
    IF pg_catalog.has_function_privilege('public',
           'teams_obs.cleanup_partitioned_table(regclass, timestamptz, integer)', 'execute') THEN
        RAISE EXCEPTION 'PUBLIC may execute teams_obs.cleanup_partitioned_table';
    END IF;
END
$verify$;

ROLLBACK;
