-- Revert teams_obs:notification_deliveries from pg

BEGIN;

-- Drops every partition with it, including those `teams-obs maintain` created.
DROP TABLE teams_obs.notification_deliveries;

COMMIT;
