-- Revert teams_obs:cleanup_result from pg

BEGIN;

DROP TYPE teams_obs.cleanup_result;

COMMIT;
