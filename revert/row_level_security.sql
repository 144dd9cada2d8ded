-- Revert teams_obs:row_level_security from pg

BEGIN;

DO $rls$
DECLARE
    v_table regclass;
BEGIN
    FOR v_table IN
        SELECT c.oid::regclass
          FROM pg_catalog.pg_class AS c
         WHERE c.relnamespace = 'teams_obs'::regnamespace AND c.relkind IN ('r', 'p')
         ORDER BY c.relname
    LOOP
        EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', v_table);
        EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', v_table);
    END LOOP;
END
$rls$;

COMMIT;
