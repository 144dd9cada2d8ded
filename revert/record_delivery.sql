-- Revert teams_obs:record_delivery from pg

BEGIN;

DROP FUNCTION teams_obs.record_delivery(uuid, text, text, text, uuid, text, integer, text, text, boolean, text, text, timestamptz, timestamptz, timestamptz, text);
DROP FUNCTION teams_obs.delivery_reservation(uuid, text);
DROP FUNCTION teams_obs.delivery_acceptable(uuid, text, text, text, text, text, integer, text, timestamptz, timestamptz, timestamptz);
DROP FUNCTION teams_obs.delivery_problem(uuid, text, text, text, text, text, integer, text, timestamptz, timestamptz, timestamptz);
DROP FUNCTION teams_obs.delivery_normalised(teams_obs.delivery_input);
DROP TYPE teams_obs.delivery_recorded;
DROP TYPE teams_obs.delivery_input;

COMMIT;
