-- Floor: the same row inserted into notification_deliveries with no idempotency at all (its delivery_id drawn
-- as record_delivery draws it).
\set n random(1, 9000000000000000000)
INSERT INTO teams_obs.notification_deliveries (
    tenant, delivery_id, internal_notification_id, category, destination_type, destination_id, attempt_number,
    idempotency_key, status, retryable, sent_at, delivered_at, provider_request_id, created_at)
VALUES (
    '00000000-0000-4000-8000-000000000001', teams_obs.time_ordered_uuid(), gen_random_uuid(), 'assignment', 'user_activity',
    'aad-' || :n::bigint, 1, lpad(to_hex(:n::bigint), 64, '0'), 'delivered', NULL, now(), now(), 'req-' || :n::bigint, now());
