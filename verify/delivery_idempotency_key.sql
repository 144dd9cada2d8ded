-- Verify teams_obs:delivery_idempotency_key on pg

BEGIN;

DO $verify$
BEGIN
    -- sha256('|00000000-0000-0000-0000-000000000001|user_activity|oid|1')
    IF teams_obs.delivery_idempotency_key(
           '00000000-0000-0000-0000-000000000001', NULL, 'user_activity', 'oid', 1)
       IS DISTINCT FROM pg_catalog.encode(pg_catalog.sha256(
           '|00000000-0000-0000-0000-000000000001|user_activity|oid|1'::bytea), 'hex') THEN
        RAISE EXCEPTION 'teams_obs.delivery_idempotency_key does not follow the SPEC formula';
    END IF;
END
$verify$;

ROLLBACK;
