-- Revert teams_obs:delivery_idempotency_key from pg

BEGIN;

DROP FUNCTION teams_obs.delivery_idempotency_key(uuid, uuid, text, text, integer, text);
DROP FUNCTION teams_obs.delivery_key_digest(uuid, uuid, text, text, integer, text);
DROP FUNCTION teams_obs.delivery_key_problem(uuid, text, text, integer, text);

COMMIT;
