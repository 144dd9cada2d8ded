-- Deploy teams_obs:record_delivery to pg
-- requires: notification_deliveries
-- requires: notification_delivery_idempotency
-- requires: delivery_idempotency_key
-- requires: time_ordered_uuid
-- Rendered from templates/render/deploy/record_delivery.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- The arguments of record_delivery after p_tenant, in its order: one delivery outcome.
-- record_deliveries parses its JSON objects into this type, so its keys are these attribute names.
CREATE TYPE teams_obs.delivery_input AS (
    destination_type text,
    destination_id text,
    status text,
    internal_notification_id uuid,
    category text,
    attempt_number integer,
    error_code text,
    error_message text,
    retryable boolean,
    provider_message_id text,
    provider_request_id text,
    sent_at timestamptz,
    delivered_at timestamptz,
    responded_at timestamptz,
    nonce text
);

COMMENT ON TYPE teams_obs.delivery_input IS
    'One delivery outcome as passed to record_delivery (without p_tenant); the element type of record_deliveries.';

-- What record_delivery returns: one row.
CREATE TYPE teams_obs.delivery_recorded AS (
    inserted boolean,
    delivery_id uuid,
    idempotency_key text,
    created_at timestamptz
);

COMMENT ON TYPE teams_obs.delivery_recorded IS
    'Result of record_delivery: whether this call stored the row, and the delivery_id, idempotency key and created_at of the stored row (the original one on a repeat).';

-- The normalisation and validation of one delivery outcome, applied by record_delivery (per call, on
-- its arguments) and record_deliveries (per element, set-based): the field rules are rendered from
-- templates/deliveries.sql.j2 into both, the checks are this one function. Plain SQL functions without
-- SET or SECURITY DEFINER, so the planner inlines them into either caller.

CREATE FUNCTION teams_obs.delivery_normalised(p_row teams_obs.delivery_input)
RETURNS teams_obs.delivery_input
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
RETURN ROW(
    teams_obs.clean_text(p_row.destination_type),
    teams_obs.clean_text(p_row.destination_id),
    teams_obs.clean_text(p_row.status),
    p_row.internal_notification_id,
    teams_obs.clean_text(p_row.category),
    COALESCE(p_row.attempt_number, 1),
    teams_obs.clean_text(p_row.error_code),
    pg_catalog.left(teams_obs.clean_text(p_row.error_message), 1024),
    p_row.retryable,
    teams_obs.clean_text(p_row.provider_message_id),
    teams_obs.clean_text(p_row.provider_request_id),
    p_row.sent_at,
    p_row.delivered_at,
    p_row.responded_at,
    teams_obs.clean_text(p_row.nonce)
)::teams_obs.delivery_input;

-- Why normalised values cannot be recorded: the message of the first rule of templates/deliveries.sql.j2
-- they break, key_rules first, or NULL. Scalar arguments, not a delivery_input: record_delivery then
-- builds no row value per call. STABLE, not IMMUTABLE: a time is echoed as text, which follows the
-- session's DateStyle, and the planner does not inline an IMMUTABLE function whose body is STABLE.
CREATE FUNCTION teams_obs.delivery_problem(
    p_tenant uuid,
    p_destination_type text,
    p_destination_id text,
    p_status text,
    p_error_code text,
    p_category text,
    p_attempt_number integer,
    p_nonce text,
    p_sent_at timestamptz,
    p_delivered_at timestamptz,
    p_responded_at timestamptz
)
RETURNS text
LANGUAGE sql
STABLE PARALLEL SAFE
RETURN COALESCE(
    teams_obs.delivery_key_problem(p_tenant, p_destination_type, p_destination_id, p_attempt_number, p_nonce),
    CASE
        WHEN p_destination_type <> ALL ('{"user_activity","bot_dm","chat","channel","bot_test"}'::text[])
            THEN 'destination_type: invalid value "' || pg_catalog.left(p_destination_type, 100) || '"; expected one of user_activity, bot_dm, chat, channel, bot_test'
        WHEN p_status IS NULL
            THEN 'status: required; expected one of skipped, sent, delivered, failed'
        WHEN p_status <> ALL ('{"skipped","sent","delivered","failed"}'::text[])
            THEN 'status: invalid value "' || pg_catalog.left(p_status, 100) || '"; expected one of skipped, sent, delivered, failed'
        WHEN p_error_code <> ALL ('{"graph_throttled","graph_unauthorized","graph_not_found","graph_server_error","user_not_mapped","addon_inactive","integration_inactive","package_misconfigured","transient","unknown"}'::text[])
            THEN 'error_code: invalid value "' || pg_catalog.left(p_error_code, 100) || '"; expected NULL or one of graph_throttled, graph_unauthorized, graph_not_found, graph_server_error, user_not_mapped, addon_inactive, integration_inactive, package_misconfigured, transient, unknown'
        WHEN pg_catalog.char_length(p_category) > 200
            THEN 'category: longer than 200 characters'
        WHEN p_sent_at < '0001-01-02 00:00:00+00'::timestamptz OR p_sent_at >= '9999-12-31 00:00:00+00'::timestamptz
            THEN 'sent_at: must be a time from 0001-01-02 until 9999-12-31 (UTC), not ' || pg_catalog.left((p_sent_at AT TIME ZONE 'UTC')::text, 100)
        WHEN p_delivered_at < '0001-01-02 00:00:00+00'::timestamptz OR p_delivered_at >= '9999-12-31 00:00:00+00'::timestamptz
            THEN 'delivered_at: must be a time from 0001-01-02 until 9999-12-31 (UTC), not ' || pg_catalog.left((p_delivered_at AT TIME ZONE 'UTC')::text, 100)
        WHEN p_responded_at < '0001-01-02 00:00:00+00'::timestamptz OR p_responded_at >= '9999-12-31 00:00:00+00'::timestamptz
            THEN 'responded_at: must be a time from 0001-01-02 until 9999-12-31 (UTC), not ' || pg_catalog.left((p_responded_at AT TIME ZONE 'UTC')::text, 100)
    END
);

-- Whether delivery_problem() is NULL for these values, from the same rules without building any message:
-- record_delivery's check, whose every operation is set up again in each transaction (messages are built
-- only for a refusal).
CREATE FUNCTION teams_obs.delivery_acceptable(
    p_tenant uuid,
    p_destination_type text,
    p_destination_id text,
    p_status text,
    p_error_code text,
    p_category text,
    p_attempt_number integer,
    p_nonce text,
    p_sent_at timestamptz,
    p_delivered_at timestamptz,
    p_responded_at timestamptz
)
RETURNS boolean
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
RETURN (
    p_tenant IS NULL
    OR p_destination_type IS NULL
    OR p_destination_type LIKE '%|%'
    OR p_destination_id IS NULL
    OR p_destination_id LIKE '%|%'
    OR p_attempt_number <= 0
    OR p_nonce LIKE '%|%'
    OR p_destination_type <> ALL ('{"user_activity","bot_dm","chat","channel","bot_test"}'::text[])
    OR p_status IS NULL
    OR p_status <> ALL ('{"skipped","sent","delivered","failed"}'::text[])
    OR p_error_code <> ALL ('{"graph_throttled","graph_unauthorized","graph_not_found","graph_server_error","user_not_mapped","addon_inactive","integration_inactive","package_misconfigured","transient","unknown"}'::text[])
    OR pg_catalog.char_length(p_category) > 200
    OR p_sent_at < '0001-01-02 00:00:00+00'::timestamptz OR p_sent_at >= '9999-12-31 00:00:00+00'::timestamptz
    OR p_delivered_at < '0001-01-02 00:00:00+00'::timestamptz OR p_delivered_at >= '9999-12-31 00:00:00+00'::timestamptz
    OR p_responded_at < '0001-01-02 00:00:00+00'::timestamptz OR p_responded_at >= '9999-12-31 00:00:00+00'::timestamptz
) IS NOT TRUE;

-- The reservation already held for a key, read by a call whose own reservation of it found it taken.
-- VOLATILE on purpose: it then takes a fresh snapshot, so it also sees a reservation that a concurrent
-- writer committed after the calling statement started (its ON CONFLICT waited for that writer, but the
-- statement's own snapshot is older). One deleted in between (retention, a tenant purge) leaves the call
-- nothing to return: 40001, so that the caller retries and records the outcome anew.
CREATE FUNCTION teams_obs.delivery_reservation(p_tenant uuid, p_idempotency_key text)
RETURNS teams_obs.notification_delivery_idempotency
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_reservation teams_obs.notification_delivery_idempotency;
BEGIN
    SELECT r.* INTO v_reservation
    FROM teams_obs.notification_delivery_idempotency r
    WHERE r.tenant = p_tenant AND r.idempotency_key = p_idempotency_key;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = format(
            'idempotency_key: the reservation of %s was deleted (retention, a tenant purge) while this call '
            'read it; retry the call', p_idempotency_key);
    END IF;
    RETURN v_reservation;
END
$function$;

-- Stores the row, then reserves its key, in one function call: an error in either undoes both (never a
-- reservation without its row). The row comes first so that the call takes its lock on the table
-- before it holds a key: a call that waits for that lock (`maintain` attaching a month holds it) has
-- reserved nothing another writer could wait for. Reserving first would let maintain wait for a writer
-- that waits for this call's key while this call waits for maintain: on plain PostgreSQL maintain's
-- lock_timeout ends that cycle, on Citus the distributed deadlock detector cancels its youngest member,
-- a writer. A miss (key already reserved) deletes the row again and reads the reservation in a later
-- statement, whose fresh snapshot also sees one that a concurrent writer committed while our INSERT
-- waited for it. created_at is now(), the transaction start, as the original's column default.
-- Written for the hot path (docs/benchmarks.md): PL/pgSQL builds the state of every expression afresh
-- in each transaction, so the arguments are normalised into scalar variables (no row value), the ids
-- are drawn before the inserts (no RETURNING), and the result is a named row type (no tuple descriptor
-- built from OUT parameters on each call); each statement is a single-row INSERT, which Citus routes
-- straight to the tenant's shard.
CREATE FUNCTION teams_obs.record_delivery(
    p_tenant uuid,
    p_destination_type text,
    p_destination_id text,
    p_status text,
    p_internal_notification_id uuid DEFAULT NULL,
    p_category text DEFAULT NULL,
    p_attempt_number integer DEFAULT 1,
    p_error_code text DEFAULT NULL,
    p_error_message text DEFAULT NULL,
    p_retryable boolean DEFAULT NULL,
    p_provider_message_id text DEFAULT NULL,
    p_provider_request_id text DEFAULT NULL,
    p_sent_at timestamptz DEFAULT NULL,
    p_delivered_at timestamptz DEFAULT NULL,
    p_responded_at timestamptz DEFAULT NULL,
    p_nonce text DEFAULT NULL
)
RETURNS teams_obs.delivery_recorded
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_destination_type text := teams_obs.clean_text(p_destination_type);
    v_destination_id text := teams_obs.clean_text(p_destination_id);
    v_status text := teams_obs.clean_text(p_status);
    v_error_code text := teams_obs.clean_text(p_error_code);
    v_category text := teams_obs.clean_text(p_category);
    v_attempt_number integer := COALESCE(p_attempt_number, 1);
    v_nonce text := teams_obs.clean_text(p_nonce);
    v_key text;
    v_delivery_id uuid := teams_obs.time_ordered_uuid();
    v_created_at timestamptz := now();
BEGIN
    IF NOT teams_obs.delivery_acceptable(p_tenant, v_destination_type, v_destination_id, v_status, v_error_code, v_category, v_attempt_number, v_nonce, p_sent_at, p_delivered_at, p_responded_at) THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = teams_obs.delivery_problem(p_tenant, v_destination_type, v_destination_id, v_status, v_error_code, v_category, v_attempt_number, v_nonce, p_sent_at, p_delivered_at, p_responded_at);
    END IF;
    v_key := teams_obs.delivery_key_digest(
        p_tenant, p_internal_notification_id, v_destination_type, v_destination_id, v_attempt_number, v_nonce);

    INSERT INTO teams_obs.notification_deliveries (
        tenant, delivery_id, internal_notification_id, category, destination_type, destination_id,
        attempt_number, idempotency_key, provider_message_id, status, error_code, error_message,
        retryable, provider_request_id, sent_at, delivered_at, responded_at, created_at)
    VALUES (
        p_tenant, v_delivery_id, p_internal_notification_id, v_category,
        v_destination_type, v_destination_id, v_attempt_number,
        v_key, teams_obs.clean_text(p_provider_message_id), v_status, v_error_code,
        pg_catalog.left(teams_obs.clean_text(p_error_message), 1024), p_retryable, teams_obs.clean_text(p_provider_request_id),
        p_sent_at, p_delivered_at, p_responded_at, v_created_at);

    INSERT INTO teams_obs.notification_delivery_idempotency (tenant, idempotency_key, delivery_id, created_at)
    VALUES (p_tenant, v_key, v_delivery_id, v_created_at)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        RETURN ROW(true, v_delivery_id, v_key, v_created_at)::teams_obs.delivery_recorded;
    END IF;

    DELETE FROM teams_obs.notification_deliveries AS d
    WHERE d.tenant = p_tenant AND d.delivery_id = v_delivery_id AND d.created_at = v_created_at;
    SELECT s.delivery_id, s.created_at INTO v_delivery_id, v_created_at
    FROM teams_obs.delivery_reservation(p_tenant, v_key) AS s;
    RETURN ROW(false, v_delivery_id, v_key, v_created_at)::teams_obs.delivery_recorded;
END
$function$;

COMMENT ON FUNCTION teams_obs.record_delivery(uuid, text, text, text, uuid, text, integer, text, text, boolean, text, text, timestamptz, timestamptz, timestamptz, text) IS
    'Records one delivery outcome idempotently (SPEC §4, §8): returns inserted, the delivery_id and created_at of the stored row (the original one on a repeat) and the idempotency key.';

REVOKE ALL ON FUNCTION teams_obs.delivery_normalised(teams_obs.delivery_input) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.delivery_problem(uuid, text, text, text, text, text, integer, text, timestamptz, timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.delivery_acceptable(uuid, text, text, text, text, text, integer, text, timestamptz, timestamptz, timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.delivery_reservation(uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.record_delivery(uuid, text, text, text, uuid, text, integer, text, text, boolean, text, text, timestamptz, timestamptz, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.record_delivery(uuid, text, text, text, uuid, text, integer, text, text, boolean, text, text, timestamptz, timestamptz, timestamptz, text)
    TO teams_obs_writer;

COMMIT;
