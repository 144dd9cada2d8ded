-- Revert teams_obs:conversation_references from pg

BEGIN;

DROP TABLE teams_obs.conversation_references;

COMMIT;
