-- Verify teams_obs:find_conversation_reference on pg

BEGIN;

SELECT tenant, microsoft_user_id, conversation_id, conversation_type, service_url, tenant_id_aad,
       channel_id_bot_framework, last_activity_at, created_at, updated_at
  FROM teams_obs.find_conversation_reference('00000000-0000-0000-0000-00000000000f', 'verify')
 WHERE false;

ROLLBACK;
