-- Deploy teams_obs:row_level_security to pg
-- requires: notification_deliveries
-- requires: notification_delivery_idempotency
-- requires: audit_events
-- requires: conversation_references

BEGIN;

-- Defence in depth for roles that read tables directly (SPEC §5; docs/security.md): on every table of
-- the schema, a role other than the owner sees and touches only the rows of the tenant named by the
-- transaction's setting teams_obs.tenant, and nothing while it is unset or empty:
--     SET LOCAL teams_obs.tenant = '<uuid>';    -- or set_config('teams_obs.tenant', $1, true)
-- current_setting(..., true) is NULL before the setting was ever set and '' after a SET LOCAL ended,
-- hence the NULLIF; a value that is not a UUID fails the query (22P02) rather than matching nothing
-- silently. No subquery in the policy: Citus refuses them.
-- Not FORCEd: the owner's SECURITY DEFINER functions bypass it and keep their own explicit tenant
-- filters; the measurement behind that choice is in docs/security.md (bench/rls_force.py).
-- Partitions get RLS enabled without a policy, which denies every non-owner reading a partition
-- directly (through the parent only the parent's policy applies); `teams-obs maintain` enables it on
-- every partition it creates (templates/partition.sql.j2).
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
        EXECUTE format('ALTER TABLE %s ENABLE ROW LEVEL SECURITY', v_table);
        IF NOT (SELECT c.relispartition FROM pg_catalog.pg_class AS c WHERE c.oid = v_table) THEN
            EXECUTE format(
                $policy$CREATE POLICY tenant_isolation ON %s
                    USING (tenant = NULLIF(pg_catalog.current_setting('teams_obs.tenant', true), '')::uuid)
                    WITH CHECK (tenant = NULLIF(pg_catalog.current_setting('teams_obs.tenant', true), '')::uuid)
                $policy$, v_table);
            EXECUTE format('COMMENT ON POLICY tenant_isolation ON %s IS %L', v_table,
                           'Rows of the tenant named by the transaction''s teams_obs.tenant setting only; none while unset.');
        END IF;
    END LOOP;
END
$rls$;

COMMIT;
