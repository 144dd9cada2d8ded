-- Deploy teams_obs:cleanup_audit_events to pg
-- requires: partition_retention
-- requires: audit_events

BEGIN;

-- Retention of audit events (SPEC §4: 365 days by default), for cron and pg_cron.
-- With cutoff = now() - p_retention, the generic retention of teams_obs.cleanup_partitioned_table deletes
-- expired rows left in the DEFAULT partition in batches and drops whole monthly partitions ending at or
-- before the cutoff (never DEFAULT, the current or a future month); rows of a partly expired month stay
-- until the whole month has expired. Audit events have no sidecar, so there is no reservation step.
-- All in the caller's transaction; CALL teams_obs.run_retention commits after each batch instead.
-- Returns one teams_obs.cleanup_result row per kind, like cleanup_notification_deliveries.
CREATE FUNCTION teams_obs.cleanup_audit_events(p_retention interval DEFAULT interval '365 days',
                                               p_batch_size integer DEFAULT 10000)
RETURNS SETOF teams_obs.cleanup_result
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN QUERY
    SELECT * FROM teams_obs.cleanup_partitioned_table('teams_obs.audit_events',
                                                      teams_obs.retention_cutoff(p_retention), p_batch_size);
END
$function$;

COMMENT ON FUNCTION teams_obs.cleanup_audit_events(interval, integer) IS
    'Retention of audit events: deletes DEFAULT rows older than now() - p_retention in batches, drops monthly partitions ending at or before it (never DEFAULT, current or future); reports what it removed.';

REVOKE ALL ON FUNCTION teams_obs.cleanup_audit_events(interval, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.cleanup_audit_events(interval, integer) TO teams_obs_maintainer;

COMMIT;
