-- Revert teams_obs:partition_catalog from pg

BEGIN;

DROP FUNCTION teams_obs.month_partitioned_table_of(regclass);
DROP FUNCTION teams_obs.month_partitioned_tables();
DROP TYPE teams_obs.month_partitioned_table;
DROP FUNCTION teams_obs.lock_partition_maintenance(regclass);
DROP FUNCTION teams_obs.partition_bounds(regclass);

COMMIT;
