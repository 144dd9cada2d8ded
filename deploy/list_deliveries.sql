-- Deploy teams_obs:list_deliveries to pg
-- requires: notification_deliveries
-- requires: keyset_cursor
-- requires: list_filter
-- Rendered from templates/render/deploy/list_deliveries.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- One page of a tenant's deliveries, newest first (created_at DESC, delivery_id DESC), SPEC §8.
-- Every filter is applied exactly or refused with 22023 naming it (list_filter, taxonomies rendered
-- from teams_obs/taxonomy.toml); since is inclusive, until exclusive; limit defaults to 50 and is
-- clamped to 1..200. limit+1 rows are read: next_cursor is set on the page's last row only when
-- another row follows, NULL everywhere else.
-- The statement is built from the filters actually given, so each call is planned for them: an index
-- range scan on (tenant[, filter column], created_at DESC, delivery_id DESC) in every partition,
-- merged, stopping after limit+1 rows. The page frame and the cursor condition come from
-- templates/keyset_page.sql.j2, shared with list_audit_events: the cursor becomes the row comparison
-- (created_at, delivery_id) < (at, id), which the index resolves by descending straight to the
-- position, so page N costs what page 1 does.
CREATE FUNCTION teams_obs.list_deliveries(
    p_tenant uuid,
    p_status text DEFAULT NULL,
    p_category text DEFAULT NULL,
    p_destination_type text DEFAULT NULL,
    p_error_code text DEFAULT NULL,
    p_internal_notification_id uuid DEFAULT NULL,
    p_since timestamptz DEFAULT NULL,
    p_until timestamptz DEFAULT NULL,
    p_limit integer DEFAULT 50,
    p_cursor text DEFAULT NULL
)
RETURNS TABLE (
    tenant uuid,
    delivery_id uuid,
    internal_notification_id uuid,
    category text,
    destination_type text,
    destination_id text,
    attempt_number integer,
    idempotency_key text,
    provider_message_id text,
    status text,
    error_code text,
    error_message text,
    retryable boolean,
    provider_request_id text,
    sent_at timestamptz,
    delivered_at timestamptz,
    responded_at timestamptz,
    created_at timestamptz,
    next_cursor text
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_status text := teams_obs.list_filter('status', p_status, '{"skipped","sent","delivered","failed"}'::text[]);
    v_category text := teams_obs.list_filter('category', p_category);
    v_destination_type text := teams_obs.list_filter('destination_type', p_destination_type,
        '{"user_activity","bot_dm","chat","channel","bot_test"}'::text[]);
    v_error_code text := teams_obs.list_filter('error_code', p_error_code,
        '{"graph_throttled","graph_unauthorized","graph_not_found","graph_server_error","user_not_mapped","addon_inactive","integration_inactive","package_misconfigured","transient","unknown"}'::text[]);
    v_limit integer := least(greatest(coalesce(p_limit, 50), 1), 200);
    v_after record;
    v_where text := 'd.tenant = $1';
BEGIN
    IF p_tenant IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'tenant: required';
    END IF;
    IF p_since > p_until THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('since: %s is after until (%s)', p_since, p_until);
    END IF;
    SELECT c.created_at AS at, c.id INTO v_after
      FROM teams_obs.decode_cursor('deliveries', p_tenant, p_cursor) AS c;

    IF v_status IS NOT NULL THEN
        v_where := v_where || ' AND d.status = $2';
    END IF;
    IF v_category IS NOT NULL THEN
        v_where := v_where || ' AND d.category = $3';
    END IF;
    IF v_destination_type IS NOT NULL THEN
        v_where := v_where || ' AND d.destination_type = $4';
    END IF;
    IF v_error_code IS NOT NULL THEN
        v_where := v_where || ' AND d.error_code = $5';
    END IF;
    IF p_internal_notification_id IS NOT NULL THEN
        v_where := v_where || ' AND d.internal_notification_id = $6';
    END IF;
    IF p_since IS NOT NULL THEN
        v_where := v_where || ' AND d.created_at >= $7';
    END IF;
    IF p_until IS NOT NULL THEN
        v_where := v_where || ' AND d.created_at < $8';
    END IF;
    IF v_after.at IS NOT NULL THEN
        v_where := v_where || ' AND d.created_at <= $9 AND (d.created_at, d.delivery_id) < ($9, $10)';
    END IF;

    RETURN QUERY EXECUTE format(
        $query$
        SELECT p.tenant, p.delivery_id, p.internal_notification_id, p.category, p.destination_type,
               p.destination_id, p.attempt_number, p.idempotency_key, p.provider_message_id, p.status,
               p.error_code, p.error_message, p.retryable, p.provider_request_id, p.sent_at,
               p.delivered_at, p.responded_at, p.created_at,
               CASE WHEN p.position = $11 AND p.more
                    THEN teams_obs.encode_cursor('deliveries', p.tenant, p.created_at, p.delivery_id)
               END
          FROM (SELECT page.*,
                       row_number() OVER (ORDER BY page.created_at DESC, page.delivery_id DESC) AS position,
                       count(*) OVER () > $11 AS more
                  FROM (SELECT d.*
                          FROM teams_obs.notification_deliveries AS d
                         WHERE %s
                         ORDER BY d.created_at DESC, d.delivery_id DESC
                         LIMIT $11 + 1) AS page) AS p
         WHERE p.position <= $11
         ORDER BY p.position
        $query$, v_where)
    USING p_tenant, v_status, v_category, v_destination_type, v_error_code, p_internal_notification_id,
          p_since, p_until, v_after.at, v_after.id, v_limit;
END
$function$;

COMMENT ON FUNCTION teams_obs.list_deliveries(uuid, text, text, text, text, uuid, timestamptz, timestamptz, integer, text) IS
    'One page of a tenant''s deliveries, newest first, filtered exactly (22023 for an unknown value), keyset-paged by next_cursor (SPEC §8).';

REVOKE ALL ON FUNCTION teams_obs.list_deliveries(uuid, text, text, text, text, uuid, timestamptz, timestamptz, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.list_deliveries(uuid, text, text, text, text, uuid, timestamptz, timestamptz, integer, text)
    TO teams_obs_reader;

COMMIT;
