-- What the original did: a client-side transaction reserving the key, then inserting the row.
\set n random(1, 9000000000000000000)
BEGIN;
INSERT INTO teams_obs.notification_delivery_idempotency (tenant, idempotency_key, delivery_id, created_at)
VALUES ('00000000-0000-4000-8000-000000000001', lpad(to_hex(:n::bigint), 64, '0'), teams_obs.time_ordered_uuid(), now())
ON CONFLICT DO NOTHING
RETURNING delivery_id \gset
INSERT INTO teams_obs.notification_deliveries (
    tenant, delivery_id, internal_notification_id, category, destination_type, destination_id, attempt_number,
    idempotency_key, status, retryable, sent_at, delivered_at, provider_request_id, created_at)
VALUES (
    '00000000-0000-4000-8000-000000000001', :delivery_id, gen_random_uuid(), 'assignment', 'user_activity',
    'aad-' || :n::bigint, 1, lpad(to_hex(:n::bigint), 64, '0'), 'delivered', NULL, now(), now(), 'req-' || :n::bigint, now());
COMMIT;
