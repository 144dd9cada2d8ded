-- Revert teams_obs:audit_events from pg

BEGIN;

-- Drops every partition with it, including those `teams-obs maintain` created.
DROP TABLE teams_obs.audit_events;

COMMIT;
