-- Verify teams_obs:cleanup_notification_deliveries on pg

BEGIN;

DO $verify$
BEGIN
    IF NOT pg_catalog.has_function_privilege('teams_obs_maintainer',
           'teams_obs.cleanup_notification_deliveries(interval, integer)', 'execute') THEN
        RAISE EXCEPTION 'teams_obs_maintainer may not execute teams_obs.cleanup_notification_deliveries';
    END IF;
    IF pg_catalog.has_function_privilege('public',
           'teams_obs.cleanup_notification_deliveries(interval, integer)', 'execute') THEN
        RAISE EXCEPTION 'PUBLIC may execute teams_obs.cleanup_notification_deliveries';
    END IF;
END
$verify$;

ROLLBACK;
