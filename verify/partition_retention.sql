-- Verify teams_obs:partition_retention on pg

BEGIN;

SELECT pg_catalog.has_function_privilege('teams_obs.retention_row_batches(regclass, integer)', 'execute');
SELECT pg_catalog.has_function_privilege('teams_obs.delete_retention_batch(regclass, regclass, timestamptz, bigint, bigint)',
                                         'execute');
SELECT pg_catalog.has_function_privilege('teams_obs.cleanup_partitioned_table(regclass, timestamptz, integer)',
                                         'execute');
SELECT pg_catalog.has_function_privilege(
    'teams_obs.run_retention(regclass, interval, integer, teams_obs.cleanup_result[])', 'execute');

DO $verify$
BEGIN
    IF pg_catalog.has_function_privilege('public',
           'teams_obs.delete_retention_batch(regclass, regclass, timestamptz, bigint, bigint)', 'execute') THEN
        RAISE EXCEPTION 'PUBLIC may execute teams_obs.delete_retention_batch';
    END IF;
END
$verify$;

ROLLBACK;
