-- Revert teams_obs:row_level_security from pg

BEGIN;

DO $rls$
DECLARE
    v_table regclass;
    v_partition boolean;
BEGIN
    FOR v_table, v_partition IN
        SELECT c.oid::regclass, c.relispartition
          FROM pg_catalog.pg_class AS c
         WHERE c.relnamespace = 'teams_obs'::regnamespace AND c.relkind IN ('r', 'p')
         ORDER BY c.relname
    LOOP
        IF NOT v_partition THEN  -- partitions have none (deploy), and a NOTICE each would say so
            EXECUTE format('DROP POLICY IF EXISTS tenant_isolation ON %s', v_table);
        END IF;
        EXECUTE format('ALTER TABLE %s DISABLE ROW LEVEL SECURITY', v_table);
    END LOOP;
END
$rls$;

COMMIT;
