-- Deploy teams_obs:delivery_idempotency_key to pg
-- requires: raise_invalid_parameter
-- requires: clean_text
-- Rendered from templates/render/deploy/delivery_idempotency_key.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- The two halves of the key are plain SQL functions (no SET, no SECURITY DEFINER) so the planner inlines
-- them into record_delivery, the set-based statement of record_deliveries and delivery_idempotency_key
-- below, so the formula and its preconditions exist once.
-- Both take values already normalised by teams_obs.clean_text, attempt_number already defaulted to 1.

-- Why a key cannot be formed (the first of key_rules in templates/deliveries.sql.j2 it breaks), or NULL.
CREATE FUNCTION teams_obs.delivery_key_problem(
    p_tenant uuid,
    p_destination_type text,
    p_destination_id text,
    p_attempt_number integer,
    p_nonce text
)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN p_tenant IS NULL
        THEN 'tenant: required'
    WHEN p_destination_type IS NULL
        THEN 'destination_type: required'
    WHEN p_destination_type LIKE '%|%'
        THEN 'destination_type: must not contain "|"'
    WHEN p_destination_id IS NULL
        THEN 'destination_id: required'
    WHEN p_destination_id LIKE '%|%'
        THEN 'destination_id: must not contain "|"'
    WHEN p_attempt_number <= 0
        THEN 'attempt_number: must be positive, got ' || p_attempt_number::text
    WHEN p_nonce LIKE '%|%'
        THEN 'nonce: must not contain "|"'
END;

-- SPEC §4: lowercase hex SHA-256 of the UTF-8 bytes of
-- internal_notification_id|tenant|destination_type|destination_id|attempt_number, a NULL notification
-- id being the empty string, with |nonce appended only when a nonce is given (the original's 5-component
-- form; its later 6-component form with a trailing '|' is not used). concat_ws() skips a NULL nonce with
-- its '|' (it would skip any NULL: callers check key_rules first) and writes a uuid or an integer as its
-- text cast does: one call where ten '||' would be ten calls for record_delivery to set up in every
-- transaction.
-- STABLE only because convert_to() and concat_ws() are; the result depends on the arguments alone.
CREATE FUNCTION teams_obs.delivery_key_digest(
    p_tenant uuid,
    p_internal_notification_id uuid,
    p_destination_type text,
    p_destination_id text,
    p_attempt_number integer,
    p_nonce text
)
RETURNS text
LANGUAGE sql
STABLE PARALLEL SAFE
RETURN pg_catalog.encode(
    pg_catalog.sha256(pg_catalog.convert_to(
        pg_catalog.concat_ws('|',
            COALESCE(p_internal_notification_id::text, ''), p_tenant, p_destination_type, p_destination_id,
            p_attempt_number, p_nonce),
        'UTF8'
    )),
    'hex'
);

-- Public: normalises its text arguments as record_delivery does (so it returns the key record_delivery
-- stores for the same arguments), defaults a NULL attempt_number to 1, then checks and hashes.
CREATE FUNCTION teams_obs.delivery_idempotency_key(
    p_tenant uuid,
    p_internal_notification_id uuid,
    p_destination_type text,
    p_destination_id text,
    p_attempt_number integer,
    p_nonce text DEFAULT NULL
)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_destination_type text := teams_obs.clean_text(p_destination_type);
    v_destination_id text := teams_obs.clean_text(p_destination_id);
    v_attempt_number integer := coalesce(p_attempt_number, 1);
    v_nonce text := teams_obs.clean_text(p_nonce);
    v_problem text := teams_obs.delivery_key_problem(
        p_tenant, v_destination_type, v_destination_id, v_attempt_number, v_nonce);
BEGIN
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = v_problem;
    END IF;
    RETURN teams_obs.delivery_key_digest(
        p_tenant, p_internal_notification_id, v_destination_type, v_destination_id, v_attempt_number, v_nonce);
END
$function$;

COMMENT ON FUNCTION teams_obs.delivery_idempotency_key(uuid, uuid, text, text, integer, text) IS
    'Idempotency key of a delivery attempt (SPEC §4): lowercase hex SHA-256 of notification|tenant|destination_type|destination_id|attempt[|nonce]. Text is trimmed first; a "|" inside a text component is refused (22023).';

REVOKE ALL ON FUNCTION teams_obs.delivery_key_problem(uuid, text, text, integer, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.delivery_key_digest(uuid, uuid, text, text, integer, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.delivery_idempotency_key(uuid, uuid, text, text, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.delivery_key_problem(uuid, text, text, integer, text),
    teams_obs.delivery_key_digest(uuid, uuid, text, text, integer, text),
    teams_obs.delivery_idempotency_key(uuid, uuid, text, text, integer, text)
    TO teams_obs_writer, teams_obs_reader, teams_obs_maintainer;

COMMIT;
