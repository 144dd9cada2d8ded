-- Verify teams_obs:conversation_references on pg

BEGIN;

SELECT tenant, microsoft_user_id, conversation_id, conversation_type, service_url, tenant_id_aad,
       channel_id_bot_framework, last_activity_at, created_at, updated_at
FROM teams_obs.conversation_references
WHERE false;

DO $verify$
BEGIN
    IF pg_catalog.to_regclass('teams_obs.conversation_references_conversation_idx') IS NULL THEN
        RAISE EXCEPTION 'index teams_obs.conversation_references_conversation_idx is missing';
    END IF;
END
$verify$;

ROLLBACK;
