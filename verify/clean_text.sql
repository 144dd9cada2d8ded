-- Verify teams_obs:clean_text on pg

BEGIN;

DO $verify$
BEGIN
    IF teams_obs.clean_text(E'\u00a0 x \t') IS DISTINCT FROM 'x' OR teams_obs.clean_text(E' \n ') IS NOT NULL THEN
        RAISE EXCEPTION 'teams_obs.clean_text does not trim as expected';
    END IF;
END
$verify$;

ROLLBACK;
