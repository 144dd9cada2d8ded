-- Deploy teams_obs:notification_delivery_idempotency to pg
-- requires: schema
-- Rendered from templates/render/deploy/notification_delivery_idempotency.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- A unique key on the partitioned deliveries table would have to include created_at, so it could not
-- make (tenant, idempotency_key) unique across months. This unpartitioned sidecar does: the record
-- functions reserve the key here and insert the delivery row in the same call, so a reservation
-- never exists without its row.
-- The primary key is its only index. Every recording inserts here, and an index on created_at cost
-- record_delivery 1.5% of its throughput (docs/benchmarks.md); retention finds expired reservations by
-- page ranges (teams_obs.retention_row_batches), which need none.
CREATE TABLE teams_obs.notification_delivery_idempotency (
    tenant uuid NOT NULL,
    idempotency_key text COLLATE "C" NOT NULL,
    delivery_id uuid NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT notification_delivery_idempotency_pk PRIMARY KEY (tenant, idempotency_key)
);

-- Deployed again after a revert that kept the deliveries (revert --to notification_deliveries), the
-- sidecar reserves their keys anew: a replay of a kept delivery would otherwise be stored twice. A key
-- stored more than once meanwhile keeps its oldest row, the one a replay is answered with.
INSERT INTO teams_obs.notification_delivery_idempotency (tenant, idempotency_key, delivery_id, created_at)
SELECT DISTINCT ON (d.tenant, d.idempotency_key) d.tenant, d.idempotency_key, d.delivery_id, d.created_at
  FROM teams_obs.notification_deliveries AS d
 ORDER BY d.tenant, d.idempotency_key, d.created_at, d.delivery_id;

COMMENT ON TABLE teams_obs.notification_delivery_idempotency IS
    'Reservation of each (tenant, idempotency_key) with the delivery_id and created_at of the notification_deliveries row it belongs to.';

COMMIT;
