-- Revert teams_obs:notification_delivery_idempotency from pg

BEGIN;

DROP TABLE teams_obs.notification_delivery_idempotency;

COMMIT;
