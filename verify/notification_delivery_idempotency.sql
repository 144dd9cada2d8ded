-- Verify teams_obs:notification_delivery_idempotency on pg

BEGIN;

SELECT tenant, idempotency_key, delivery_id, created_at
FROM teams_obs.notification_delivery_idempotency
WHERE false;

DO $verify$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_catalog.pg_constraint
        WHERE conrelid = 'teams_obs.notification_delivery_idempotency'::regclass
          AND conname = 'notification_delivery_idempotency_pk' AND contype = 'p'
    ) THEN
        RAISE EXCEPTION 'teams_obs.notification_delivery_idempotency has no primary key';
    END IF;
END
$verify$;

ROLLBACK;
