-- Deploy teams_obs:list_audit_events to pg
-- requires: audit_events
-- requires: keyset_cursor
-- requires: list_filter
-- Rendered from templates/render/deploy/list_audit_events.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- One page of a tenant's audit events, newest first (created_at DESC, event_id DESC), SPEC §8, paged and
-- validated exactly like list_deliveries: every filter is applied exactly or refused with 22023 naming it
-- (list_filter, taxonomies rendered from teams_obs/taxonomy.toml; actor_user_id is a uuid, so a malformed
-- one fails at the call with 22P02 instead of reaching the query); since is inclusive, until exclusive;
-- limit defaults to 50 and is clamped to 1..200; next_cursor is set on the page's last row only when
-- another row follows. p_error_code (an addition to the SPEC's parameters, at the end so positional
-- calls keep working) narrows failures to one audit error code.
-- The statement is built from the filters given, so each call is planned for them: an index range scan on
-- (tenant[, filter columns], created_at DESC, event_id DESC) in every partition, merged, stopping after
-- limit+1 rows; the cursor is the row comparison (created_at, event_id) < (at, id), plus the redundant
-- created_at <= at that prunes partitions newer than the cursor.
CREATE FUNCTION teams_obs.list_audit_events(
    p_tenant uuid,
    p_surface text DEFAULT NULL,
    p_action_id text DEFAULT NULL,
    p_actor_user_id uuid DEFAULT NULL,
    p_result_status text DEFAULT NULL,
    p_target_type text DEFAULT NULL,
    p_target_id text DEFAULT NULL,
    p_since timestamptz DEFAULT NULL,
    p_until timestamptz DEFAULT NULL,
    p_limit integer DEFAULT 50,
    p_cursor text DEFAULT NULL,
    p_error_code text DEFAULT NULL
)
RETURNS TABLE (
    tenant uuid,
    event_id uuid,
    actor_user_id uuid,
    microsoft_user_id text,
    surface text,
    action_id text,
    target_type text,
    target_id text,
    idempotency_key text,
    payload_hash text,
    result_status text,
    error_code text,
    created_at timestamptz,
    next_cursor text
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_surface text := teams_obs.list_filter('surface', p_surface, '{"bot","message_extension","quick_action","tab"}'::text[]);
    v_action_id text := teams_obs.list_filter('action_id', p_action_id,
        '{"assign_ticket","add_note","reply_to_contact","log_time","approval_response","create_ticket_from_message","update_from_message"}'::text[]);
    v_result_status text := teams_obs.list_filter('result_status', p_result_status,
        '{"success","failure"}'::text[]);
    v_target_type text := teams_obs.list_filter('target_type', p_target_type);
    v_target_id text := teams_obs.list_filter('target_id', p_target_id);
    v_error_code text := teams_obs.list_filter('error_code', p_error_code,
        '{"validation_error","forbidden","not_found","not_configured","capability_disabled","unsupported_action","duplicate_submission","execution_failed"}'::text[]);
    v_limit integer := least(greatest(coalesce(p_limit, 50), 1), 200);
    v_after record;
    v_where text := 'e.tenant = $1';
BEGIN
    IF p_tenant IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'tenant: required';
    END IF;
    IF p_since > p_until THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('since: %s is after until (%s)', p_since, p_until);
    END IF;
    SELECT c.created_at AS at, c.id INTO v_after
      FROM teams_obs.decode_cursor('audit_events', p_tenant, p_cursor) AS c;

    IF v_surface IS NOT NULL THEN
        v_where := v_where || ' AND e.surface = $2';
    END IF;
    IF v_action_id IS NOT NULL THEN
        v_where := v_where || ' AND e.action_id = $3';
    END IF;
    IF p_actor_user_id IS NOT NULL THEN
        v_where := v_where || ' AND e.actor_user_id = $4';
    END IF;
    IF v_result_status IS NOT NULL THEN
        v_where := v_where || ' AND e.result_status = $5';
    END IF;
    IF v_target_type IS NOT NULL THEN
        v_where := v_where || ' AND e.target_type = $6';
    END IF;
    IF v_target_id IS NOT NULL THEN
        v_where := v_where || ' AND e.target_id = $7';
    END IF;
    IF v_error_code IS NOT NULL THEN
        -- Only failures carry an error code (CHECK); saying so lets the failures index serve it.
        v_where := v_where || ' AND e.error_code = $8 AND e.result_status = ''failure''';
    END IF;
    IF p_since IS NOT NULL THEN
        v_where := v_where || ' AND e.created_at >= $9';
    END IF;
    IF p_until IS NOT NULL THEN
        v_where := v_where || ' AND e.created_at < $10';
    END IF;
    IF v_after.at IS NOT NULL THEN
        v_where := v_where || ' AND e.created_at <= $11 AND (e.created_at, e.event_id) < ($11, $12)';
    END IF;

    RETURN QUERY EXECUTE format(
        $query$
        SELECT p.tenant, p.event_id, p.actor_user_id, p.microsoft_user_id, p.surface, p.action_id,
               p.target_type, p.target_id, p.idempotency_key, p.payload_hash, p.result_status,
               p.error_code, p.created_at,
               CASE WHEN p.position = $13 AND p.more
                    THEN teams_obs.encode_cursor('audit_events', p.tenant, p.created_at, p.event_id)
               END
          FROM (SELECT page.*,
                       row_number() OVER (ORDER BY page.created_at DESC, page.event_id DESC) AS position,
                       count(*) OVER () > $13 AS more
                  FROM (SELECT e.*
                          FROM teams_obs.audit_events AS e
                         WHERE %s
                         ORDER BY e.created_at DESC, e.event_id DESC
                         LIMIT $13 + 1) AS page) AS p
         WHERE p.position <= $13
         ORDER BY p.position
        $query$, v_where)
    USING p_tenant, v_surface, v_action_id, p_actor_user_id, v_result_status, v_target_type, v_target_id,
          v_error_code, p_since, p_until, v_after.at, v_after.id, v_limit;
END
$function$;

COMMENT ON FUNCTION teams_obs.list_audit_events(uuid, text, text, uuid, text, text, text, timestamptz, timestamptz, integer, text, text) IS
    'One page of a tenant''s audit events, newest first, filtered exactly (22023 for an unknown value), keyset-paged by next_cursor (SPEC §8).';

REVOKE ALL ON FUNCTION teams_obs.list_audit_events(uuid, text, text, uuid, text, text, text, timestamptz, timestamptz, integer, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.list_audit_events(uuid, text, text, uuid, text, text, text, timestamptz, timestamptz, integer, text, text)
    TO teams_obs_reader;

COMMIT;
