-- conversation_references and its functions: record_conversation_reference (SPEC §4 rules),
-- latest_conversation_reference, find_conversation_reference.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(95);

-- Table
SELECT has_table('teams_obs', 'conversation_references', 'table conversation_references exists');
SELECT columns_are('teams_obs', 'conversation_references',
    ARRAY['tenant', 'microsoft_user_id', 'conversation_id', 'conversation_type', 'service_url', 'tenant_id_aad',
          'channel_id_bot_framework', 'last_activity_at', 'created_at', 'updated_at']);
SELECT col_is_pk('teams_obs', 'conversation_references', ARRAY['tenant', 'microsoft_user_id', 'conversation_id'], 'primary key (tenant, microsoft_user_id, conversation_id)');
SELECT has_index('teams_obs', 'conversation_references', 'conversation_references_conversation_idx',
                 ARRAY['tenant', 'conversation_id'], 'index on (tenant, conversation_id)');
SELECT col_not_null('teams_obs', 'conversation_references', c, c || ' is NOT NULL')
  FROM unnest(ARRAY['tenant', 'microsoft_user_id', 'conversation_id', 'conversation_type', 'service_url',
                    'last_activity_at']) AS c;
SELECT throws_ok($$INSERT INTO teams_obs.conversation_references
                       (tenant, microsoft_user_id, conversation_id, conversation_type, service_url, last_activity_at)
                   VALUES ('00000000-0000-0000-0000-0000000000c1', 'u', 'c', 'GroupChat', 'https://s/', now())$$,
                 '23514', NULL, 'conversation_type outside the taxonomy violates the CHECK (case-sensitive)');

-- Fixtures: activities of one tenant
CREATE TEMP TABLE t (name text PRIMARY KEY, v jsonb) ON COMMIT DROP;
INSERT INTO t VALUES
    ('full', '{"type": "message", "from": {"id": "29:bot-id", "aadObjectId": "  aad-1  "},
              "conversation": {"id": "a:personal-1", "conversationType": "personal"},
              "serviceUrl": " https://smba.example/amer/ ", "channelId": "msteams",
              "channelData": {"tenant": {"id": "aad-tenant-1"}}}');

-- Missing required fields: false and nothing written
SELECT is(teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c1', v #- p), false,
          'missing ' || array_to_string(p, '.') || ' returns false')
  FROM t, unnest(ARRAY['{serviceUrl}', '{conversation,id}', '{conversation}']::text[]) AS u(x),
       LATERAL (SELECT x::text[] AS p) q
 WHERE name = 'full';
SELECT is(teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c1', (v #- '{from,aadObjectId}') #- '{from,id}'),
          false, 'no user id at all returns false') FROM t WHERE name = 'full';
SELECT is(teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c1',
              jsonb_set(v, '{serviceUrl}', '"   "')), false, 'blank serviceUrl counts as missing') FROM t WHERE name = 'full';
SELECT is(teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c1',
              jsonb_set(v, '{conversation,id}', '42')), false, 'a non-string conversation.id counts as missing')
  FROM t WHERE name = 'full';
SELECT is(teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c1', NULL), false,
          'NULL activity returns false');
SELECT is(teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c1', '"text"'), false,
          'an activity that is no object returns false');
SELECT is((SELECT count(*) FROM teams_obs.conversation_references)::int, 0, 'refused activities wrote nothing');

-- Bad arguments
SELECT throws_ok($$SELECT teams_obs.record_conversation_reference(NULL, (SELECT v FROM t WHERE name = 'full'))$$,
                 '22023', 'tenant: required', 'NULL tenant is 22023');
-- Times no reader can take (Python stops before the year 1, and reads a time in its session's TimeZone, up to
-- 16 hours off UTC), a finite one shown in UTC; a time from 9999-12-31 on is more than an hour ahead too, but
-- this refusal comes first.
SELECT throws_ok(format($$SELECT teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c1',
                            (SELECT v FROM t WHERE name = 'full'), %L)$$, x.given),
                 '22023', 'activity_at: must be a time from 0001-01-02 until 9999-12-31 (UTC), not ' || x.shown,
                 'activity_at ' || x.given || ' is 22023')
  FROM (VALUES ('infinity', 'infinity'), ('-infinity', '-infinity'),
               ('0001-12-31 23:59:59.999999+00 BC', '0001-12-31 23:59:59.999999 BC'),
               ('0001-01-02 00:59:59.999999+01', '0001-01-01 23:59:59.999999'),
               ('9999-12-31 00:00:00+00', '9999-12-31 00:00:00')) AS x(given, shown);
SELECT is(teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000ca',
              (SELECT v FROM t WHERE name = 'full'), '0001-01-02 00:00:00+00'), true,
          'the first time allowed, 0001-01-02 00:00 UTC, is accepted');
SELECT throws_ok($$SELECT teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c3',
                        (SELECT v FROM t WHERE name = 'full'), now() + interval '61 minutes')$$,
                 '22023', NULL, 'an activity more than an hour ahead is 22023 ...');
SELECT throws_like($$SELECT teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c3',
                          (SELECT v FROM t WHERE name = 'full'), '2126-01-01 00:00:00+00')$$,
                   'activity_at: more than an hour in the future, 2126-%', '... naming activity_at');
SELECT throws_ok(format($$SELECT teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c3', %L)$$,
                        jsonb_set(v, p, to_jsonb(repeat('x', n)))),
                 '22023', m, m)
  FROM t, (VALUES ('{from,aadObjectId}'::text[], 257, 'activity.from.aadObjectId: longer than 256 characters'),
                  ('{conversation,id}', 385, 'activity.conversation.id: longer than 384 characters')) AS x(p, n, m)
 WHERE name = 'full';
SELECT throws_ok(format($$SELECT teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c3', %L)$$,
                        jsonb_set(v #- '{from,aadObjectId}', '{from,id}', to_jsonb(repeat('x', 257)))),
                 '22023', 'activity.from.id: longer than 256 characters', 'a long from.id is named as such')
  FROM t WHERE name = 'full';
-- Characters of 4 bytes that do not repeat, so that nothing compresses the primary key's entry.
SELECT is(teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c3',
              jsonb_set(jsonb_set(v, '{from,aadObjectId}', to_jsonb(u.text)), '{conversation,id}', to_jsonb(c.text)),
              now() + interval '59 minutes'),
          true, 'the longest ids in 4-byte characters fit the primary key; 59 minutes ahead is accepted')
  FROM t,
       LATERAL (SELECT string_agg(chr(65536 + abs(hashint4(i)) % 60000), '') FROM generate_series(1, 256) i) AS u(text),
       LATERAL (SELECT string_agg(chr(65536 + abs(hashint4(-i)) % 60000), '') FROM generate_series(1, 384) i) AS c(text)
 WHERE name = 'full';
DELETE FROM teams_obs.conversation_references WHERE tenant = '00000000-0000-0000-0000-0000000000c3';

-- A complete activity: extraction and normalisation
SELECT is(teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c1', v, '2026-03-01 10:00:00+00'),
          true, 'a complete activity is recorded') FROM t WHERE name = 'full';
SELECT row_eq($$SELECT microsoft_user_id, conversation_id, conversation_type, service_url, tenant_id_aad,
                       channel_id_bot_framework, last_activity_at
                  FROM teams_obs.conversation_references WHERE tenant = '00000000-0000-0000-0000-0000000000c1'$$,
              ROW('aad-1'::text, 'a:personal-1'::text, 'personal'::text, 'https://smba.example/amer/'::text, 'aad-tenant-1'::text, 'msteams'::text,
                  '2026-03-01 10:00:00+00'::timestamptz),
              'aadObjectId preferred, values trimmed, time from p_activity_at');
SELECT is(teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c1',
              jsonb_set(v, '{from,aadObjectId}', '" "') - 'channelId', '2026-03-01 10:00:00+00'), true,
          'blank aadObjectId falls back to from.id') FROM t WHERE name = 'full';
SELECT is((SELECT channel_id_bot_framework FROM teams_obs.conversation_references
            WHERE microsoft_user_id = '29:bot-id'), 'msteams', 'missing channelId defaults to msteams');
SELECT is(teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c1',
              jsonb_set(v, '{channelId}', '"emulator"') #- '{from,aadObjectId}', '2026-03-02'), true,
          'a later activity of the same user and conversation is recorded') FROM t WHERE name = 'full';
SELECT is((SELECT count(*) FROM teams_obs.conversation_references WHERE microsoft_user_id = '29:bot-id')::int, 1,
          'the same (tenant, user, conversation) keeps one row');
SELECT is((SELECT channel_id_bot_framework FROM teams_obs.conversation_references
            WHERE microsoft_user_id = '29:bot-id'), 'emulator', 'channelId is taken from the activity');

-- Conversation type normalisation (exact, case-sensitive; anything else is personal)
CREATE TEMP TABLE types (given text, raw jsonb, expected text) ON COMMIT DROP;
INSERT INTO types VALUES ('c-group', '"groupChat"', 'groupChat'), ('c-channel', '"channel"', 'channel'),
    ('c-personal', '"personal"', 'personal'), ('c-upper', '"GroupChat"', 'personal'),
    ('c-unknown', '"meeting"', 'personal'), ('c-number', '7', 'personal'), ('c-null', 'null', 'personal'),
    ('c-missing', NULL, 'personal');
SELECT is(count(*)::int, 8, 'one activity per conversation type recorded')
  FROM types, t,
       LATERAL teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c2',
           CASE WHEN types.raw IS NULL THEN jsonb_set(t.v, '{conversation}', jsonb_build_object('id', types.given))
                ELSE jsonb_set(jsonb_set(t.v, '{conversation,id}', to_jsonb(types.given)),
                               '{conversation,conversationType}', types.raw) END) AS r(ok)
 WHERE t.name = 'full' AND r.ok;
SELECT is(r.conversation_type, types.expected,
          format('conversationType %s is stored as %s', coalesce(types.raw::text, 'missing'), types.expected))
  FROM types
  LEFT JOIN teams_obs.conversation_references r
         ON r.tenant = '00000000-0000-0000-0000-0000000000c2' AND r.conversation_id = types.given
 ORDER BY types.given;

-- Never backwards in time
SELECT lives_ok($$SELECT teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c1',
                      jsonb_set(v, '{serviceUrl}', '"https://smba.example/old/"'), '2026-02-01')
                    FROM t WHERE name = 'full'$$, 'an older activity is accepted');
SELECT row_eq($$SELECT service_url, last_activity_at FROM teams_obs.conversation_references
                 WHERE tenant = '00000000-0000-0000-0000-0000000000c1' AND microsoft_user_id = 'aad-1'$$,
              ROW('https://smba.example/amer/'::text, '2026-03-01 10:00:00+00'::timestamptz),
              'an older activity moves neither service_url nor last_activity_at back');
SELECT lives_ok($$SELECT teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c1',
                      jsonb_set(v - 'channelData', '{serviceUrl}', '"https://smba.example/emea/"'), '2026-04-01')
                    FROM t WHERE name = 'full'$$, 'a newer activity without channelData is accepted');
SELECT row_eq($$SELECT service_url, last_activity_at, tenant_id_aad FROM teams_obs.conversation_references
                 WHERE tenant = '00000000-0000-0000-0000-0000000000c1' AND microsoft_user_id = 'aad-1'$$,
              ROW('https://smba.example/emea/'::text, '2026-04-01 00:00:00+00'::timestamptz, 'aad-tenant-1'::text),
              'a newer activity moves service_url and time forward and keeps the known tenant_id_aad');
SELECT lives_ok($$SELECT teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c1',
                      jsonb_set(v, '{serviceUrl}', '"https://smba.example/tie/"'), '2026-04-01')
                    FROM t WHERE name = 'full'$$, 'an activity with the same time is accepted');
SELECT is((SELECT service_url FROM teams_obs.conversation_references
            WHERE tenant = '00000000-0000-0000-0000-0000000000c1' AND microsoft_user_id = 'aad-1'),
          'https://smba.example/tie/', 'on equal activity times the later call wins');
-- An unknown tenant_id_aad is filled even by an older activity.
SELECT lives_ok($$SELECT teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c3',
                      v - 'channelData', '2026-05-01') FROM t WHERE name = 'full'$$, 'recorded without channelData');
SELECT is((SELECT tenant_id_aad FROM teams_obs.conversation_references WHERE tenant = '00000000-0000-0000-0000-0000000000c3'),
          NULL, 'tenant_id_aad unknown');
SELECT lives_ok($$SELECT teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c3',
                      jsonb_set(v, '{serviceUrl}', '"https://smba.example/older/"'), '2026-01-01') FROM t WHERE name = 'full'$$,
                'an older activity with channelData');
SELECT row_eq($$SELECT tenant_id_aad, service_url, last_activity_at FROM teams_obs.conversation_references
                 WHERE tenant = '00000000-0000-0000-0000-0000000000c3'$$,
              ROW('aad-tenant-1'::text, 'https://smba.example/amer/'::text, '2026-05-01 00:00:00+00'::timestamptz),
              'an older activity fills the unknown tenant_id_aad and nothing else');
SELECT ok((SELECT created_at <= updated_at FROM teams_obs.conversation_references
            WHERE tenant = '00000000-0000-0000-0000-0000000000c3'), 'created_at is kept, updated_at set on upsert');

-- latest_conversation_reference
SELECT lives_ok($$SELECT teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c1',
                      jsonb_set(v, '{conversation,id}', to_jsonb(x.id)), x.at)
                    FROM t, (VALUES ('a:personal-2', '2026-06-01'::timestamptz), ('a:personal-0', '2026-01-01')) AS x(id, at)
                   WHERE name = 'full'$$, 'two more personal conversations of aad-1');
SELECT lives_ok($$SELECT teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c1',
                      jsonb_set(jsonb_set(v, '{conversation,id}', '"19:group"'), '{conversation,conversationType}', '"groupChat"'),
                      '2026-07-01') FROM t WHERE name = 'full'$$, 'a newer group chat of aad-1');
SELECT is((SELECT conversation_id FROM teams_obs.latest_conversation_reference('00000000-0000-0000-0000-0000000000c1', 'aad-1')),
          'a:personal-2', 'latest personal reference by default');
SELECT is((SELECT count(*) FROM teams_obs.latest_conversation_reference('00000000-0000-0000-0000-0000000000c1', 'aad-1'))::int,
          1, 'latest returns one row');
SELECT is((SELECT conversation_id FROM teams_obs.latest_conversation_reference('00000000-0000-0000-0000-0000000000c1', ' aad-1 ', 'groupChat')),
          '19:group', 'latest of another type; the user id is trimmed');
SELECT is((SELECT conversation_id FROM teams_obs.latest_conversation_reference('00000000-0000-0000-0000-0000000000c1', 'aad-1', NULL)),
          '19:group', 'NULL type: the latest of any type');
SELECT is_empty($$SELECT * FROM teams_obs.latest_conversation_reference('00000000-0000-0000-0000-0000000000c1', 'aad-1', 'channel')$$,
                'no reference of that type: no row');
SELECT is_empty($$SELECT * FROM teams_obs.latest_conversation_reference('00000000-0000-0000-0000-0000000000c9', 'aad-1')$$,
                'another tenant sees nothing');
SELECT throws_ok($$SELECT * FROM teams_obs.latest_conversation_reference('00000000-0000-0000-0000-0000000000c1', 'aad-1', 'chat')$$,
                 '22023', 'conversation_type: invalid value "chat"; expected one of personal, groupChat, channel',
                 'unknown conversation type is 22023');
SELECT throws_ok($$SELECT * FROM teams_obs.latest_conversation_reference('00000000-0000-0000-0000-0000000000c1', NULL)$$,
                 '22023', 'microsoft_user_id: required', 'NULL user id is 22023');
SELECT throws_ok($$SELECT * FROM teams_obs.latest_conversation_reference('00000000-0000-0000-0000-0000000000c1', '  ')$$,
                 '22023', 'microsoft_user_id: required', 'blank user id is 22023');
SELECT throws_ok($$SELECT * FROM teams_obs.latest_conversation_reference(NULL, 'aad-1')$$,
                 '22023', 'tenant: required', 'NULL tenant is 22023');

-- find_conversation_reference
SELECT lives_ok($$SELECT teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c1',
                      jsonb_set(jsonb_set(v, '{conversation,id}', '"19:group"'), '{from,aadObjectId}', to_jsonb(x.u)), x.at)
                    FROM t, (VALUES ('aad-2', '2026-08-01'::timestamptz), ('aad-3', '2026-06-15')) AS x(u, at)
                   WHERE name = 'full'$$, 'two more members of the group chat');
SELECT results_eq($$SELECT microsoft_user_id FROM teams_obs.find_conversation_reference('00000000-0000-0000-0000-0000000000c1', '19:group')$$,
                  ARRAY['aad-2', 'aad-1', 'aad-3'], 'find returns every member''s reference, newest first');
SELECT is_empty($$SELECT * FROM teams_obs.find_conversation_reference('00000000-0000-0000-0000-0000000000c9', '19:group')$$,
                'find in another tenant: no row');
SELECT throws_ok($$SELECT * FROM teams_obs.find_conversation_reference('00000000-0000-0000-0000-0000000000c1', '')$$,
                 '22023', 'conversation_id: required', 'blank conversation id is 22023');
SELECT throws_ok($$SELECT * FROM teams_obs.find_conversation_reference('00000000-0000-0000-0000-0000000000c1', NULL)$$,
                 '22023', 'conversation_id: required', 'NULL conversation id is 22023');

-- Equal last_activity_at: record keeps the later call (>=), the lookups order ties by their second key
SELECT is(teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c5',
              jsonb_set(jsonb_set(v, '{conversation,conversationType}', to_jsonb(x.type)), '{channelId}', to_jsonb(x.channel)),
              '2026-09-01'), true,
          'tie fixture: ' || x.type || ' on ' || x.channel || ' at the same time')
  FROM t, (VALUES (1, 'personal', 'msteams'), (2, 'groupChat', 'emulator')) AS x(n, type, channel)
 WHERE name = 'full'
 ORDER BY x.n;
SELECT is((SELECT conversation_type FROM teams_obs.conversation_references
            WHERE tenant = '00000000-0000-0000-0000-0000000000c5'),
          'groupChat', 'on equal activity times the later call''s conversation type is taken');
SELECT is((SELECT channel_id_bot_framework FROM teams_obs.conversation_references
            WHERE tenant = '00000000-0000-0000-0000-0000000000c5'),
          'emulator', 'on equal activity times the later call''s channel id is taken');
SELECT is(teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c5',
              jsonb_set(v, '{conversation,conversationType}', '"channel"'), '2026-08-31'), true,
          'an older activity of another type is accepted') FROM t WHERE name = 'full';
SELECT is((SELECT conversation_type FROM teams_obs.conversation_references
            WHERE tenant = '00000000-0000-0000-0000-0000000000c5'),
          'groupChat', 'an older activity keeps the conversation type');
SELECT is(count(*)::int, 4, 'tie fixture: conversations and members with equal activity times')
  FROM t, (VALUES ('aad-1', 'a:tie-1'), ('aad-1', 'a:tie-2'), ('aad-1', 'a:tie-0'),
                  ('aad-b', '19:tie')) AS x(u, c),
       LATERAL teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c6',
           jsonb_set(jsonb_set(v, '{from,aadObjectId}', to_jsonb(x.u)), '{conversation,id}', to_jsonb(x.c)),
           '2026-09-01') AS r(ok)
 WHERE name = 'full' AND r.ok;
SELECT is(count(*)::int, 3, 'tie fixture: more members of 19:tie, in no particular order')
  FROM t, (VALUES ('aad-c', '2026-09-01'::timestamptz), ('aad-a', '2026-09-01'), ('aad-z', '2026-09-02')) AS x(u, at),
       LATERAL teams_obs.record_conversation_reference('00000000-0000-0000-0000-0000000000c6',
           jsonb_set(jsonb_set(jsonb_set(v, '{from,aadObjectId}', to_jsonb(x.u)), '{conversation,id}', '"19:tie"'),
                     '{conversation,conversationType}', '"groupChat"'), x.at) AS r(ok)
 WHERE name = 'full' AND r.ok;
SELECT is((SELECT conversation_id FROM teams_obs.latest_conversation_reference('00000000-0000-0000-0000-0000000000c6', 'aad-1')),
          'a:tie-2', 'latest: of conversations with equal activity times, the greatest conversation id');
SELECT results_eq($$SELECT microsoft_user_id FROM teams_obs.find_conversation_reference('00000000-0000-0000-0000-0000000000c6', '19:tie')$$,
                  ARRAY['aad-z', 'aad-a', 'aad-b', 'aad-c'],
                  'find: newest first, members with equal activity times by user id');

-- Security
SELECT is_definer('teams_obs', f, 'teams_obs.' || f || ' is SECURITY DEFINER')
  FROM unnest(ARRAY['record_conversation_reference', 'latest_conversation_reference', 'find_conversation_reference']) AS f;
SELECT ok(has_function_privilege('teams_obs_writer', 'teams_obs.record_conversation_reference(uuid, jsonb, timestamptz)', 'EXECUTE')
          AND NOT has_function_privilege('teams_obs_reader', 'teams_obs.record_conversation_reference(uuid, jsonb, timestamptz)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'teams_obs.record_conversation_reference(uuid, jsonb, timestamptz)', 'EXECUTE'),
          'only the writer may record');
SELECT ok(has_function_privilege('teams_obs_reader', 'teams_obs.latest_conversation_reference(uuid, text, text)', 'EXECUTE')
          AND has_function_privilege('teams_obs_reader', 'teams_obs.find_conversation_reference(uuid, text)', 'EXECUTE')
          AND NOT has_function_privilege('teams_obs_writer', 'teams_obs.latest_conversation_reference(uuid, text, text)', 'EXECUTE')
          AND NOT has_function_privilege('teams_obs_writer', 'teams_obs.find_conversation_reference(uuid, text)', 'EXECUTE'),
          'only the reader may look references up');
SELECT ok(NOT has_table_privilege(r, 'teams_obs.conversation_references', 'SELECT'), r || ' cannot read the table directly')
  FROM unnest(ARRAY['teams_obs_writer', 'teams_obs_reader', 'teams_obs_maintainer']) AS r;

SELECT * FROM finish();
ROLLBACK;
