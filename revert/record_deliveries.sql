-- Revert teams_obs:record_deliveries from pg

BEGIN;

DROP FUNCTION teams_obs.record_deliveries(uuid, jsonb);
DROP FUNCTION teams_obs.delivery_reservation(uuid, text);

COMMIT;
