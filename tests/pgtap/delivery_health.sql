-- delivery_health: a tenant's deliveries per UTC day of [since, until) (partly covered days count only their
-- covered part, empty days give zeros), then one row (day NULL) for the whole window: counts by status and
-- error code, success_rate = delivered / (delivered + failed), p50/p95 of delivered_at - sent_at; the default
-- window is the last 7 days; a missing or unusable window is refused naming the field.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(24);
SET LOCAL TimeZone = 'UTC';

-- One delivery of p_tenant recorded at p_at; with p_latency, sent 1 minute before and delivered p_latency after.
CREATE FUNCTION pg_temp.add_row(p_tenant uuid, p_at timestamptz, p_status text, p_error_code text DEFAULT NULL,
                                p_latency interval DEFAULT NULL) RETURNS void LANGUAGE sql AS $$
    INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id, idempotency_key, status,
                                                   error_code, sent_at, delivered_at, created_at)
    VALUES (p_tenant, 'user_activity', 'u', md5(random()::text), p_status, p_error_code,
            CASE WHEN p_latency IS NOT NULL THEN p_at - interval '1 minute' END,
            p_at - interval '1 minute' + p_latency, p_at) $$;

-- The default window: the last 7 x 24 hours touch 8 UTC days (tenant c3 has nothing else).
SELECT pg_temp.add_row('00000000-0000-4000-8000-0000000000c3', now() - interval '1 minute', 'delivered');
SELECT is((SELECT count(*) FROM teams_obs.delivery_health('00000000-0000-4000-8000-0000000000c3')), 9::bigint,
          'without a window, the last 7 days give 8 day rows and the window row');
SELECT is((SELECT total FROM teams_obs.delivery_health('00000000-0000-4000-8000-0000000000c3') WHERE day IS NULL),
          1::bigint, 'the default window counts a delivery made a minute ago');

-- Tenant a1, window [2026-05-10, 2026-05-13). Day 0: 3 delivered (1, 2, 3 s), 1 failed, 2 skipped (one exactly
-- at since: inclusive); day 1: nothing; day 2: delivered (10 s), failed, sent. Rows that must not count: one
-- just before since, one at until (exclusive), one of tenant b2.
SELECT pg_temp.add_row('00000000-0000-4000-8000-0000000000a1', '2026-05-10 00:00:00+00'::timestamptz + h * interval '1 hour',
                       'delivered', NULL, h * interval '1 second')
  FROM generate_series(1, 3) h;
SELECT pg_temp.add_row('00000000-0000-4000-8000-0000000000a1', '2026-05-10 05:00:00+00', 'failed', 'graph_throttled');
SELECT pg_temp.add_row('00000000-0000-4000-8000-0000000000a1', '2026-05-10 00:00:00+00', 'skipped', 'user_not_mapped');
SELECT pg_temp.add_row('00000000-0000-4000-8000-0000000000a1', '2026-05-10 23:59:59.999999+00', 'skipped', 'user_not_mapped');
SELECT pg_temp.add_row('00000000-0000-4000-8000-0000000000a1', '2026-05-12 00:00:00+00', 'delivered', NULL, '10 seconds');
SELECT pg_temp.add_row('00000000-0000-4000-8000-0000000000a1', '2026-05-12 00:00:01+00', 'failed', 'transient');
SELECT pg_temp.add_row('00000000-0000-4000-8000-0000000000a1', '2026-05-12 00:00:02+00', 'sent');
SELECT pg_temp.add_row('00000000-0000-4000-8000-0000000000a1', '2026-05-09 23:59:59.999999+00', 'failed', 'unknown');
SELECT pg_temp.add_row('00000000-0000-4000-8000-0000000000a1', '2026-05-13 00:00:00+00', 'failed', 'unknown');
SELECT pg_temp.add_row('00000000-0000-4000-8000-0000000000b2', '2026-05-10 01:00:00+00', 'failed', 'unknown');

CREATE TEMP TABLE h AS
SELECT * FROM teams_obs.delivery_health('00000000-0000-4000-8000-0000000000a1', '2026-05-10 00:00:00+00', '2026-05-13 00:00:00+00');

SELECT is(ARRAY(SELECT day FROM h), ARRAY['2026-05-10', '2026-05-11', '2026-05-12', NULL]::date[],
          'one row per UTC day of the window, the empty day included, then the window row (day NULL)');
SELECT results_eq(
    $$SELECT * FROM h WHERE day = '2026-05-10'$$,
    $$VALUES ('2026-05-10'::date, 6::bigint, 2::bigint, 0::bigint, 3::bigint, 1::bigint,
              '{"graph_throttled": 1, "user_not_mapped": 2}'::jsonb, 0.7500::numeric, 3::bigint, interval '2 seconds', interval '2.9 seconds')$$,
    'day 0: 6 rows (2 skipped, 3 delivered, 1 failed), its error codes, success 3/4, p50 2 s and p95 2.9 s of 3 latencies');
SELECT results_eq(
    $$SELECT * FROM h WHERE day = '2026-05-11'$$,
    $$VALUES ('2026-05-11'::date, 0::bigint, 0::bigint, 0::bigint, 0::bigint, 0::bigint, '{}'::jsonb,
              NULL::numeric, 0::bigint, NULL::interval, NULL::interval)$$,
    'day 1 without deliveries: zero counts, no error codes, no success rate, no latencies');
SELECT results_eq(
    $$SELECT * FROM h WHERE day = '2026-05-12'$$,
    $$VALUES ('2026-05-12'::date, 3::bigint, 0::bigint, 1::bigint, 1::bigint, 1::bigint, '{"transient": 1}'::jsonb,
              0.5000::numeric, 1::bigint, interval '10 seconds', interval '10 seconds')$$,
    'day 2: sent counts apart and not in the rate (success 1/2), p50 = p95 = the one latency of 10 s');
SELECT results_eq(
    $$SELECT * FROM h WHERE day IS NULL$$,
    $$VALUES (NULL::date, 9::bigint, 2::bigint, 1::bigint, 4::bigint, 2::bigint,
              '{"graph_throttled": 1, "user_not_mapped": 2, "transient": 1}'::jsonb,
              0.6667::numeric, 4::bigint, interval '2.5 seconds', interval '8.95 seconds')$$,
    'the window row: 9 rows of tenant a1 in [since, until), all error codes, success 4/6 rounded to 0.6667, p50 2.5 s, p95 8.95 s');

SELECT results_eq(
    $$SELECT day, total FROM teams_obs.delivery_health('00000000-0000-4000-8000-0000000000a1',
                                                        '2026-05-10 02:00:00+00', '2026-05-11 01:00:00+00')$$,
    $$VALUES ('2026-05-10'::date, 4::bigint), ('2026-05-11', 0), (NULL, 4)$$,
    'a window cutting days counts only their covered part');

-- A delivery stamped delivered before it was sent (clock skew) is no latency sample.
SELECT pg_temp.add_row('00000000-0000-4000-8000-0000000000c4', '2026-05-10 01:00:00+00', 'delivered', NULL, '2 seconds');
SELECT pg_temp.add_row('00000000-0000-4000-8000-0000000000c4', '2026-05-10 02:00:00+00', 'delivered', NULL, '-5 seconds');
SELECT results_eq(
    $$SELECT delivered, latency_samples, latency_p50 FROM teams_obs.delivery_health('00000000-0000-4000-8000-0000000000c4',
          '2026-05-10 00:00:00+00', '2026-05-11 00:00:00+00') WHERE day IS NULL$$,
    $$VALUES (2::bigint, 1::bigint, interval '2 seconds')$$,
    'a negative latency (delivered before sent) counts as a delivery, not as a latency sample');

-- Bad windows, refused naming the field
SELECT throws_ok(format('SELECT * FROM teams_obs.delivery_health(%s, %s::timestamptz, %s::timestamptz)', t, s, u), '22023', m,
                 'refused: ' || why)
  FROM (VALUES
    ('NULL', '''2026-05-10 00:00:00+00''', '''2026-05-11 00:00:00+00''', 'tenant: required', 'no tenant'),
    ('''00000000-0000-4000-8000-0000000000a1''', 'NULL', '''2026-05-11 00:00:00+00''',
     'since: must be a time from 0001-01-02 until 9999-12-31 (UTC), not NULL', 'since NULL'),
    ('''00000000-0000-4000-8000-0000000000a1''', '''2026-05-10 00:00:00+00''', 'NULL',
     'until: must be a time from 0001-01-02 until 9999-12-31 (UTC), not NULL', 'until NULL'),
    ('''00000000-0000-4000-8000-0000000000a1''', '''-infinity''', '''2026-05-10 00:00:00+00''',
     'since: must be a time from 0001-01-02 until 9999-12-31 (UTC), not -infinity', 'since -infinity'),
    ('''00000000-0000-4000-8000-0000000000a1''', '''2026-05-10 00:00:00+00''', '''infinity''',
     'until: must be a time from 0001-01-02 until 9999-12-31 (UTC), not infinity', 'until infinity'),
    ('''00000000-0000-4000-8000-0000000000a1''', '''0001-12-31 23:00:00+00 BC''', '''0001-01-02 00:00:00+00''',
     'since: must be a time from 0001-01-02 until 9999-12-31 (UTC), not 0001-12-31 23:00:00 BC', 'since before the year 1'),
    ('''00000000-0000-4000-8000-0000000000a1''', '''0001-01-01 23:59:59.999999+00''', '''0001-01-02 00:00:00+00''',
     'since: must be a time from 0001-01-02 until 9999-12-31 (UTC), not 0001-01-01 23:59:59.999999',
     'since a microsecond before the first time allowed'),
    ('''00000000-0000-4000-8000-0000000000a1''', '''9999-12-30 00:00:00+00''', '''9999-12-31 00:00:00+00''',
     'until: must be a time from 0001-01-02 until 9999-12-31 (UTC), not 9999-12-31 00:00:00', 'until 9999-12-31'),
    ('''00000000-0000-4000-8000-0000000000a1''', '''2026-05-10 00:00:00+00''', '''2026-05-10 00:00:00+00''',
     'since: must be before until (since 2026-05-10 00:00:00+00, until 2026-05-10 00:00:00+00)', 'an empty window'),
    ('''00000000-0000-4000-8000-0000000000a1''', '''2026-05-11 00:00:00+00''', '''2026-05-10 00:00:00+00''',
     'since: must be before until (since 2026-05-11 00:00:00+00, until 2026-05-10 00:00:00+00)', 'since after until'),
    ('''00000000-0000-4000-8000-0000000000a1''', '''2026-05-10 00:00:00+00''', '''2028-05-11 00:00:00+00''',
     'until: the window may span at most 731 days, not 732 days', 'a window of 732 days')
  ) AS bad(t, s, u, m, why);

-- Delivered in the instant it was sent (clocks of that resolution): a latency of 0, not clock skew.
SELECT pg_temp.add_row('00000000-0000-4000-8000-0000000000d4', '2026-05-10 12:00:00+00', 'delivered', NULL, '0');
SELECT results_eq($$SELECT latency_samples, latency_p50 FROM teams_obs.delivery_health(
                        '00000000-0000-4000-8000-0000000000d4', '2026-05-10', '2026-05-11') WHERE day IS NULL$$,
                  $$VALUES (1::bigint, interval '0')$$,
                  'delivered_at = sent_at is a latency sample of 0');

-- Times the recorders refuse but the owner can write (or rows stored before they refused them): an infinity
-- cannot be subtracted, and times 293,000 years apart overflow the interval into a negative one. Such a row
-- counts by its status but gives no latency sample.
INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id, idempotency_key, status,
                                               sent_at, delivered_at, created_at)
SELECT '00000000-0000-4000-8000-0000000000e5', 'user_activity', 'u', md5(random()::text), 'delivered', v.sent,
       v.delivered, '2026-05-10 12:00:00+00'
  FROM (VALUES ('2026-05-10 11:00:00+00'::timestamptz, 'infinity'::timestamptz),
               ('-infinity', '2026-05-10 11:00:00+00'),
               ('-infinity', 'infinity'),
               ('1000-01-01 00:00:00+00', '294276-12-31 00:00:00+00'),
               ('0001-12-31 00:00:00+00 BC', '2026-05-10 11:00:00+00'),
               ('0001-01-01 23:59:59.999999+00', '2026-05-10 11:00:00+00'),
               ('2026-05-10 11:00:00+00', '9999-12-31 00:00:00+00'),
               ('2026-05-10 11:00:00+00', '2026-05-10 11:00:03+00')) AS v(sent, delivered);
SELECT results_eq($$SELECT day, delivered, latency_samples, latency_p50, latency_p95 FROM teams_obs.delivery_health(
                        '00000000-0000-4000-8000-0000000000e5', '2026-05-10', '2026-05-11')$$,
                  $$VALUES ('2026-05-10'::date, 8::bigint, 1::bigint, interval '3 seconds', interval '3 seconds'),
                           (NULL, 8, 1, interval '3 seconds', interval '3 seconds')$$,
                  'a pair with a time the recorders refuse is no latency sample, and no error');
-- ... while the first and last times they accept make one, and a window at either end is allowed.
SELECT lives_ok($$SELECT teams_obs.record_delivery('00000000-0000-4000-8000-0000000000e6', 'chat', 'edges', 'delivered',
                      p_sent_at => '0001-01-02 00:00:00+00', p_delivered_at => '9999-12-30 23:59:59.999999+00')$$,
                'the recorder accepts the first and last times allowed');
SELECT results_eq($$SELECT day, delivered, latency_samples, latency_p50 FROM teams_obs.delivery_health(
                        '00000000-0000-4000-8000-0000000000e6', now() - interval '1 day', now() + interval '1 day')
                     WHERE day IS NULL
                    UNION ALL
                    SELECT day, delivered, latency_samples, latency_p50 FROM teams_obs.delivery_health(
                        '00000000-0000-4000-8000-0000000000e6', '0001-01-02 00:00:00+00', '0001-01-03 00:00:00+00')
                    UNION ALL
                    SELECT day, delivered, latency_samples, latency_p50 FROM teams_obs.delivery_health(
                        '00000000-0000-4000-8000-0000000000e6', '9999-12-30 00:00:00+00', '9999-12-30 23:59:59.999999+00')$$,
                  $$VALUES (NULL::date, 1::bigint, 1::bigint,
                            '9999-12-30 23:59:59.999999+00'::timestamptz - '0001-01-02 00:00:00+00'),
                           ('0001-01-02', 0, 0, NULL), (NULL, 0, 0, NULL), ('9999-12-30', 0, 0, NULL), (NULL, 0, 0, NULL)$$,
                  '... a latency sample, and windows that begin at the first and end at the last are no error');

SELECT * FROM finish();
ROLLBACK;
