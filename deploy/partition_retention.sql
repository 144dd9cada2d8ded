-- Deploy teams_obs:partition_retention to pg
-- requires: partition_catalog
-- requires: cleanup_result
-- requires: notification_deliveries
-- requires: notification_delivery_idempotency

BEGIN;

-- The cutoff of a retention period: now() - p_retention, refused (22023) unless the period is positive.
-- Shared by the cleanup_* functions and run_retention so that they validate alike. Days and months are
-- counted in UTC, as the partitions are: in the caller's time zone, '90 days' across a change to summer
-- time would be an hour off, and '1 month' days off, so a month would be dropped a run early or late.
CREATE FUNCTION teams_obs.retention_cutoff(p_retention interval)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
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

-- A cutoff in the future would delete current rows and drop the current month: 22023 unless p_cutoff is
-- a finite time not after now().
CREATE FUNCTION teams_obs.check_retention_cutoff(p_cutoff timestamptz)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF p_cutoff IS NULL OR NOT isfinite(p_cutoff) OR p_cutoff > now() THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'cutoff: must be a finite time not after now()';
    END IF;
END
$function$;

COMMENT ON FUNCTION teams_obs.check_retention_cutoff(timestamptz) IS
    '22023 unless p_cutoff is a finite time not after now().';

-- What retention of a partitioned table deletes row by row, where it cannot drop whole partitions: the
-- table's DEFAULT partition, and the tables that live as long as its rows: the deliveries' sidecar of
-- reservations (a reservation and its row share created_at). Each with its time column and the kind it
-- is reported as (teams_obs.cleanup_result); tables of the same lifetime first, DEFAULT last. The one
-- list that cleanup_partitioned_table and run_retention go through, that delete_retention_batch
-- accepts, and where maintenance_status finds a table's sidecar.
CREATE FUNCTION teams_obs.retention_row_tables(p_parent regclass)
RETURNS TABLE (kind text, table_name regclass, time_column name, is_default boolean)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    -- A month-partitioned table of teams_obs only: the owner that the cleanup_* functions run as may own
    -- other tables too.
    PERFORM teams_obs.month_partitioned_table_of(p_parent);
    IF p_parent = 'teams_obs.notification_deliveries'::regclass THEN
        RETURN QUERY SELECT 'reservations_deleted', 'teams_obs.notification_delivery_idempotency'::regclass,
                            'created_at'::name, false;
    END IF;
    RETURN QUERY
    SELECT 'default_rows_deleted', pt.partdefid::regclass, a.attname, true
      FROM pg_catalog.pg_partitioned_table AS pt
      JOIN pg_catalog.pg_attribute AS a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
     WHERE pt.partrelid = p_parent AND pt.partdefid <> 0;
END
$function$;

COMMENT ON FUNCTION teams_obs.retention_row_tables(regclass) IS
    'The tables whose expired rows retention of p_parent deletes in batches: the sidecar of deliveries, then p_parent''s DEFAULT partition; with time column and report kind.';

-- The batches in which retention of p_parent deletes expired rows: per table of retention_row_tables, one
-- range of consecutive heap pages (a TID range scan) holding about p_batch_size rows by the planner's
-- statistics, or at most p_batch_size when there are none (a heap page holds at most
-- (block_size - 24) / 28 tuples). One pass over each table in all, no index needed (DEFAULT partitions
-- have none on the time column alone), nothing collected in memory, and no statement grows with the
-- backlog. Pages added later hold rows written later, which have not expired.
CREATE FUNCTION teams_obs.retention_row_batches(p_parent regclass, p_batch_size integer DEFAULT 10000)
RETURNS TABLE (kind text, table_name regclass, first_page bigint, end_page bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_block_size constant integer := current_setting('block_size')::integer;
    v_table record;
    v_bytes bigint;
    v_rows_per_page double precision;
    v_step bigint;
BEGIN
    IF p_batch_size IS NULL OR p_batch_size < 1 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'batch_size: must be a positive integer';
    END IF;
    FOR v_table IN SELECT * FROM teams_obs.retention_row_tables(p_parent) LOOP
        v_bytes := pg_relation_size(v_table.table_name);
        -- On Citus the coordinator holds an empty shell of a distributed table, each DELETE runs on
        -- every shard, and the page ranges must cover the largest one.
        IF teams_obs.citus_installed() THEN
            EXECUTE 'SELECT greatest($2, max(s.shard_size)) FROM pg_catalog.citus_shards AS s WHERE s.table_name = $1'
                INTO v_bytes USING v_table.table_name, v_bytes;
        END IF;
        SELECT CASE WHEN c.relpages > 0 AND c.reltuples > 0 THEN c.reltuples / c.relpages
                    ELSE (v_block_size - 24) / 28 END
          INTO v_rows_per_page
          FROM pg_catalog.pg_class AS c
         WHERE c.oid = v_table.table_name;
        v_step := greatest(1, floor(p_batch_size / v_rows_per_page));
        RETURN QUERY
        SELECT v_table.kind, v_table.table_name, first, first + v_step
          FROM generate_series(0::bigint, v_bytes / v_block_size - 1, v_step) AS first;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION teams_obs.retention_row_batches(regclass, integer) IS
    'The page ranges, of about p_batch_size rows each, in which retention of p_parent deletes expired rows (tables of retention_row_tables).';

-- One batch: deletes the rows of p_table, a table of retention_row_tables(p_parent), whose time column is
-- before p_cutoff, in heap pages [p_first_page, p_end_page). One short statement; a DEFAULT partition's
-- batch first takes the maintenance lock of p_parent (a row move of `teams-obs maintain` may hold it for
-- a while: wait up to 60s), which serialises it with maintain until its transaction ends.
CREATE FUNCTION teams_obs.delete_retention_batch(p_parent regclass, p_table regclass, p_cutoff timestamptz,
                                                 p_first_page bigint, p_end_page bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '60s'
AS $function$
DECLARE
    v_table record;
    v_deleted bigint;
BEGIN
    PERFORM teams_obs.check_retention_cutoff(p_cutoff);
    SELECT * INTO v_table FROM teams_obs.retention_row_tables(p_parent) AS t WHERE t.table_name = p_table;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('table: retention of %s deletes no rows of %s', p_parent, p_table);
    END IF;
    IF v_table.is_default THEN
        PERFORM teams_obs.lock_partition_maintenance(p_parent);
    END IF;
    EXECUTE format('DELETE FROM %s WHERE ctid >= $1 AND ctid < $2 AND %I < $3', p_table, v_table.time_column)
        USING format('(%s,0)', p_first_page)::tid, format('(%s,0)', p_end_page)::tid, p_cutoff;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RAISE DEBUG 'delete_retention_batch: pages % to % of %: % rows deleted',
        p_first_page, p_end_page - 1, p_table, v_deleted;
    RETURN v_deleted;
END
$function$;

COMMENT ON FUNCTION teams_obs.delete_retention_batch(regclass, regclass, timestamptz, bigint, bigint) IS
    'One retention batch: deletes rows of p_table (one of retention_row_tables(p_parent)) before p_cutoff in heap pages [p_first_page, p_end_page); returns the count.';

-- How a table of retention_row_tables reports its deleted rows (teams_obs.cleanup_result): a DEFAULT
-- partition against its parent, naming the partition; another table against itself.
CREATE FUNCTION teams_obs.rows_deleted_result(p_parent regclass, p_table regclass, p_kind text,
                                              p_is_default boolean, p_rows bigint, p_cutoff timestamptz)
RETURNS teams_obs.cleanup_result
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN ROW(p_kind, CASE WHEN p_is_default THEN p_parent ELSE p_table END::text, 0, p_rows,
           CASE WHEN p_is_default THEN ARRAY[p_table::text] ELSE '{}' END, p_cutoff)::teams_obs.cleanup_result;

COMMENT ON FUNCTION teams_obs.rows_deleted_result(regclass, regclass, text, boolean, bigint, timestamptz) IS
    'The cleanup_result row of the rows retention deleted from one table of retention_row_tables.';

-- Drops the partitions of p_parent whose upper bound is at or before p_cutoff and at or before the start
-- of the current UTC month: never DEFAULT, the current or a future partition, whatever the cutoff. Their
-- rows are counted first, before any lock on the parent is taken; DROP then needs ACCESS EXCLUSIVE on the
-- parent, which it waits for at most lock_timeout (500ms) per attempt, five attempts with growing pauses,
-- so writers queue behind it briefly at worst. A partition still busy after that is reported as
-- partitions_busy and left for the next run. The parent lock is held until the caller's transaction
-- ends, so callers delete rows first and call this last. Serialised with `teams-obs maintain` by the
-- maintenance lock.
CREATE FUNCTION teams_obs.drop_expired_partitions(p_parent regclass, p_cutoff timestamptz)
RETURNS SETOF teams_obs.cleanup_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '500ms'
AS $function$
DECLARE
    v_current_month constant timestamptz := date_trunc('month', now(), 'UTC');
    v_expired text[];
    v_rows bigint[] := '{}';
    v_count bigint;
    v_dropped text[] := '{}';
    v_dropped_rows bigint := 0;
    v_busy text[] := '{}';
BEGIN
    PERFORM teams_obs.check_retention_cutoff(p_cutoff);
    PERFORM teams_obs.month_partitioned_table_of(p_parent);  -- as in retention_row_tables
    -- A row move by `teams-obs maintain` may hold the maintenance lock for a while: wait longer for it.
    PERFORM set_config('lock_timeout', '60s', true);
    PERFORM teams_obs.lock_partition_maintenance(p_parent);
    PERFORM set_config('lock_timeout', '500ms', true);

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
            -- A deadlock too: a reader of the partition bounds (pg_get_expr) locks the partitions in OID
            -- order, DEFAULT first, while the DROP holds the expired one and then asks for DEFAULT.
            EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
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
    IF cardinality(v_busy) > 0 THEN
        RETURN NEXT ROW('partitions_busy', p_parent::text, cardinality(v_busy), 0, v_busy,
                        p_cutoff)::teams_obs.cleanup_result;
    END IF;
END
$function$;

COMMENT ON FUNCTION teams_obs.drop_expired_partitions(regclass, timestamptz) IS
    'Drops the partitions of p_parent ending at or before p_cutoff (never DEFAULT, current or future ones); reports them as partitions_dropped, those still in use as partitions_busy.';

-- Retention of one partitioned table in one transaction, for the cleanup_* functions: the expired rows
-- of every table of retention_row_tables in batches, then the drops (drop_expired_partitions, last: its
-- parent lock is held until the transaction ends). One cleanup_result row per kind. The maintenance lock
-- comes first, before any row is deleted, as in a tenant purge: taken only by the DEFAULT batch or the
-- drops, after the sidecar's rows, the two would each wait for the other.
CREATE FUNCTION teams_obs.cleanup_partitioned_table(p_parent regclass, p_cutoff timestamptz,
                                                    p_batch_size integer DEFAULT 10000)
RETURNS SETOF teams_obs.cleanup_result
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '60s'
AS $function$
DECLARE
    v_table record;
    v_rows bigint;
BEGIN
    PERFORM teams_obs.check_retention_cutoff(p_cutoff);
    PERFORM teams_obs.lock_partition_maintenance(p_parent);
    FOR v_table IN SELECT * FROM teams_obs.retention_row_tables(p_parent) LOOP
        SELECT coalesce(sum(teams_obs.delete_retention_batch(p_parent, b.table_name, p_cutoff,
                                                             b.first_page, b.end_page)), 0)
          INTO v_rows
          FROM teams_obs.retention_row_batches(p_parent, p_batch_size) AS b
         WHERE b.table_name = v_table.table_name;
        RETURN NEXT teams_obs.rows_deleted_result(p_parent, v_table.table_name, v_table.kind, v_table.is_default,
                                                  v_rows, p_cutoff);
    END LOOP;
    RETURN QUERY SELECT * FROM teams_obs.drop_expired_partitions(p_parent, p_cutoff);
END
$function$;

COMMENT ON FUNCTION teams_obs.cleanup_partitioned_table(regclass, timestamptz, integer) IS
    'Retention of a monthly-partitioned table in one transaction: deletes expired rows (retention_row_tables) in batches, drops partitions ending at or before p_cutoff (never DEFAULT, current or future ones); one cleanup_result row per kind.';

-- Retention of one partitioned table as cleanup_partitioned_table does it, but with a COMMIT after each
-- batch (for `teams-obs cleanup` and pg_cron): a large backlog is not one long transaction holding back
-- vacuum's horizon and every deleted row's lock, an interrupted run keeps the batches done, and `teams-obs
-- maintain` may run between two batches of DEFAULT. The cutoff is fixed at the start. p_removed: one
-- cleanup_result row per kind, as the cleanup_* functions return. A procedure that commits may have no
-- SET clause, so every name, operator and declared type is qualified instead; it runs as its caller, the maintainer,
-- and the functions it calls check what they are given. When the tables it deletes from have no pages
-- it commits nothing, and may then be called inside a transaction; otherwise it must be a transaction of
-- its own (SQLSTATE 2D000 inside one).
CREATE PROCEDURE teams_obs.run_retention(p_parent regclass, p_retention interval, p_batch_size integer DEFAULT 10000,
                                         INOUT p_removed teams_obs.cleanup_result[] DEFAULT NULL)
LANGUAGE plpgsql
AS $procedure$
DECLARE
    v_cutoff constant pg_catalog.timestamptz := teams_obs.retention_cutoff(p_retention);
    v_table pg_catalog.record;
    v_batch pg_catalog.record;
    v_rows pg_catalog.int8;
BEGIN
    p_removed := '{}';
    FOR v_table IN SELECT t.kind, t.table_name, t.is_default FROM teams_obs.retention_row_tables(p_parent) AS t LOOP
        v_rows := 0;
        FOR v_batch IN SELECT b.first_page, b.end_page
                         FROM teams_obs.retention_row_batches(p_parent, p_batch_size) AS b
                        WHERE b.table_name OPERATOR(pg_catalog.=) v_table.table_name
        LOOP
            v_rows := v_rows OPERATOR(pg_catalog.+) teams_obs.delete_retention_batch(
                p_parent, v_table.table_name, v_cutoff, v_batch.first_page, v_batch.end_page);
            COMMIT;
        END LOOP;
        p_removed := pg_catalog.array_append(p_removed, teams_obs.rows_deleted_result(
            p_parent, v_table.table_name, v_table.kind, v_table.is_default, v_rows, v_cutoff));
    END LOOP;
    p_removed := pg_catalog.array_cat(
        p_removed, ARRAY(SELECT d FROM teams_obs.drop_expired_partitions(p_parent, v_cutoff) AS d));
END
$procedure$;

COMMENT ON PROCEDURE teams_obs.run_retention(regclass, interval, integer, teams_obs.cleanup_result[]) IS
    'Retention of p_parent (teams_obs.notification_deliveries or audit_events) older than p_retention, one transaction per batch of expired rows, then the partition drops; p_removed: one cleanup_result row per kind.';

-- Building blocks of the cleanup_* functions, which run them as the owner. run_retention runs as its
-- caller, the maintainer: what it calls is granted to that role, and checks its arguments.
REVOKE ALL ON FUNCTION teams_obs.retention_cutoff(interval) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.check_retention_cutoff(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.retention_row_tables(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.retention_row_batches(regclass, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.delete_retention_batch(regclass, regclass, timestamptz, bigint, bigint) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.rows_deleted_result(regclass, regclass, text, boolean, bigint, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.drop_expired_partitions(regclass, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.cleanup_partitioned_table(regclass, timestamptz, integer) FROM PUBLIC;
REVOKE ALL ON PROCEDURE teams_obs.run_retention(regclass, interval, integer, teams_obs.cleanup_result[]) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.retention_cutoff(interval),
    teams_obs.retention_row_tables(regclass),
    teams_obs.retention_row_batches(regclass, integer),
    teams_obs.delete_retention_batch(regclass, regclass, timestamptz, bigint, bigint),
    teams_obs.rows_deleted_result(regclass, regclass, text, boolean, bigint, timestamptz),
    teams_obs.drop_expired_partitions(regclass, timestamptz)
    TO teams_obs_maintainer;
GRANT EXECUTE ON PROCEDURE teams_obs.run_retention(regclass, interval, integer, teams_obs.cleanup_result[])
    TO teams_obs_maintainer;

COMMIT;
