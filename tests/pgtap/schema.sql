-- The schema change: schema teams_obs and the three NOLOGIN roles.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(9);

SELECT has_schema('teams_obs');
SELECT has_role(r) FROM unnest(ARRAY['teams_obs_writer', 'teams_obs_reader', 'teams_obs_maintainer']) AS r;
SELECT ok(NOT rolcanlogin, rolname || ' cannot log in')
  FROM pg_catalog.pg_roles
 WHERE rolname IN ('teams_obs_writer', 'teams_obs_reader', 'teams_obs_maintainer')
 ORDER BY rolname;
SELECT ok(NOT has_schema_privilege('public', 'teams_obs', 'CREATE'), 'PUBLIC cannot create in teams_obs');
SELECT ok(NOT has_schema_privilege('teams_obs_writer', 'teams_obs', 'CREATE'), 'the writer cannot create in teams_obs');

SELECT * FROM finish();
ROLLBACK;
