-- Revert teams_obs:partition_retention from pg

BEGIN;

DROP FUNCTION teams_obs.cleanup_partitioned_table(regclass, timestamptz, integer);
DROP FUNCTION teams_obs.delete_expired_rows(regclass, name, timestamptz, integer);
DROP FUNCTION teams_obs.retention_cutoff(interval);

COMMIT;
