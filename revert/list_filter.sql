-- Revert teams_obs:list_filter from pg

BEGIN;

DROP FUNCTION teams_obs.list_filter(text, text, text[]);

COMMIT;
