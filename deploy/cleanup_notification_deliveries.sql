-- Deploy teams_obs:cleanup_notification_deliveries to pg
-- requires: partition_retention
-- requires: notification_deliveries
-- requires: notification_delivery_idempotency

BEGIN;

-- Retention of deliveries (SPEC §4), for cron and pg_cron. With
-- cutoff = now() - p_retention, the generic retention of teams_obs.cleanup_partitioned_table:
--  1. deletes reservations (notification_delivery_idempotency) created before the cutoff in batches of
--     about p_batch_size rows; a reservation and its row share created_at, so no reservation outlives
--     its row. Idempotency therefore holds for the retention period: a retry of a key older than that
--     records a new row;
--  2. deletes expired rows in the DEFAULT partition in batches, and drops whole monthly partitions
--     ending at or before the cutoff (never DEFAULT, the current or a future month). Rows of a partly
--     expired month stay until the month has expired.
-- All in the caller's transaction; CALL teams_obs.run_retention commits after each batch instead.
-- One row per kind is returned (teams_obs.cleanup_result).
CREATE FUNCTION teams_obs.cleanup_notification_deliveries(p_retention interval DEFAULT interval '90 days',
                                                          p_batch_size integer DEFAULT 10000)
RETURNS SETOF teams_obs.cleanup_result
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN QUERY
    SELECT * FROM teams_obs.cleanup_partitioned_table('teams_obs.notification_deliveries',
                                                      teams_obs.retention_cutoff(p_retention), p_batch_size);
END
$function$;

COMMENT ON FUNCTION teams_obs.cleanup_notification_deliveries(interval, integer) IS
    'Retention of deliveries: deletes reservations and DEFAULT rows older than now() - p_retention in batches, drops monthly partitions ending at or before it (never DEFAULT, current or future); reports what it removed.';

REVOKE ALL ON FUNCTION teams_obs.cleanup_notification_deliveries(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.cleanup_notification_deliveries(interval, integer) TO teams_obs_maintainer;

COMMIT;
