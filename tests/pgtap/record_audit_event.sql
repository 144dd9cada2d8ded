-- record_audit_event: hashing in the database or a precomputed hash (never both), only the hash stored,
-- text normalised, every bad argument refused with 22023 naming the field and nothing written.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(48);

SELECT has_function('teams_obs', 'record_audit_event',
    ARRAY['uuid', 'text', 'text', 'text', 'uuid', 'text', 'text', 'text', 'text', 'json', 'text', 'text'],
    'record_audit_event has the SPEC §8 signature');
SELECT is_definer('teams_obs', 'record_audit_event',
    ARRAY['uuid', 'text', 'text', 'text', 'uuid', 'text', 'text', 'text', 'text', 'json', 'text', 'text'],
    'record_audit_event is SECURITY DEFINER');
SELECT ok(has_function_privilege('teams_obs_writer', 'teams_obs.record_audit_event(uuid, text, text, text, uuid, text, text, text, text, json, text, text)', 'EXECUTE')
          AND NOT has_function_privilege('teams_obs_reader', 'teams_obs.record_audit_event(uuid, text, text, text, uuid, text, text, text, text, json, text, text)', 'EXECUTE')
          AND NOT has_function_privilege('teams_obs_maintainer', 'teams_obs.record_audit_event(uuid, text, text, text, uuid, text, text, text, text, json, text, text)', 'EXECUTE')
          AND NOT has_function_privilege('public', 'teams_obs.record_audit_event(uuid, text, text, text, uuid, text, text, text, text, json, text, text)', 'EXECUTE'),
          'only the writer may record audit events');

-- Hashed in the database: the SHA-256 of the RFC 8785 form, whatever the key order and spacing
CREATE TEMP TABLE recorded ON COMMIT DROP AS
SELECT * FROM teams_obs.record_audit_event(
    p_tenant => '00000000-0000-0000-0000-0000000000b1', p_surface => ' bot ', p_action_id => 'add_note',
    p_result_status => 'success', p_actor_user_id => '00000000-0000-4000-8000-00000000ac70',
    p_microsoft_user_id => E' aad-1\t', p_target_type => 'ticket', p_target_id => ' T-1 ',
    p_idempotency_key => '  ', p_payload => '{ "b": 1, "a": "x" }');
SELECT is((SELECT payload_hash FROM recorded), 'cdab067e9f3beb32d1252cfd63e492592fecbf591b0d08cadb24bb17f3864246',
          'payload_hash is SHA-256 of {"a":"x","b":1}');
SELECT is((SELECT payload_hash FROM recorded), teams_obs.payload_hash('{"a":"x","b":1}'),
          'the same hash as teams_obs.payload_hash of the same document in another key order');
SELECT is((SELECT created_at FROM recorded), now(), 'created_at is the database clock (transaction start)');
SELECT ok(substr(r.event_id::text, 15, 1) = '7'
          AND ('x' || translate(left(r.event_id::text, 13), '-', ''))::bit(48)::bigint
              = floor(extract(epoch FROM r.created_at) * 1000)::bigint,
          'event_id is a version 7 UUID whose first 48 bits are created_at in Unix milliseconds')
  FROM recorded r;
SELECT row_eq($$SELECT tenant, event_id, actor_user_id, microsoft_user_id, surface, action_id, target_type, target_id,
                       idempotency_key, payload_hash, result_status, error_code, created_at
                  FROM teams_obs.audit_events$$,
              (SELECT ROW('00000000-0000-0000-0000-0000000000b1'::uuid, r.event_id,
                          '00000000-0000-4000-8000-00000000ac70'::uuid, 'aad-1'::text, 'bot'::text, 'add_note'::text,
                          'ticket'::text, 'T-1'::text, NULL::text, r.payload_hash, 'success'::text, NULL::text, r.created_at)
                 FROM recorded r),
              'the stored row: text trimmed, blank as NULL, the returned event_id, hash and created_at');
SELECT is((SELECT payload_hash FROM teams_obs.record_audit_event('00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success',
                                               p_payload => '{"z": [1.0, "é"], "n": 1e21}')),
          '814af865459956cfcedb8df83fe0eefecf435a81bdb3ad32a1751d6b137d1481',
          'numbers in ECMAScript form and non-ASCII kept: SHA-256 of {"n":1e+21,"z":[1,"é"]}');
SELECT is((SELECT payload_hash FROM teams_obs.record_audit_event('00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success',
                                               p_payload => 'null')),
          '74234e98afe7498fb5daf1f36ac2d78acc339464f950703b8c019892f982b90b', 'a JSON null payload hashes "null"');
SELECT is((SELECT payload_hash FROM teams_obs.record_audit_event('00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success')),
          NULL, 'no payload: NULL hash');
SELECT is((SELECT payload_hash FROM teams_obs.record_audit_event('00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success',
                                               p_payload_hash => repeat('0f', 32))),
          repeat('0f', 32), 'a precomputed hash is stored as given');
SELECT is((SELECT payload_hash FROM teams_obs.record_audit_event('00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success',
                                               p_payload_hash => ' ' || repeat('0f', 32) || E'\n')),
          repeat('0f', 32), 'a precomputed hash is trimmed like all text');
SELECT is((SELECT payload_hash FROM teams_obs.record_audit_event('00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success',
                                               p_payload_hash => '   ')),
          NULL, 'a blank hash is no hash');
SELECT hasnt_column('teams_obs', 'audit_events', 'payload', 'nowhere to keep a payload');

-- Failures, and no idempotency: the same request key twice is two executions, two rows
SELECT lives_ok($$SELECT teams_obs.record_audit_event('00000000-0000-0000-0000-0000000000b2', 'message_extension', 'log_time',
                      'failure', p_error_code => ' forbidden ', p_idempotency_key => 'k-1')
                  FROM generate_series(1, 2)$$, 'the same failure recorded twice');
SELECT results_eq($$SELECT error_code, idempotency_key, count(*)::int FROM teams_obs.audit_events
                    WHERE tenant = '00000000-0000-0000-0000-0000000000b2' GROUP BY 1, 2$$,
                  $$VALUES ('forbidden'::text, 'k-1'::text, 2)$$, 'two rows, error code trimmed');
SELECT lives_ok($$SELECT teams_obs.record_audit_event('00000000-0000-0000-0000-0000000000b2', 'quick_action', 'log_time', 'failure')$$,
                'a failure without error code is accepted');

-- Refusals: 22023 naming the field, nothing written
CREATE TEMP TABLE before ON COMMIT DROP AS SELECT count(*) AS n FROM teams_obs.audit_events;
SELECT throws_ok(format('SELECT * FROM teams_obs.record_audit_event(%s)', x.args), '22023', x.message, x.description)
  FROM (VALUES
      ($$NULL, 'bot', 'add_note', 'success'$$, 'tenant: required', 'NULL tenant'),
      ($$'00000000-0000-0000-0000-0000000000b1', NULL, 'add_note', 'success'$$,
       'surface: required; expected one of bot, message_extension, quick_action, tab', 'NULL surface'),
      ($$'00000000-0000-0000-0000-0000000000b1', ' ', 'add_note', 'success'$$,
       'surface: required; expected one of bot, message_extension, quick_action, tab', 'blank surface'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'teams', 'add_note', 'success'$$,
       'surface: invalid value "teams"; expected one of bot, message_extension, quick_action, tab', 'unknown surface'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'bot', 'my_tickets', 'success'$$,
       'action_id: invalid value "my_tickets"; expected one of assign_ticket, add_note, reply_to_contact, log_time, approval_response, create_ticket_from_message, update_from_message',
       'a lookup action is not audited'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'bot', NULL, 'success'$$, NULL, 'NULL action_id'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'SUCCESS'$$,
       'result_status: invalid value "SUCCESS"; expected one of success, failure', 'result_status is case-sensitive'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', NULL$$,
       'result_status: required; expected one of success, failure', 'NULL result_status'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'failure', p_error_code => 'boom'$$,
       'error_code: invalid value "boom"; expected NULL or one of validation_error, forbidden, not_found, not_configured, capability_disabled, unsupported_action, duplicate_submission, execution_failed',
       'unknown error_code'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success', p_error_code => 'forbidden'$$,
       'error_code: only a failure carries one (result_status is success)', 'an error code on a success'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success', p_payload => '{}', p_payload_hash => repeat('0', 64)$$,
       'payload_hash: give the payload or its precomputed hash, not both', 'payload and hash together'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success', p_payload_hash => repeat('0F', 32)$$,
       'payload_hash: must be 64 lowercase hexadecimal digits (the SHA-256 of the payload''s RFC 8785 form)', 'upper-case hash'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success', p_payload_hash => repeat('0', 63)$$,
       NULL, 'hash of 63 digits'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success', p_payload_hash => repeat('0', 65)$$,
       NULL, 'hash of 65 digits'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success', p_payload_hash => repeat('g', 64)$$,
       NULL, 'hash with a non-hex digit'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success', p_payload_hash => repeat('0', 32) || ' ' || repeat('0', 31)$$,
       NULL, 'hash with inner space'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success', p_target_id => repeat('x', 257)$$,
       'target_id: longer than 256 characters', 'target_id too long'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success', p_target_type => repeat('x', 257)$$,
       'target_type: longer than 256 characters', 'target_type too long'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success', p_microsoft_user_id => repeat('x', 257)$$,
       'microsoft_user_id: longer than 256 characters', 'microsoft_user_id too long'),
      ($$'00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success', p_idempotency_key => repeat('x', 257)$$,
       'idempotency_key: longer than 256 characters', 'idempotency_key too long')
  ) AS x(args, message, description);
-- Refused payloads: the kind of problem is named, its position (made of the payload's keys) is not.
SELECT throws_ok(format('SELECT * FROM teams_obs.record_audit_event(%L, %L, %L, %L, p_payload => %L)',
                        '00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note', 'success', x.payload),
                 '22023', 'payload: refused, it has ' || x.kind
                          || '; the position is not shown (key names are payload content), teams_obs.payload_hash(payload) names it',
                 x.description)
  FROM (VALUES ('{"secret_key": 1, "secret_key": 2}', 'a duplicate key', 'a duplicate key is refused without naming it'),
               ('{"a": {"b": [1, {"c": "x", "c": "y"}]}}', 'a duplicate key', 'a nested duplicate key is refused'),
               ('{"a": "\u0000"}', '\u0000 (PostgreSQL text cannot hold it)', 'a \u0000 escape is refused'),
               ('{"\u0000": 1}', '\u0000 (PostgreSQL text cannot hold it)', 'a \u0000 in a key is refused'),
               ('["\ud800"]', 'a lone surrogate', 'a lone surrogate is refused'),
               ('{"\udc00x": 1}', 'a lone surrogate', 'a lone surrogate in a key is refused'),
               ('{"n": 1e400}', 'a number outside the double range', 'a number beyond the double range is refused'),
               ('[-1e309]', 'a number outside the double range', 'a negative number beyond the double range is refused')
       ) AS x(payload, kind, description);
SELECT is((SELECT count(*) FROM teams_obs.audit_events), (SELECT n FROM before), 'no refused call wrote anything');
SELECT throws_ok($$SELECT * FROM teams_obs.record_audit_event('00000000-0000-0000-0000-0000000000b1', 'bot', 'add_note',
                       'success', p_actor_user_id => 'not-a-uuid')$$, '22P02', NULL, 'a malformed actor_user_id fails at the call');

SELECT * FROM finish();
ROLLBACK;
