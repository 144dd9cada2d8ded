-- Revert teams_obs:record_conversation_reference from pg

BEGIN;

DROP FUNCTION teams_obs.record_conversation_reference(uuid, jsonb, timestamptz);
DROP FUNCTION teams_obs.activity_text(jsonb, text[]);

COMMIT;
