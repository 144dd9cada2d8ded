-- Verify teams_obs:cleanup_result on pg

BEGIN;

SELECT kind, table_name, partitions, rows_removed, names, cutoff
  FROM (SELECT (NULL::teams_obs.cleanup_result).*) AS r
 WHERE false;

ROLLBACK;
