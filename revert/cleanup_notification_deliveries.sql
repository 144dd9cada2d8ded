-- Revert teams_obs:cleanup_notification_deliveries from pg

BEGIN;

DROP FUNCTION teams_obs.cleanup_notification_deliveries(interval, integer);

COMMIT;
