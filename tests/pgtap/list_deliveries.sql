-- list_deliveries (SPEC §8): keyset pages that return every row exactly once in order, also across
-- many rows sharing one microsecond; exact filters; 22023 for bad input; limit clamping; roles.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(53);

-- Tenant a: 25 rows sharing one microsecond (t1), 10 rows 1..10 us before it, 10 rows 1..10 us after,
-- 10 rows minutes apart, 5 rows from 2019 (they sit in the DEFAULT partition). Tenant b: 10 rows at t1.
-- Tenant c: 250 rows. Statuses, categories, destinations, error codes and notification ids cycle.
CREATE TEMP TABLE t1 AS SELECT date_trunc('second', now()) - interval '1 hour' + interval '0.123456 s' AS at;
INSERT INTO teams_obs.notification_deliveries
    (tenant, delivery_id, internal_notification_id, category, destination_type, destination_id, attempt_number,
     idempotency_key, status, error_code, created_at)
SELECT r.tenant, md5(r.tenant::text || r.n)::uuid,
       CASE WHEN r.n % 5 = 0 THEN '00000000-0000-4000-8000-00000000000e'::uuid END,
       (ARRAY['assignment', 'escalation', NULL])[r.n % 3 + 1],
       (ARRAY['user_activity', 'bot_dm', 'channel'])[r.n % 3 + 1], 'dest-' || r.n, 1, md5('key' || r.tenant || r.n),
       (ARRAY['skipped', 'sent', 'delivered', 'failed'])[r.n % 4 + 1],
       CASE WHEN r.n % 4 = 3 THEN (ARRAY['graph_throttled', 'transient'])[r.n % 2 + 1] END,
       r.at
  FROM (SELECT '00000000-0000-4000-8000-0000000000a1'::uuid AS tenant, n,
               CASE WHEN n <= 25 THEN t1.at
                    WHEN n <= 35 THEN t1.at - (n - 25) * interval '1 microsecond'
                    WHEN n <= 45 THEN t1.at + (n - 35) * interval '1 microsecond'
                    WHEN n <= 55 THEN t1.at - (n - 45) * interval '7 minutes'
                    ELSE timestamptz '2019-05-01 00:00:00+00' + n * interval '1 microsecond' END AS at
          FROM generate_series(1, 60) n, t1
        UNION ALL
        SELECT '00000000-0000-4000-8000-0000000000b2', n, t1.at FROM generate_series(1, 10) n, t1
        UNION ALL
        SELECT '00000000-0000-4000-8000-0000000000c3', n, t1.at - n * interval '1 second'
          FROM generate_series(1, 250) n, t1) r;

CREATE FUNCTION pg_temp.expected(p_tenant uuid) RETURNS SETOF uuid LANGUAGE sql AS $$
    SELECT delivery_id FROM teams_obs.notification_deliveries WHERE tenant = p_tenant
     ORDER BY created_at DESC, delivery_id DESC $$;

-- Follows next_cursor from the first page to the last, as a client does.
CREATE FUNCTION pg_temp.walk(p_tenant uuid, p_limit integer, p_status text DEFAULT NULL)
RETURNS TABLE (page integer, pos integer, id uuid, has_cursor boolean)
LANGUAGE plpgsql AS $$
DECLARE
    v_cursor text;
    v_next text;
    v_row record;
BEGIN
    page := 0;
    LOOP
        page := page + 1;
        pos := 0;
        v_next := NULL;
        FOR v_row IN SELECT * FROM teams_obs.list_deliveries(p_tenant, p_status => p_status, p_limit => p_limit,
                                                               p_cursor => v_cursor) LOOP
            pos := pos + 1;
            id := v_row.delivery_id;
            has_cursor := v_row.next_cursor IS NOT NULL;
            v_next := coalesce(v_row.next_cursor, v_next);
            RETURN NEXT;
        END LOOP;
        EXIT WHEN v_next IS NULL OR page > 1000;
        v_cursor := v_next;
    END LOOP;
END $$;

-- Every row exactly once, in order, whatever the page size
SELECT results_eq(format('SELECT id FROM pg_temp.walk(%L, %s) ORDER BY page, pos', '00000000-0000-4000-8000-0000000000a1', n),
                  $$SELECT pg_temp.expected('00000000-0000-4000-8000-0000000000a1')$$,
                  format('walking pages of %s returns all 60 rows of tenant a once, in order', n))
  FROM unnest(ARRAY[1, 2, 7, 24, 25, 30, 59, 60, 200]) AS n;
SELECT results_eq($$SELECT id FROM pg_temp.walk('00000000-0000-4000-8000-0000000000c3', 200) ORDER BY page, pos$$,
                  $$SELECT pg_temp.expected('00000000-0000-4000-8000-0000000000c3')$$,
                  'walking tenant c (250 rows) in pages of 200 returns every row once, in order');
SELECT results_eq($$SELECT id FROM pg_temp.walk('00000000-0000-4000-8000-0000000000a1', 3, 'failed') ORDER BY page, pos$$,
                  $$SELECT delivery_id FROM teams_obs.notification_deliveries
                     WHERE tenant = '00000000-0000-4000-8000-0000000000a1' AND status = 'failed'
                     ORDER BY created_at DESC, delivery_id DESC$$,
                  'a filtered walk returns every matching row once, in order');
SELECT results_eq($$SELECT id FROM pg_temp.walk('00000000-0000-4000-8000-0000000000b2', 3) ORDER BY page, pos$$,
                  $$SELECT pg_temp.expected('00000000-0000-4000-8000-0000000000b2')$$,
                  'tenant b sees only its own 10 rows, although they share their instant with tenant a');
-- Tenant d: rows only the owner can write, at +-infinity (they sit in DEFAULT), beside ordinary ones; a
-- page may end on any of them.
INSERT INTO teams_obs.notification_deliveries
    (tenant, delivery_id, category, destination_type, destination_id, attempt_number, idempotency_key, status,
     created_at)
SELECT '00000000-0000-4000-8000-0000000000d4', md5('d' || n)::uuid, 'assignment', 'bot_dm', 'dest', 1, md5('kd' || n),
       'sent', (ARRAY['infinity', '-infinity', '2026-01-01 00:00:00+00'])[n % 3 + 1]::timestamptz
  FROM generate_series(1, 9) n;
SELECT results_eq($$SELECT id FROM pg_temp.walk('00000000-0000-4000-8000-0000000000d4', 2) ORDER BY page, pos$$,
                  $$SELECT pg_temp.expected('00000000-0000-4000-8000-0000000000d4')$$,
                  'walking rows at infinity and -infinity in pages of 2 returns every row once, in order');

-- next_cursor: on the last row of a page that has a successor, nowhere else
SELECT results_eq($$SELECT max(page), count(*) FILTER (WHERE has_cursor), bool_and(NOT has_cursor OR pos = 7)
                      FROM pg_temp.walk('00000000-0000-4000-8000-0000000000a1', 7)$$,
                  $$VALUES (9, 8::bigint, true)$$, '60 rows in pages of 7: 9 pages, a cursor on the 7th row of the first 8');
SELECT results_eq($$SELECT max(page), count(*) FILTER (WHERE has_cursor) FROM pg_temp.walk('00000000-0000-4000-8000-0000000000a1', 30)$$,
                  $$VALUES (2, 1::bigint)$$, 'pages of 30 over 60 rows: the full last page has no cursor');
SELECT is((SELECT count(next_cursor) FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000a1', p_limit => 60)),
          0::bigint, 'a page holding all rows has no cursor');

-- Columns: every delivery column, then next_cursor
SELECT is((SELECT to_jsonb(l) - 'next_cursor' FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000a1', p_limit => 1) l),
          (SELECT to_jsonb(d) FROM teams_obs.notification_deliveries d WHERE tenant = '00000000-0000-4000-8000-0000000000a1'
            ORDER BY created_at DESC, delivery_id DESC LIMIT 1),
          'a row carries every column of the stored delivery');

-- Filters are exact: rows listed with one filter (parameter => value) against rows stored with that value
CREATE FUNCTION pg_temp.listed(p_parameter text, p_value text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_count bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM teams_obs.list_deliveries(%L, p_limit => 200, %s => %L)',
                   '00000000-0000-4000-8000-0000000000a1', p_parameter, p_value) INTO v_count;
    RETURN v_count;
END $$;
SELECT is(pg_temp.listed(p, v),
          (SELECT count(*) FROM teams_obs.notification_deliveries d
            WHERE d.tenant = '00000000-0000-4000-8000-0000000000a1' AND to_jsonb(d) ->> c = btrim(v, E' \t')),
          format('%s => %L lists exactly the rows whose %s is %s', p, v, c, btrim(v, E' \t')))
  FROM (VALUES ('p_status', 'delivered', 'status'),
               ('p_status', E' delivered\t', 'status'),
               ('p_category', 'escalation', 'category'),
               ('p_destination_type', 'channel', 'destination_type'),
               ('p_error_code', 'transient', 'error_code')) AS t(p, v, c);
SELECT is((SELECT count(*) FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000a1', p_limit => 200,
                                                          p_internal_notification_id => '00000000-0000-4000-8000-00000000000e')),
          12::bigint, 'internal_notification_id filter');
SELECT is((SELECT count(*) FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000a1', p_limit => 200,
                                                          p_status => 'failed', p_destination_type => 'bot_dm',
                                                          p_error_code => 'graph_throttled')),
          (SELECT count(*) FROM teams_obs.notification_deliveries WHERE tenant = '00000000-0000-4000-8000-0000000000a1'
              AND status = 'failed' AND destination_type = 'bot_dm' AND error_code = 'graph_throttled'),
          'filters combine with AND');
SELECT is((SELECT count(*) FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000a1', p_limit => 200,
                                                          p_since => (SELECT at FROM t1))),
          35::bigint, 'since is inclusive: the 25 rows at t1 and the 10 after it');
SELECT is((SELECT count(*) FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000a1', p_limit => 200,
                                                          p_until => (SELECT at FROM t1))),
          25::bigint, 'until is exclusive: the 10 rows just before t1, the 10 minutes apart and the 5 from 2019');
SELECT is((SELECT count(*) FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000a1', p_limit => 200,
                                                          p_since => (SELECT at FROM t1), p_until => (SELECT at FROM t1))),
          0::bigint, 'since = until is an empty range');
SELECT is((SELECT count(*) FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000a1', p_limit => 200,
                                                          p_since => '2019-01-01', p_until => '2020-01-01')),
          5::bigint, 'rows in the DEFAULT partition are listed too');

-- Bad input: 22023 naming the parameter, never an unfiltered answer
SELECT throws_ok(format($$SELECT * FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000a1', %s => %L)$$, p, v),
                 '22023', m, format('%s => %L is refused', p, v))
  FROM (VALUES ('p_status', 'bogus', 'status: invalid value "bogus"; expected one of skipped, sent, delivered, failed'),
               ('p_status', '', 'status: invalid value ""; expected one of skipped, sent, delivered, failed'),
               ('p_status', 'Failed', 'status: invalid value "Failed"; expected one of skipped, sent, delivered, failed'),
               ('p_destination_type', 'teams', 'destination_type: invalid value "teams"; expected one of user_activity, bot_dm, chat, channel, bot_test'),
               ('p_error_code', 'graph_throttle', 'error_code: invalid value "graph_throttle"; expected one of graph_throttled, graph_unauthorized, graph_not_found, graph_server_error, user_not_mapped, addon_inactive, integration_inactive, package_misconfigured, transient, unknown'),
               ('p_category', '   ', 'category: must not be blank (pass NULL for no filter)'),
               ('p_cursor', 'garbage!', 'cursor: malformed (not a cursor returned by this list; pass next_cursor unchanged)')
       ) AS t(p, v, m);
SELECT throws_ok($$SELECT * FROM teams_obs.list_deliveries(NULL)$$, '22023', 'tenant: required', 'a NULL tenant is refused');
SELECT throws_ok($$SELECT * FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000a1',
                                                           p_since => '2026-02-01 00:00:00+00', p_until => '2026-01-01 00:00:00+00')$$,
                 '22023', NULL, 'since after until is refused');
SELECT throws_like($$SELECT * FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000a1',
                                                             p_since => '2026-02-01 00:00:00+00', p_until => '2026-01-01 00:00:00+00')$$,
                   'since: % is after until (%)', 'the message names since and until');
SELECT throws_ok(format($$SELECT * FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000a1', p_cursor => %L)$$,
                        (SELECT next_cursor FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000b2', p_limit => 2)
                          WHERE next_cursor IS NOT NULL)),
                 '22023', 'cursor: checksum mismatch (altered, or issued for another tenant)',
                 'a cursor of tenant b does not page tenant a');
SELECT throws_ok(format($$SELECT * FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000a1', p_cursor => %L)$$,
                        teams_obs.encode_cursor('audit_events', '00000000-0000-4000-8000-0000000000a1', now(), gen_random_uuid())),
                 '22023', 'cursor: issued by list "audit_events", not by "deliveries"', 'a cursor of the audit list is refused');

-- Limit: default 50, clamped to 1..200
SELECT is((SELECT count(*) FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000c3', p_limit => l)), e,
          format('limit %s gives %s rows', coalesce(l::text, 'NULL'), e))
  FROM (VALUES (NULL, 50::bigint), (0, 1), (-7, 1), (1, 1), (200, 200), (201, 200), (2147483647, 200)) AS t(l, e);
SELECT is((SELECT count(*) FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000c3')), 50::bigint,
          'no limit gives 50 rows');

-- Roles: the reader lists through the function alone
SELECT ok(has_function_privilege('teams_obs_reader',
              'teams_obs.list_deliveries(uuid, text, text, text, text, uuid, timestamptz, timestamptz, integer, text)', 'execute'),
          'the reader may list deliveries');
SELECT ok(NOT has_function_privilege(r,
              'teams_obs.list_deliveries(uuid, text, text, text, text, uuid, timestamptz, timestamptz, integer, text)', 'execute'),
          r || ' may not list deliveries')
  FROM unnest(ARRAY['teams_obs_writer', 'public']) AS r;
SET LOCAL ROLE teams_obs_reader;
SELECT is((SELECT count(*) FROM teams_obs.list_deliveries('00000000-0000-4000-8000-0000000000b2')), 10::bigint,
          'as teams_obs_reader, list_deliveries works without any table privilege');
SELECT throws_ok($$SELECT count(*) FROM teams_obs.notification_deliveries$$, '42501', NULL,
                 'as teams_obs_reader, the table itself is not readable');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
