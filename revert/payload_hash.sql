-- Revert teams_obs:payload_hash from pg

BEGIN;

DROP FUNCTION teams_obs.payload_hash(json);

COMMIT;
