-- Revert teams_obs:time_ordered_uuid from pg

BEGIN;

DROP FUNCTION teams_obs.time_ordered_uuid();

COMMIT;
