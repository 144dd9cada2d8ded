-- Verify teams_obs:initial_partitions on pg

BEGIN;

-- Every month-partitioned table has monthly partitions (division by zero otherwise).
SELECT 1 / (SELECT count(*)::integer FROM teams_obs.partition_bounds(t.parent_oid::regclass) WHERE NOT is_default)
  FROM teams_obs.month_partitioned_tables() AS t;

ROLLBACK;
