-- Verify teams_obs:record_delivery on pg

BEGIN;

DO $verify$
DECLARE
    v_first record;
    v_again record;
BEGIN
    SELECT * INTO v_first FROM teams_obs.record_delivery(
        '00000000-0000-0000-0000-00000000000f', 'user_activity', 'verify', 'delivered');
    SELECT * INTO v_again FROM teams_obs.record_delivery(
        '00000000-0000-0000-0000-00000000000f', 'user_activity', 'verify', 'delivered');
    IF NOT v_first.inserted OR v_again.inserted OR v_again.delivery_id IS DISTINCT FROM v_first.delivery_id THEN
        RAISE EXCEPTION 'teams_obs.record_delivery is not idempotent';
    END IF;
END
$verify$;

ROLLBACK;
