-- cleanup_audit_events: retention of audit events (365 days by default) drops whole expired monthly partitions
-- of audit_events (never DEFAULT, the current or a future one) and deletes expired DEFAULT rows, touches nothing
-- of notification_deliveries, reports what it removed, and refuses a retention that is not a positive interval.
-- What a retention expires depends on the cutoff it reports, and 365 days before now() ends past the m-12
-- partition on the last day of a month whose previous 12 months hold a Feb 29: so the runs that check what
-- is removed use retentions whose cutoff is a known instant (as cleanup_notification_deliveries.sql does),
-- and the default of 365 days is checked through its cutoff only, where nothing is left for it to remove.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(17);
SET LOCAL TimeZone = 'UTC';

-- m = the current UTC month. Events on the 2nd of a month: 3 in m-14, 2 in m-12, 1 in m-2, 1 in m; one
-- delivery in m-14. They wait in DEFAULT until pg_temp.maintain() gives every month with rows in DEFAULT,
-- and m .. m+3, its partition as `teams-obs maintain` does (attach_month_partition). Then one event of m-30
-- (expired) and one of m-6 (not expired) wait in DEFAULT.
CREATE TEMP TABLE m AS SELECT date_trunc('month', now(), 'UTC') AS m;
CREATE FUNCTION pg_temp.add_events(p_months_back integer, p_count integer DEFAULT 1) RETURNS void LANGUAGE sql AS $$
    INSERT INTO teams_obs.audit_events (tenant, surface, action_id, result_status, created_at)
    SELECT '00000000-0000-4000-8000-0000000000e1', 'bot', 'add_note', 'success',
           m - make_interval(months => p_months_back) + interval '1 day'
      FROM m, generate_series(1, p_count) $$;
CREATE FUNCTION pg_temp.maintain() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM teams_obs.attach_month_partition(t.parent_oid::regclass, p.month_start)
       FROM teams_obs.month_partitioned_tables() AS t,
            teams_obs.missing_month_partitions(t.parent_oid::regclass, 3) AS p
      WHERE cardinality(p.overlapping) = 0
      ORDER BY t.parent, p.month_start;
END $$;
SELECT pg_temp.add_events(k, n) FROM (VALUES (14, 3), (12, 2), (2, 1), (0, 1)) AS t(k, n);
INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id, idempotency_key, status, created_at)
SELECT '00000000-0000-4000-8000-0000000000e1', 'bot_dm', 'x', 'k', 'sent', m - interval '14 months' FROM m;
SELECT pg_temp.maintain();
SELECT pg_temp.add_events(30);
SELECT pg_temp.add_events(6);

CREATE FUNCTION pg_temp.partitions(p_parent regclass) RETURNS text[] LANGUAGE sql AS $$
    SELECT array_agg(b.partition_name ORDER BY b.partition_name) FROM teams_obs.partition_bounds(p_parent) AS b $$;
CREATE FUNCTION pg_temp.partition(p_months_back integer) RETURNS text LANGUAGE sql AS $$
    SELECT b.partition_name FROM teams_obs.partition_bounds('teams_obs.audit_events') AS b, m
     WHERE b.lower_bound = m - make_interval(months => p_months_back) $$;
CREATE FUNCTION pg_temp.without(p_names text[], p_gone text[]) RETURNS text[] LANGUAGE sql AS $$
    SELECT array_agg(n ORDER BY n) FROM (SELECT unnest(p_names) EXCEPT SELECT unnest(p_gone)) AS t(n) $$;
-- Months back (0 = the current month, negative = ahead) -> events.
CREATE TEMP VIEW rows_by_month AS
SELECT (extract(year FROM a) * 12 + extract(month FROM a))::integer AS months_back, count(*) AS events
  FROM teams_obs.audit_events, age((SELECT m FROM m), date_trunc('month', created_at, 'UTC')) AS a
 GROUP BY 1;

-- Retention runs as the maintainer, which is what the grant is for; each run's report goes to this table.
CREATE TEMP TABLE report (run integer, kind text, table_name text, partitions integer, rows_removed bigint,
                          names text[], cutoff timestamptz);
GRANT INSERT ON report TO teams_obs_maintainer;
GRANT SELECT ON m TO teams_obs_maintainer;  -- for the retentions computed from it

-- A retention whose cutoff is the start of m-12 (about a year, as the default).
CREATE TEMP TABLE before1 AS
SELECT pg_temp.partitions('teams_obs.audit_events') AS audit,
       pg_temp.partitions('teams_obs.notification_deliveries') AS deliveries, pg_temp.partition(14) AS expired;
SET LOCAL ROLE teams_obs_maintainer;
INSERT INTO report SELECT 1, * FROM teams_obs.cleanup_audit_events(now() - (SELECT m - interval '12 months' FROM m));
RESET ROLE;
SELECT is((SELECT DISTINCT cutoff FROM report WHERE run = 1), (SELECT m - interval '12 months' FROM m),
          'it reports the cutoff applied: the start of m-12');
SELECT results_eq($$SELECT kind, partitions, rows_removed, names FROM report WHERE run = 1 ORDER BY kind$$,
                  $$VALUES ('default_rows_deleted', 0, 1::bigint, ARRAY['teams_obs.audit_events_default']),
                           ('partitions_dropped', 1, 3, (SELECT ARRAY[expired] FROM before1))$$,
                  'the report: m-14 dropped with its 3 events, the expired DEFAULT row deleted, no partition busy');
SELECT is(pg_temp.partitions('teams_obs.audit_events'), (SELECT pg_temp.without(audit, ARRAY[expired]) FROM before1),
          'm-14 is dropped and every other partition (m-12, ending after the cutoff, included) stays');
SELECT results_eq($$SELECT months_back, events FROM rows_by_month ORDER BY months_back$$,
                  $$VALUES (0, 1::bigint), (2, 1), (6, 1), (12, 2)$$,
                  'the events of m-12, m-2 and m and the unexpired DEFAULT event of m-6 stay');
SELECT is(pg_temp.partitions('teams_obs.notification_deliveries'), (SELECT deliveries FROM before1),
          'no partition of notification_deliveries is dropped (deliveries are not audit events)');

SET LOCAL ROLE teams_obs_maintainer;
INSERT INTO report SELECT 2, * FROM teams_obs.cleanup_audit_events(now() - (SELECT m - interval '12 months' FROM m));
RESET ROLE;
SELECT results_eq($$SELECT kind, partitions, rows_removed, names FROM report WHERE run = 2 ORDER BY kind$$,
                  $$VALUES ('default_rows_deleted', 0, 0::bigint, ARRAY['teams_obs.audit_events_default']),
                           ('partitions_dropped', 0, 0, '{}'::text[])$$,
                  'a second run removes nothing');

-- The shortest retention still never touches DEFAULT, the current or a future partition: one more event in m
-- (2 there now) and one of m+5, a clock far ahead, which no partition covers (DEFAULT).
SELECT pg_temp.add_events(0);
SELECT pg_temp.add_events(-5);
CREATE TEMP TABLE before3 AS
SELECT pg_temp.partitions('teams_obs.audit_events') AS audit, ARRAY[pg_temp.partition(12), pg_temp.partition(2)] AS expired;
SET LOCAL ROLE teams_obs_maintainer;
INSERT INTO report SELECT 3, * FROM teams_obs.cleanup_audit_events('1 microsecond');
RESET ROLE;
SELECT results_eq($$SELECT kind, partitions, rows_removed, names FROM report WHERE run = 3 ORDER BY kind$$,
                  $$VALUES ('default_rows_deleted', 0, 1::bigint, ARRAY['teams_obs.audit_events_default']),
                           ('partitions_dropped', 2, 3, (SELECT expired FROM before3))$$,
                  'retention of 1 microsecond drops m-12 and m-2 (3 events, oldest first) and the DEFAULT event of m-6');
SELECT is(pg_temp.partitions('teams_obs.audit_events'), (SELECT pg_temp.without(audit, expired) FROM before3),
          'only the dropped partitions are gone');
SELECT ok(to_regclass('teams_obs.audit_events_default') IS NOT NULL, 'the DEFAULT partition stays');
SELECT results_eq($$SELECT months_back, events FROM rows_by_month ORDER BY months_back$$,
                  $$VALUES (-5, 1::bigint), (0, 2)$$,
                  'the current month''s 2 events and the future DEFAULT event of m+5 stay');
SELECT results_eq($$SELECT lower_bound FROM teams_obs.partition_bounds('teams_obs.audit_events') WHERE NOT is_default
                    ORDER BY lower_bound$$,
                  $$SELECT m + make_interval(months => k) FROM m, generate_series(0, 3) AS k ORDER BY k$$,
                  'the partitions of the current month and the 3 ahead stay, and no other');

-- The default retention, 365 days, checked through its cutoff: nothing older than the current month is
-- left, so whatever that cutoff expires (m-12 on the last day of some months), there is nothing to remove.
SET LOCAL ROLE teams_obs_maintainer;
INSERT INTO report SELECT 4, * FROM teams_obs.cleanup_audit_events();
RESET ROLE;
SELECT is((SELECT DISTINCT cutoff FROM report WHERE run = 4), now() - interval '365 days',
          'the default retention is 365 days');
SELECT results_eq($$SELECT kind, partitions, rows_removed, names FROM report WHERE run = 4 ORDER BY kind$$,
                  $$VALUES ('default_rows_deleted', 0, 0::bigint, ARRAY['teams_obs.audit_events_default']),
                           ('partitions_dropped', 0, 0, '{}'::text[])$$,
                  'the default retention removes nothing newer than its cutoff');

-- A partition of the current month that ends by the cutoff (a month split by hand) stays too: the
-- whole-month partitions above never end inside the current month, so only such a split tests that guard.
-- m's partition is replaced by [m, now() - 1 microsecond), which ends at the cutoff of the shortest
-- retention; impossible only when the transaction started in the month's first microsecond.
CREATE TEMP TABLE split AS SELECT now() - interval '1 microsecond' > m AS made FROM m;
DO $$
BEGIN
    IF (SELECT made FROM split) THEN
        EXECUTE format('DROP TABLE %s', pg_temp.partition(0));
        EXECUTE format('CREATE TABLE teams_obs.audit_events_split PARTITION OF teams_obs.audit_events FOR VALUES FROM (%L) TO (%L)',
                       (SELECT m FROM m), now() - interval '1 microsecond');
    END IF;
END $$;
SET LOCAL ROLE teams_obs_maintainer;
INSERT INTO report SELECT 5, * FROM teams_obs.cleanup_audit_events('1 microsecond');
RESET ROLE;
SELECT CASE WHEN (SELECT made FROM split)
            THEN ok(to_regclass('teams_obs.audit_events_split') IS NOT NULL,
                    'a partition of the current month ending at the cutoff is not dropped')
            ELSE skip('the transaction started in the first microsecond of the month: no partition of it ends by the cutoff', 1)
       END;

-- Bad input
SELECT throws_ok(format('SELECT * FROM teams_obs.cleanup_audit_events(%s::interval)', r), '22023',
                 format('retention: must be a positive interval, not %s', m), format('retention %s is refused', r))
  FROM (VALUES ('NULL', 'NULL'), ('''0''', '00:00:00'), ('''-1 day''', '-1 days')) AS t(r, m);

SELECT * FROM finish();
ROLLBACK;
