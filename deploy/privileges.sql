-- Deploy teams_obs:privileges to pg
-- requires: schema

BEGIN;

-- SPEC §5, after every function change: who may do what is granted change by change (each function's
-- own GRANT EXECUTE to its role); this change closes what a forgotten statement could leave open and
-- keeps it closed for functions created later. tests/test_privileges.py checks the whole matrix.

-- PostgreSQL grants EXECUTE to PUBLIC on every new function. That default can only be revoked per role
-- for the whole database, not per schema (a per-schema ALTER DEFAULT PRIVILEGES only adds to the global
-- defaults): done for the deploying role, every function it creates later, in any schema, extensions
-- it installs included, is executable by its owner only until granted. Right for a dedicated owner role
-- (docs/security.md); a superuser that deploys is left alone, with a notice: it would strip PUBLIC's
-- EXECUTE from every extension installed later in this database.
DO $defaults$
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user) THEN
        RAISE NOTICE 'teams_obs deployed by a superuser: PUBLIC keeps its default EXECUTE on functions created later (deploy as a dedicated owner role, docs/security.md)';
    ELSE
        ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
    END IF;
END
$defaults$;

-- Tables and sequences get no PUBLIC default; nothing in the schema is granted to PUBLIC either.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA teams_obs FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA teams_obs FROM PUBLIC, teams_obs_writer, teams_obs_reader, teams_obs_maintainer;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA teams_obs FROM PUBLIC, teams_obs_writer, teams_obs_reader, teams_obs_maintainer;
REVOKE CREATE ON SCHEMA teams_obs FROM PUBLIC, teams_obs_writer, teams_obs_reader, teams_obs_maintainer;

COMMIT;
