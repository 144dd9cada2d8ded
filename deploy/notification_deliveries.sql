-- Deploy teams_obs:notification_deliveries to pg
-- requires: schema
-- requires: time_ordered_uuid
-- Rendered from templates/render/deploy/notification_deliveries.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- One row per terminal outcome of one delivery attempt. Partitioned by month of created_at (UTC);
-- monthly partitions are created from one Jinja template by the change initial_partitions (this month
-- and the next 3, at deploy time) and then by `teams-obs maintain`; a row of a month without a
-- partition lands in the DEFAULT partition below, until maintain moves it.
CREATE TABLE teams_obs.notification_deliveries (
    tenant uuid NOT NULL,
    delivery_id uuid NOT NULL DEFAULT teams_obs.time_ordered_uuid(),
    internal_notification_id uuid,
    category text,
    destination_type text NOT NULL,
    destination_id text NOT NULL,
    attempt_number integer NOT NULL DEFAULT 1,
    idempotency_key text COLLATE "C" NOT NULL,
    provider_message_id text,
    status text NOT NULL,
    error_code text,
    error_message text,
    retryable boolean,
    provider_request_id text,
    sent_at timestamptz,
    delivered_at timestamptz,
    responded_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT notification_deliveries_pk PRIMARY KEY (tenant, delivery_id, created_at),
    CONSTRAINT notification_deliveries_status_check
        CHECK (status = ANY ('{"skipped","sent","delivered","failed"}'::text[])),
    CONSTRAINT notification_deliveries_error_code_check
        CHECK (error_code IS NULL OR error_code = ANY ('{"graph_throttled","graph_unauthorized","graph_not_found","graph_server_error","user_not_mapped","addon_inactive","integration_inactive","package_misconfigured","transient","unknown"}'::text[])),
    CONSTRAINT notification_deliveries_destination_type_check
        CHECK (destination_type = ANY ('{"user_activity","bot_dm","chat","channel","bot_test"}'::text[])),
    CONSTRAINT notification_deliveries_attempt_number_check CHECK (attempt_number > 0),
    CONSTRAINT notification_deliveries_error_message_check
        CHECK (pg_catalog.char_length(error_message) <= 1024),
    -- Free text, but indexed: bounded well below the btree entry limit.
    CONSTRAINT notification_deliveries_category_check
        CHECK (pg_catalog.char_length(category) <= 200)
) PARTITION BY RANGE (created_at);

COMMENT ON TABLE teams_obs.notification_deliveries IS
    'One row per terminal outcome of one Teams notification delivery attempt; monthly partitions (UTC) plus DEFAULT. Write through teams_obs.record_delivery(ies).';
COMMENT ON COLUMN teams_obs.notification_deliveries.idempotency_key IS
    'teams_obs.delivery_idempotency_key(...); unique per tenant through teams_obs.notification_delivery_idempotency.';
COMMENT ON COLUMN teams_obs.notification_deliveries.created_at IS
    'Database clock (transaction start) when the outcome was recorded; the partition key.';

-- Catches every row no monthly partition covers (not created yet, or far past/future clocks);
-- `teams-obs maintain` moves such rows into their month once it exists.
CREATE TABLE teams_obs.notification_deliveries_default
    PARTITION OF teams_obs.notification_deliveries DEFAULT;

-- Every list filter is tenant-scoped and reads newest first, ties broken by delivery_id:
-- each index ends in (created_at DESC, delivery_id DESC) so a page is an index range scan that stops
-- after LIMIT rows, also behind a keyset cursor.
CREATE INDEX notification_deliveries_tenant_created_idx
    ON teams_obs.notification_deliveries (tenant, created_at DESC, delivery_id DESC);
CREATE INDEX notification_deliveries_status_created_idx
    ON teams_obs.notification_deliveries (tenant, status, created_at DESC, delivery_id DESC);
CREATE INDEX notification_deliveries_category_created_idx
    ON teams_obs.notification_deliveries (tenant, category, created_at DESC, delivery_id DESC);
CREATE INDEX notification_deliveries_destination_type_created_idx
    ON teams_obs.notification_deliveries (tenant, destination_type, created_at DESC, delivery_id DESC);
-- Most rows carry no error code; a filter on one never asks for NULL.
CREATE INDEX notification_deliveries_error_code_created_idx
    ON teams_obs.notification_deliveries (tenant, error_code, created_at DESC, delivery_id DESC)
    WHERE error_code IS NOT NULL;
-- A notification has a handful of rows (destinations x attempts): sorting them is free.
CREATE INDEX notification_deliveries_internal_notification_idx
    ON teams_obs.notification_deliveries (tenant, internal_notification_id)
    WHERE internal_notification_id IS NOT NULL;

COMMIT;
