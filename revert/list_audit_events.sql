-- Revert teams_obs:list_audit_events from pg

BEGIN;

DROP FUNCTION teams_obs.list_audit_events(uuid, text, text, uuid, text, text, text, timestamptz, timestamptz, integer, text, text);

COMMIT;
