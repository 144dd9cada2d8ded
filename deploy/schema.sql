-- Deploy teams_obs:schema to pg

BEGIN;

CREATE SCHEMA teams_obs;
COMMENT ON SCHEMA teams_obs IS 'Observability data of the Microsoft Teams integration (teams_obs).';

-- Roles are cluster-wide: another database of this cluster may already have created them.
DO $roles$
DECLARE
    v_role text;
BEGIN
    FOREACH v_role IN ARRAY ARRAY['teams_obs_writer', 'teams_obs_reader', 'teams_obs_maintainer'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = v_role) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', v_role);
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
