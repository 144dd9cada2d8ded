-- Revert teams_obs:list_deliveries from pg

BEGIN;

DROP FUNCTION teams_obs.list_deliveries(uuid, text, text, text, text, uuid, timestamptz, timestamptz, integer, text);

COMMIT;
