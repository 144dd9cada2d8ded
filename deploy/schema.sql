-- Deploy teams_obs:schema to pg

BEGIN;

-- The functions trim Unicode whitespace and hash UTF-8 text: refuse another encoding here, before anything
-- is created, rather than fail later on a character that encoding lacks.
DO $encoding$
BEGIN
    IF pg_catalog.getdatabaseencoding() <> 'UTF8' THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = pg_catalog.format('teams_obs needs a UTF8 database, not %s', pg_catalog.getdatabaseencoding()),
            HINT = 'CREATE DATABASE ... ENCODING ''UTF8'' TEMPLATE template0';
    END IF;
END
$encoding$;

CREATE SCHEMA teams_obs;
COMMENT ON SCHEMA teams_obs IS 'Observability data of the Microsoft Teams integration (teams_obs).';

-- Roles are cluster-wide: another database of this cluster may already have created them. One that exists
-- must still be what this change creates, a bare NOLOGIN role: every login granted it gets what it has.
DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['teams_obs_writer', 'teams_obs_reader', 'teams_obs_maintainer'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            -- A dedicated owner (docs/security.md) usually may not create roles: say what to do first.
            IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles
                           WHERE rolname = current_user AND (rolsuper OR rolcreaterole)) THEN
                RAISE EXCEPTION USING ERRCODE = '42501',
                    MESSAGE = format('role %s does not exist, and %s may not create roles', v_role, current_user),
                    HINT = 'As a superuser (or a role with CREATEROLE), create the three roles once per cluster: '
                           'CREATE ROLE teams_obs_writer NOLOGIN; CREATE ROLE teams_obs_reader NOLOGIN; '
                           'CREATE ROLE teams_obs_maintainer NOLOGIN;';
            END IF;
            BEGIN
                EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
                CONTINUE;
            EXCEPTION WHEN duplicate_object OR unique_violation THEN
                -- The first deploy of another database created it meanwhile (sqitch's lock is per database):
                -- checked below like any role found.
                NULL;
            END;
        END IF;
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles AS r
                   WHERE r.rolname = v_role
                     AND (r.rolcanlogin OR r.rolsuper OR r.rolbypassrls OR r.rolcreaterole OR r.rolcreatedb
                          OR r.rolreplication
                          OR EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members AS m WHERE m.member = r.oid))) THEN
            RAISE EXCEPTION USING ERRCODE = '55000',
                MESSAGE = format('role %s exists with more than NOLOGIN (LOGIN, SUPERUSER, BYPASSRLS, CREATEROLE, '
                                 'CREATEDB, REPLICATION or membership in a role), which every login granted it '
                                 'would get', v_role),
                HINT = 'ALTER ROLE ... NOLOGIN NOSUPERUSER ...; REVOKE ... FROM it, or drop it';
        END IF;
    END LOOP;
END
$roles$;

-- Only the owner creates objects here; the roles reach data through functions alone.
REVOKE ALL ON SCHEMA teams_obs FROM PUBLIC;
GRANT USAGE ON SCHEMA teams_obs TO teams_obs_writer, teams_obs_reader, teams_obs_maintainer;

-- Whether this database runs Citus: the steps that only Citus needs (distribution, page ranges sized by the
-- largest shard, statistics gathered from the shards) test this one function.
CREATE FUNCTION teams_obs.citus_installed()
RETURNS boolean
LANGUAGE sql
STABLE PARALLEL SAFE
RETURN EXISTS (SELECT 1 FROM pg_catalog.pg_extension AS e WHERE e.extname = 'citus');

COMMENT ON FUNCTION teams_obs.citus_installed() IS 'True when the citus extension is installed in this database.';

REVOKE ALL ON FUNCTION teams_obs.citus_installed() FROM PUBLIC;

COMMIT;
