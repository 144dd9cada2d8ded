-- Revert teams_obs:record_audit_event from pg

BEGIN;

DROP FUNCTION teams_obs.record_audit_event(uuid, text, text, text, uuid, text, text, text, text, json, text, text);
DROP TYPE teams_obs.audit_event_recorded;

COMMIT;
