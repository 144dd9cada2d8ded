-- Bench-only (created in the benchmark's database, never deployed): what record_delivery's parts cost.
-- Same calling convention as teams_obs.record_delivery (named arguments with defaults, OUT columns,
-- SECURITY DEFINER, pinned search_path). Called with p_reserve => false it wraps the plain INSERT's very
-- statement: the price of the function call alone. With p_reserve => true it first reserves the key in the
-- sidecar as record_delivery does: call plus reservation, without record_delivery's trimming, checks and
-- key hashing (the key comes from the caller, as in the plain INSERT).
CREATE SCHEMA teams_obs_bench;

CREATE FUNCTION teams_obs_bench.insert_delivery(
    p_tenant uuid,
    p_destination_type text,
    p_destination_id text,
    p_status text,
    p_internal_notification_id uuid DEFAULT NULL,
    p_category text DEFAULT NULL,
    p_attempt_number integer DEFAULT 1,
    p_retryable boolean DEFAULT NULL,
    p_provider_request_id text DEFAULT NULL,
    p_sent_at timestamptz DEFAULT NULL,
    p_delivered_at timestamptz DEFAULT NULL,
    p_idempotency_key text DEFAULT NULL,
    p_reserve boolean DEFAULT false,
    OUT delivery_id uuid,
    OUT created_at timestamptz
)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    delivery_id := gen_random_uuid();
    created_at := now();
    IF p_reserve THEN
        INSERT INTO teams_obs.notification_delivery_idempotency AS s (tenant, idempotency_key, delivery_id, created_at)
        VALUES (p_tenant, p_idempotency_key, insert_delivery.delivery_id, insert_delivery.created_at)
        ON CONFLICT DO NOTHING;
    END IF;
    INSERT INTO teams_obs.notification_deliveries (
        tenant, delivery_id, internal_notification_id, category, destination_type, destination_id, attempt_number,
        idempotency_key, status, retryable, sent_at, delivered_at, provider_request_id, created_at)
    VALUES (
        p_tenant, insert_delivery.delivery_id, p_internal_notification_id, p_category, p_destination_type,
        p_destination_id, p_attempt_number, p_idempotency_key, p_status, p_retryable, p_sent_at, p_delivered_at,
        p_provider_request_id, insert_delivery.created_at);
END
$function$;
