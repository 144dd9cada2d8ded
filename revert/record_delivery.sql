-- Revert teams_obs:record_delivery from pg

BEGIN;

DROP FUNCTION teams_obs.record_delivery(uuid, text, text, text, uuid, text, integer, text, text, boolean, text, text, timestamptz, timestamptz, timestamptz, text);
DROP FUNCTION teams_obs.record_delivery_rows(uuid, teams_obs.delivery_input[], text);
DROP FUNCTION teams_obs.delivery_reservation(uuid, text);
DROP TYPE teams_obs.delivery_input;

COMMIT;
