-- Verify teams_obs:cleanup_audit_events on pg

BEGIN;

DO $verify$
BEGIN
    IF NOT pg_catalog.has_function_privilege('teams_obs_maintainer',
           'teams_obs.cleanup_audit_events(interval, integer)', 'execute') THEN
        RAISE EXCEPTION 'teams_obs_maintainer may not execute teams_obs.cleanup_audit_events';
    END IF;
END
$verify$;

ROLLBACK;
