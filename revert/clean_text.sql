-- Revert teams_obs:clean_text from pg

BEGIN;

DROP FUNCTION teams_obs.clean_text(text);

COMMIT;
