-- Revert teams_obs:cleanup_audit_events from pg

BEGIN;

DROP FUNCTION teams_obs.cleanup_audit_events(interval, integer);

COMMIT;
