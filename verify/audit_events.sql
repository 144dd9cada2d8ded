-- Verify teams_obs:audit_events on pg

BEGIN;

SELECT tenant, event_id, actor_user_id, microsoft_user_id, surface, action_id, target_type, target_id,
       idempotency_key, payload_hash, result_status, error_code, created_at
FROM teams_obs.audit_events
WHERE false;

DO $verify$
BEGIN
    IF NOT EXISTS (
        SELECT 1
        FROM pg_catalog.pg_partitioned_table pt
        WHERE pt.partrelid = 'teams_obs.audit_events'::regclass
          AND pt.partstrat = 'r'
          AND pt.partdefid = 'teams_obs.audit_events_default'::regclass
    ) THEN
        RAISE EXCEPTION 'teams_obs.audit_events is not range-partitioned with DEFAULT partition audit_events_default';
    END IF;
    IF EXISTS (
        SELECT 1
        FROM pg_catalog.pg_attribute
        WHERE attrelid = 'teams_obs.audit_events'::regclass AND attnum > 0 AND NOT attisdropped
          AND attname ~ 'payload' AND attname <> 'payload_hash'
    ) THEN
        RAISE EXCEPTION 'teams_obs.audit_events must not have a payload column';
    END IF;
END
$verify$;

ROLLBACK;
