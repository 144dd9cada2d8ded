-- Revert teams_obs:schema from pg

BEGIN;

-- The roles stay: they are cluster-wide and other databases of the cluster may use them.
DROP FUNCTION teams_obs.citus_installed();
DROP SCHEMA teams_obs;

COMMIT;
