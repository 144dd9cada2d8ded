-- Deploy teams_obs:find_conversation_reference to pg
-- requires: conversation_references
-- requires: list_filter
-- requires: raise_invalid_parameter

BEGIN;

-- The references of one conversation, newest activity first (ties by user id). A personal chat has one
-- row; a group chat or channel one per user who has written in it, all sharing its service URL, so the
-- first row is the one to use for a message to the conversation. Served by
-- conversation_references_conversation_idx (the original had no index for this lookup).
CREATE FUNCTION teams_obs.find_conversation_reference(p_tenant uuid, p_conversation_id text)
RETURNS SETOF teams_obs.conversation_references
LANGUAGE plpgsql
STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    -- Trimmed as recording trims it.
    v_conversation_id text := teams_obs.clean_text(p_conversation_id);
BEGIN
    IF p_tenant IS NULL THEN
        PERFORM teams_obs.raise_invalid_parameter('tenant: required');
    END IF;
    IF v_conversation_id IS NULL THEN
        PERFORM teams_obs.raise_invalid_parameter('conversation_id: required');
    END IF;
    RETURN QUERY
        SELECT r.*
          FROM teams_obs.conversation_references r
         WHERE r.tenant = p_tenant AND r.conversation_id = v_conversation_id
         ORDER BY r.last_activity_at DESC, r.microsoft_user_id;
END
$function$;

COMMENT ON FUNCTION teams_obs.find_conversation_reference(uuid, text) IS
    'Conversation references of one conversation id, newest activity first (one per user who wrote in it); no row if unknown.';

REVOKE ALL ON FUNCTION teams_obs.find_conversation_reference(uuid, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.find_conversation_reference(uuid, text) TO teams_obs_reader;

COMMIT;
