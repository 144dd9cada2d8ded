-- Verify teams_obs:raise_invalid_parameter on pg

BEGIN;

DO $verify$
BEGIN
    PERFORM teams_obs.raise_invalid_parameter('verify: expected');
    RAISE EXCEPTION 'teams_obs.raise_invalid_parameter returned';
EXCEPTION WHEN invalid_parameter_value THEN
    NULL;
END
$verify$;

ROLLBACK;
