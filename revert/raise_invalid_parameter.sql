-- Revert teams_obs:raise_invalid_parameter from pg

BEGIN;

DROP FUNCTION teams_obs.raise_invalid_parameter(text);

COMMIT;
