-- Deploy teams_obs:maintenance_status to pg
-- requires: partition_catalog
-- requires: notification_deliveries
-- requires: notification_delivery_idempotency
-- requires: audit_events

BEGIN;

-- Whether maintenance keeps up (SPEC §4 Health), one row per table that monthly partition upkeep covers
-- (month_partitioned_tables, found in the catalog, so a table added later is covered), across all tenants:
--   partitions, oldest_partition, oldest_partition_start: the monthly partitions (DEFAULT excluded)
--   covered_until: end of the unbroken run of partitions that starts with the one holding now();
--     NULL when no partition holds now() (new rows go to DEFAULT)
--   months_ahead: whole months that run covers after the current UTC month (`teams-obs maintain`
--     keeps 3; 0 when the current month has no partition)
--   default_partition, default_rows: rows waiting in DEFAULT for their month (exact count; normally 0)
--   sidecar_table, sidecar_rows: the idempotency sidecar of the table, if it has one, and its size as the
--     planner estimates it (pg_class.reltuples, kept current by autovacuum/ANALYZE, summed over the
--     shards on Citus; NULL before the first ANALYZE; an exact count would scan the table on every
--     health check). Its oldest reservation is not reported: without an index on created_at (which
--     every recording would pay for) that too would be a scan.
-- Bounds come from teams_obs.partition_bounds (catalog, never partition names).
CREATE FUNCTION teams_obs.maintenance_status()
RETURNS TABLE (
    table_name text,
    partitions integer,
    oldest_partition text,
    oldest_partition_start timestamptz,
    covered_until timestamptz,
    months_ahead integer,
    default_partition text,
    default_rows bigint,
    sidecar_table text,
    sidecar_rows bigint
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_now constant timestamptz := now();
    v_next_month constant timestamp := date_trunc('month', v_now AT TIME ZONE 'UTC') + interval '1 month';
    v_parent regclass;
    v_sidecar regclass;
    v_months interval;
    v_on_shards boolean;
BEGIN
    -- The sidecar is the table that retention deletes from beside the DEFAULT partition
    -- (retention_row_tables, of partition_retention, earlier in the plan).
    FOR v_parent, v_sidecar IN
        SELECT t.parent_oid::regclass, s.table_name
          FROM teams_obs.month_partitioned_tables() AS t
          LEFT JOIN LATERAL teams_obs.retention_row_tables(t.parent_oid::regclass) AS s ON NOT s.is_default
         ORDER BY t.table_name
    LOOP
        table_name := v_parent::text;
        SELECT count(*) FILTER (WHERE NOT b.is_default),
               (array_agg(b.partition_name ORDER BY b.lower_bound) FILTER (WHERE NOT b.is_default))[1],
               min(b.lower_bound) FILTER (WHERE NOT b.is_default),
               (array_agg(b.partition_name) FILTER (WHERE b.is_default))[1]
          INTO partitions, oldest_partition, oldest_partition_start, default_partition
          FROM teams_obs.partition_bounds(v_parent) AS b;

        WITH RECURSIVE bounds AS (
            SELECT b.lower_bound, b.upper_bound FROM teams_obs.partition_bounds(v_parent) AS b WHERE NOT b.is_default
        ), run AS (
            SELECT b.upper_bound FROM bounds AS b WHERE b.lower_bound <= v_now AND v_now < b.upper_bound
            UNION ALL
            SELECT b.upper_bound FROM run AS r JOIN bounds AS b ON b.lower_bound = r.upper_bound
        )
        SELECT max(r.upper_bound) INTO covered_until FROM run AS r;
        v_months := age(covered_until AT TIME ZONE 'UTC', v_next_month);
        months_ahead := CASE WHEN covered_until IS NULL OR v_months < interval '0' THEN 0
                             WHEN NOT isfinite(covered_until) THEN NULL
                             ELSE (extract(year FROM v_months) * 12 + extract(month FROM v_months))::integer END;

        default_rows := NULL;
        IF default_partition IS NOT NULL THEN
            EXECUTE format('SELECT count(*) FROM %s', default_partition::regclass) INTO default_rows;
        END IF;

        sidecar_table := v_sidecar::text;
        sidecar_rows := NULL;
        IF v_sidecar IS NOT NULL THEN
            v_on_shards := false;
            IF teams_obs.citus_installed() THEN
                -- A distributed table's rows are in its shards (the coordinator holds an empty shell): add up
                -- their estimates. A table that is not distributed has no shards.
                EXECUTE $sql$
                    SELECT count(*) > 0, sum(NULLIF(s.result, '')::double precision)::bigint
                      FROM pg_catalog.run_command_on_shards($1,
                               'SELECT CASE WHEN reltuples >= 0 THEN reltuples END FROM pg_catalog.pg_class WHERE oid = ''%s''::pg_catalog.regclass') AS s
                     WHERE s.success
                $sql$ INTO v_on_shards, sidecar_rows USING v_sidecar;
            END IF;
            IF NOT v_on_shards THEN
                SELECT CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint END INTO sidecar_rows
                  FROM pg_catalog.pg_class AS c WHERE c.oid = v_sidecar;
            END IF;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$function$;

COMMENT ON FUNCTION teams_obs.maintenance_status() IS
    'Per partitioned table: partitions, oldest partition, months of partitions ahead of the current UTC month, rows waiting in DEFAULT, idempotency sidecar size (estimate).';

REVOKE ALL ON FUNCTION teams_obs.maintenance_status() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.maintenance_status() TO teams_obs_reader, teams_obs_maintainer;

COMMIT;
