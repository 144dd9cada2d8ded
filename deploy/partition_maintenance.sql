-- Deploy teams_obs:partition_maintenance to pg
-- requires: partition_catalog
-- Rendered from templates/render/deploy/partition_maintenance.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- Monthly partition upkeep as SQL functions, so that teams_obs_maintainer runs `teams-obs maintain`
-- (SPEC §5, §8) without owning the tables: creating and attaching a partition and moving rows out of
-- DEFAULT need the owner, whose rights the SECURITY DEFINER ones among them lend for exactly that and
-- nothing else (a month of a table of this schema). missing_month_partitions says which months are
-- needed; teams_obs/partitions.py attaches them one per transaction and retries on lock timeouts.

-- <parent>_pYYYY_MM (Citus's naming), quoted and schema-qualified; 22023 for a name PostgreSQL would cut.
CREATE FUNCTION teams_obs.month_partition_name(p_parent regclass, p_month_start timestamptz)
RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $function$
DECLARE
    v_table teams_obs.month_partitioned_table := teams_obs.month_partitioned_table_of(p_parent);
    v_name text := v_table.table_name || '_p' || to_char(p_month_start, 'YYYY_MM');
BEGIN
    IF p_month_start IS NULL OR NOT isfinite(p_month_start) OR p_month_start <> date_trunc('month', p_month_start) THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format(
            'month_start: must be the first instant of a UTC month, got %s', coalesce(p_month_start::text, 'NULL'));
    END IF;
    IF octet_length(v_name) > 63 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format(
            'parent: partition name %s is longer than 63 bytes', v_name);
    END IF;
    RETURN format('%I.%I', v_table.schema_name, v_name);
END
$function$;

COMMENT ON FUNCTION teams_obs.month_partition_name(regclass, timestamptz) IS
    'Quoted, schema-qualified name of p_parent''s partition for the UTC month starting at p_month_start (<parent>_pYYYY_MM).';

-- Rows sitting in the DEFAULT partition, per UTC month: the months maintain must create to move them.
-- Only months of years 1 to 9999, which a partition can be named after (<parent>_pYYYY_MM) and Python
-- can hold; rows beyond them, or at +-infinity, only the owner can write, and they stay in DEFAULT.
CREATE FUNCTION teams_obs.default_partition_months(p_parent regclass)
RETURNS TABLE (month_start timestamptz, row_count bigint)
LANGUAGE plpgsql STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_table teams_obs.month_partitioned_table := teams_obs.month_partitioned_table_of(p_parent);
BEGIN
    IF v_table.default_partition IS NOT NULL THEN
        RETURN QUERY EXECUTE format(
            'SELECT pg_catalog.date_trunc(''month'', %1$s, ''UTC''), pg_catalog.count(*) FROM %2$s'
            ' WHERE %1$s >= ''0001-01-01 00:00:00+00'' AND %1$s < ''10000-01-01 00:00:00+00'' GROUP BY 1 ORDER BY 1',
            v_table.key_column, v_table.default_partition);
    END IF;
END
$function$;

COMMENT ON FUNCTION teams_obs.default_partition_months(regclass) IS
    'Rows in p_parent''s DEFAULT partition per UTC month (month_start, row_count).';

-- The months p_parent needs a partition for, oldest first: this UTC month (by the database clock, which
-- also sets created_at) and the next p_months_ahead, and every month with rows sitting in DEFAULT, past
-- and future ones included; less those a partition of exactly their bounds covers. overlapping names the
-- partitions with other bounds in a month's way (it is then left alone and reported).
CREATE FUNCTION teams_obs.missing_month_partitions(p_parent regclass, p_months_ahead integer DEFAULT 3)
RETURNS TABLE (month_start timestamptz, partition_name text, default_rows bigint, overlapping text[])
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $function$
BEGIN
    -- Ten years at most: a typo (100000) would otherwise make a partition per month for millennia.
    IF p_months_ahead IS NULL OR p_months_ahead NOT BETWEEN 0 AND 120 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format(
            'months_ahead: must be between 0 and 120, got %s', coalesce(p_months_ahead::text, 'NULL'));
    END IF;
    RETURN QUERY
    WITH existing AS (
        SELECT b.partition_name, b.lower_bound, b.upper_bound
          FROM teams_obs.partition_bounds(p_parent) AS b
         WHERE NOT b.is_default
    ), wanted AS (
        SELECT m.month_start, max(m.row_count) AS row_count
          FROM (SELECT date_trunc('month', now()) + make_interval(months => i), 0::bigint
                  FROM generate_series(0, p_months_ahead) AS i
                UNION ALL
                SELECT d.month_start, d.row_count FROM teams_obs.default_partition_months(p_parent) AS d
               ) AS m (month_start, row_count)
         GROUP BY m.month_start
    )
    SELECT w.month_start,
           teams_obs.month_partition_name(p_parent, w.month_start),
           w.row_count,
           ARRAY(SELECT e.partition_name FROM existing AS e
                  WHERE e.lower_bound < w.month_start + interval '1 month' AND w.month_start < e.upper_bound
                  ORDER BY e.lower_bound)
      FROM wanted AS w
     WHERE NOT EXISTS (SELECT 1 FROM existing AS e
                        WHERE e.lower_bound = w.month_start AND e.upper_bound = w.month_start + interval '1 month')
     ORDER BY w.month_start;
END
$function$;

COMMENT ON FUNCTION teams_obs.missing_month_partitions(regclass, integer) IS
    'Months p_parent needs a partition for (this UTC month and the next p_months_ahead, months with rows in DEFAULT) that none covers, with the partitions overlapping each.';

-- Creates p_parent's partition of the UTC month starting at p_month_start and moves that month's rows
-- out of DEFAULT, under the maintenance lock, in the caller's transaction (whose lock_timeout bounds
-- every wait): templates/partition.sql.j2's attach_month, the statements rendered below. Returns the
-- rows moved, or NULL when no partition is needed once the lock is held: one of exactly that month exists
-- (a concurrent run made it), or the month is past and no row of it waits in DEFAULT (retention, run while
-- maintain waited, deleted them: an empty expired month would only be dropped again).
CREATE FUNCTION teams_obs.attach_month_partition(p_parent regclass, p_month_start timestamptz)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $function$
DECLARE
    v_table teams_obs.month_partitioned_table := teams_obs.month_partitioned_table_of(p_parent);
    v_partition text := teams_obs.month_partition_name(p_parent, p_month_start);
    v_month_end timestamptz := p_month_start + interval '1 month';
    v_statement text;
    v_moved bigint := 0;
    v_rows bigint;
    v_waiting boolean;
BEGIN
    PERFORM teams_obs.lock_partition_maintenance(p_parent);
    IF EXISTS (SELECT 1 FROM teams_obs.partition_bounds(p_parent) AS b
                WHERE b.lower_bound = p_month_start AND b.upper_bound = v_month_end) THEN
        RETURN NULL;
    END IF;
    IF p_month_start < date_trunc('month', now()) THEN
        IF v_table.default_partition IS NULL THEN
            RETURN NULL;
        END IF;
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %1$s WHERE %2$s >= $1 AND %2$s < $2)',
                       v_table.default_partition, v_table.key_column)
           INTO v_waiting USING p_month_start, v_month_end;
        IF NOT v_waiting THEN
            RETURN NULL;
        END IF;
    END IF;
    FOREACH v_statement IN ARRAY ARRAY[
        'CREATE TABLE %2$s
    (LIKE %1$s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING INDEXES)',
        '-- LIKE copies no row level security: a partition read directly must not bypass the parent''s policy.
ALTER TABLE %2$s ENABLE ROW LEVEL SECURITY',
        'ALTER TABLE %2$s ADD CONSTRAINT teams_obs_maintain_bounds
    CHECK (%4$s >= %6$L AND %4$s < %7$L)',
        'WITH moved AS (
    DELETE FROM %3$s WHERE %4$s >= %6$L AND %4$s < %7$L
    RETURNING %5$s)
INSERT INTO %2$s (%5$s) SELECT %5$s FROM moved',
        'WITH moved AS (
    DELETE FROM %3$s WHERE %4$s >= %6$L AND %4$s < %7$L
    RETURNING %5$s)
INSERT INTO %2$s (%5$s) SELECT %5$s FROM moved',
        'LOCK TABLE ONLY %1$s IN EXCLUSIVE MODE',
        'LOCK TABLE %3$s IN ACCESS EXCLUSIVE MODE',
        'WITH moved AS (
    DELETE FROM %3$s WHERE %4$s >= %6$L AND %4$s < %7$L
    RETURNING %5$s)
INSERT INTO %2$s (%5$s) SELECT %5$s FROM moved',
        'ALTER TABLE %1$s ATTACH PARTITION %2$s
    FOR VALUES FROM (%6$L) TO (%7$L)',
        'SELECT pg_catalog.truncate_local_data_after_distributing_table(''%2$s''::regclass)',
        'ALTER TABLE %2$s DROP CONSTRAINT teams_obs_maintain_bounds'
    ] LOOP
        -- Without a DEFAULT partition, the statements that name it (%3$s) have nothing to do.
        CONTINUE WHEN v_table.default_partition IS NULL AND strpos(v_statement, '%3$s') > 0;
        -- Nor, without Citus, the one for Citus's copy of the moved rows.
        CONTINUE WHEN v_statement = 'SELECT pg_catalog.truncate_local_data_after_distributing_table(''%2$s''::regclass)'
                      AND NOT teams_obs.citus_installed();
        EXECUTE format(v_statement, v_table.parent, v_partition, v_table.default_partition, v_table.key_column,
                       array_to_string(v_table.column_names, ', '),
                       to_char(p_month_start, 'YYYY-MM-DD HH24:MI:SS') || '+00',
                       to_char(v_month_end, 'YYYY-MM-DD HH24:MI:SS') || '+00');
        -- The rows moved: those of the move before the locks and of the move under them.
        IF v_statement = 'WITH moved AS (
    DELETE FROM %3$s WHERE %4$s >= %6$L AND %4$s < %7$L
    RETURNING %5$s)
INSERT INTO %2$s (%5$s) SELECT %5$s FROM moved' THEN
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            v_moved := v_moved + v_rows;
        END IF;
    END LOOP;
    RETURN v_moved;
END
$function$;

COMMENT ON FUNCTION teams_obs.attach_month_partition(regclass, timestamptz) IS
    'Creates p_parent''s partition of the UTC month starting at p_month_start, moving its rows out of DEFAULT; returns the rows moved, NULL if that partition exists or the month is past with no row of it in DEFAULT. Run by teams-obs maintain.';

-- Partition upkeep from SQL, for pg_cron on plain PostgreSQL (CALL teams_obs.maintain_partitions()): the
-- months missing_month_partitions lists for every month-partitioned table, one transaction each as
-- `teams-obs maintain` does. A month whose locks are not granted within p_lock_timeout is left to the
-- next run with a warning, one overlapped by a partition with other bounds or failing otherwise too (the
-- months after it are still made); p_created counts the
-- months made. A procedure that commits may have no SET clause, so every name, operator and declared type is qualified
-- instead; with nothing to do it commits nothing, and may then be called inside a transaction. Refused
-- on Citus (0A000): there, ATTACH PARTITIONs of distributed tables from one CALL ended in distributed
-- deadlocks even with a COMMIT between months; `teams-obs maintain` works there.
CREATE PROCEDURE teams_obs.maintain_partitions(p_months_ahead integer DEFAULT 3,
                                               p_lock_timeout text DEFAULT '500ms',
                                               INOUT p_created integer DEFAULT NULL)
LANGUAGE plpgsql
AS $procedure$
DECLARE
    v_table pg_catalog.record;
    v_month pg_catalog.record;
    v_moved pg_catalog.int8;
    v_callers_timeout pg_catalog.text := pg_catalog.current_setting('lock_timeout');
    v_waits_without_end pg_catalog.bool;
BEGIN
    -- Not teams_obs.citus_installed(): that one is the owner's, and a procedure runs as its caller.
    IF EXISTS (SELECT FROM pg_catalog.pg_extension AS e WHERE e.extname OPERATOR(pg_catalog.=) 'citus') THEN
        RAISE EXCEPTION USING ERRCODE = '0A000',
            MESSAGE = 'maintain_partitions: not on Citus; run teams-obs maintain (one transaction per month)';
    END IF;
    -- 0 (also what PostgreSQL rounds a timeout below 1ms to) would wait for the locks without end: checked
    -- first, as PostgreSQL reads the value, which is then put back to the caller's.
    PERFORM pg_catalog.set_config('lock_timeout', p_lock_timeout, true);
    v_waits_without_end := pg_catalog.current_setting('lock_timeout') OPERATOR(pg_catalog.=) '0';
    PERFORM pg_catalog.set_config('lock_timeout', v_callers_timeout, true);
    IF v_waits_without_end THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('lock_timeout: must be at least 1ms (0 waits for locks without end), got %s',
                                        pg_catalog.left(coalesce(p_lock_timeout, 'NULL'), 100));
    END IF;
    p_created := 0;
    FOR v_table IN SELECT t.parent_oid, t.parent FROM teams_obs.month_partitioned_tables() AS t LOOP
        FOR v_month IN SELECT m.month_start, m.partition_name, m.overlapping
                         FROM teams_obs.missing_month_partitions(v_table.parent_oid::pg_catalog.regclass,
                                                                 p_months_ahead) AS m
        LOOP
            IF pg_catalog.cardinality(v_month.overlapping) OPERATOR(pg_catalog.>) 0 THEN
                RAISE WARNING '%: overlapped by %, left alone', v_month.partition_name, v_month.overlapping;
                CONTINUE;
            END IF;
            PERFORM pg_catalog.set_config('lock_timeout', p_lock_timeout, true);
            BEGIN
                v_moved := teams_obs.attach_month_partition(v_table.parent_oid::pg_catalog.regclass,
                                                            v_month.month_start);
                IF v_moved IS NOT NULL THEN
                    p_created := p_created OPERATOR(pg_catalog.+) 1;
                    RAISE NOTICE '%: created, % rows moved out of DEFAULT', v_month.partition_name, v_moved;
                END IF;
            EXCEPTION
                WHEN lock_not_available THEN
                    RAISE WARNING '%: locks not granted within %, left to the next run', v_month.partition_name,
                        p_lock_timeout;
                -- One month in trouble (a table of its name left by a DETACH, say) must not keep the
                -- months after it from being made.
                WHEN OTHERS THEN
                    RAISE WARNING '%: % (%), left alone', v_month.partition_name, SQLERRM, SQLSTATE;
            END;
            COMMIT;
        END LOOP;
    END LOOP;
END
$procedure$;

COMMENT ON PROCEDURE teams_obs.maintain_partitions(integer, text, integer) IS
    'teams-obs maintain from SQL (pg_cron): creates every missing monthly partition, one transaction per month; a busy month, or one that fails, is left with a warning and the others are made. p_created: months made.';

REVOKE ALL ON FUNCTION teams_obs.month_partition_name(regclass, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.default_partition_months(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.attach_month_partition(regclass, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.missing_month_partitions(regclass, integer) FROM PUBLIC;
REVOKE ALL ON PROCEDURE teams_obs.maintain_partitions(integer, text, integer) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE teams_obs.maintain_partitions(integer, text, integer) TO teams_obs_maintainer;
GRANT EXECUTE ON FUNCTION teams_obs.month_partition_name(regclass, timestamptz), teams_obs.default_partition_months(regclass),
    teams_obs.attach_month_partition(regclass, timestamptz), teams_obs.missing_month_partitions(regclass, integer)
    TO teams_obs_maintainer;

COMMIT;
