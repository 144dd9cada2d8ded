-- Deploy teams_obs:partition_catalog to pg
-- requires: schema

BEGIN;

-- The monthly partitions of a table partitioned BY RANGE on one timestamptz column, with their bounds
-- as instants. Bounds come from the catalog (pg_get_expr of relpartbound), never from partition names,
-- and the text is parsed under pinned TimeZone and DateStyle: pg_get_expr prints the bounds in the
-- session's settings ('31/10/2026 20:00:00 EDT' under SQL, DMY in New York), so a pinned format is
-- what makes the strict pattern below safe. MINVALUE/MAXVALUE read as -infinity/infinity.
CREATE FUNCTION teams_obs.partition_bounds(p_parent regclass)
RETURNS TABLE (partition_oid oid, partition_name text, is_default boolean,
               lower_bound timestamptz, upper_bound timestamptz)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET DateStyle = 'ISO, YMD'
AS $function$
DECLARE
    -- An E'' string: it reads the same whatever the caller's standard_conforming_strings.
    v_bound_pattern constant text :=
        E'^FOR VALUES FROM \\((MINVALUE|''[^'']+'')\\) TO \\((MAXVALUE|''[^'']+'')\\)$';
    v_partition record;
    v_match text[];
BEGIN
    IF NOT EXISTS (
        SELECT 1
          FROM pg_catalog.pg_partitioned_table pt
          JOIN pg_catalog.pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
         WHERE pt.partrelid = p_parent AND pt.partstrat = 'r' AND pt.partnatts = 1
           AND a.atttypid = 'timestamptz'::regtype) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('parent: %s is not partitioned by range on one timestamptz column', p_parent);
    END IF;
    FOR v_partition IN
        SELECT c.oid, c.oid::regclass::text AS name, pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS bound
          FROM pg_catalog.pg_inherits i
          JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = p_parent
         ORDER BY c.oid
    LOOP
        partition_oid := v_partition.oid;
        partition_name := v_partition.name;
        is_default := v_partition.bound = 'DEFAULT';
        lower_bound := NULL;
        upper_bound := NULL;
        IF NOT is_default THEN
            v_match := regexp_match(v_partition.bound, v_bound_pattern);
            IF v_match IS NULL THEN
                RAISE EXCEPTION 'unexpected bound of partition %: %', v_partition.name, v_partition.bound;
            END IF;
            lower_bound := CASE v_match[1] WHEN 'MINVALUE' THEN '-infinity'::timestamptz
                                ELSE btrim(v_match[1], '''')::timestamptz END;
            upper_bound := CASE v_match[2] WHEN 'MAXVALUE' THEN 'infinity'::timestamptz
                                ELSE btrim(v_match[2], '''')::timestamptz END;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION teams_obs.partition_bounds(regclass) IS
    'Partitions of a table range-partitioned on one timestamptz column, with bounds read from the catalog (DEFAULT: is_default, NULL bounds; MINVALUE/MAXVALUE: -infinity/infinity).';

-- The tables that monthly partition upkeep and retention cover: every table of schema teams_obs
-- partitioned BY RANGE on one timestamptz column (a table added later is covered without code changes),
-- with the quoted names the partition DDL needs.
CREATE TYPE teams_obs.month_partitioned_table AS (
    parent_oid oid,
    parent text,
    schema_name name,
    table_name name,
    key_column text,
    default_partition text,
    column_names text[]
);

COMMENT ON TYPE teams_obs.month_partitioned_table IS
    'A table that monthly partition upkeep covers, with the quoted names its partition DDL needs.';

CREATE FUNCTION teams_obs.month_partitioned_tables()
RETURNS SETOF teams_obs.month_partitioned_table
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT c.oid,
           pg_catalog.format('%I.%I', n.nspname, c.relname),
           n.nspname,
           c.relname,
           pg_catalog.quote_ident(a.attname),
           (SELECT pg_catalog.format('%I.%I', dn.nspname, d.relname)
              FROM pg_catalog.pg_class AS d
              JOIN pg_catalog.pg_namespace AS dn ON dn.oid = d.relnamespace
             WHERE d.oid = pt.partdefid),
           (SELECT pg_catalog.array_agg(pg_catalog.quote_ident(col.attname) ORDER BY col.attnum)
              FROM pg_catalog.pg_attribute AS col
             WHERE col.attrelid = c.oid AND col.attnum > 0 AND NOT col.attisdropped AND col.attgenerated = '')
      FROM pg_catalog.pg_partitioned_table AS pt
      JOIN pg_catalog.pg_class AS c ON c.oid = pt.partrelid
      JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
      JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum = pt.partattrs[0]
     WHERE n.nspname = 'teams_obs' AND NOT c.relispartition
       AND pt.partstrat = 'r' AND pt.partnatts = 1 AND a.atttypid = 'pg_catalog.timestamptz'::pg_catalog.regtype
     ORDER BY c.relname
$function$;

COMMENT ON FUNCTION teams_obs.month_partitioned_tables() IS
    'Tables of schema teams_obs partitioned by range on one timestamptz column, with the quoted names of their key, DEFAULT partition and columns: what monthly partition upkeep covers.';

-- The table of month_partitioned_tables() that p_parent names, or 22023 naming the argument.
CREATE FUNCTION teams_obs.month_partitioned_table_of(p_parent regclass)
RETURNS teams_obs.month_partitioned_table
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_table teams_obs.month_partitioned_table;
BEGIN
    SELECT * INTO v_table FROM teams_obs.month_partitioned_tables() AS t WHERE t.parent_oid = p_parent;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format(
            'parent: %s is not a table of schema teams_obs partitioned by range on one timestamptz column',
            coalesce(p_parent::text, 'NULL'));
    END IF;
    RETURN v_table;
END
$function$;

COMMENT ON FUNCTION teams_obs.month_partitioned_table_of(regclass) IS
    'The row of month_partitioned_tables() for p_parent; 22023 when p_parent is not one of them.';

-- Partition maintenance of one table (teams-obs maintain, retention, tenant purges) runs one at a time:
-- each takes this lock first, so two maintainers never race on the same month, retention never fights a
-- row move for the DEFAULT partition, and a purge never starts while a month moves out of DEFAULT (it would
-- wait for the rows the move holds while holding the table lock the move needs next). SHARE UPDATE
-- EXCLUSIVE on the parent alone: it conflicts with itself, not with writers or readers, and only the
-- owner can take it. Not an advisory lock: any role that may connect can take one and hold it, which
-- would stall upkeep, retention and purges. lock_timeout bounds the wait.
CREATE FUNCTION teams_obs.lock_partition_maintenance(p_parent regclass)
RETURNS void
LANGUAGE plpgsql VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    EXECUTE format('LOCK TABLE ONLY %s IN SHARE UPDATE EXCLUSIVE MODE',
                   (teams_obs.month_partitioned_table_of(p_parent)).parent);
END
$function$;

COMMENT ON FUNCTION teams_obs.lock_partition_maintenance(regclass) IS
    'Takes the lock serialising partition maintenance, retention and tenant purges of one month-partitioned table (SHARE UPDATE EXCLUSIVE on the parent alone) until the transaction ends.';

REVOKE ALL ON FUNCTION teams_obs.partition_bounds(regclass) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.lock_partition_maintenance(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.partition_bounds(regclass) TO teams_obs_maintainer;
GRANT EXECUTE ON FUNCTION teams_obs.lock_partition_maintenance(regclass) TO teams_obs_maintainer;
REVOKE ALL ON FUNCTION teams_obs.month_partitioned_tables() FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.month_partitioned_table_of(regclass) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.month_partitioned_tables(), teams_obs.month_partitioned_table_of(regclass)
    TO teams_obs_maintainer;

COMMIT;
