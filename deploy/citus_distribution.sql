-- Deploy teams_obs:citus_distribution to pg
-- requires: tenant_purge
-- requires: privileges

BEGIN;

-- SPEC §6: on Citus every table is distributed by tenant, all of them colocated, and the record and
-- per-tenant read functions are delegated to the worker holding the tenant. On plain PostgreSQL this
-- change does nothing but say so. The Citus functions live in pg_catalog and exist only with the
-- extension, so they are called through EXECUTE, never parsed on plain PostgreSQL.
--
-- * Tables: tenant_deletion_order() is the one list of tenant tables. The first one colocates with the
--   table named by the setting teams_obs.colocate_with when the host gives one (a table distributed by a
--   uuid column, e.g. ALTER DATABASE ... SET teams_obs.colocate_with = 'public.teams_integrations'), else
--   with Citus's default group for uuid; the others colocate with the first. Monthly partitions created
--   later by `teams-obs maintain` are distributed by Citus as they are attached.
-- * Functions: every function of the schema is propagated to the workers (create_distributed_function
--   without a distribution argument), because PL/pgSQL bodies call the internal ones by name and Citus
--   cannot see those dependencies. The SECURITY DEFINER functions granted to the writer or the reader
--   whose first parameter is p_tenant (the record and per-tenant read functions) get p_tenant as their
--   distribution argument, colocated with the tables.
-- * Grants: a function Citus did not propagate when it was created (one returning a table's row type,
--   created before that table was distributed) is created on the workers here, with the default EXECUTE
--   for PUBLIC that the change privileges revoked on the coordinator alone, then its grants. Each
--   function not executable by PUBLIC on the coordinator has it revoked again, which Citus now forwards;
--   a delegated call is checked against the worker's grants only (verify compares every node's).
DO $distribute$
DECLARE
    v_anchor text;
    v_colocate_with text := coalesce(nullif(current_setting('teams_obs.colocate_with', true), ''), 'default');
    v_table text;
    v_function regprocedure;
    v_delegated boolean;
    v_public boolean;
BEGIN
    IF NOT teams_obs.citus_installed() THEN
        RAISE NOTICE 'teams_obs: Citus is not installed in this database; tables and functions stay local';
        RETURN;
    END IF;
    -- Distributing functions in the transaction that distributed the tables needs one connection per
    -- worker for both (Citus refuses otherwise).
    PERFORM pg_catalog.set_config('citus.multi_shard_modify_mode', 'sequential', true);

    FOR v_table IN SELECT o.table_name FROM teams_obs.tenant_deletion_order() AS o ORDER BY o.step LOOP
        -- Already distributed when this change is deployed again after its revert (see there).
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_dist_partition AS d WHERE d.logicalrelid = v_table::regclass) THEN
            EXECUTE 'SELECT pg_catalog.create_distributed_table($1, $2, colocate_with => $3)'
                USING v_table, 'tenant', coalesce(v_anchor, v_colocate_with);
        END IF;
        v_anchor := coalesce(v_anchor, v_table);
    END LOOP;

    FOR v_function, v_delegated, v_public IN
        SELECT p.oid::regprocedure,
               p.prosecdef AND coalesce(p.proargnames[1] = 'p_tenant', false)
               AND (pg_catalog.has_function_privilege('teams_obs_writer', p.oid, 'EXECUTE')
                    OR pg_catalog.has_function_privilege('teams_obs_reader', p.oid, 'EXECUTE')),
               EXISTS (SELECT FROM pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) AS a
                        WHERE a.grantee = 0)
          FROM pg_catalog.pg_proc AS p
         WHERE p.pronamespace = 'teams_obs'::regnamespace
         ORDER BY p.oid
    LOOP
        IF v_delegated THEN
            EXECUTE 'SELECT pg_catalog.create_distributed_function($1, $2, colocate_with => $3)'
                USING v_function, 'p_tenant', v_anchor;
        ELSE
            EXECUTE 'SELECT pg_catalog.create_distributed_function($1)' USING v_function;
        END IF;
        IF NOT v_public THEN
            EXECUTE pg_catalog.format('REVOKE ALL ON ROUTINE %s FROM PUBLIC', v_function);
        END IF;
    END LOOP;
END
$distribute$;

COMMIT;
