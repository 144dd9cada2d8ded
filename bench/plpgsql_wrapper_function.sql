-- Bench-only (created in the benchmark's database, never deployed): what record_delivery's parts cost.
-- Same calling convention as teams_obs.record_delivery (named arguments with defaults, a named row type as
-- the result, SECURITY DEFINER, pinned search_path). Called with p_reserve => false it wraps the plain
-- INSERT's very statement: the price of the function call alone. With p_reserve => true it first reserves
-- the key in the sidecar as record_delivery does: call plus reservation, without record_delivery's
-- trimming, checks and key hashing (the key comes from the caller, as in the plain INSERT).
CREATE SCHEMA teams_obs_bench;

CREATE TYPE teams_obs_bench.inserted AS (delivery_id uuid, created_at timestamptz);

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
    p_reserve boolean DEFAULT false
)
RETURNS teams_obs_bench.inserted
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_delivery_id uuid := teams_obs.time_ordered_uuid();
    v_created_at timestamptz := now();
BEGIN
    IF p_reserve THEN
        INSERT INTO teams_obs.notification_delivery_idempotency (tenant, idempotency_key, delivery_id, created_at)
        VALUES (p_tenant, p_idempotency_key, v_delivery_id, v_created_at)
        ON CONFLICT DO NOTHING;
    END IF;
    INSERT INTO teams_obs.notification_deliveries (
        tenant, delivery_id, internal_notification_id, category, destination_type, destination_id, attempt_number,
        idempotency_key, status, retryable, sent_at, delivered_at, provider_request_id, created_at)
    VALUES (
        p_tenant, v_delivery_id, p_internal_notification_id, p_category, p_destination_type,
        p_destination_id, p_attempt_number, p_idempotency_key, p_status, p_retryable, p_sent_at, p_delivered_at,
        p_provider_request_id, v_created_at);
    RETURN ROW(v_delivery_id, v_created_at)::teams_obs_bench.inserted;
END
$function$;
