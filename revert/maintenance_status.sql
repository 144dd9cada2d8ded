-- Revert teams_obs:maintenance_status from pg

BEGIN;

DROP FUNCTION teams_obs.maintenance_status();

COMMIT;
