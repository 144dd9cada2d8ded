-- Verify teams_obs:initial_partitions on pg

BEGIN;

-- Every month-partitioned table has monthly partitions (division by zero otherwise), except where the
-- deploy leaves them all to teams-obs maintain: on Citus, and while rows wait in a DEFAULT partition.
SELECT 1 / (SELECT count(*)::integer FROM teams_obs.partition_bounds(t.parent_oid::regclass) WHERE NOT is_default)
  FROM teams_obs.month_partitioned_tables() AS t
 WHERE NOT teams_obs.citus_installed()
   AND NOT EXISTS (SELECT 1
                     FROM teams_obs.month_partitioned_tables() AS w,
                          teams_obs.default_partition_months(w.parent_oid::regclass) AS d);

ROLLBACK;
