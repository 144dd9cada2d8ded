-- list_audit_events: order, filters, validation (22023 naming the field), limit clamping, keyset paging.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(44);

-- Tenant a1: 12 events; four of them share one created_at (microsecond-equal), so a page boundary falls
-- inside the tie. Tenant a2: one event. Tenant a3: 250 events for the limit clamp.
INSERT INTO teams_obs.audit_events (tenant, event_id, actor_user_id, surface, action_id, target_type, target_id,
                                    result_status, error_code, created_at)
SELECT '00000000-0000-0000-0000-0000000000a1',
       ('00000000-0000-4000-8000-' || lpad(i::text, 12, '0'))::uuid,
       CASE WHEN i % 3 = 0 THEN '00000000-0000-4000-8000-00000000ac70'::uuid END,
       (ARRAY['bot', 'message_extension', 'quick_action'])[1 + i % 3],
       (ARRAY['assign_ticket', 'add_note', 'log_time', 'approval_response'])[1 + i % 4],
       CASE WHEN i % 2 = 0 THEN 'ticket' END,
       CASE WHEN i % 2 = 0 THEN 'T-' || (i % 4) END,
       CASE WHEN i % 5 = 0 THEN 'failure' ELSE 'success' END,
       CASE WHEN i = 5 THEN 'forbidden' WHEN i = 10 THEN 'not_found' END,
       CASE WHEN i BETWEEN 5 AND 8 THEN '2026-03-05 12:00:00.123456+00'::timestamptz
            ELSE '2026-03-01 00:00:00+00'::timestamptz + i * interval '1 day' + i * interval '1 microsecond' END
  FROM generate_series(1, 12) AS i;
INSERT INTO teams_obs.audit_events (tenant, surface, action_id, result_status, created_at)
VALUES ('00000000-0000-0000-0000-0000000000a2', 'bot', 'add_note', 'success', '2026-03-02');
INSERT INTO teams_obs.audit_events (tenant, surface, action_id, result_status, created_at)
SELECT '00000000-0000-0000-0000-0000000000a3', 'tab', 'add_note', 'success', '2026-01-01'::timestamptz + i * interval '1 minute'
  FROM generate_series(1, 250) AS i;

CREATE TEMP TABLE expected_order ON COMMIT DROP AS
SELECT event_id, row_number() OVER (ORDER BY created_at DESC, event_id DESC) AS n
  FROM teams_obs.audit_events WHERE tenant = '00000000-0000-0000-0000-0000000000a1';

-- Order and default page
SELECT results_eq($$SELECT event_id FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1')$$,
                  $$SELECT event_id FROM expected_order ORDER BY n$$,
                  'all events of the tenant, newest first, ties by event_id descending');
SELECT is((SELECT count(*) FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1') WHERE next_cursor IS NOT NULL)::int,
          0, 'a page holding everything has no next_cursor');
SELECT is((SELECT count(*) FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a2'))::int, 1,
          'another tenant sees only its own event');

-- Keyset paging: 5 + 5 + 2, the first boundary inside the four-way tie
CREATE TEMP TABLE pages ON COMMIT DROP AS
SELECT 1 AS page, l.* FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', p_limit => 5) AS l;
SELECT is((SELECT count(*) FROM pages)::int, 5, 'page 1 has limit rows');
SELECT ok((SELECT next_cursor IS NOT NULL FROM pages WHERE event_id = (SELECT event_id FROM expected_order WHERE n = 5))
          AND (SELECT count(*) FROM pages WHERE next_cursor IS NOT NULL) = 1,
          'next_cursor is set on the last row of a page only');
INSERT INTO pages
SELECT 2, l.* FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', p_limit => 5,
                                               p_cursor => (SELECT next_cursor FROM pages WHERE next_cursor IS NOT NULL)) AS l;
INSERT INTO pages
SELECT 3, l.* FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', p_limit => 5,
                                               p_cursor => (SELECT next_cursor FROM pages WHERE page = 2 AND next_cursor IS NOT NULL)) AS l;
SELECT results_eq($$SELECT page, count(*)::int, count(next_cursor)::int FROM pages GROUP BY page ORDER BY page$$,
                  $$VALUES (1, 5, 1), (2, 5, 1), (3, 2, 0)$$, 'pages of 5, 5 and 2; the last without cursor');
SELECT results_eq($$SELECT event_id FROM pages ORDER BY page, created_at DESC, event_id DESC$$,
                  $$SELECT event_id FROM expected_order ORDER BY n$$,
                  'the walk returns every event exactly once, in order, across the tie');
SELECT is((SELECT count(*) FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', p_limit => 6,
              p_cursor => (SELECT next_cursor FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', p_limit => 6)
                            WHERE next_cursor IS NOT NULL)) WHERE next_cursor IS NOT NULL)::int,
          0, 'a last page of exactly limit rows has no next_cursor');

-- Filters
SELECT results_eq(format($$SELECT event_id FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', %s)$$, f.args),
                  format($$SELECT e.event_id FROM teams_obs.audit_events e JOIN expected_order o USING (event_id)
                            WHERE %s ORDER BY o.n$$, f.predicate),
                  'filter ' || f.args)
  FROM (VALUES
      ('p_surface => ''message_extension''', 'e.surface = ''message_extension'''),
      ('p_surface => '' bot ''', 'e.surface = ''bot'''),
      ('p_action_id => ''log_time''', 'e.action_id = ''log_time'''),
      ('p_actor_user_id => ''00000000-0000-4000-8000-00000000ac70''', 'e.actor_user_id IS NOT NULL'),
      ('p_result_status => ''failure''', 'e.result_status = ''failure'''),
      ('p_result_status => ''success''', 'e.result_status = ''success'''),
      ('p_target_type => ''ticket''', 'e.target_type = ''ticket'''),
      ('p_target_type => ''ticket'', p_target_id => ''T-2''', 'e.target_id = ''T-2'''),
      ('p_target_id => ''T-0''', 'e.target_id = ''T-0'''),
      ('p_error_code => ''forbidden''', 'e.error_code = ''forbidden'''),
      ('p_since => ''2026-03-05 12:00:00.123456+00''', 'e.created_at >= ''2026-03-05 12:00:00.123456+00'''),
      ('p_until => ''2026-03-05 12:00:00.123456+00''', 'e.created_at < ''2026-03-05 12:00:00.123456+00'''),
      ('p_since => ''2026-03-03'', p_until => ''2026-03-10'', p_result_status => ''success''',
       'e.created_at >= ''2026-03-03'' AND e.created_at < ''2026-03-10'' AND e.result_status = ''success'''),
      ('p_surface => ''tab''', 'false'),
      ('p_actor_user_id => ''00000000-0000-4000-8000-000000000000''', 'false')
  ) AS f(args, predicate);
SELECT results_eq($$SELECT event_id FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1',
                        p_result_status => 'success', p_limit => 3,
                        p_cursor => (SELECT next_cursor FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1',
                                         p_result_status => 'success', p_limit => 3) WHERE next_cursor IS NOT NULL))$$,
                  $$SELECT e.event_id FROM teams_obs.audit_events e JOIN expected_order o USING (event_id)
                     WHERE e.result_status = 'success' ORDER BY o.n OFFSET 3 LIMIT 3$$,
                  'a cursor continues a filtered list');

-- Limit: default 50, clamped to 1..200
SELECT is((SELECT count(*) FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a3'))::int, 50, 'default limit 50');
SELECT is((SELECT count(*) FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a3', p_limit => NULL))::int, 50, 'NULL limit is 50');
SELECT is((SELECT count(*) FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a3', p_limit => 0))::int, 1, 'limit 0 is clamped to 1');
SELECT is((SELECT count(*) FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a3', p_limit => -7))::int, 1, 'negative limit is clamped to 1');
SELECT is((SELECT count(*) FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a3', p_limit => 1000))::int, 200, 'limit 1000 is clamped to 200');

-- Refusals
SELECT throws_ok($$SELECT * FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', p_surface => 'teams')$$,
                 '22023', 'surface: invalid value "teams"; expected one of bot, message_extension, quick_action, tab',
                 'unknown surface is 22023, never an unfiltered answer');
SELECT throws_ok($$SELECT * FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', p_action_id => 'my_tickets')$$,
                 '22023', NULL, 'unknown action_id is 22023');
SELECT throws_ok($$SELECT * FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', p_result_status => 'ok')$$,
                 '22023', 'result_status: invalid value "ok"; expected one of success, failure', 'unknown result_status is 22023');
SELECT throws_ok($$SELECT * FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', p_error_code => 'boom')$$,
                 '22023', NULL, 'unknown error_code is 22023');
SELECT throws_ok($$SELECT * FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', p_target_type => '  ')$$,
                 '22023', NULL, 'blank target_type is 22023');
SELECT throws_ok($$SELECT * FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', p_actor_user_id => 'not-a-uuid')$$,
                 '22P02', NULL, 'a malformed actor_user_id fails at the call (uuid parameter)');
SELECT throws_ok($$SELECT * FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', p_since => '2026-03-02', p_until => '2026-03-01')$$,
                 '22023', NULL, 'since after until is 22023');
SELECT throws_ok($$SELECT * FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', p_since => 'yesterday-ish')$$,
                 '22007', NULL, 'an invalid timestamp fails at the call');
SELECT throws_ok($$SELECT * FROM teams_obs.list_audit_events(NULL)$$, '22023', 'tenant: required', 'NULL tenant is 22023');
SELECT throws_ok($$SELECT * FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', p_cursor => 'bm90IGEgY3Vyc29y')$$,
                 '22023', NULL, 'a malformed cursor is 22023');
SELECT throws_ok($$SELECT * FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a2',
                        p_cursor => (SELECT next_cursor FROM pages WHERE page = 1 AND next_cursor IS NOT NULL))$$,
                 '22023', 'cursor: checksum mismatch (altered, or issued for another tenant)',
                 'a cursor of another tenant is 22023');
SELECT throws_ok(format($$SELECT * FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', p_cursor => %L)$$,
                        teams_obs.encode_cursor('deliveries', '00000000-0000-0000-0000-0000000000a1', now(), gen_random_uuid())),
                 '22023', NULL, 'a cursor of list_deliveries is 22023');
SELECT throws_ok(format($$SELECT * FROM teams_obs.list_audit_events('00000000-0000-0000-0000-0000000000a1', p_cursor => %L)$$,
                        (SELECT overlay(next_cursor PLACING CASE WHEN substr(next_cursor, 20, 1) = 'A' THEN 'B' ELSE 'A' END FROM 20 FOR 1)
                           FROM pages WHERE page = 1 AND next_cursor IS NOT NULL)),
                 '22023', NULL, 'an altered cursor is 22023');

-- Security
SELECT is_definer('teams_obs', 'list_audit_events', 'list_audit_events is SECURITY DEFINER');
SELECT ok(has_function_privilege('teams_obs_reader', 'teams_obs.list_audit_events(uuid, text, text, uuid, text, text, text, timestamptz, timestamptz, integer, text, text)', 'EXECUTE')
          AND NOT has_function_privilege('teams_obs_writer', 'teams_obs.list_audit_events(uuid, text, text, uuid, text, text, text, timestamptz, timestamptz, integer, text, text)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'teams_obs.list_audit_events(uuid, text, text, uuid, text, text, text, timestamptz, timestamptz, integer, text, text)', 'EXECUTE'),
          'only the reader may list audit events');

SELECT * FROM finish();
ROLLBACK;
