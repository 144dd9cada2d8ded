-- Revert teams_obs:delivery_health from pg

BEGIN;

DROP FUNCTION teams_obs.delivery_health(uuid, timestamptz, timestamptz);

COMMIT;
