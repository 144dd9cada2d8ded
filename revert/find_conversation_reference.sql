-- Revert teams_obs:find_conversation_reference from pg

BEGIN;

DROP FUNCTION teams_obs.find_conversation_reference(uuid, text);

COMMIT;
