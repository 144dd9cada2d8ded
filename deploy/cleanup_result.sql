-- Deploy teams_obs:cleanup_result to pg
-- requires: schema

BEGIN;

-- What one retention run removed, one row per kind, so that every cleanup_* function (deliveries,
-- audit events) reports alike:
--   partitions_dropped   table_name = the partitioned table, partitions = how many, rows_removed = rows
--                        they held, names = the dropped partitions
--   default_rows_deleted table_name = the partitioned table, rows_removed = expired rows deleted from
--                        its DEFAULT partition, names = the DEFAULT partition
--   reservations_deleted table_name = the sidecar, rows_removed = expired reservations deleted
--   partitions_busy      only when some expired partition could not be locked in time; names = those
--                        partitions, left for the next run
CREATE TYPE teams_obs.cleanup_result AS (
    kind text,
    table_name text,
    partitions integer,
    rows_removed bigint,
    names text[],
    cutoff timestamptz
);

COMMENT ON TYPE teams_obs.cleanup_result IS
    'One row of a retention report: kind (partitions_dropped, default_rows_deleted, reservations_deleted, partitions_busy), table, partitions, rows removed, object names, the cutoff applied.';

COMMIT;
