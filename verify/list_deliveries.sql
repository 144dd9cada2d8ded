-- Verify teams_obs:list_deliveries on pg

BEGIN;

SELECT tenant, delivery_id, created_at, next_cursor
  FROM teams_obs.list_deliveries('00000000-0000-4000-8000-000000000001')
 WHERE false;

DO $verify$
BEGIN
    IF NOT pg_catalog.has_function_privilege('teams_obs_reader',
           'teams_obs.list_deliveries(uuid, text, text, text, text, uuid, timestamptz, timestamptz, integer, text)',
           'execute') THEN
        RAISE EXCEPTION 'teams_obs_reader may not execute teams_obs.list_deliveries';
    END IF;
END
$verify$;

ROLLBACK;
