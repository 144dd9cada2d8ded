-- Revert teams_obs:partition_retention from pg

BEGIN;

DROP PROCEDURE teams_obs.run_retention(regclass, interval, integer, teams_obs.cleanup_result[]);
DROP FUNCTION teams_obs.cleanup_partitioned_table(regclass, timestamptz, integer);
DROP FUNCTION teams_obs.drop_expired_partitions(regclass, timestamptz);
DROP FUNCTION teams_obs.rows_deleted_result(regclass, regclass, text, boolean, bigint, timestamptz);
DROP FUNCTION teams_obs.delete_retention_batch(regclass, regclass, timestamptz, bigint, bigint);
DROP FUNCTION teams_obs.retention_row_batches(regclass, integer);
DROP FUNCTION teams_obs.retention_row_tables(regclass);
DROP FUNCTION teams_obs.check_retention_cutoff(timestamptz);
DROP FUNCTION teams_obs.retention_cutoff(interval);

COMMIT;
