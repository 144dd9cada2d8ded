-- Deploy teams_obs:notification_delivery_idempotency to pg
-- requires: schema
-- Rendered from templates/render/deploy/notification_delivery_idempotency.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- A unique key on the partitioned deliveries table would have to include created_at, so it could not
-- make (tenant, idempotency_key) unique across months. This unpartitioned sidecar does: the record
-- functions reserve the key here and insert the delivery row in the same statement, so a reservation
-- never exists without its row.
CREATE TABLE teams_obs.notification_delivery_idempotency (
    tenant uuid NOT NULL,
    idempotency_key text COLLATE "C" NOT NULL,
    delivery_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT notification_delivery_idempotency_pk PRIMARY KEY (tenant, idempotency_key)
);

COMMENT ON TABLE teams_obs.notification_delivery_idempotency IS
    'Reservation of each (tenant, idempotency_key) with the delivery_id and created_at of the notification_deliveries row it belongs to.';

-- Retention deletes expired reservations in batches, oldest first, across all tenants.
CREATE INDEX notification_delivery_idempotency_created_idx
    ON teams_obs.notification_delivery_idempotency (created_at);

COMMIT;
