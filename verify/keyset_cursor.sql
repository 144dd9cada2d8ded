-- Verify teams_obs:keyset_cursor on pg

BEGIN;

DO $verify$
DECLARE
    v_tenant constant uuid := '00000000-0000-4000-8000-000000000001';
    v_at constant timestamptz := '2026-11-01 12:34:56.789012+00';
    v_id constant uuid := '00000000-0000-4000-8000-0000000000ff';
    v_decoded record;
BEGIN
    SELECT * INTO v_decoded
      FROM teams_obs.decode_cursor('verify', v_tenant, teams_obs.encode_cursor('verify', v_tenant, v_at, v_id));
    IF v_decoded.created_at IS DISTINCT FROM v_at OR v_decoded.id IS DISTINCT FROM v_id THEN
        RAISE EXCEPTION 'keyset cursor does not round-trip: %', v_decoded;
    END IF;
END
$verify$;

ROLLBACK;
