-- Verify teams_obs:citus_distribution on pg

BEGIN;

-- On Citus: every tenant table distributed by tenant in one colocation group, every record and
-- per-tenant read function delegated by p_tenant in that group, and every node granting the same on the
-- schema and its functions, tables and types (a delegated call is checked against the worker's grants
-- only). Nothing to check on plain PostgreSQL.
DO $verify$
DECLARE
    v_groups bigint;
    v_undistributed text;
    -- One line per object and privilege; the workers' shards (not in pg_dist_partition) left out.
    v_grants constant text := $query$
        SELECT coalesce(pg_catalog.string_agg(g.line, E'\n' ORDER BY g.line), '')
          FROM (SELECT o.object || ' ' || coalesce(nullif(a.grantee::regrole::text, '-'), 'PUBLIC') || ' '
                       || a.privilege_type || CASE WHEN a.is_grantable THEN ' with grant option' ELSE '' END
                       AS line
                  FROM (SELECT 'schema teams_obs', n.nspacl, 'n'::"char", n.nspowner
                          FROM pg_catalog.pg_namespace AS n WHERE n.nspname = 'teams_obs'
                        UNION ALL
                        SELECT 'function ' || p.oid::regprocedure::text, p.proacl, 'f', p.proowner
                          FROM pg_catalog.pg_proc AS p WHERE p.pronamespace = 'teams_obs'::regnamespace
                        UNION ALL
                        SELECT 'relation ' || c.oid::regclass::text, c.relacl,
                               CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner
                          FROM pg_catalog.pg_class AS c
                         WHERE c.relnamespace = 'teams_obs'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                           AND (c.relkind NOT IN ('r', 'p')
                                OR c.oid IN (SELECT d.logicalrelid FROM pg_catalog.pg_dist_partition AS d))
                        UNION ALL
                        SELECT 'type ' || t.oid::regtype::text, t.typacl, 'T', t.typowner
                          FROM pg_catalog.pg_type AS t
                         WHERE t.typnamespace = 'teams_obs'::regnamespace AND t.typrelid = 0 AND t.typcategory <> 'A'
                       ) AS o (object, acl, kind, owner),
                       pg_catalog.aclexplode(coalesce(o.acl, pg_catalog.acldefault(o.kind, o.owner))) AS a) AS g
    $query$;
    v_coordinator text;
    v_mismatch text;
BEGIN
    IF NOT teams_obs.citus_installed() THEN
        RETURN;
    END IF;
    EXECUTE $query$
        SELECT pg_catalog.string_agg(o.table_name, ', ')
          FROM teams_obs.tenant_deletion_order() AS o
          LEFT JOIN pg_catalog.pg_dist_partition AS d ON d.logicalrelid = o.table_name::regclass
         WHERE d.logicalrelid IS NULL
            OR pg_catalog.column_to_column_name(d.logicalrelid, d.partkey) <> 'tenant'
    $query$ INTO v_undistributed;
    IF v_undistributed IS NOT NULL THEN
        RAISE EXCEPTION 'not distributed by tenant: %', v_undistributed;
    END IF;
    EXECUTE $query$
        SELECT count(DISTINCT x.colocationid)
          FROM (SELECT d.colocationid
                  FROM teams_obs.tenant_deletion_order() AS o
                  JOIN pg_catalog.pg_dist_partition AS d ON d.logicalrelid = o.table_name::regclass
                UNION ALL
                SELECT f.colocationid
                  FROM pg_catalog.pg_dist_object AS f
                 WHERE f.classid = 'pg_catalog.pg_proc'::regclass AND f.distribution_argument_index IS NOT NULL
                   AND f.objid IN (SELECT p.oid FROM pg_catalog.pg_proc AS p
                                    WHERE p.pronamespace = 'teams_obs'::regnamespace)) AS x
    $query$ INTO v_groups;
    IF v_groups <> 1 THEN
        RAISE EXCEPTION 'teams_obs tables and delegated functions span % colocation groups, expected 1', v_groups;
    END IF;
    EXECUTE v_grants INTO v_coordinator;
    EXECUTE $query$
        SELECT pg_catalog.string_agg(pg_catalog.format('%s:%s (%s)', w.nodename, w.nodeport,
                   CASE WHEN NOT w.success THEN w.result
                        ELSE (SELECT pg_catalog.concat_ws('; ',
                                  'missing: ' || pg_catalog.string_agg(l, ', ') FILTER (WHERE NOT on_worker),
                                  'extra: ' || pg_catalog.string_agg(l, ', ') FILTER (WHERE NOT on_coordinator))
                                FROM (SELECT l, l = ANY (c.lines) AS on_coordinator, l = ANY (r.lines) AS on_worker
                                        FROM pg_catalog.string_to_array($1, E'\n') AS c (lines),
                                             pg_catalog.string_to_array(w.result, E'\n') AS r (lines),
                                             LATERAL pg_catalog.unnest(c.lines || r.lines) AS u (l)) AS x
                               WHERE NOT (on_coordinator AND on_worker)) END), '; ')
          FROM pg_catalog.run_command_on_workers($2) AS w
         WHERE NOT w.success OR w.result IS DISTINCT FROM $1
    $query$ INTO v_mismatch USING v_coordinator, v_grants;
    IF v_mismatch IS NOT NULL THEN
        RAISE EXCEPTION 'teams_obs grants differ between the coordinator and workers: %', v_mismatch;
    END IF;
END
$verify$;

ROLLBACK;
