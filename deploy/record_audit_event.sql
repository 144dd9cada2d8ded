-- Deploy teams_obs:record_audit_event to pg
-- requires: audit_events
-- requires: payload_hash
-- requires: clean_text
-- requires: list_filter
-- Rendered from templates/render/deploy/record_audit_event.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- What record_audit_event returns: one row.
CREATE TYPE teams_obs.audit_event_recorded AS (
    event_id uuid,
    payload_hash text,
    created_at timestamptz
);

COMMENT ON TYPE teams_obs.audit_event_recorded IS
    'Result of record_audit_event: the event_id, payload_hash and created_at of the stored row.';

-- Records one executed Teams mutation (SPEC §4, §8). The payload is hashed here (teams_obs.payload_hash:
-- SHA-256 of its RFC 8785 form) and dropped; only the hash is stored. A caller that hashed on its side
-- (teams_obs.jcs in Python gives the same hash) passes p_payload_hash instead, never both.
--
-- The payload never leaves this function, not even in an error: a payload the canonical form refuses
-- (duplicate key, lone surrogate, \u0000, number outside the double range) or cannot process is
-- reported as 'payload: ...' with the refusal's SQLSTATE and kind but without its position, because a
-- position names the payload's keys, which are content too (teams_obs.payload_hash(doc) shows it, to
-- whoever holds the document). The inner error is caught, so it never reaches the server log either; a
-- malformed hash is not echoed, as it may be a payload passed in the wrong parameter. One limit stays outside: text
-- that is not JSON at all is refused by PostgreSQL's json input while binding the argument, before any
-- function runs, and PostgreSQL quotes the offending token; clients must serialise the payload with a
-- JSON encoder that refuses NaN and Infinity (the Python client does, before sending anything).
--
-- Taxonomy checks are inline comparisons rather than calls of list_filter: a function with SET search_path
-- costs a configuration save and restore per call, and this is the hot path. For the same reason the result
-- is a named row type, not a table (no tuplestore, no tuple descriptor built from the catalog per call).
--
-- Not idempotent on purpose: audit_events.idempotency_key is the request's key, kept for correlation;
-- a retried request (say a failure, then a success) is a second execution and is audited again.
CREATE FUNCTION teams_obs.record_audit_event(
    p_tenant uuid,
    p_surface text,
    p_action_id text,
    p_result_status text,
    p_actor_user_id uuid DEFAULT NULL,
    p_microsoft_user_id text DEFAULT NULL,
    p_target_type text DEFAULT NULL,
    p_target_id text DEFAULT NULL,
    p_idempotency_key text DEFAULT NULL,
    p_payload json DEFAULT NULL,
    p_payload_hash text DEFAULT NULL,
    p_error_code text DEFAULT NULL
)
RETURNS teams_obs.audit_event_recorded
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_surface text := teams_obs.clean_text(p_surface);
    v_action_id text := teams_obs.clean_text(p_action_id);
    v_result_status text := teams_obs.clean_text(p_result_status);
    v_error_code text := teams_obs.clean_text(p_error_code);
    v_microsoft_user_id text := teams_obs.clean_text(p_microsoft_user_id);
    v_target_type text := teams_obs.clean_text(p_target_type);
    v_target_id text := teams_obs.clean_text(p_target_id);
    v_idempotency_key text := teams_obs.clean_text(p_idempotency_key);
    v_hash text := teams_obs.clean_text(p_payload_hash);
    v_problem text;
    v_sqlstate text;
    v_refusal text;
    v_event_id uuid;
    v_created_at timestamptz;
BEGIN
    v_problem := CASE
        WHEN p_tenant IS NULL THEN 'tenant: required'
        WHEN v_surface IS NULL THEN 'surface: required; expected one of bot, message_extension, quick_action, tab'
        WHEN v_surface <> ALL ('{"bot","message_extension","quick_action","tab"}'::text[])
            THEN 'surface: invalid value "' || pg_catalog.left(v_surface, 100) || '"; expected one of bot, message_extension, quick_action, tab'
        WHEN v_action_id IS NULL THEN 'action_id: required; expected one of assign_ticket, add_note, reply_to_contact, log_time, approval_response, create_ticket_from_message, update_from_message'
        WHEN v_action_id <> ALL ('{"assign_ticket","add_note","reply_to_contact","log_time","approval_response","create_ticket_from_message","update_from_message"}'::text[])
            THEN 'action_id: invalid value "' || pg_catalog.left(v_action_id, 100) || '"; expected one of assign_ticket, add_note, reply_to_contact, log_time, approval_response, create_ticket_from_message, update_from_message'
        WHEN v_result_status IS NULL THEN 'result_status: required; expected one of success, failure'
        WHEN v_result_status <> ALL ('{"success","failure"}'::text[])
            THEN 'result_status: invalid value "' || pg_catalog.left(v_result_status, 100) || '"; expected one of success, failure'
        WHEN v_error_code <> ALL ('{"validation_error","forbidden","not_found","not_configured","capability_disabled","unsupported_action","duplicate_submission","execution_failed"}'::text[])
            THEN 'error_code: invalid value "' || pg_catalog.left(v_error_code, 100) || '"; expected NULL or one of validation_error, forbidden, not_found, not_configured, capability_disabled, unsupported_action, duplicate_submission, execution_failed'
        WHEN v_error_code IS NOT NULL AND v_result_status <> 'failure'
            THEN 'error_code: only a failure carries one (result_status is ' || v_result_status || ')'
        WHEN char_length(v_microsoft_user_id) > 256 THEN 'microsoft_user_id: longer than 256 characters'
        WHEN char_length(v_target_type) > 256 THEN 'target_type: longer than 256 characters'
        WHEN char_length(v_target_id) > 256 THEN 'target_id: longer than 256 characters'
        WHEN char_length(v_idempotency_key) > 256 THEN 'idempotency_key: longer than 256 characters'
        WHEN v_hash IS NOT NULL AND p_payload IS NOT NULL
            THEN 'payload_hash: give the payload or its precomputed hash, not both'
        WHEN v_hash !~ '^[0-9a-f]{64}$'
            THEN 'payload_hash: must be 64 lowercase hexadecimal digits (the SHA-256 of the payload''s RFC 8785 form)'
    END;
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = v_problem;
    END IF;

    IF p_payload IS NOT NULL THEN
        BEGIN
            v_hash := teams_obs.payload_hash(p_payload);
        EXCEPTION WHEN OTHERS THEN
            -- canonical_json names the JSON path of a refusal, and a path is made of the payload's keys:
            -- only the kind of problem leaves this block.
            GET STACKED DIAGNOSTICS v_sqlstate = RETURNED_SQLSTATE, v_refusal = MESSAGE_TEXT;
            RAISE EXCEPTION USING ERRCODE = v_sqlstate, MESSAGE = CASE
                WHEN v_sqlstate <> '22023' THEN 'payload: cannot be hashed (SQLSTATE ' || v_sqlstate || ')'
                WHEN v_refusal ~ ': duplicate key ' THEN 'payload: refused, it has a duplicate key'
                WHEN v_refusal ~ 'lone surrogate' THEN 'payload: refused, it has a lone surrogate'
                WHEN v_refusal ~ E'\\\\u0000' THEN E'payload: refused, it has \\u0000 (PostgreSQL text cannot hold it)'
                WHEN v_refusal ~ 'double range' THEN 'payload: refused, it has a number outside the double range'
                ELSE 'payload: refused by the RFC 8785 policy'
            END || '; the position is not shown (key names are payload content), teams_obs.payload_hash(payload) names it';
        END;
    END IF;

    INSERT INTO teams_obs.audit_events AS e
        (tenant, actor_user_id, microsoft_user_id, surface, action_id, target_type, target_id,
         idempotency_key, payload_hash, result_status, error_code)
    VALUES (p_tenant, p_actor_user_id, v_microsoft_user_id, v_surface, v_action_id, v_target_type, v_target_id,
            v_idempotency_key, v_hash, v_result_status, v_error_code)
    RETURNING e.event_id, e.created_at INTO v_event_id, v_created_at;
    RETURN ROW(v_event_id, v_hash, v_created_at)::teams_obs.audit_event_recorded;
END
$function$;

COMMENT ON FUNCTION teams_obs.record_audit_event(uuid, text, text, text, uuid, text, text, text, text, json, text, text) IS
    'Records one executed Teams mutation with the SHA-256 of its payload''s RFC 8785 form, never the payload (SPEC §4, §8); returns event_id, payload_hash, created_at.';

REVOKE ALL ON FUNCTION teams_obs.record_audit_event(uuid, text, text, text, uuid, text, text, text, text, json, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.record_audit_event(uuid, text, text, text, uuid, text, text, text, text, json, text, text)
    TO teams_obs_writer;

COMMIT;
