-- Revert teams_obs:latest_conversation_reference from pg

BEGIN;

DROP FUNCTION teams_obs.latest_conversation_reference(uuid, text, text);

COMMIT;
