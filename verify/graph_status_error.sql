-- Verify teams_obs:graph_status_error on pg

BEGIN;

DO $verify$
BEGIN
    IF (SELECT (g.error_code, g.retryable) FROM teams_obs.graph_status_error(429) g)
       IS DISTINCT FROM ('graph_throttled'::text, true) THEN
        RAISE EXCEPTION 'teams_obs.graph_status_error(429) is not (graph_throttled, true)';
    END IF;
END
$verify$;

ROLLBACK;
