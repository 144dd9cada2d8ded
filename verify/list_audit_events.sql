-- Verify teams_obs:list_audit_events on pg

BEGIN;

SELECT tenant, event_id, actor_user_id, microsoft_user_id, surface, action_id, target_type, target_id,
       idempotency_key, payload_hash, result_status, error_code, created_at, next_cursor
  FROM teams_obs.list_audit_events('00000000-0000-0000-0000-00000000000f', p_result_status => 'failure', p_limit => 1)
 WHERE false;

ROLLBACK;
