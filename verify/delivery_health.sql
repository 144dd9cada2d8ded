-- Verify teams_obs:delivery_health on pg

BEGIN;

-- A two-day window has three rows: both days and the total.
DO $verify$
BEGIN
    IF (SELECT count(*) FROM teams_obs.delivery_health('00000000-0000-0000-0000-000000000000'::uuid,
                                                       '2026-01-01 00:00:00+00', '2026-01-03 00:00:00+00')) <> 3 THEN
        RAISE EXCEPTION 'delivery_health: unexpected number of rows for a two-day window';
    END IF;
END
$verify$;

ROLLBACK;
