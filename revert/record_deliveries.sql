-- Revert teams_obs:record_deliveries from pg

BEGIN;

DROP FUNCTION teams_obs.record_deliveries(uuid, jsonb);

COMMIT;
