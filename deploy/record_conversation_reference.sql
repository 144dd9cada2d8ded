-- Deploy teams_obs:record_conversation_reference to pg
-- requires: conversation_references
-- requires: clean_text
-- requires: raise_invalid_parameter
-- Rendered from templates/render/deploy/record_conversation_reference.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- The string at p_path of a raw activity, trimmed, empty as NULL. Anything but a JSON string (a number,
-- an object, a missing key, an activity that is no object at all) counts as absent.
CREATE FUNCTION teams_obs.activity_text(p_activity jsonb, p_path text[])
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
RETURN teams_obs.clean_text(CASE WHEN pg_catalog.jsonb_typeof(p_activity #> p_path) = 'string'
                                 THEN p_activity #>> p_path END);

COMMENT ON FUNCTION teams_obs.activity_text(jsonb, text[]) IS
    'Trimmed string at p_path of a Bot Framework activity; NULL when absent, blank or not a string.';

-- Upserts the conversation reference carried by an inbound Bot Framework activity. Returns false, writing
-- nothing, when the user id (from.aadObjectId, else from.id), conversation.id or serviceUrl is missing;
-- true once the reference is stored or an at-least-as-new one already is.
--
-- Ordering: the row keeps the newest activity. An activity older than the stored one changes neither
-- last_activity_at nor service_url (nor the type or channel that came with it); it may only fill a
-- tenant_id_aad still unknown. A newer activity without channelData.tenant.id keeps the known one.
-- Two concurrent calls for one key serialise on the primary key (ON CONFLICT waits for the first),
-- and the comparison below runs against the committed row, so the newer activity wins in any order.
-- The UPDATE applies only CASE/GREATEST to columns and EXCLUDED (Citus: no STABLE function on a column).
CREATE FUNCTION teams_obs.record_conversation_reference(
    p_tenant uuid,
    p_activity jsonb,
    p_activity_at timestamptz DEFAULT pg_catalog.now()
)
RETURNS boolean
LANGUAGE plpgsql
VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_user_id text := coalesce(teams_obs.activity_text(p_activity, '{from,aadObjectId}'),
                               teams_obs.activity_text(p_activity, '{from,id}'));
    v_conversation_id text := teams_obs.activity_text(p_activity, '{conversation,id}');
    v_service_url text := teams_obs.activity_text(p_activity, '{serviceUrl}');
    v_conversation_type text := teams_obs.activity_text(p_activity, '{conversation,conversationType}');
    v_activity_at timestamptz := coalesce(p_activity_at, pg_catalog.now());
BEGIN
    IF p_tenant IS NULL THEN
        PERFORM teams_obs.raise_invalid_parameter('tenant: required');
    END IF;
    IF v_activity_at < '0001-01-02 00:00:00+00'::timestamptz OR v_activity_at >= '9999-12-31 00:00:00+00'::timestamptz THEN
        PERFORM teams_obs.raise_invalid_parameter(
            'activity_at: must be a time from 0001-01-02 until 9999-12-31 (UTC), not ' || pg_catalog.left((v_activity_at AT TIME ZONE 'UTC')::text, 100));
    END IF;
    -- The row keeps its newest activity, so one time far ahead would hold the reference until then.
    IF v_activity_at > pg_catalog.now() + interval '1 hour' THEN
        PERFORM teams_obs.raise_invalid_parameter(
            pg_catalog.format('activity_at: more than an hour in the future, %s', v_activity_at));
    END IF;
    IF v_user_id IS NULL OR v_conversation_id IS NULL OR v_service_url IS NULL THEN
        RETURN false;
    END IF;
    -- Both ids make up the primary key, whose entries may not exceed 2,704 bytes: 256 + 384 characters
    -- of up to 4 bytes each fit.
    IF pg_catalog.char_length(v_user_id) > 256 THEN
        PERFORM teams_obs.raise_invalid_parameter(
            CASE WHEN teams_obs.activity_text(p_activity, '{from,aadObjectId}') IS NULL
                 THEN 'activity.from.id' ELSE 'activity.from.aadObjectId' END
            || ': longer than 256 characters');
    END IF;
    IF pg_catalog.char_length(v_conversation_id) > 384 THEN
        PERFORM teams_obs.raise_invalid_parameter('activity.conversation.id: longer than 384 characters');
    END IF;
    -- As the original: a known type is kept (case-sensitive), anything else, missing included, is personal.
    IF v_conversation_type IS NULL OR NOT v_conversation_type = ANY ('{"personal","groupChat","channel"}'::text[]) THEN
        v_conversation_type := 'personal';
    END IF;

    INSERT INTO teams_obs.conversation_references AS r
        (tenant, microsoft_user_id, conversation_id, conversation_type, service_url, tenant_id_aad,
         channel_id_bot_framework, last_activity_at, created_at, updated_at)
    VALUES (p_tenant, v_user_id, v_conversation_id, v_conversation_type, v_service_url,
            teams_obs.activity_text(p_activity, '{channelData,tenant,id}'),
            coalesce(teams_obs.activity_text(p_activity, '{channelId}'), 'msteams'),
            v_activity_at, pg_catalog.now(), pg_catalog.now())
    ON CONFLICT (tenant, microsoft_user_id, conversation_id) DO UPDATE SET
        conversation_type = CASE WHEN EXCLUDED.last_activity_at >= r.last_activity_at
                                 THEN EXCLUDED.conversation_type ELSE r.conversation_type END,
        service_url = CASE WHEN EXCLUDED.last_activity_at >= r.last_activity_at
                           THEN EXCLUDED.service_url ELSE r.service_url END,
        channel_id_bot_framework = CASE WHEN EXCLUDED.last_activity_at >= r.last_activity_at
                                        THEN EXCLUDED.channel_id_bot_framework ELSE r.channel_id_bot_framework END,
        tenant_id_aad = CASE WHEN EXCLUDED.last_activity_at >= r.last_activity_at
                             THEN coalesce(EXCLUDED.tenant_id_aad, r.tenant_id_aad)
                             ELSE coalesce(r.tenant_id_aad, EXCLUDED.tenant_id_aad) END,
        last_activity_at = GREATEST(r.last_activity_at, EXCLUDED.last_activity_at),
        updated_at = EXCLUDED.updated_at;
    RETURN true;
END
$function$;

COMMENT ON FUNCTION teams_obs.record_conversation_reference(uuid, jsonb, timestamptz) IS
    'Upserts the conversation reference of a raw Bot Framework activity; false (nothing written) when user id, conversation.id or serviceUrl is missing. Never moves last_activity_at/service_url back, never erases a known tenant_id_aad.';

REVOKE ALL ON FUNCTION teams_obs.activity_text(jsonb, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.record_conversation_reference(uuid, jsonb, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.record_conversation_reference(uuid, jsonb, timestamptz) TO teams_obs_writer;

COMMIT;
