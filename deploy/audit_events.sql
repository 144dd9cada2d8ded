-- Deploy teams_obs:audit_events to pg
-- requires: schema
-- requires: time_ordered_uuid
-- Rendered from templates/render/deploy/audit_events.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- One row per executed Teams mutation, success or failure. The payload of the request is never stored,
-- only payload_hash (SHA-256 of its RFC 8785 form): there is deliberately no column that could hold it.
-- Partitioned by month of created_at (UTC) like notification_deliveries, with the same monthly
-- partitions (change initial_partitions, then `teams-obs maintain`, which find every month-partitioned
-- table of the schema) and DEFAULT partition.
--
-- No uniqueness on idempotency_key, on purpose: the key names the Teams request, not one execution of
-- it. A failed attempt and its successful retry share the key and must both be audited, and a request
-- executed twice (the original's per-process replay cache, bug 12) is exactly what the trail must show
-- rather than hide. Deduplicating the mutation itself is the application's job, before it executes.
CREATE TABLE teams_obs.audit_events (
    tenant uuid NOT NULL,
    event_id uuid NOT NULL DEFAULT teams_obs.time_ordered_uuid(),
    actor_user_id uuid,
    microsoft_user_id text,
    surface text NOT NULL,
    action_id text NOT NULL,
    target_type text,
    target_id text,
    idempotency_key text,
    payload_hash text,
    result_status text NOT NULL,
    error_code text,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    CONSTRAINT audit_events_pk PRIMARY KEY (tenant, event_id, created_at),
    CONSTRAINT audit_events_surface_check
        CHECK (surface = ANY ('{"bot","message_extension","quick_action","tab"}'::text[])),
    CONSTRAINT audit_events_action_id_check
        CHECK (action_id = ANY ('{"assign_ticket","add_note","reply_to_contact","log_time","approval_response","create_ticket_from_message","update_from_message"}'::text[])),
    CONSTRAINT audit_events_result_status_check
        CHECK (result_status = ANY ('{"success","failure"}'::text[])),
    CONSTRAINT audit_events_error_code_check
        CHECK (error_code IS NULL OR error_code = ANY ('{"validation_error","forbidden","not_found","not_configured","capability_disabled","unsupported_action","duplicate_submission","execution_failed"}'::text[])),
    -- A success carries no error code; a failure usually names one (the original always did).
    CONSTRAINT audit_events_error_code_failure_check CHECK (error_code IS NULL OR result_status = 'failure'),
    CONSTRAINT audit_events_payload_hash_check CHECK (payload_hash ~ '^[0-9a-f]{64}$')
) PARTITION BY RANGE (created_at);

COMMENT ON TABLE teams_obs.audit_events IS
    'One row per executed Teams mutation (success or failure); holds payload_hash, never the payload. Monthly partitions (UTC) plus DEFAULT. Write through teams_obs.record_audit_event.';
COMMENT ON COLUMN teams_obs.audit_events.payload_hash IS
    'Lowercase hex SHA-256 of the RFC 8785 canonical form of the request payload (teams_obs.payload_hash); NULL when there was no payload.';
COMMENT ON COLUMN teams_obs.audit_events.idempotency_key IS
    'The key Teams sent with the request, for correlation; not unique (a failure and its retry share it).';
COMMENT ON COLUMN teams_obs.audit_events.created_at IS
    'Database clock (transaction start) when the event was recorded; the partition key.';

-- Catches every row no monthly partition covers (not created yet, or far past/future clocks);
-- `teams-obs maintain` moves such rows into their month once it exists.
CREATE TABLE teams_obs.audit_events_default
    PARTITION OF teams_obs.audit_events DEFAULT;

-- Every list filter is tenant-scoped and reads newest first, ties broken by event_id: each index ends in
-- (created_at DESC, event_id DESC), so a page is an index range scan that stops after LIMIT rows, also
-- behind a keyset cursor. Each filter has an index whose columns before created_at it pins on its own:
-- a filter left as a Filter over the tenant index reads every row of the tenant to fill a page when its
-- value is rare (a surface on 0.1% of a 100k-row tenant's events: 67 ms, against 1.8 ms with its own
-- index). The exception is result_status = 'success', most rows by far, which the tenant index serves;
-- failures are few and have their own. tests/test_list_indexes.py tries each filter with a rare value.
CREATE INDEX audit_events_tenant_created_idx
    ON teams_obs.audit_events (tenant, created_at DESC, event_id DESC);
CREATE INDEX audit_events_surface_created_idx
    ON teams_obs.audit_events (tenant, surface, created_at DESC, event_id DESC);
CREATE INDEX audit_events_actor_created_idx
    ON teams_obs.audit_events (tenant, actor_user_id, created_at DESC, event_id DESC)
    WHERE actor_user_id IS NOT NULL;
CREATE INDEX audit_events_action_created_idx
    ON teams_obs.audit_events (tenant, action_id, created_at DESC, event_id DESC);
CREATE INDEX audit_events_target_created_idx
    ON teams_obs.audit_events (tenant, target_type, target_id, created_at DESC, event_id DESC)
    WHERE target_type IS NOT NULL OR target_id IS NOT NULL;
-- target_id without target_type: the index above cannot seek to it without the type.
CREATE INDEX audit_events_target_id_created_idx
    ON teams_obs.audit_events (tenant, target_id, created_at DESC, event_id DESC)
    WHERE target_id IS NOT NULL;
CREATE INDEX audit_events_failure_created_idx
    ON teams_obs.audit_events (tenant, created_at DESC, event_id DESC)
    WHERE result_status = 'failure';
-- list_audit_events adds the literal result_status = 'failure' to an error_code filter, which proves
-- this predicate; without the index every failure of the tenant would be filtered by its code.
CREATE INDEX audit_events_error_code_created_idx
    ON teams_obs.audit_events (tenant, error_code, created_at DESC, event_id DESC)
    WHERE result_status = 'failure';

COMMIT;
