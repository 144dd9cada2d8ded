-- maintenance_status: one row per partitioned table of the schema: its monthly partitions and the oldest, the
-- unbroken run of partitions from the current UTC month (covered_until, months_ahead), the rows waiting in
-- DEFAULT, and the idempotency sidecar with the planner's estimate of its size.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(10);
SET LOCAL TimeZone = 'UTC';

-- m = the current UTC month. What `teams-obs maintain` does, in SQL: attach every month
-- missing_month_partitions lists (this one, the next 3, and those with rows in DEFAULT).
CREATE TEMP TABLE m AS SELECT date_trunc('month', now(), 'UTC') AS m;
CREATE FUNCTION pg_temp.maintain() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM teams_obs.attach_month_partition(t.parent_oid::regclass, n.month_start)
       FROM teams_obs.month_partitioned_tables() AS t,
            teams_obs.missing_month_partitions(t.parent_oid::regclass, 3) AS n
      ORDER BY t.parent, n.month_start;
END $$;
CREATE FUNCTION pg_temp.month(p_months_from_now integer) RETURNS timestamptz LANGUAGE sql AS $$
    SELECT m + p_months_from_now * interval '1 month' FROM m $$;
CREATE FUNCTION pg_temp.drop_partition_at(p_table regclass, p_lower timestamptz) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DROP TABLE %s', (SELECT partition_name FROM teams_obs.partition_bounds(p_table) WHERE lower_bound = p_lower));
END $$;
CREATE FUNCTION pg_temp.add_row(p_at timestamptz) RETURNS void LANGUAGE sql AS $$
    INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id, idempotency_key, status, created_at)
    VALUES ('00000000-0000-4000-8000-0000000000a1', 'user_activity', 'u', md5(random()::text), 'sent', p_at) $$;

-- After maintenance
SELECT pg_temp.maintain();
SELECT is(ARRAY(SELECT table_name FROM teams_obs.maintenance_status() ORDER BY table_name),
          ARRAY['teams_obs.audit_events', 'teams_obs.notification_deliveries'],
          'one row for each partitioned table of the schema, and only those');
SELECT results_eq(
    $$SELECT table_name, partitions, months_ahead, covered_until, default_rows, oldest_partition_start, default_partition
        FROM teams_obs.maintenance_status() ORDER BY table_name$$,
    $$SELECT t, 4, 3, pg_temp.month(4), 0::bigint, pg_temp.month(0), t || '_default'
        FROM unnest(ARRAY['teams_obs.audit_events', 'teams_obs.notification_deliveries']) AS t$$,
    'after maintenance, each table has 4 partitions from this month on, covers 3 months ahead and has nothing in DEFAULT');
SELECT results_eq(
    $$SELECT table_name, sidecar_table FROM teams_obs.maintenance_status() ORDER BY table_name$$,
    $$VALUES ('teams_obs.audit_events', NULL), ('teams_obs.notification_deliveries', 'teams_obs.notification_delivery_idempotency')$$,
    'notification_deliveries has the idempotency sidecar, audit_events none');

-- The sidecar's size is the planner's estimate, current after ANALYZE. ANALYZE writes pg_class.reltuples in
-- place, which ROLLBACK does not undo unless that pg_class row is itself new in this transaction: TRUNCATE
-- (of the empty sidecar) makes it new, so no estimate outlives this file (pg_prove runs every file in one database).
TRUNCATE teams_obs.notification_delivery_idempotency;
SELECT teams_obs.record_delivery('00000000-0000-4000-8000-0000000000a1', 'bot_dm', 'u' || n, 'delivered')
  FROM generate_series(0, 2) n;
ANALYZE teams_obs.notification_delivery_idempotency;
SELECT is((SELECT sidecar_rows FROM teams_obs.maintenance_status() WHERE table_name = 'teams_obs.notification_deliveries'),
          3::bigint, 'sidecar_rows is the planner''s estimate: 3 reservations after ANALYZE');

-- Rows in DEFAULT, a gap ahead and an old partition: a row of m-10 gets its month by maintenance; a row of
-- m+30 waits in DEFAULT; m+2 is dropped, so the run from this month ends at m+2.
SELECT pg_temp.add_row(pg_temp.month(-10));
SELECT pg_temp.maintain();
SELECT pg_temp.add_row(pg_temp.month(30));
SELECT pg_temp.drop_partition_at('teams_obs.notification_deliveries', pg_temp.month(2));
CREATE TEMP TABLE s1 AS SELECT * FROM teams_obs.maintenance_status() WHERE table_name = 'teams_obs.notification_deliveries';
SELECT results_eq($$SELECT default_rows, months_ahead, covered_until FROM s1$$,
                  $$SELECT 1::bigint, 1, pg_temp.month(2)$$,
                  'the row in DEFAULT is counted, and a gap at m+2 ends the run: 1 month ahead, covered until m+2');
SELECT results_eq($$SELECT oldest_partition, oldest_partition_start FROM s1$$,
                  $$SELECT 'teams_obs.notification_deliveries_p' || to_char(pg_temp.month(-10), 'YYYY_MM'), pg_temp.month(-10)$$,
                  'the oldest partition is that of m-10, named and with its start');
SELECT is((SELECT partitions FROM s1), 4, 'partitions counts m-10, m, m+1 and m+3, not DEFAULT');

SELECT pg_temp.drop_partition_at('teams_obs.notification_deliveries', pg_temp.month(0));
SELECT results_eq($$SELECT months_ahead, covered_until FROM teams_obs.maintenance_status()
                     WHERE table_name = 'teams_obs.notification_deliveries'$$,
                  $$VALUES (0, NULL::timestamptz)$$,
                  'without a partition for this month: 0 months ahead and covered_until NULL');

-- A run of more than a year ahead: months_ahead counts the years too.
SELECT teams_obs.attach_month_partition('teams_obs.notification_deliveries', pg_temp.month(n))
  FROM generate_series(0, 13) AS n;
SELECT results_eq($$SELECT months_ahead, covered_until FROM teams_obs.maintenance_status()
                     WHERE table_name = 'teams_obs.notification_deliveries'$$,
                  $$SELECT 13, pg_temp.month(14)$$,
                  'partitions from this month to m+13: 13 months ahead, covered until m+14');

-- A partition that starts exactly at now() holds now(): audit_events' month m, untouched so far, split at
-- now() into [m, now()) (none when now() is m itself) and [now(), m+1) covers as much as the whole month did.
SELECT pg_temp.drop_partition_at('teams_obs.audit_events', pg_temp.month(0));
DO $$
BEGIN
    IF now() > pg_temp.month(0) THEN
        EXECUTE format('CREATE TABLE teams_obs.audit_events_before_now PARTITION OF teams_obs.audit_events FOR VALUES FROM (%L) TO (%L)',
                       pg_temp.month(0), now());
    END IF;
    EXECUTE format('CREATE TABLE teams_obs.audit_events_from_now PARTITION OF teams_obs.audit_events FOR VALUES FROM (%L) TO (%L)',
                   now(), pg_temp.month(1));
END $$;
SELECT results_eq($$SELECT months_ahead, covered_until FROM teams_obs.maintenance_status()
                     WHERE table_name = 'teams_obs.audit_events'$$,
                  $$SELECT 3, pg_temp.month(4)$$,
                  'a partition starting at now() holds now(): still 3 months ahead, covered until m+4');

SELECT * FROM finish();
ROLLBACK;
