-- Deploy teams_obs:delivery_health to pg
-- requires: notification_deliveries
-- Rendered from templates/render/deploy/delivery_health.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- How Teams delivery went for one tenant (SPEC §4 Health), one row per UTC day of the window
-- [p_since, p_until) (days the window only partly covers count only their covered part), days without
-- deliveries included with zeros, then one last row with day NULL for the whole window. Rows are
-- grouped by created_at, when the outcome was recorded.
--   total, skipped, sent, delivered, failed: counts by status (one column per status of the taxonomy)
--   error_codes: {"<error_code>": count} for the codes that occurred
--   success_rate: delivered / (delivered + failed), rounded to 4 places; NULL without such outcomes.
--     skipped rows are gates that never reached Teams (no add-on, user not mapped...), sent rows await
--     no confirmation: neither is a delivery that worked or failed, so neither dilutes the rate.
--   latency_samples, latency_p50, latency_p95: over delivered_at - sent_at where both are set and
--     delivered_at is not before sent_at (continuous percentiles, percentile_cont). A negative one is
--     the skew between the clocks that stamped them, no latency: it would drag the percentiles down.
--     Nor is a pair with a time the recorders refuse (they accept from 0001-01-02 until 9999-12-31,
--     UTC) but the owner can write: an infinity cannot be subtracted, and times further apart overflow the
--     interval.
-- The window must be finite, since before until, and at most 731 days long (two years of days).
CREATE FUNCTION teams_obs.delivery_health(
    p_tenant uuid,
    p_since timestamptz DEFAULT pg_catalog.now() - interval '7 days',
    p_until timestamptz DEFAULT pg_catalog.now()
)
RETURNS TABLE (
    day date,
    total bigint,
    skipped bigint,
    sent bigint,
    delivered bigint,
    failed bigint,
    error_codes jsonb,
    success_rate numeric,
    latency_samples bigint,
    latency_p50 interval,
    latency_p95 interval
)
LANGUAGE plpgsql
STABLE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    IF p_tenant IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'tenant: required';
    -- The window's bounds are the recorders' times: each of its days is a row, which Python must read.
    ELSIF p_since IS NULL OR p_since < '0001-01-02 00:00:00+00'::timestamptz OR p_since >= '9999-12-31 00:00:00+00'::timestamptz THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = coalesce('since: must be a time from 0001-01-02 until 9999-12-31 (UTC), not ' || pg_catalog.left((p_since AT TIME ZONE 'UTC')::text, 100), 'since: must be a time from 0001-01-02 until 9999-12-31 (UTC), not NULL');
    ELSIF p_until IS NULL OR p_until < '0001-01-02 00:00:00+00'::timestamptz OR p_until >= '9999-12-31 00:00:00+00'::timestamptz THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = coalesce('until: must be a time from 0001-01-02 until 9999-12-31 (UTC), not ' || pg_catalog.left((p_until AT TIME ZONE 'UTC')::text, 100), 'until: must be a time from 0001-01-02 until 9999-12-31 (UTC), not NULL');
    ELSIF p_since >= p_until THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('since: must be before until (since %s, until %s)', p_since, p_until);
    ELSIF p_until - p_since > interval '731 days' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('until: the window may span at most 731 days, not %s', p_until - p_since);
    END IF;

    RETURN QUERY
    WITH window_rows AS (
        SELECT (d.created_at AT TIME ZONE 'UTC')::date AS day, d.status, d.error_code,
               -- delivered_at >= sent_at, so these two bounds hold both times inside the range.
               CASE WHEN d.delivered_at >= d.sent_at AND d.sent_at >= '0001-01-02 00:00:00+00'::timestamptz
                         AND d.delivered_at < '9999-12-31 00:00:00+00'::timestamptz
                    THEN d.delivered_at - d.sent_at END AS latency
          FROM teams_obs.notification_deliveries AS d
         WHERE d.tenant = p_tenant AND d.created_at >= p_since AND d.created_at < p_until
    ),
    by_status AS (
        SELECT r.day,
               count(*) AS total,
               count(*) FILTER (WHERE r.status = 'skipped') AS skipped,
               count(*) FILTER (WHERE r.status = 'sent') AS sent,
               count(*) FILTER (WHERE r.status = 'delivered') AS delivered,
               count(*) FILTER (WHERE r.status = 'failed') AS failed,
               count(r.latency) AS latency_samples,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY r.latency) AS latency_p50,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY r.latency) AS latency_p95
          FROM window_rows AS r
         GROUP BY GROUPING SETS ((r.day), ())
    ),
    by_error_code AS (
        SELECT c.day, jsonb_object_agg(c.error_code, c.n) AS error_codes
          FROM (SELECT r.day, r.error_code, count(*) AS n
                  FROM window_rows AS r
                 WHERE r.error_code IS NOT NULL
                 GROUP BY GROUPING SETS ((r.day, r.error_code), (r.error_code))) AS c
         GROUP BY c.day
    ),
    days AS (
        SELECT g.day::date AS day
          FROM generate_series((p_since AT TIME ZONE 'UTC')::date::timestamp,
                               ((p_until - interval '1 microsecond') AT TIME ZONE 'UTC')::date::timestamp,
                               interval '1 day') AS g (day)
        UNION ALL
        SELECT NULL::date
    )
    SELECT w.day,
           coalesce(s.total, 0),
           coalesce(s.skipped, 0),
           coalesce(s.sent, 0),
           coalesce(s.delivered, 0),
           coalesce(s.failed, 0),
           coalesce(e.error_codes, '{}'::jsonb),
           round(s.delivered::numeric / nullif(s.delivered + s.failed, 0), 4),
           coalesce(s.latency_samples, 0),
           s.latency_p50,
           s.latency_p95
      FROM days AS w
      LEFT JOIN by_status AS s ON s.day IS NOT DISTINCT FROM w.day
      LEFT JOIN by_error_code AS e ON e.day IS NOT DISTINCT FROM w.day
     ORDER BY w.day NULLS LAST;
END
$function$;

COMMENT ON FUNCTION teams_obs.delivery_health(uuid, timestamptz, timestamptz) IS
    'A tenant''s deliveries per UTC day of [p_since, p_until) plus a last row (day NULL) for the whole window: counts by status and error code, success_rate = delivered / (delivered + failed), p50/p95 of delivered_at - sent_at.';

REVOKE ALL ON FUNCTION teams_obs.delivery_health(uuid, timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.delivery_health(uuid, timestamptz, timestamptz) TO teams_obs_reader;

COMMIT;
