-- Verify teams_obs:schema on pg

BEGIN;

SELECT pg_catalog.has_schema_privilege('teams_obs', 'usage');
SELECT teams_obs.citus_installed();

DO $verify$
BEGIN
    IF (SELECT count(*) FROM pg_catalog.pg_roles
        WHERE rolname IN ('teams_obs_writer', 'teams_obs_reader', 'teams_obs_maintainer')
          AND NOT rolcanlogin) <> 3 THEN
        RAISE EXCEPTION 'teams_obs roles are missing or can log in';
    END IF;
END
$verify$;

ROLLBACK;
