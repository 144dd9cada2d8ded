-- Verify teams_obs:schema on pg

BEGIN;

SELECT pg_catalog.has_schema_privilege('teams_obs', 'usage');
SELECT teams_obs.citus_installed();

DO $verify$
DECLARE
    v_lacking text;
    v_repair text;
    v_found text[] := '{}';
    v_repairs text[] := '{}';
BEGIN
    -- As deployed: three bare NOLOGIN roles (deploy/schema.sql refuses one with more).
    SELECT pg_catalog.string_agg(r, ', ' ORDER BY r),
           pg_catalog.string_agg(pg_catalog.format('CREATE ROLE %I NOLOGIN;', r), ' ' ORDER BY r)
      INTO v_lacking, v_repair
      FROM pg_catalog.unnest(ARRAY['teams_obs_writer', 'teams_obs_reader', 'teams_obs_maintainer']) AS r
     WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS x WHERE x.rolname = r);
    IF v_lacking IS NOT NULL THEN  -- alone: the checks below name the roles
        RAISE EXCEPTION USING MESSAGE = pg_catalog.format('roles missing: %s', v_lacking), HINT = v_repair;
    END IF;
    -- The rest, every drift found in one error, so that one run shows all there is to repair.
    SELECT pg_catalog.string_agg(r.rolname, ', ' ORDER BY r.rolname),
           pg_catalog.string_agg(pg_catalog.format('ALTER ROLE %I NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE '
                                                   'NOCREATEDB NOREPLICATION;', r.rolname)
                                 || coalesce((SELECT pg_catalog.string_agg(pg_catalog.format(' REVOKE %s FROM %I;',
                                                                                             m.roleid::regrole, r.rolname), '')
                                                FROM pg_catalog.pg_auth_members AS m WHERE m.member = r.oid), ''),
                                 ' ' ORDER BY r.rolname)
      INTO v_lacking, v_repair
      FROM pg_catalog.pg_roles AS r
     WHERE r.rolname IN ('teams_obs_writer', 'teams_obs_reader', 'teams_obs_maintainer')
       AND (r.rolcanlogin OR r.rolsuper OR r.rolbypassrls OR r.rolcreaterole OR r.rolcreatedb OR r.rolreplication
            OR EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members AS m WHERE m.member = r.oid));
    IF v_lacking IS NOT NULL THEN
        v_found := v_found || pg_catalog.format('more than a bare NOLOGIN role (LOGIN, SUPERUSER, BYPASSRLS, '
                                                'CREATEROLE, CREATEDB, REPLICATION or a membership): %s', v_lacking);
        v_repairs := v_repairs || v_repair;
    END IF;
    -- Without it, a role's functions are out of its reach, whatever it may execute.
    SELECT pg_catalog.string_agg(r, ', ' ORDER BY r) INTO v_lacking
      FROM pg_catalog.unnest(ARRAY['teams_obs_writer', 'teams_obs_reader', 'teams_obs_maintainer']) AS r
     WHERE NOT pg_catalog.has_schema_privilege(r, 'teams_obs', 'USAGE');
    IF v_lacking IS NOT NULL THEN
        v_found := v_found || pg_catalog.format('no USAGE on schema teams_obs for %s', v_lacking);
        v_repairs := v_repairs || pg_catalog.format('GRANT USAGE ON SCHEMA teams_obs TO %s;', v_lacking);
    END IF;
    -- Only the owner creates objects in the schema.
    SELECT pg_catalog.string_agg(r, ', ' ORDER BY r) INTO v_lacking
      FROM pg_catalog.unnest(ARRAY['PUBLIC', 'teams_obs_writer', 'teams_obs_reader', 'teams_obs_maintainer']) AS r
     WHERE EXISTS (SELECT 1
                     FROM pg_catalog.pg_namespace AS n, LATERAL pg_catalog.aclexplode(n.nspacl) AS a
                    WHERE n.nspname = 'teams_obs' AND a.privilege_type = 'CREATE'
                      AND a.grantee = CASE r WHEN 'PUBLIC' THEN 0 ELSE r::pg_catalog.regrole::oid END);
    IF v_lacking IS NOT NULL THEN
        v_found := v_found || pg_catalog.format('CREATE on schema teams_obs for %s', v_lacking);
        v_repairs := v_repairs || pg_catalog.format('REVOKE CREATE ON SCHEMA teams_obs FROM %s;', v_lacking);
    END IF;
    IF v_found <> '{}' THEN
        RAISE EXCEPTION USING MESSAGE = pg_catalog.array_to_string(v_found, '; and '),
                              HINT = pg_catalog.array_to_string(v_repairs, ' ');
    END IF;
END
$verify$;

ROLLBACK;
