-- Verify teams_obs:notification_deliveries on pg

BEGIN;

SELECT tenant, delivery_id, internal_notification_id, category, destination_type, destination_id,
       attempt_number, idempotency_key, provider_message_id, status, error_code, error_message, retryable,
       provider_request_id, sent_at, delivered_at, responded_at, created_at
FROM teams_obs.notification_deliveries
WHERE false;

DO $verify$
BEGIN
    IF NOT EXISTS (
        SELECT 1
        FROM pg_catalog.pg_partitioned_table pt
        JOIN pg_catalog.pg_class c ON c.oid = pt.partrelid
        JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'teams_obs' AND c.relname = 'notification_deliveries' AND pt.partstrat = 'r'
    ) THEN
        RAISE EXCEPTION 'teams_obs.notification_deliveries is not range-partitioned';
    END IF;
    IF NOT EXISTS (
        SELECT 1
        FROM pg_catalog.pg_partitioned_table pt
        WHERE pt.partrelid = 'teams_obs.notification_deliveries'::regclass
          AND pt.partdefid = 'teams_obs.notification_deliveries_default'::regclass
    ) THEN
        RAISE EXCEPTION 'teams_obs.notification_deliveries_default is not the DEFAULT partition';
    END IF;
END
$verify$;

ROLLBACK;
