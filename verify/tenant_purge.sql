-- Verify teams_obs:tenant_purge on pg

BEGIN;

-- Every listed table exists, and every table of the schema holding tenant rows is listed.
DO $verify$
DECLARE
    v_missing text;
BEGIN
    SELECT string_agg(o.table_name, ', ') INTO v_missing
      FROM teams_obs.tenant_deletion_order() AS o
     WHERE pg_catalog.to_regclass(o.table_name) IS NULL;
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION 'tenant_deletion_order() lists missing tables: %', v_missing;
    END IF;
    SELECT string_agg(c.oid::regclass::text, ', ') INTO v_missing
      FROM pg_catalog.pg_class c
      JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant' AND NOT a.attisdropped
     WHERE c.relnamespace = 'teams_obs'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND c.oid NOT IN (SELECT pg_catalog.to_regclass(o.table_name) FROM teams_obs.tenant_deletion_order() AS o);
    IF v_missing IS NOT NULL THEN
        RAISE EXCEPTION 'tables with tenant rows missing from tenant_deletion_order(): %', v_missing;
    END IF;
    PERFORM teams_obs.purge_tenant('00000000-0000-0000-0000-000000000000'::uuid);
END
$verify$;

ROLLBACK;
