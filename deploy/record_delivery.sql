-- Deploy teams_obs:record_delivery to pg
-- requires: notification_deliveries
-- requires: notification_delivery_idempotency
-- requires: delivery_idempotency_key
-- Rendered from templates/render/deploy/record_delivery.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- The arguments of record_delivery after p_tenant, in its order: one element of a batch.
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

-- Where an existing reservation is read when the insert found the key taken. VOLATILE on purpose: it then
-- takes a fresh snapshot, so it also sees a reservation that a concurrent writer committed after the
-- calling statement started (the ON CONFLICT waited for that writer, but the statement's snapshot is older).
CREATE FUNCTION teams_obs.delivery_reservation(
    p_tenant uuid,
    p_idempotency_key text,
    OUT delivery_id uuid,
    OUT created_at timestamptz
)
LANGUAGE sql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
BEGIN ATOMIC
    SELECT r.delivery_id, r.created_at
    FROM teams_obs.notification_delivery_idempotency r
    WHERE r.tenant = p_tenant AND r.idempotency_key = p_idempotency_key;
END;

-- The one implementation behind record_delivery and record_deliveries: normalises, validates, reserves
-- and inserts every row in one statement (set-based), so a reservation never exists without its row and
-- nothing is written when any element is bad. p_label names the array in error messages
-- ('p_rows' gives 'p_rows[3].status: ...'); NULL gives bare field names ('status: ...').
-- created_at is now(), the transaction start: the rows of one call share it, and the keyset order
-- (created_at DESC, delivery_id DESC) of the list functions breaks such ties.
CREATE FUNCTION teams_obs.record_delivery_rows(
    p_tenant uuid,
    p_rows teams_obs.delivery_input[],
    p_label text DEFAULT NULL
)
RETURNS TABLE (
    ordinality integer,
    inserted boolean,
    delivery_id uuid,
    idempotency_key text,
    created_at timestamptz
)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF p_tenant IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'tenant: required';
    END IF;

    RETURN QUERY
    WITH normalised AS MATERIALIZED (
        SELECT r.ord::integer AS ord,
               teams_obs.clean_text(r.destination_type) AS destination_type,
               teams_obs.clean_text(r.destination_id) AS destination_id,
               teams_obs.clean_text(r.status) AS status,
               r.internal_notification_id,
               teams_obs.clean_text(r.category) AS category,
               coalesce(r.attempt_number, 1) AS attempt_number,
               teams_obs.clean_text(r.error_code) AS error_code,
               left(teams_obs.clean_text(r.error_message), 1024) AS error_message,
               r.retryable,
               teams_obs.clean_text(r.provider_message_id) AS provider_message_id,
               teams_obs.clean_text(r.provider_request_id) AS provider_request_id,
               r.sent_at,
               r.delivered_at,
               r.responded_at,
               teams_obs.clean_text(r.nonce) AS nonce
        FROM unnest(p_rows) WITH ORDINALITY AS r(
            destination_type, destination_id, status, internal_notification_id, category, attempt_number,
            error_code, error_message, retryable, provider_message_id, provider_request_id, sent_at,
            delivered_at, responded_at, nonce, ord)
    ),
    checked AS (
        SELECT n.*,
               coalesce(
                   teams_obs.delivery_key_problem(
                       p_tenant, n.destination_type, n.destination_id, n.attempt_number, n.nonce),
                   CASE
                       WHEN n.destination_type <> ALL (ARRAY['user_activity', 'bot_dm', 'chat', 'channel', 'bot_test']::text[])
                           THEN 'destination_type: invalid value "' || left(n.destination_type, 100)
                                || '"; expected one of user_activity, bot_dm, chat, channel, bot_test'
                       WHEN n.status IS NULL
                           THEN 'status: required; expected one of skipped, sent, delivered, failed'
                       WHEN n.status <> ALL (ARRAY['skipped', 'sent', 'delivered', 'failed']::text[])
                           THEN 'status: invalid value "' || left(n.status, 100)
                                || '"; expected one of skipped, sent, delivered, failed'
                       WHEN n.error_code <> ALL (ARRAY['graph_throttled', 'graph_unauthorized', 'graph_not_found', 'graph_server_error', 'user_not_mapped', 'addon_inactive', 'integration_inactive', 'package_misconfigured', 'transient', 'unknown']::text[])
                           THEN 'error_code: invalid value "' || left(n.error_code, 100)
                                || '"; expected NULL or one of graph_throttled, graph_unauthorized, graph_not_found, graph_server_error, user_not_mapped, addon_inactive, integration_inactive, package_misconfigured, transient, unknown'
                       WHEN char_length(n.category) > 200
                           THEN 'category: longer than 200 characters'
                   END
               ) AS problem
        FROM normalised n
    ),
    input AS MATERIALIZED (
        -- Rows are checked in array order, so the first bad element is the one named.
        SELECT c.*,
               CASE WHEN c.problem IS NOT NULL THEN teams_obs.raise_invalid_parameter(
                   CASE WHEN p_label IS NULL THEN c.problem
                        ELSE p_label || '[' || c.ord::text || '].' || c.problem END)
               END AS refused,
               teams_obs.delivery_key_digest(
                   p_tenant, c.internal_notification_id, c.destination_type, c.destination_id,
                   c.attempt_number, c.nonce) AS key,
               gen_random_uuid() AS new_id
        FROM checked c
    ),
    reserved AS (
        INSERT INTO teams_obs.notification_delivery_idempotency AS s
            (tenant, idempotency_key, delivery_id, created_at)
        SELECT p_tenant, i.key, i.new_id, now()
        FROM input i
        -- One lock order for every caller, so two batches sharing keys wait instead of deadlocking.
        ORDER BY i.key
        ON CONFLICT DO NOTHING
        RETURNING s.idempotency_key, s.delivery_id, s.created_at
    ),
    stored AS (
        INSERT INTO teams_obs.notification_deliveries AS d (
            tenant, delivery_id, internal_notification_id, category, destination_type, destination_id,
            attempt_number, idempotency_key, provider_message_id, status, error_code, error_message,
            retryable, provider_request_id, sent_at, delivered_at, responded_at, created_at)
        SELECT p_tenant, r.delivery_id, i.internal_notification_id, i.category, i.destination_type,
               i.destination_id, i.attempt_number, i.key, i.provider_message_id, i.status, i.error_code,
               i.error_message, i.retryable, i.provider_request_id, i.sent_at, i.delivered_at,
               i.responded_at, r.created_at
        FROM reserved r
        JOIN input i ON i.new_id = r.delivery_id
        RETURNING d.delivery_id
    )
    SELECT i.ord,
           r.delivery_id IS NOT NULL,
           coalesce(r.delivery_id, f.delivery_id, e.delivery_id),
           i.key,
           coalesce(r.created_at, f.created_at, e.created_at)
    FROM input i
    LEFT JOIN reserved r ON r.delivery_id = i.new_id
    -- A repeated key inside this call: the first occurrence's reservation.
    LEFT JOIN reserved f ON r.delivery_id IS NULL AND f.idempotency_key = i.key
    -- A key reserved before this call; read only when neither of the above has it.
    LEFT JOIN LATERAL (
        SELECT x.delivery_id, x.created_at
        FROM teams_obs.delivery_reservation(p_tenant, i.key) x
        WHERE r.delivery_id IS NULL AND f.delivery_id IS NULL
    ) e ON true
    ORDER BY i.ord;
END
$function$;

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
RETURNS TABLE (inserted boolean, delivery_id uuid, idempotency_key text, created_at timestamptz)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN QUERY
    SELECT r.inserted, r.delivery_id, r.idempotency_key, r.created_at
    FROM teams_obs.record_delivery_rows(
        p_tenant,
        ARRAY[ROW(p_destination_type, p_destination_id, p_status, p_internal_notification_id, p_category,
                  p_attempt_number, p_error_code, p_error_message, p_retryable, p_provider_message_id,
                  p_provider_request_id, p_sent_at, p_delivered_at, p_responded_at,
                  p_nonce)::teams_obs.delivery_input]
    ) r;
END
$function$;

COMMENT ON FUNCTION teams_obs.record_delivery(uuid, text, text, text, uuid, text, integer, text, text, boolean, text, text, timestamptz, timestamptz, timestamptz, text) IS
    'Records one delivery outcome idempotently (SPEC §4, §8): returns inserted, the delivery_id and created_at of the stored row (the original one on a repeat) and the idempotency key.';

REVOKE ALL ON FUNCTION teams_obs.delivery_reservation(uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.record_delivery_rows(uuid, teams_obs.delivery_input[], text) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.record_delivery(uuid, text, text, text, uuid, text, integer, text, text, boolean, text, text, timestamptz, timestamptz, timestamptz, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.record_delivery(uuid, text, text, text, uuid, text, integer, text, text, boolean, text, text, timestamptz, timestamptz, timestamptz, text)
    TO teams_obs_writer;

COMMIT;
