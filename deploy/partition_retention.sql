-- Deploy teams_obs:partition_retention to pg
-- requires: partition_catalog
-- requires: cleanup_result

BEGIN;

-- Deletes the rows of p_table whose p_column is before p_cutoff, in batches: one short DELETE per
-- range of consecutive heap pages (a TID range scan) holding about p_batch_size rows by the planner's
-- statistics, or at most p_batch_size when there are none (a heap page holds at most
-- (block_size - 24) / 28 tuples). One pass over the table in all, no index needed (DEFAULT partitions
-- have none on the key alone), nothing collected in memory, and no statement grows with the backlog.
-- Pages added after the start hold rows written after it, which are not expired.
CREATE FUNCTION teams_obs.delete_expired_rows(p_table regclass, p_column name, p_cutoff timestamptz,
                                              p_batch_size integer DEFAULT 10000)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_block_size constant integer := current_setting('block_size')::integer;
    v_bytes bigint := pg_relation_size(p_table);
    v_pages bigint;
    v_rows_per_page double precision;
    v_step bigint;
    v_deleted bigint;
    v_total bigint := 0;
BEGIN
    IF p_batch_size IS NULL OR p_batch_size < 1 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'batch_size: must be a positive integer';
    END IF;
    -- On Citus the coordinator holds an empty shell of a distributed table, each DELETE below runs on
    -- every shard, and the page ranges must cover the largest one.
    IF teams_obs.citus_installed() THEN
        EXECUTE 'SELECT greatest($2, max(s.shard_size)) FROM pg_catalog.citus_shards AS s WHERE s.table_name = $1'
            INTO v_bytes USING p_table, v_bytes;
    END IF;
    v_pages := v_bytes / v_block_size;
    SELECT CASE WHEN c.relpages > 0 AND c.reltuples > 0 THEN c.reltuples / c.relpages
                ELSE (v_block_size - 24) / 28 END
      INTO v_rows_per_page
      FROM pg_catalog.pg_class AS c
     WHERE c.oid = p_table;
    v_step := greatest(1, floor(p_batch_size / v_rows_per_page));
    FOR v_first IN 0 .. v_pages - 1 BY v_step LOOP
        EXECUTE format('DELETE FROM %s WHERE ctid >= $1 AND ctid < $2 AND %I < $3', p_table, p_column)
            USING format('(%s,0)', v_first)::tid, format('(%s,0)', v_first + v_step)::tid, p_cutoff;
        GET DIAGNOSTICS v_deleted = ROW_COUNT;
        v_total := v_total + v_deleted;
        RAISE DEBUG 'delete_expired_rows: pages % to % of %: % rows deleted',
            v_first, least(v_first + v_step, v_pages) - 1, p_table, v_deleted;
    END LOOP;
    RETURN v_total;
END
$function$;

COMMENT ON FUNCTION teams_obs.delete_expired_rows(regclass, name, timestamptz, integer) IS
    'Deletes rows of p_table with p_column < p_cutoff, one short DELETE per page range of about p_batch_size rows; returns the count.';

-- The cutoff of a retention period: now() - p_retention, refused (22023) unless the period is positive.
-- Shared by the cleanup_* functions so that they validate alike.
CREATE FUNCTION teams_obs.retention_cutoff(p_retention interval)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF p_retention IS NULL OR p_retention <= interval '0' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('retention: must be a positive interval, not %s', coalesce(p_retention::text, 'NULL'));
    END IF;
    RETURN now() - p_retention;
END
$function$;

COMMENT ON FUNCTION teams_obs.retention_cutoff(interval) IS
    'now() - p_retention for the cleanup_* functions; 22023 unless p_retention is a positive interval.';

-- Retention of one table range-partitioned on a timestamptz column (deliveries, audit events):
--  1. expired rows in the DEFAULT partition are deleted in batches;
--  2. whole partitions whose upper bound is at or before p_cutoff and at or before the start of the
--     current UTC month are dropped: never DEFAULT, the current or a future partition, whatever
--     the cutoff. Their rows are counted first, before any lock on the parent is taken; DROP then
--     needs ACCESS EXCLUSIVE on the parent, which it waits for at most lock_timeout (500ms) per
--     attempt, five attempts with growing pauses, so writers queue behind it briefly at worst. A
--     partition still busy after that is reported as partitions_busy and left for the next run.
-- The parent lock is held until the caller's transaction ends, so callers do their row deletes
-- first and call this last. Serialised with `teams-obs maintain` by the maintenance lock.
CREATE FUNCTION teams_obs.cleanup_partitioned_table(p_parent regclass, p_cutoff timestamptz,
                                                    p_batch_size integer DEFAULT 10000)
RETURNS SETOF teams_obs.cleanup_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '500ms'
AS $function$
DECLARE
    v_current_month constant timestamptz := date_trunc('month', now(), 'UTC');
    v_key name;
    v_default text;
    v_default_rows bigint := 0;
    v_expired text[];
    v_rows bigint[] := '{}';
    v_count bigint;
    v_dropped text[] := '{}';
    v_dropped_rows bigint := 0;
    v_busy text[] := '{}';
BEGIN
    -- A cutoff in the future would delete current rows from DEFAULT.
    IF p_cutoff IS NULL OR NOT isfinite(p_cutoff) OR p_cutoff > now() THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'cutoff: must be a finite time not after now()';
    END IF;
    SELECT a.attname INTO v_key
      FROM pg_catalog.pg_partitioned_table pt
      JOIN pg_catalog.pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
     WHERE pt.partrelid = p_parent;

    -- A row move by `teams-obs maintain` may hold the maintenance lock for a while: wait longer for it.
    PERFORM set_config('lock_timeout', '60s', true);
    PERFORM teams_obs.lock_partition_maintenance(p_parent);
    PERFORM set_config('lock_timeout', '500ms', true);

    SELECT b.partition_name INTO v_default FROM teams_obs.partition_bounds(p_parent) AS b WHERE b.is_default;
    IF v_default IS NOT NULL THEN
        v_default_rows := teams_obs.delete_expired_rows(v_default::regclass, v_key, p_cutoff, p_batch_size);
    END IF;

    SELECT coalesce(array_agg(b.partition_name ORDER BY b.upper_bound), '{}') INTO v_expired
      FROM teams_obs.partition_bounds(p_parent) AS b
     WHERE NOT b.is_default AND b.upper_bound <= p_cutoff AND b.upper_bound <= v_current_month;
    -- Counted before any DROP: the first DROP holds the parent's lock until the transaction ends.
    FOR v_index IN 1 .. cardinality(v_expired) LOOP
        EXECUTE format('SELECT count(*) FROM %s', v_expired[v_index]) INTO v_count;
        v_rows := v_rows || v_count;
    END LOOP;

    FOR v_index IN 1 .. cardinality(v_expired) LOOP
        FOR v_attempt IN 1 .. 5 LOOP
            BEGIN
                EXECUTE format('DROP TABLE %s', v_expired[v_index]);
                v_dropped := v_dropped || v_expired[v_index];
                v_dropped_rows := v_dropped_rows + v_rows[v_index];
                EXIT;
            EXCEPTION WHEN lock_not_available THEN
                IF v_attempt = 5 THEN
                    v_busy := v_busy || v_expired[v_index];
                ELSE
                    PERFORM pg_sleep(0.05 * 2 ^ v_attempt);
                END IF;
            END;
        END LOOP;
    END LOOP;

    RETURN NEXT ROW('partitions_dropped', p_parent::text, cardinality(v_dropped), v_dropped_rows, v_dropped,
                    p_cutoff)::teams_obs.cleanup_result;
    RETURN NEXT ROW('default_rows_deleted', p_parent::text, 0, v_default_rows,
                    CASE WHEN v_default IS NULL THEN '{}' ELSE ARRAY[v_default] END,
                    p_cutoff)::teams_obs.cleanup_result;
    IF cardinality(v_busy) > 0 THEN
        RETURN NEXT ROW('partitions_busy', p_parent::text, cardinality(v_busy), 0, v_busy,
                        p_cutoff)::teams_obs.cleanup_result;
    END IF;
END
$function$;

COMMENT ON FUNCTION teams_obs.cleanup_partitioned_table(regclass, timestamptz, integer) IS
    'Retention of a monthly-partitioned table: deletes DEFAULT rows before p_cutoff in batches, drops partitions ending at or before p_cutoff (never DEFAULT, current or future ones); one cleanup_result row per kind.';

-- Building blocks of the cleanup_* functions, which run them as the owner.
REVOKE ALL ON FUNCTION teams_obs.retention_cutoff(interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.delete_expired_rows(regclass, name, timestamptz, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.cleanup_partitioned_table(regclass, timestamptz, integer) FROM PUBLIC;

COMMIT;
