-- Deploy teams_obs:cleanup_notification_deliveries to pg
-- requires: partition_retention
-- requires: notification_deliveries
-- requires: notification_delivery_idempotency

BEGIN;

-- Retention of deliveries (SPEC §4), for cron, pg_cron or `teams-obs cleanup`. With
-- cutoff = now() - p_retention:
--  1. reservations (notification_delivery_idempotency) created before the cutoff are deleted in
--     batches of about p_batch_size rows; a reservation and its row share created_at, so no reservation
--     outlives its row. Idempotency therefore holds for the retention period: a retry of a key older
--     than that records a new row;
--  2. expired rows in the DEFAULT partition are deleted in batches, and whole monthly partitions
--     ending at or before the cutoff are dropped (cleanup_partitioned_table; never DEFAULT, the
--     current or a future month). Rows of a partly expired month stay until the month has expired.
-- Row deletes come first and the partition drops last, so the parent's ACCESS EXCLUSIVE lock that a
-- DROP takes is held only for the drops. One row per kind is returned (teams_obs.cleanup_result).
CREATE FUNCTION teams_obs.cleanup_notification_deliveries(p_retention interval DEFAULT interval '90 days',
                                                          p_batch_size integer DEFAULT 10000)
RETURNS SETOF teams_obs.cleanup_result
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_cutoff timestamptz;
    v_reservations bigint;
BEGIN
    v_cutoff := teams_obs.retention_cutoff(p_retention);
    v_reservations := teams_obs.delete_expired_rows('teams_obs.notification_delivery_idempotency', 'created_at',
                                                    v_cutoff, p_batch_size);
    RETURN NEXT ROW('reservations_deleted', 'teams_obs.notification_delivery_idempotency', 0, v_reservations,
                    '{}', v_cutoff)::teams_obs.cleanup_result;
    RETURN QUERY
    SELECT * FROM teams_obs.cleanup_partitioned_table('teams_obs.notification_deliveries', v_cutoff, p_batch_size);
END
$function$;

COMMENT ON FUNCTION teams_obs.cleanup_notification_deliveries(interval, integer) IS
    'Retention of deliveries: deletes reservations and DEFAULT rows older than now() - p_retention in batches, drops monthly partitions ending at or before it (never DEFAULT, current or future); reports what it removed.';

REVOKE ALL ON FUNCTION teams_obs.cleanup_notification_deliveries(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.cleanup_notification_deliveries(interval, integer) TO teams_obs_maintainer;

COMMIT;
