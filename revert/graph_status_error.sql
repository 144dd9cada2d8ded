-- Revert teams_obs:graph_status_error from pg

BEGIN;

DROP FUNCTION teams_obs.graph_status_error(integer);

COMMIT;
