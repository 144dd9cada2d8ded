-- cleanup_notification_deliveries: drops whole expired monthly partitions (never DEFAULT, the current or a
-- future one), deletes expired DEFAULT rows and expired reservations, reports what it removed.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(33);
SET LOCAL TimeZone = 'UTC';

-- m = the current UTC month. Partitions m-6, m-5, m-4 and m-1 are added to m .. m+3 (made here unless
-- `teams-obs maintain` made them already); 3 rows in each old partition, 2 in the current and 1 in m+2;
-- the DEFAULT partition holds one row from 2019 and one from m+10 (no partition covers it).
-- Reservations: 5 made 200 days ago, 3 made yesterday.
CREATE TEMP TABLE m AS SELECT date_trunc('month', now(), 'UTC') AS m;
DO $$
DECLARE
    v_month timestamptz;
    v_name text;
BEGIN
    FOR v_month IN SELECT m - k * interval '1 month' FROM m, unnest(ARRAY[6, 5, 4, 1, 0, -1, -2, -3]) k LOOP
        v_name := 'notification_deliveries_p' || to_char(v_month, 'YYYY_MM');
        IF to_regclass('teams_obs.' || v_name) IS NULL THEN
            EXECUTE format('CREATE TABLE teams_obs.%I PARTITION OF teams_obs.notification_deliveries FOR VALUES FROM (%L) TO (%L)',
                           v_name, v_month, v_month + interval '1 month');
        END IF;
    END LOOP;
END $$;
CREATE FUNCTION pg_temp.add_row(p_at timestamptz) RETURNS void LANGUAGE sql AS $$
    INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id, idempotency_key, status, created_at)
    VALUES ('00000000-0000-4000-8000-0000000000a1', 'bot_dm', 'x', md5(random()::text), 'sent', p_at) $$;
SELECT pg_temp.add_row(m - k * interval '1 month' + i * interval '1 day')
  FROM m, unnest(ARRAY[6, 5, 4, 1]) k, generate_series(1, CASE WHEN k = 1 THEN 2 ELSE 3 END) i;
SELECT pg_temp.add_row(m + i * interval '1 second') FROM m, generate_series(1, 2) i;
SELECT pg_temp.add_row(m + interval '2 months 1 day') FROM m;
SELECT pg_temp.add_row('2019-03-01 00:00:00+00');
SELECT pg_temp.add_row(m + interval '10 months') FROM m;
INSERT INTO teams_obs.notification_delivery_idempotency (tenant, idempotency_key, delivery_id, created_at)
SELECT '00000000-0000-4000-8000-0000000000a1'::uuid, 'old-' || i, gen_random_uuid(), now() - interval '200 days'
  FROM generate_series(1, 5) i
UNION ALL
SELECT '00000000-0000-4000-8000-0000000000a1', 'new-' || i, gen_random_uuid(), now() - interval '1 day'
  FROM generate_series(1, 3) i;

CREATE FUNCTION pg_temp.partition(p_months_back integer) RETURNS text LANGUAGE sql AS $$
    SELECT 'teams_obs.notification_deliveries_p' || to_char(m - p_months_back * interval '1 month', 'YYYY_MM') FROM m $$;
CREATE FUNCTION pg_temp.exists(p_name text) RETURNS boolean LANGUAGE sql AS $$ SELECT to_regclass(p_name) IS NOT NULL $$;

-- A cutoff exactly at the upper bound of m-5: that partition ends "at or before" it and goes.
CREATE TEMP TABLE r1 AS
SELECT * FROM teams_obs.cleanup_notification_deliveries(now() - (SELECT m - interval '4 months' FROM m));
SELECT results_eq($$SELECT kind, partitions, rows_removed FROM r1 ORDER BY kind$$,
                  $$VALUES ('default_rows_deleted', 0, 1::bigint), ('partitions_dropped', 2, 6), ('reservations_deleted', 0, 5)$$,
                  'the report: 2 partitions with 6 rows, 1 DEFAULT row, 5 reservations');
SELECT is((SELECT names FROM r1 WHERE kind = 'partitions_dropped'), ARRAY[pg_temp.partition(6), pg_temp.partition(5)],
          'it names the dropped partitions, oldest first');
SELECT is((SELECT DISTINCT cutoff FROM r1), (SELECT m - interval '4 months' FROM m), 'it reports the cutoff applied');
SELECT is((SELECT table_name FROM r1 WHERE kind = 'reservations_deleted'), 'teams_obs.notification_delivery_idempotency',
          'reservations are reported against the sidecar');
SELECT ok(NOT pg_temp.exists(pg_temp.partition(6)), 'm-6 is dropped');
SELECT ok(NOT pg_temp.exists(pg_temp.partition(5)), 'm-5 (ends exactly at the cutoff) is dropped');
SELECT ok(pg_temp.exists(pg_temp.partition(4)), 'm-4 (ends after the cutoff) stays');
SELECT is((SELECT count(*) FROM teams_obs.notification_deliveries_default), 1::bigint, 'the unexpired DEFAULT row stays');
SELECT is((SELECT array_agg(idempotency_key ORDER BY idempotency_key) FROM teams_obs.notification_delivery_idempotency),
          ARRAY['new-1', 'new-2', 'new-3'], 'unexpired reservations stay');
SELECT is((SELECT count(*) FROM teams_obs.notification_deliveries), 9::bigint, 'every other row is still there');

SELECT results_eq($$SELECT kind, partitions, rows_removed
                      FROM teams_obs.cleanup_notification_deliveries(now() - (SELECT m - interval '4 months' FROM m)) ORDER BY kind$$,
                  $$VALUES ('default_rows_deleted', 0, 0::bigint), ('partitions_dropped', 0, 0), ('reservations_deleted', 0, 0)$$,
                  'a second run removes nothing');

-- The shortest retention still never touches DEFAULT, the current or a future partition
CREATE TEMP TABLE r2 AS SELECT * FROM teams_obs.cleanup_notification_deliveries('1 microsecond');
SELECT is((SELECT names FROM r2 WHERE kind = 'partitions_dropped'), ARRAY[pg_temp.partition(4), pg_temp.partition(1)],
          'retention of 1 microsecond drops every partition before the current month');
SELECT ok(pg_temp.exists(pg_temp.partition(-k)), format('partition m+%s stays', k)) FROM generate_series(0, 3) k;
SELECT ok(pg_temp.exists('teams_obs.notification_deliveries_default'), 'the DEFAULT partition stays');
SELECT is((SELECT count(*) FROM teams_obs.notification_deliveries), 4::bigint,
          'the current month''s 2 rows, the row of m+2 and the future DEFAULT row stay');
SELECT is((SELECT count(*) FROM teams_obs.notification_delivery_idempotency), 0::bigint,
          'reservations made before now - 1 microsecond are gone');

-- The default retention is 90 days, and a row exactly at the cutoff has not expired (the cutoff is now() - 90
-- days, now() this transaction's start, so the row sits exactly on it).
INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id, idempotency_key, status, created_at)
SELECT '00000000-0000-4000-8000-0000000000a1', 'bot_dm', d, md5(d), 'sent', now() - a
  FROM (VALUES ('90 days 1 hour ago', interval '90 days 1 hour'), ('90 days ago', interval '90 days'),
               ('89 days 23 hours ago', interval '89 days 23 hours')) AS t(d, a);
SELECT is((SELECT rows_removed FROM teams_obs.cleanup_notification_deliveries() WHERE kind = 'default_rows_deleted'),
          1::bigint, 'without arguments, retention deletes a DEFAULT row of 90 days and 1 hour ago');
SELECT ok(EXISTS (SELECT 1 FROM teams_obs.notification_deliveries_default WHERE destination_id = '89 days 23 hours ago'),
          '... and keeps one of 89 days and 23 hours ago');
SELECT ok(EXISTS (SELECT 1 FROM teams_obs.notification_deliveries_default WHERE destination_id = '90 days ago'),
          '... and one exactly at the cutoff');

-- Bad input
SELECT throws_ok(format('SELECT * FROM teams_obs.cleanup_notification_deliveries(%s)', r), '22023',
                 format('retention: must be a positive interval, not %s', m), format('retention %s is refused', r))
  FROM (VALUES ('NULL', 'NULL'), ('''0''', '00:00:00'), ('''-1 day''', '-1 days')) AS t(r, m);
SELECT throws_ok($$SELECT * FROM teams_obs.cleanup_notification_deliveries('90 days', 0)$$, '22023',
                 'batch_size: must be a positive integer', 'batch size 0 is refused');
SELECT throws_ok($$SELECT * FROM teams_obs.cleanup_partitioned_table('teams_obs.notification_deliveries', now() + interval '1 day')$$,
                 '22023', 'cutoff: must be a finite time not after now()', 'a future cutoff is refused');
SELECT throws_ok($$SELECT * FROM teams_obs.cleanup_partitioned_table('teams_obs.notification_delivery_idempotency', now())$$,
                 '22023', 'parent: teams_obs.notification_delivery_idempotency is not a table of schema teams_obs partitioned by range on one timestamptz column',
                 'an unpartitioned table is refused');

-- Roles
SELECT ok(has_function_privilege('teams_obs_maintainer', 'teams_obs.cleanup_notification_deliveries(interval, integer)', 'execute'),
          'the maintainer may run retention');
SELECT ok(NOT has_function_privilege(r, 'teams_obs.cleanup_notification_deliveries(interval, integer)', 'execute'),
          r || ' may not run retention')
  FROM unnest(ARRAY['teams_obs_reader', 'teams_obs_writer', 'public']) AS r;
SET LOCAL ROLE teams_obs_maintainer;
SELECT is((SELECT count(*) FROM teams_obs.cleanup_notification_deliveries()), 3::bigint,
          'as teams_obs_maintainer, retention runs without any table privilege');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
