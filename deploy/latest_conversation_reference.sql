-- Deploy teams_obs:latest_conversation_reference to pg
-- requires: conversation_references
-- requires: list_filter
-- requires: raise_invalid_parameter
-- Rendered from templates/render/deploy/latest_conversation_reference.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- The reference a proactive message to a user should use: the user's most recently active conversation
-- of the given type (personal by default; NULL for any type). No row when the user has none. The user id
-- is required (trimmed as recording trims it), a conversation type outside the taxonomy is refused (22023):
-- never a silent wrong answer.
CREATE FUNCTION teams_obs.latest_conversation_reference(
    p_tenant uuid,
    p_microsoft_user_id text,
    p_conversation_type text DEFAULT 'personal'
)
RETURNS SETOF teams_obs.conversation_references
LANGUAGE plpgsql
STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
ROWS 1
AS $function$
DECLARE
    v_user_id text := teams_obs.clean_text(p_microsoft_user_id);
    v_conversation_type text := teams_obs.list_filter('conversation_type', p_conversation_type,
                                                      '{"personal","groupChat","channel"}'::text[]);
BEGIN
    IF p_tenant IS NULL THEN
        PERFORM teams_obs.raise_invalid_parameter('tenant: required');
    END IF;
    IF v_user_id IS NULL THEN
        PERFORM teams_obs.raise_invalid_parameter('microsoft_user_id: required');
    END IF;
    RETURN QUERY
        SELECT r.*
          FROM teams_obs.conversation_references r
         WHERE r.tenant = p_tenant
           AND r.microsoft_user_id = v_user_id
           AND (v_conversation_type IS NULL OR r.conversation_type = v_conversation_type)
         ORDER BY r.last_activity_at DESC, r.conversation_id DESC
         LIMIT 1;
END
$function$;

COMMENT ON FUNCTION teams_obs.latest_conversation_reference(uuid, text, text) IS
    'Most recently active conversation reference of a user, of one conversation type (default personal, NULL: any); no row if none.';

REVOKE ALL ON FUNCTION teams_obs.latest_conversation_reference(uuid, text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.latest_conversation_reference(uuid, text, text) TO teams_obs_reader;

COMMIT;
