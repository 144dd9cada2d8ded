-- Verify teams_obs:citus_distribution on pg

BEGIN;

-- On Citus: every tenant table distributed by tenant in one colocation group, and every record and
-- per-tenant read function delegated by p_tenant in that group. Nothing to check on plain PostgreSQL.
DO $verify$
DECLARE
    v_groups bigint;
    v_undistributed text;
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
END
$verify$;

ROLLBACK;
