-- delivery_idempotency_key (SPEC §4 formula vectors, '|' refusal, nonce rule) and graph_status_error.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(37);

-- Vectors computed outside PostgreSQL (Python hashlib) over the documented string.
SELECT is(teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a',
              '11111111-1111-4111-8111-111111111111', 'user_activity', 'aad-1', 1),
          '33bf5e169994b124414d51d23f371d2c9ffb2e92a0181b2c1540ffd8fdf0d260',
          'key = sha256("notification|tenant|destination_type|destination_id|attempt")');
SELECT is(teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a', NULL, 'bot_test', 'aad-1', 1,
                                             'nonce-1'),
          'cd9e435898cb81904ffd91c2e9d077247f9df3f4b8fc9d800229b94af2805b24',
          'NULL notification id is the empty string; "|nonce" is appended when a nonce is given');
SELECT is(teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a',
              '11111111-1111-4111-8111-111111111111', 'bot_dm', 'ü-東京', 3),
          'e8b3329bf11afcdf0925caf49e87699cafd389fdfec070f7633933996747acc7',
          'non-ASCII text is hashed as UTF-8');
SELECT is(teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a', NULL, 'bot_test', 'aad-1', 1),
          encode(sha256(convert_to('|00000000-0000-4000-8000-00000000000a|bot_test|aad-1|1', 'UTF8')), 'hex'),
          'no nonce: no trailing "|" (the original 5-component form)');
SELECT is(teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a', NULL, 'bot_test', 'aad-1', 1, '  '),
          teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a', NULL, 'bot_test', 'aad-1', 1),
          'a blank nonce is no nonce');
SELECT is(teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a', NULL, ' bot_test ', E'\taad-1\n', NULL),
          teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a', NULL, 'bot_test', 'aad-1', 1),
          'components are trimmed as record_delivery trims them; a NULL attempt is 1');
SELECT isnt(teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a', NULL, 'bot_test', 'aad-1', 1),
            teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a', NULL, 'bot_test', 'aad-1', 2),
            'the attempt number is part of the key');
SELECT matches(teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a', NULL, 'chat', 'x', 1),
               '^[0-9a-f]{64}$', 'the key is 64 lowercase hex digits');
SELECT throws_ok($$SELECT teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a', NULL, 'chat', 'a|b', 1)$$,
                 '22023', 'destination_id: must not contain "|"', 'a "|" in destination_id is refused');
SELECT throws_ok($$SELECT teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a', NULL, 'ch|at', 'a', 1)$$,
                 '22023', 'destination_type: must not contain "|"', 'a "|" in destination_type is refused');
SELECT throws_ok($$SELECT teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a', NULL, 'chat', 'a', 1, 'n|1')$$,
                 '22023', 'nonce: must not contain "|"', 'a "|" in the nonce is refused');
SELECT throws_ok($$SELECT teams_obs.delivery_idempotency_key(NULL, NULL, 'chat', 'a', 1)$$,
                 '22023', 'tenant: required', 'tenant is required');
SELECT throws_ok($$SELECT teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a', NULL, ' ', 'a', 1)$$,
                 '22023', 'destination_type: required', 'a blank destination_type is missing');
SELECT throws_ok($$SELECT teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a', NULL, 'chat', NULL, 1)$$,
                 '22023', 'destination_id: required', 'destination_id is required');
SELECT throws_ok($$SELECT teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-00000000000a', NULL, 'chat', 'a', 0)$$,
                 '22023', 'attempt_number: must be positive, got 0', 'attempt 0 is refused');
SELECT volatility_is('teams_obs', 'delivery_idempotency_key',
                     ARRAY['uuid', 'uuid', 'text', 'text', 'integer', 'text'], 'immutable',
                     'delivery_idempotency_key is IMMUTABLE');

-- graph_status_error: the original's mapping; NULL = the request threw.
SELECT is((SELECT (g.error_code, g.retryable)::text FROM teams_obs.graph_status_error(s) g), expected,
          format('HTTP %s -> %s', coalesce(s::text, 'none (thrown)'), expected))
  FROM (VALUES (401, '(graph_unauthorized,f)'), (403, '(graph_unauthorized,f)'), (404, '(graph_not_found,f)'),
               (429, '(graph_throttled,t)'), (500, '(graph_server_error,t)'), (503, '(graph_server_error,t)'),
               (599, '(graph_server_error,t)'), (400, '(unknown,f)'), (409, '(unknown,f)'), (200, '(unknown,f)'),
               (600, '(unknown,t)'), (100, '(unknown,f)'), (999, '(unknown,t)'),
               (NULL, '(transient,t)')) AS v(s, expected);
SELECT throws_ok($$SELECT * FROM teams_obs.graph_status_error(42)$$, '22023',
                 'http_status: not an HTTP status code: 42; pass NULL for a request that threw',
                 'a number that is no HTTP status is refused');
SELECT throws_ok($$SELECT * FROM teams_obs.graph_status_error(1000)$$, '22023', NULL, '1000 is no HTTP status');
SELECT ok((SELECT bool_and(g.error_code IN (SELECT unnest(ARRAY['graph_throttled', 'graph_unauthorized',
                                   'graph_not_found', 'graph_server_error', 'transient', 'unknown'])))
             FROM generate_series(100, 999) s, teams_obs.graph_status_error(s) g),
          'every mapped code is a delivery error code');
SELECT is((SELECT count(*)::int FROM pg_catalog.pg_constraint c, generate_series(100, 999) s,
                  teams_obs.graph_status_error(s) g
            WHERE c.conname = 'notification_deliveries_error_code_check'
              AND (g.error_code = ANY (substring(pg_catalog.pg_get_constraintdef(c.oid) FROM '''(\{[^'']*\})''')::text[]))
                  IS NOT TRUE),
          0, 'every mapped code passes the error_code CHECK');

-- Pure helpers are callable by every role; PUBLIC has nothing.
SELECT ok(has_function_privilege(r, 'teams_obs.graph_status_error(integer)', 'EXECUTE')
          AND has_function_privilege(r, 'teams_obs.delivery_idempotency_key(uuid, uuid, text, text, integer, text)', 'EXECUTE'),
          r || ' may call the pure helpers')
  FROM unnest(ARRAY['teams_obs_writer', 'teams_obs_reader', 'teams_obs_maintainer']) AS r;

SELECT * FROM finish();
ROLLBACK;
