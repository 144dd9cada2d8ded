-- Deploy teams_obs:record_deliveries to pg
-- requires: record_delivery
-- Rendered from templates/render/deploy/record_deliveries.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- Set-based: one statement parses, normalises and validates every element (with the functions that
-- record_delivery uses), reserves the keys and stores the rows. Elements are checked in array order,
-- so the first bad one is named, by its 1-based position (the returned ordinality); nothing is written
-- then. A key repeated inside the batch is stored once; its later occurrences return inserted = false
-- with the first one's delivery_id.
CREATE FUNCTION teams_obs.record_deliveries(p_tenant uuid, p_rows jsonb)
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
DECLARE
    -- The accepted keys are the attributes of the element type: one list, kept by the type itself.
    v_keys text[] := ARRAY(
        SELECT a.attname::text
        FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = 'teams_obs.delivery_input'::pg_catalog.regclass AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum);
    v_position bigint;
    v_key text;
    v_value jsonb;
    v_message text;
    v_quoted text;
BEGIN
    IF p_tenant IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'tenant: required';
    END IF;
    IF p_rows IS NULL OR jsonb_typeof(p_rows) <> 'array' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'p_rows: must be a JSON array of objects, got ' || coalesce(jsonb_typeof(p_rows), 'NULL');
    END IF;

    -- The statement in a block of its own: the handler that names the element a conversion error came
    -- from must not catch the refusals of the arguments above.
    BEGIN
        -- The lock on the deliveries table first, before any key is reserved (why: record_delivery). The
        -- statement below takes it at its start on plain PostgreSQL, but Citus runs its data-modifying CTEs
        -- one after the other, the reservations first; this DELETE of nothing (delivery_id is NOT NULL; the
        -- created_at prunes every monthly partition) is routed to the tenant's shard and locks it as the row
        -- inserts will.
        DELETE FROM teams_obs.notification_deliveries AS d
        WHERE d.tenant = p_tenant AND d.created_at = '-infinity' AND d.delivery_id IS NULL;

        RETURN QUERY
        WITH parsed AS MATERIALIZED (
            SELECT e.ord::integer AS ord,
                   CASE
                       WHEN jsonb_typeof(e.element) <> 'object'
                           THEN ': must be a JSON object, got ' || jsonb_typeof(e.element)
                       -- Five keys at most, each cut to 100 characters: the message is not to echo a whole element.
                       WHEN e.element - v_keys <> '{}'::jsonb
                           THEN ': unknown keys ' || (
                               SELECT string_agg('"' || left(u.k, 100) || '"', ', ' ORDER BY u.n)
                                          FILTER (WHERE u.n <= 5)
                                      || CASE WHEN count(*) > 5 THEN format(' and %s more', count(*) - 5) ELSE '' END
                               FROM (SELECT k, row_number() OVER (ORDER BY k) AS n
                                     FROM jsonb_object_keys(e.element - v_keys) k) u)
                               || '; expected ' || array_to_string(v_keys, ', ')
                       -- jsonb_populate_record would store a number, boolean, array or object given for a
                       -- text field as its JSON text: an id of 5 and of "5" would be one key, 1.5 and 1.50 two.
                       -- It would read 0, 1 or "yes" as a boolean too: retryable takes JSON true, false or null, as
                       -- the client sends it.
                       -- The path test is the fast one (the other keys are known by now to be text fields);
                       -- jsonb_each, which names the key, costs as much as the rest of the batch.
                       WHEN jsonb_path_exists(
                               e.element - '{internal_notification_id,attempt_number,retryable,sent_at,delivered_at,responded_at}'::text[],
                               'strict $.* ? (@.type() != "string" && @.type() != "null")')
                            OR jsonb_typeof(e.element -> 'retryable') NOT IN ('boolean', 'null') THEN (
                           SELECT '.' || k.key || ': must be a JSON ' || t.expected || ' or null, got '
                                  || jsonb_typeof(k.value)
                           FROM jsonb_each(e.element) k
                           CROSS JOIN LATERAL (
                               SELECT CASE WHEN k.key = 'retryable' THEN 'boolean' ELSE 'string' END AS expected) t
                           WHERE k.key = ANY ('{destination_type,destination_id,status,category,error_code,error_message,provider_message_id,provider_request_id,nonce,retryable}'::text[])
                             AND jsonb_typeof(k.value) NOT IN (t.expected, 'null')
                           ORDER BY k.key
                           LIMIT 1)
                   END AS shape_problem,
                   teams_obs.delivery_normalised(r) AS delivery
            FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS e(element, ord)
            CROSS JOIN LATERAL jsonb_populate_record(
                NULL::teams_obs.delivery_input,
                CASE WHEN jsonb_typeof(e.element) <> 'object' THEN '{}'::jsonb
                     -- Left out for the check above to name: "maybe" would stop the statement as a conversion error.
                     WHEN jsonb_typeof(e.element -> 'retryable') NOT IN ('boolean', 'null')
                         THEN e.element - 'retryable'
                     ELSE e.element END) AS r
        ),
        input AS MATERIALIZED (
            SELECT p.ord, p.delivery,
                   CASE WHEN c.problem IS NOT NULL THEN teams_obs.raise_invalid_parameter(
                       'p_rows[' || p.ord::text || ']' || c.problem)
                   END AS refused,
                   teams_obs.delivery_key_digest(
                       p_tenant, (p.delivery).internal_notification_id, (p.delivery).destination_type,
                       (p.delivery).destination_id, (p.delivery).attempt_number, (p.delivery).nonce) AS key,
                   teams_obs.time_ordered_uuid() AS new_id
            FROM parsed p
            CROSS JOIN LATERAL (
                SELECT coalesce(p.shape_problem, '.' || teams_obs.delivery_problem(
                    p_tenant, (p.delivery).destination_type, (p.delivery).destination_id, (p.delivery).status, (p.delivery).error_code, (p.delivery).category, (p.delivery).attempt_number, (p.delivery).nonce, (p.delivery).sent_at, (p.delivery).delivered_at, (p.delivery).responded_at)) AS problem
            ) c
        ),
        reserved AS (
            INSERT INTO teams_obs.notification_delivery_idempotency AS s
                (tenant, idempotency_key, delivery_id, created_at)
            SELECT p_tenant, i.key, i.new_id, now()
            FROM input i
            -- One lock order for every writer, so two batches sharing keys wait instead of deadlocking; among
            -- a key's occurrences the first reserves it (the sort is not stable beyond a handful of rows).
            ORDER BY i.key, i.ord
            ON CONFLICT DO NOTHING
            RETURNING s.tenant, s.idempotency_key, s.delivery_id, s.created_at
        ),
        stored AS (
            INSERT INTO teams_obs.notification_deliveries (
                tenant, delivery_id, internal_notification_id, category, destination_type, destination_id,
            attempt_number, idempotency_key, provider_message_id, status, error_code, error_message,
            retryable, provider_request_id, sent_at, delivered_at, responded_at, created_at)
            SELECT r.tenant, r.delivery_id, (i.delivery).internal_notification_id, (i.delivery).category,
            (i.delivery).destination_type, (i.delivery).destination_id, (i.delivery).attempt_number,
            r.idempotency_key, (i.delivery).provider_message_id, (i.delivery).status, (i.delivery).error_code,
            (i.delivery).error_message, (i.delivery).retryable, (i.delivery).provider_request_id,
            (i.delivery).sent_at, (i.delivery).delivered_at, (i.delivery).responded_at, r.created_at
            FROM reserved r
            JOIN input i ON i.new_id = r.delivery_id
        )
        SELECT j.ord, j.inserted,
               coalesce(j.delivery_id, (j.existing).delivery_id),
               j.key,
               coalesce(j.created_at, (j.existing).created_at)
        FROM (
            SELECT i.ord, r.delivery_id IS NOT NULL AS inserted, i.key,
                   -- A key repeated inside the batch gets its first occurrence's reservation (f) ...
                   coalesce(r.delivery_id, f.delivery_id) AS delivery_id,
                   coalesce(r.created_at, f.created_at) AS created_at,
                   -- ... and a key reserved before this call is read, only then, from the sidecar.
                   CASE WHEN r.delivery_id IS NULL AND f.delivery_id IS NULL
                        THEN teams_obs.delivery_reservation(p_tenant, i.key)
                   END AS existing
            FROM input i
            LEFT JOIN reserved r ON r.delivery_id = i.new_id
            LEFT JOIN reserved f ON r.delivery_id IS NULL AND f.idempotency_key = i.key
        ) j
        ORDER BY j.ord;
    EXCEPTION
        -- A value that does not convert to its field's type (jsonb_populate_record) stops the statement
        -- without naming the element: find it and name it. Input functions raise any data exception
        -- (22009 for an offset of +25:00, 22023 for an unknown time zone); our own 22023 refusals pass
        -- through unchanged.
        WHEN data_exception THEN
            GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT;
            IF v_message LIKE E'p\\_rows%' THEN
                -- Raised anew, so that its CONTEXT is this line, not the whole statement above (every
                -- refused batch would write it to the server log).
                RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = v_message;
            END IF;
            FOR v_position, v_key, v_value IN
                SELECT e.ord, k.key, jsonb_build_object(k.key, k.value)
                FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS e(element, ord)
                CROSS JOIN LATERAL jsonb_each(
                    CASE WHEN jsonb_typeof(e.element) = 'object' THEN e.element ELSE '{}'::jsonb END) AS k
                WHERE k.key = ANY (v_keys)
                  -- Kept out of the conversion above: not what failed (its own check names it once this passes).
                  AND NOT (k.key = 'retryable' AND jsonb_typeof(k.value) NOT IN ('boolean', 'null'))
                ORDER BY e.ord, k.key
            LOOP
                BEGIN
                    PERFORM jsonb_populate_record(NULL::teams_obs.delivery_input, v_value);
                EXCEPTION WHEN OTHERS THEN
                    GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT;
                    -- PostgreSQL quotes the whole value, once (and may have changed its case): cut it to 100.
                    v_quoted := substring(v_message FROM '"(.*)"');
                    IF length(v_quoted) > 100 THEN
                        v_message := replace(v_message, '"' || v_quoted || '"', '"' || left(v_quoted, 100) || '"');
                    END IF;
                    RAISE EXCEPTION USING ERRCODE = '22023',
                        MESSAGE = format('p_rows[%s].%s: %s', v_position, v_key, v_message);
                END;
            END LOOP;
            RAISE;
    END;
END
$function$;

COMMENT ON FUNCTION teams_obs.record_deliveries(uuid, jsonb) IS
    'Records a JSON array of delivery outcomes (keys: the record_delivery parameter names without p_ and tenant) in one set-based call; one result row per element, in order. A bad element fails the whole batch, naming its 1-based position.';

REVOKE ALL ON FUNCTION teams_obs.record_deliveries(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.record_deliveries(uuid, jsonb) TO teams_obs_writer;

COMMIT;
