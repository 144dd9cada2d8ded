-- Partition upkeep (change partition_maintenance): attach_month_partition creates a month's partition and
-- moves its rows out of DEFAULT with the owner's rights, for teams_obs_maintainer alone; it refuses what is
-- not a month of a month-partitioned table of the schema; default_partition_months counts what waits.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(32);
SET LOCAL TimeZone = 'America/New_York';  -- months are UTC months whatever the session's zone

SELECT is(ARRAY(SELECT parent FROM teams_obs.month_partitioned_tables()),
          ARRAY['teams_obs.audit_events', 'teams_obs.notification_deliveries'],
          'the month-partitioned tables are audit_events and notification_deliveries');
SELECT is((teams_obs.month_partitioned_table_of('teams_obs.notification_deliveries')).default_partition,
          'teams_obs.notification_deliveries_default', 'the DEFAULT partition is found');

-- This month and the next 3 exist after a deploy (change initial_partitions; maintain keeps them ahead).
SELECT is((SELECT count(*)::integer FROM teams_obs.partition_bounds('teams_obs.notification_deliveries') b
            WHERE b.lower_bound >= date_trunc('month', now(), 'UTC')
              AND b.lower_bound <= date_trunc('month', now(), 'UTC') + interval '3 months' + interval '1 day'),
          4, 'this month and the next 3 have partitions after the deploy');

-- Rows of a month 14 months ahead wait in DEFAULT.
CREATE TEMP TABLE far AS
SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '14 months') AT TIME ZONE 'UTC' AS m;
INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id, idempotency_key, status,
                                               created_at)
SELECT '00000000-0000-4000-8000-0000000000b1', 'bot_dm', 'x' || i, md5(i::text), 'sent', m + i * interval '1 hour'
  FROM far, generate_series(1, 3) i;
SELECT is((SELECT row_count FROM teams_obs.default_partition_months('teams_obs.notification_deliveries'), far
            WHERE month_start = m), 3::bigint, 'default_partition_months counts the month''s rows in DEFAULT');
SELECT is((SELECT (default_rows, overlapping)::text FROM teams_obs.missing_month_partitions('teams_obs.notification_deliveries', 3), far
            WHERE month_start = m), '(3,{})', 'missing_month_partitions lists the month, with its rows in DEFAULT');
SELECT is(ARRAY(SELECT month_start FROM teams_obs.missing_month_partitions('teams_obs.notification_deliveries', 5)),
          ARRAY[(date_trunc('month', now() AT TIME ZONE 'UTC') + interval '4 months') AT TIME ZONE 'UTC',
                (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '5 months') AT TIME ZONE 'UTC', m],
          'and the months ahead that have no partition, oldest first') FROM far;
SELECT is(teams_obs.month_partition_name('teams_obs.notification_deliveries', m),
          'teams_obs.notification_deliveries_p' || to_char(m AT TIME ZONE 'UTC', 'YYYY_MM'),
          'the partition is named after the UTC month') FROM far;

SELECT is(teams_obs.attach_month_partition('teams_obs.notification_deliveries', m), 3::bigint,
          'attach_month_partition moves the month''s 3 rows') FROM far;
SELECT is((SELECT count(*)::integer FROM teams_obs.notification_deliveries_default), 0, 'DEFAULT is empty');
SELECT is((SELECT count(*)::integer FROM teams_obs.notification_deliveries
            WHERE tenant = '00000000-0000-4000-8000-0000000000b1'), 3, 'no row lost');
SELECT is((SELECT b.upper_bound FROM teams_obs.partition_bounds('teams_obs.notification_deliveries') b
            WHERE b.lower_bound = far.m),
          (date_trunc('month', m AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC',
          'the partition ends where the next UTC month starts') FROM far;
SELECT is((SELECT relrowsecurity FROM pg_class WHERE oid = to_regclass(teams_obs.month_partition_name(
              'teams_obs.notification_deliveries', m))), true, 'row level security is enabled on it') FROM far;
SELECT is((SELECT count(*)::integer FROM pg_constraint WHERE conname = 'teams_obs_maintain_bounds'), 0,
          'the bounds CHECK is dropped after ATTACH');
SELECT is(teams_obs.attach_month_partition('teams_obs.notification_deliveries', m), NULL::bigint,
          'a second call finds the month made and does nothing') FROM far;

-- A past month is made only for rows waiting in DEFAULT: retention may have deleted them while maintain
-- waited for the lock, and an empty expired month would only be dropped again.
CREATE TEMP TABLE past AS
SELECT (date_trunc('month', now() AT TIME ZONE 'UTC') - interval '5 months') AT TIME ZONE 'UTC' AS m;
INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id, idempotency_key, status,
                                               created_at)
SELECT '00000000-0000-4000-8000-0000000000b2', 'bot_dm', 'gone', 'k-gone', 'sent', m + interval '1 day' FROM past;
DELETE FROM teams_obs.notification_deliveries_default WHERE tenant = '00000000-0000-4000-8000-0000000000b2';
SELECT is(teams_obs.attach_month_partition('teams_obs.notification_deliveries', m), NULL::bigint,
          'a past month whose rows left DEFAULT is not made') FROM past;
SELECT is((SELECT count(*)::integer FROM teams_obs.partition_bounds('teams_obs.notification_deliveries') b, past
            WHERE b.lower_bound = past.m), 0, 'no partition of it exists') FROM past;

-- Refusals name the argument (22023).
SELECT throws_ok($$SELECT teams_obs.attach_month_partition('teams_obs.conversation_references', '2030-01-01 00:00+00')$$,
                 '22023', 'parent: teams_obs.conversation_references is not a table of schema teams_obs partitioned by range on one timestamptz column',
                 'a table that is not month-partitioned is refused');
SELECT throws_ok($$SELECT teams_obs.attach_month_partition('teams_obs.notification_deliveries', '2030-01-15 00:00+00')$$,
                 '22023', 'month_start: must be the first instant of a UTC month, got 2030-01-15 00:00:00+00',
                 'an instant inside a month is refused');
SELECT throws_ok($$SELECT teams_obs.attach_month_partition('teams_obs.notification_deliveries', NULL)$$,
                 '22023', 'month_start: must be the first instant of a UTC month, got NULL', 'NULL is refused');
SELECT throws_ok($$SELECT * FROM teams_obs.missing_month_partitions('teams_obs.audit_events', -1)$$,
                 '22023', 'months_ahead: must be between 0 and 120, got -1', 'a negative months_ahead is refused');
SELECT throws_ok($$SELECT * FROM teams_obs.missing_month_partitions('teams_obs.audit_events', 121)$$,
                 '22023', 'months_ahead: must be between 0 and 120, got 121', 'more than ten years ahead is refused');
SELECT is((SELECT count(*)::int FROM teams_obs.missing_month_partitions('teams_obs.audit_events', 120)
            WHERE month_start = (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '120 months') AT TIME ZONE 'UTC'),
          1, 'ten years ahead is the last month accepted');
SELECT throws_ok($$CALL teams_obs.maintain_partitions(3, NULL)$$,
                 '22023', 'lock_timeout: must be at least 1ms (0 waits for locks without end), got NULL',
                 'a NULL lock_timeout is refused, and shown');
SELECT throws_ok($$SELECT * FROM teams_obs.default_partition_months(NULL)$$,
                 '22023', 'parent: NULL is not a table of schema teams_obs partitioned by range on one timestamptz column',
                 'default_partition_months refuses NULL');

-- Privileges: the maintainer alone; the functions that act as the owner pin search_path.
SELECT ok(has_function_privilege('teams_obs_maintainer', 'teams_obs.attach_month_partition(regclass, timestamptz)', 'execute'),
          'the maintainer may attach a month');
SELECT ok(NOT has_function_privilege('teams_obs_writer', 'teams_obs.attach_month_partition(regclass, timestamptz)', 'execute'),
          'the writer may not');
SELECT ok(has_function_privilege('teams_obs_maintainer', 'teams_obs.maintain_partitions(integer, text, integer)', 'execute')
          AND NOT has_function_privilege('teams_obs_reader', 'teams_obs.maintain_partitions(integer, text, integer)', 'execute'),
          'the maintainer, and not the reader, may CALL maintain_partitions');
SELECT ok(NOT has_function_privilege('teams_obs_reader', 'teams_obs.default_partition_months(regclass)', 'execute'),
          'the reader may not count DEFAULT rows');
SELECT is_definer('teams_obs', 'attach_month_partition', ARRAY['regclass', 'timestamp with time zone'],
                  'attach_month_partition runs as the owner');
SELECT is_definer('teams_obs', 'default_partition_months', ARRAY['regclass'], 'default_partition_months runs as the owner');
SELECT is((SELECT proconfig FROM pg_proc WHERE oid = 'teams_obs.attach_month_partition(regclass, timestamptz)'::regprocedure),
          ARRAY['search_path=pg_catalog, pg_temp', 'TimeZone=UTC'],
          'attach_month_partition pins search_path and TimeZone');

-- As the maintainer, inside this transaction.
SET LOCAL ROLE teams_obs_maintainer;
SELECT is(teams_obs.attach_month_partition(
              'teams_obs.audit_events', (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '14 months') AT TIME ZONE 'UTC'),
          0::bigint, 'as teams_obs_maintainer, a month of audit_events is attached without any table privilege');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
