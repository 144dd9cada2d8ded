-- record_delivery and record_deliveries: normalisation, idempotency, batch semantics, refusals, security.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(107);

CREATE TEMPORARY TABLE first_call AS
SELECT * FROM teams_obs.record_delivery(
    p_tenant => '00000000-0000-4000-8000-0000000000c1', p_destination_type => ' user_activity ',
    p_destination_id => E'\u00a0aad-1\t', p_status => 'failed',
    p_internal_notification_id => '11111111-1111-4111-8111-111111111111', p_category => '  ',
    p_error_code => 'graph_throttled', p_error_message => '  ' || repeat('é', 1100) || '  ', p_retryable => true,
    p_provider_message_id => ' m ', p_provider_request_id => '', p_sent_at => '2026-01-02T03:04:05.123456Z',
    p_delivered_at => NULL, p_responded_at => '2026-01-02T03:04:06Z');

SELECT is((SELECT inserted FROM first_call), true, 'a first call inserts');
SELECT is((SELECT idempotency_key FROM first_call),
          teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-0000000000c1',
              '11111111-1111-4111-8111-111111111111', 'user_activity', 'aad-1', 1),
          'the returned key is delivery_idempotency_key of the (trimmed) arguments');
SELECT is((SELECT created_at FROM first_call), now(), 'created_at is the transaction time');
SELECT is((SELECT count(*)::int FROM teams_obs.notification_deliveries d JOIN first_call f USING (delivery_id, created_at)),
          1, 'the returned delivery_id and created_at identify the stored row');
SELECT is(substr((SELECT delivery_id FROM first_call)::text, 15, 1), '7', 'delivery_id is a version 7 UUID');
SELECT is(('x' || translate(left((SELECT delivery_id FROM first_call)::text, 13), '-', ''))::bit(48)::bigint,
          floor(extract(epoch FROM now()) * 1000)::bigint, '... whose first 48 bits are created_at in Unix milliseconds');

-- What was stored: trimmed text, empty text as NULL, message cut to 1024 characters, attempt 1.
SELECT row_eq(
    $$SELECT d.tenant, d.destination_type, d.destination_id, d.status, d.category, d.attempt_number,
             d.error_code, d.retryable, d.provider_message_id, d.provider_request_id, d.sent_at,
             d.delivered_at, d.responded_at
        FROM teams_obs.notification_deliveries d JOIN first_call f USING (delivery_id)$$,
    ROW('00000000-0000-4000-8000-0000000000c1'::uuid, 'user_activity'::text, 'aad-1'::text, 'failed'::text,
        NULL::text, 1, 'graph_throttled'::text, true, 'm'::text, NULL::text,
        '2026-01-02T03:04:05.123456Z'::timestamptz, NULL::timestamptz, '2026-01-02T03:04:06Z'::timestamptz),
    'stored values are normalised');
SELECT is((SELECT d.error_message FROM teams_obs.notification_deliveries d JOIN first_call f USING (delivery_id)),
          repeat('é', 1024), 'error_message is trimmed, then cut to 1024 characters');
SELECT is((SELECT count(*)::int FROM teams_obs.notification_delivery_idempotency s JOIN first_call f
             ON s.idempotency_key = f.idempotency_key AND s.delivery_id = f.delivery_id AND s.created_at = f.created_at),
          1, 'the reservation holds the row''s delivery_id and created_at');

-- A repeat (different status, same key) stores nothing and returns the original.
SELECT results_eq(
    $$SELECT inserted, delivery_id, idempotency_key, created_at FROM teams_obs.record_delivery(
          '00000000-0000-4000-8000-0000000000c1', 'user_activity', 'aad-1', 'delivered',
          '11111111-1111-4111-8111-111111111111')$$,
    $$SELECT false, delivery_id, idempotency_key, created_at FROM first_call$$,
    'a repeated key returns inserted = false with the original delivery_id and created_at');
SELECT is((SELECT count(*)::int FROM teams_obs.notification_deliveries
            WHERE tenant = '00000000-0000-4000-8000-0000000000c1'), 1, 'the repeat stored nothing');
SELECT is((SELECT inserted FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c1', 'user_activity',
                  'aad-1', 'delivered', '11111111-1111-4111-8111-111111111111', p_attempt_number => 2)),
          true, 'another attempt number is another key');
SELECT is((SELECT inserted FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c1', 'bot_test',
                  'aad-1', 'sent', p_nonce => 'n-1')), true, 'with a nonce: recorded');
SELECT is((SELECT inserted FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c1', 'bot_test',
                  'aad-1', 'sent', p_nonce => 'n-2')), true, 'another nonce never dedupes');
SELECT is((SELECT inserted FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c2', 'user_activity',
                  'aad-1', 'delivered', '11111111-1111-4111-8111-111111111111')),
          true, 'the same key material in another tenant is another key');
SELECT is((SELECT count(*)::int FROM teams_obs.notification_deliveries WHERE destination_id = 'aad-1'
             AND tenant = '00000000-0000-4000-8000-0000000000c1' AND destination_type = 'bot_test'), 2,
          'both nonce rows stored');

-- Refusals: 22023 naming the field, nothing written.
SELECT throws_ok($$SELECT * FROM teams_obs.record_delivery(NULL, 'chat', 'x', 'sent')$$, '22023', 'tenant: required',
                 'tenant required');
SELECT throws_ok($$SELECT * FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c3', 'email', 'x', 'sent')$$,
                 '22023', 'destination_type: invalid value "email"; expected one of user_activity, bot_dm, chat, channel, bot_test',
                 'destination_type outside the taxonomy');
SELECT throws_ok($$SELECT * FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c3', NULL, 'x', 'sent')$$,
                 '22023', 'destination_type: required', 'destination_type required');
SELECT throws_ok($$SELECT * FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c3', 'chat', '   ', 'sent')$$,
                 '22023', 'destination_id: required', 'a blank destination_id is missing');
SELECT throws_ok($$SELECT * FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c3', 'chat', 'a|b', 'sent')$$,
                 '22023', 'destination_id: must not contain "|"', 'a "|" in destination_id');
SELECT throws_ok($$SELECT * FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c3', 'chat', 'x', 'Sent')$$,
                 '22023', 'status: invalid value "Sent"; expected one of skipped, sent, delivered, failed',
                 'status is case-sensitive');
SELECT throws_ok(format($$SELECT * FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c3', 'chat', 'x', %L)$$,
                        repeat('0123456789', 14) || 'abcdefghij'),
                 '22023', 'status: invalid value "' || repeat('0123456789', 10) || '"; expected one of skipped, sent, delivered, failed',
                 'a 150-character status is echoed cut to its first 100 characters');
SELECT throws_ok($$SELECT * FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c3', 'chat', 'x', '')$$,
                 '22023', 'status: required; expected one of skipped, sent, delivered, failed', 'status required');
SELECT throws_ok($$SELECT * FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c3', 'chat', 'x', 'failed',
                     p_error_code => 'boom')$$,
                 '22023', 'error_code: invalid value "boom"; expected NULL or one of graph_throttled, graph_unauthorized, graph_not_found, graph_server_error, user_not_mapped, addon_inactive, integration_inactive, package_misconfigured, transient, unknown',
                 'error_code outside the taxonomy');
SELECT throws_ok($$SELECT * FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c3', 'chat', 'x', 'failed',
                     p_attempt_number => -1)$$,
                 '22023', 'attempt_number: must be positive, got -1', 'attempt_number must be positive');
SELECT throws_ok($$SELECT * FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c3', 'chat', 'x', 'failed',
                     p_category => repeat('c', 201))$$,
                 '22023', 'category: longer than 200 characters', 'category is bounded');
SELECT throws_ok($$SELECT * FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c3', 'chat', 'x', 'failed',
                     p_nonce => 'a|b')$$,
                 '22023', 'nonce: must not contain "|"', 'a "|" in the nonce');
-- A time no reader can take (Python stops at the year 9999 and before the year 1, and reads a time in its
-- session's TimeZone, up to 16 hours off UTC; delivery_health cannot subtract an infinity): refused naming the
-- field, a finite one shown in UTC whatever the session's TimeZone.
SET LOCAL TimeZone = 'Asia/Tokyo';
SELECT throws_ok(format($$SELECT * FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c3', 'chat', 'x',
                              'delivered', %I => %L)$$, 'p_' || f, v.given),
                 '22023', f || ': must be a time from 0001-01-02 until 9999-12-31 (UTC), not ' || v.shown,
                 f || ' ' || v.given || ' is refused')
  FROM unnest(ARRAY['sent_at', 'delivered_at', 'responded_at']) AS f,
       (VALUES ('infinity', 'infinity'), ('-infinity', '-infinity'),
               ('9999-12-31 00:00:00+00', '9999-12-31 00:00:00'),
               ('0001-12-31 23:59:59.999999+00 BC', '0001-12-31 23:59:59.999999 BC'),
               ('0001-01-02 08:59:59.999999+09', '0001-01-01 23:59:59.999999')) AS v(given, shown);
RESET TimeZone;
SELECT is((SELECT count(*)::int FROM teams_obs.notification_delivery_idempotency
            WHERE tenant = '00000000-0000-4000-8000-0000000000c3'), 0, 'refused calls reserved nothing');
SELECT is((SELECT inserted FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c3', 'chat', 'x', 'failed',
                  p_attempt_number => NULL)), true, 'a NULL attempt_number is 1');
SELECT is((SELECT attempt_number FROM teams_obs.notification_deliveries
            WHERE tenant = '00000000-0000-4000-8000-0000000000c3'), 1, '... and stored as 1');
-- The first and the last time allowed are stored as given.
SELECT is((SELECT array_agg(r.inserted) FROM (VALUES ('first', '0001-01-02 00:00:00+00'::timestamptz),
                                                     ('last', '9999-12-30 23:59:59.999999+00')) AS b(id, at),
                LATERAL teams_obs.record_delivery('00000000-0000-4000-8000-0000000000ca', 'chat', b.id, 'delivered',
                    p_sent_at => b.at, p_delivered_at => b.at, p_responded_at => b.at) AS r),
          ARRAY[true, true], 'the times 0001-01-02 00:00 and 9999-12-30 23:59:59.999999 UTC are accepted');
SELECT results_eq($$SELECT destination_id, sent_at, delivered_at, responded_at FROM teams_obs.notification_deliveries
                     WHERE tenant = '00000000-0000-4000-8000-0000000000ca' ORDER BY destination_id$$,
                  $$VALUES ('first', '0001-01-02 00:00:00+00'::timestamptz, '0001-01-02 00:00:00+00'::timestamptz,
                            '0001-01-02 00:00:00+00'::timestamptz),
                           ('last', '9999-12-30 23:59:59.999999+00', '9999-12-30 23:59:59.999999+00',
                            '9999-12-30 23:59:59.999999+00')$$,
                  '... and stored as given');

-- Batches.
CREATE TEMPORARY TABLE batch AS
SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c4', $$[
    {"destination_type": "user_activity", "destination_id": "a", "status": "delivered", "category": "assignment"},
    {"destination_type": "bot_dm", "destination_id": " a ", "status": "skipped", "error_code": "user_not_mapped",
     "retryable": false, "error_message": "missing_conversation_reference"},
    {"destination_type": "user_activity", "destination_id": "a", "status": "failed"},
    {"destination_type": "user_activity", "destination_id": "a", "status": "sent", "attempt_number": 2,
     "sent_at": "2026-03-04T05:06:07.654321+00:00", "internal_notification_id": null}
]$$);
SELECT results_eq('SELECT ordinality FROM batch', ARRAY[1, 2, 3, 4], 'one row per element, in order');
SELECT is((SELECT count(*)::int FROM batch
            WHERE substr(delivery_id::text, 15, 1) = '7'
              AND left(delivery_id::text, 13) = left((SELECT delivery_id FROM first_call)::text, 13)),
          4, 'batch delivery_ids are version 7 UUIDs of the transaction''s millisecond too');
SELECT results_eq('SELECT inserted FROM batch ORDER BY ordinality', ARRAY[true, true, false, true],
                  'a key repeated inside the batch is stored once');
SELECT is((SELECT delivery_id FROM batch WHERE ordinality = 3), (SELECT delivery_id FROM batch WHERE ordinality = 1),
          'the repeat gets the first occurrence''s delivery_id');
SELECT is((SELECT created_at FROM batch WHERE ordinality = 3), (SELECT created_at FROM batch WHERE ordinality = 1),
          '... and its created_at, which with the delivery_id identifies the stored row');
SELECT is((SELECT count(*)::int FROM teams_obs.notification_deliveries
            WHERE tenant = '00000000-0000-4000-8000-0000000000c4'), 3, 'three rows stored');
SELECT is((SELECT status FROM teams_obs.notification_deliveries d JOIN batch b USING (delivery_id)
            WHERE b.ordinality = 1), 'delivered', 'the first outcome of a key wins');
-- PostgreSQL's sort is stable only for a handful of rows: the first occurrence must win in a long batch too.
CREATE TEMPORARY TABLE long_batch AS
SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c8',
    (SELECT jsonb_agg(jsonb_build_object(
                'destination_type', 'chat', 'status', 'failed', 'error_message', 'element ' || n,
                'destination_id', CASE WHEN n % 3 = 1 THEN 'repeated' ELSE 'once ' || n END) ORDER BY n)
       FROM generate_series(1, 60) AS n));
SELECT is((SELECT array_agg(ordinality ORDER BY ordinality) FROM long_batch WHERE inserted AND ordinality % 3 = 1),
          ARRAY[1], 'in a batch of 60, only the first of 20 occurrences of a key is stored');
SELECT is((SELECT error_message FROM teams_obs.notification_deliveries
            WHERE tenant = '00000000-0000-4000-8000-0000000000c8' AND destination_id = 'repeated'),
          'element 1', '... with the first occurrence''s outcome');
SELECT row_eq($$SELECT destination_id, error_code, retryable, error_message FROM teams_obs.notification_deliveries d
                  JOIN batch b USING (delivery_id) WHERE b.ordinality = 2$$,
              ROW('a'::text, 'user_not_mapped'::text, false, 'missing_conversation_reference'::text),
              'batch elements are normalised like record_delivery arguments');
SELECT is((SELECT sent_at FROM teams_obs.notification_deliveries d JOIN batch b USING (delivery_id)
            WHERE b.ordinality = 4), '2026-03-04T05:06:07.654321Z'::timestamptz, 'timestamps keep microseconds');
SELECT is((SELECT idempotency_key FROM batch WHERE ordinality = 4),
          teams_obs.delivery_idempotency_key('00000000-0000-4000-8000-0000000000c4', NULL, 'user_activity', 'a', 2),
          'batch keys follow the same formula');
SELECT results_eq(
    $$SELECT inserted, delivery_id, created_at FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c4',
          '[{"destination_type": "user_activity", "destination_id": "a", "status": "failed"}]')$$,
    $$SELECT false, delivery_id, created_at FROM batch WHERE ordinality = 1$$,
    'a key recorded by an earlier call returns the original');
SELECT is((SELECT inserted FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c4', 'bot_dm', 'a', 'delivered')),
          false, 'record_delivery and record_deliveries share keys');
SELECT is_empty($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c4', '[]')$$,
                'an empty batch returns no rows');

SELECT throws_ok($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c5', '[
    {"destination_type": "chat", "destination_id": "1", "status": "sent"},
    {"destination_type": "chat", "destination_id": "2", "status": "sent"},
    {"destination_type": "chat", "destination_id": "3", "status": "lost"},
    {"destination_type": "mail", "destination_id": "4", "status": "sent"}]')$$,
    '22023', 'p_rows[3].status: invalid value "lost"; expected one of skipped, sent, delivered, failed',
    'the first bad element is named by its 1-based position');
-- A value that does not convert stops the statement before any element is checked: the refusal must
-- still name the first bad element, not the one whose conversion failed.
SELECT throws_ok($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c5', '[
    {"destination_type": "chat", "destination_id": "1", "status": "bogus"},
    {"destination_type": "chat", "destination_id": "2", "status": "sent", "sent_at": "not a date"}]')$$,
    '22023', 'p_rows[1].status: invalid value "bogus"; expected one of skipped, sent, delivered, failed',
    'a refused value before an unconvertible one is named first');
SELECT throws_ok($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c5', '[
    {"destination_type": "chat", "destination_id": "1", "status": "sent"},
    {"destination_type": "chat", "destination_id": "2", "status": "sent", "attempt_number": "2abc"}]')$$,
    '22023', 'p_rows[2].attempt_number: invalid input syntax for type integer: "2abc"',
    'a value of the wrong type names position and key');
SELECT throws_ok($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c5', '[
    {"destination_type": "chat", "destination_id": "1", "status": "sent", "sent_at": "yesterday-ish"}]')$$,
    '22023', 'p_rows[1].sent_at: invalid input syntax for type timestamp with time zone: "yesterday-ish"',
    'an invalid timestamp names position and key');
SELECT throws_ok($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c5', '[
    {"destination_type": "chat", "destination_id": "1", "status": "sent", "retryable": "maybe", "sent_at": "soon"}]')$$,
    '22023', 'p_rows[1].sent_at: invalid input syntax for type timestamp with time zone: "soon"',
    'beside a retryable that is no JSON boolean, the value that failed to convert is named');
-- Input functions raise other data exceptions than the invalid syntax ones: 22009, and 22023 of PostgreSQL's own.
SELECT throws_ok(format($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c5', '[
    {"destination_type": "chat", "destination_id": "1", "status": "sent", "delivered_at": "%s"}]')$$, v.value),
    '22023', v.message, 'a timestamp with ' || v.kind || ' names position and key')
  FROM (VALUES ('an offset out of range', '2026-01-01T00:00:00+25:00',
                'p_rows[1].delivered_at: time zone displacement out of range: "2026-01-01T00:00:00+25:00"'),
               ('an unknown time zone', '2026-01-01 Mars/Phobos',
                'p_rows[1].delivered_at: time zone "mars/phobos" not recognized')) AS v(kind, value, message);
-- PostgreSQL's message quotes the whole value: the refusal shows its first 100 characters, as every other does.
SELECT throws_ok(format($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c5', '[
    {"destination_type": "chat", "destination_id": "1", "status": "sent", %s}]')$$, v.member),
    '22023', v.message, 'a long ' || v.kind || ' is shown cut to 100 characters')
  FROM (VALUES ('string', '"attempt_number": "' || repeat('9', 5000) || '"',
                'p_rows[1].attempt_number: value "' || repeat('9', 100) || '" is out of range for type integer'),
               ('number', '"attempt_number": ' || repeat('9', 5000),
                'p_rows[1].attempt_number: value "' || repeat('9', 100) || '" is out of range for type integer'),
               ('timestamp', '"sent_at": "2026-01-01 ' || repeat('x', 300) || '"',
                'p_rows[1].sent_at: invalid input syntax for type timestamp with time zone: "2026-01-01 '
                || repeat('x', 89) || '"')) AS v(kind, member, message);
SELECT throws_ok(format($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c5', '[
    {"destination_type": "chat", "destination_id": "1", "status": "sent"},
    {"destination_type": "chat", "destination_id": "2", "status": "sent", "%s": "%s"}]')$$, v.field, v.given),
    '22023', 'p_rows[2].' || v.field || ': must be a time from 0001-01-02 until 9999-12-31 (UTC), not ' || v.shown,
    'a time refused names position and key (' || v.field || ' ' || v.given || ')')
  FROM (VALUES ('sent_at', 'infinity', 'infinity'), ('delivered_at', '9999-12-31T00:00:00Z', '9999-12-31 00:00:00'),
               ('responded_at', '0001-12-31T00:00:00Z BC', '0001-12-31 00:00:00 BC')) AS v(field, given, shown);
SELECT is(ARRAY(SELECT inserted FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000cb', '[
    {"destination_type": "chat", "destination_id": "1", "status": "sent", "sent_at": "0001-01-02T00:00:00Z",
     "delivered_at": "9999-12-30T23:59:59.999999Z", "responded_at": "9999-12-30T23:59:59.999999Z"}]')),
    ARRAY[true], 'a batch takes the first and the last time allowed');
SELECT throws_ok($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c5', '[
    {"destination_type": "chat", "destination_id": "1", "status": "sent", "internal_notification_id": "n-1"}]')$$,
    '22023', 'p_rows[1].internal_notification_id: invalid input syntax for type uuid: "n-1"',
    'a non-UUID notification id names position and key');
SELECT throws_ok($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c5', '[
    {"destination_type": "chat", "destination_id": "1", "status": "sent", "tenant": "x", "p_status": "sent"}]')$$,
    '22023', 'p_rows[1]: unknown keys "p_status", "tenant"; expected destination_type, destination_id, status, internal_notification_id, category, attempt_number, error_code, error_message, retryable, provider_message_id, provider_request_id, sent_at, delivered_at, responded_at, nonce',
    'unknown keys are refused by name');
SELECT throws_ok(format($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c5', '[
    {"destination_type": "chat", "destination_id": "1", "status": "sent",
     "a%s": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6, "g": 7}]')$$, repeat('x', 200)),
    '22023', 'p_rows[1]: unknown keys "a' || repeat('x', 99) || '", "b", "c", "d", "e" and 2 more; expected destination_type, destination_id, status, internal_notification_id, category, attempt_number, error_code, error_message, retryable, provider_message_id, provider_request_id, sent_at, delivered_at, responded_at, nonce',
    'five unknown keys at most are named, each cut to 100 characters');
SELECT throws_ok($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c5', '[
    {"destination_type": "chat", "destination_id": "1", "status": "sent"},
    {"destination_type": "chat", "destination_id": 5, "status": "sent"}]')$$,
    '22023', 'p_rows[2].destination_id: must be a JSON string or null, got number',
    'a number for a text field is refused, not stored as its JSON text');
SELECT throws_ok(format($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c5', '[
    {"destination_type": "chat", "destination_id": "1", "status": "sent", %s}]')$$, v.member),
    '22023', v.message, v.field || ' given JSON ' || v.kind || ' is refused')
  FROM (VALUES ('a text field', 'boolean', '"nonce": true', 'p_rows[1].nonce: must be a JSON string or null, got boolean'),
               ('a text field', 'object', '"error_message": {"a": 1}', 'p_rows[1].error_message: must be a JSON string or null, got object'),
               ('a text field', 'array', '"category": ["x"]', 'p_rows[1].category: must be a JSON string or null, got array'),
               ('text fields', 'values, the first key in order', '"provider_request_id": 1, "error_code": false',
                'p_rows[1].error_code: must be a JSON string or null, got boolean'),
               -- jsonb_populate_record would store 0 as false and "yes" as true; the client sends JSON booleans.
               ('retryable', 'number', '"retryable": 0', 'p_rows[1].retryable: must be a JSON boolean or null, got number'),
               ('retryable', 'string', '"retryable": "yes"', 'p_rows[1].retryable: must be a JSON boolean or null, got string'),
               ('retryable', 'string that is no boolean', '"retryable": "maybe"',
                'p_rows[1].retryable: must be a JSON boolean or null, got string'),
               ('a text field and retryable', 'values, the first key in order', '"retryable": 1, "status": 1',
                'p_rows[1].retryable: must be a JSON boolean or null, got number')) AS v(field, kind, member, message);
SELECT is((SELECT count(*)::int FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c9', '[
    {"destination_type": "chat", "destination_id": "1", "status": "sent", "nonce": null, "error_message": null,
     "retryable": null}, {"destination_type": "chat", "destination_id": "2", "status": "sent", "retryable": true}]')),
    2, 'JSON null is still accepted for a text field and retryable, and a JSON boolean for retryable');
SELECT throws_ok($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c5', '[
    {"destination_type": "chat", "destination_id": "1", "status": "sent"}, "sent"]')$$,
    '22023', 'p_rows[2]: must be a JSON object, got string', 'an element that is no object is refused');
SELECT throws_ok($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c5',
    '{"destination_type": "chat"}')$$,
    '22023', 'p_rows: must be a JSON array of objects, got object', 'p_rows must be an array');
SELECT throws_ok($$SELECT * FROM teams_obs.record_deliveries('00000000-0000-4000-8000-0000000000c5', NULL)$$,
    '22023', 'p_rows: must be a JSON array of objects, got NULL', 'p_rows is required');
SELECT throws_ok($$SELECT * FROM teams_obs.record_deliveries(NULL, '[]')$$, '22023', 'tenant: required',
                 'batch tenant required');
SELECT throws_ok($$SELECT * FROM teams_obs.record_deliveries(NULL,
    '[{"destination_type": "chat", "destination_id": "1", "status": "sent", "attempt_number": "x"}]')$$,
    '22023', 'tenant: required', 'a missing tenant is named before any element');
SELECT is((SELECT count(*)::int FROM teams_obs.notification_delivery_idempotency
            WHERE tenant = '00000000-0000-4000-8000-0000000000c5'), 0, 'refused batches wrote nothing');

-- Never a reservation without its row.
SELECT is((SELECT count(*)::int FROM teams_obs.notification_delivery_idempotency s
            WHERE NOT EXISTS (SELECT 1 FROM teams_obs.notification_deliveries d
                               WHERE d.tenant = s.tenant AND d.delivery_id = s.delivery_id
                                 AND d.created_at = s.created_at AND d.idempotency_key = s.idempotency_key)),
          0, 'every reservation has its delivery row');

-- Security: SECURITY DEFINER with a pinned search_path; writer only.
SELECT is((SELECT bool_and(p.prosecdef AND p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'])
             FROM pg_catalog.pg_proc p
            WHERE p.pronamespace = 'teams_obs'::regnamespace
              AND p.proname IN ('record_delivery', 'record_deliveries', 'delivery_reservation')),
          true, 'the recorders are SECURITY DEFINER with search_path pinned');
SELECT ok(has_function_privilege('teams_obs_writer', f, 'EXECUTE'), 'the writer may call ' || f)
  FROM unnest(ARRAY['teams_obs.record_delivery(uuid, text, text, text, uuid, text, integer, text, text, boolean, text, text, timestamptz, timestamptz, timestamptz, text)',
                    'teams_obs.record_deliveries(uuid, jsonb)']) AS f;
SELECT ok(NOT has_function_privilege(r, 'teams_obs.record_deliveries(uuid, jsonb)', 'EXECUTE')
          AND NOT has_function_privilege(r, 'teams_obs.record_delivery(uuid, text, text, text, uuid, text, integer, text, text, boolean, text, text, timestamptz, timestamptz, timestamptz, text)', 'EXECUTE'),
          r || ' may not record')
  FROM unnest(ARRAY['teams_obs_reader', 'teams_obs_maintainer', 'public']) AS r;

-- record_delivery checks with delivery_acceptable and only builds the message (delivery_problem) for a
-- refusal: the two must agree on every combination of valid, missing and invalid values.
CREATE TEMPORARY TABLE checked_values AS
SELECT t.v AS tenant, dt.v AS destination_type, di.v AS destination_id, st.v AS status, ec.v AS error_code,
       ca.v AS category, an.v AS attempt_number, nc.v AS nonce, sa.v AS sent_at, da.v AS delivered_at,
       ra.v AS responded_at,
       teams_obs.delivery_acceptable(t.v, dt.v, di.v, st.v, ec.v, ca.v, an.v, nc.v, sa.v, da.v, ra.v) AS acceptable,
       teams_obs.delivery_problem(t.v, dt.v, di.v, st.v, ec.v, ca.v, an.v, nc.v, sa.v, da.v, ra.v) AS problem
FROM (VALUES ('00000000-0000-4000-8000-0000000000c7'::uuid), (NULL)) t(v),
     (VALUES ('chat'), ('email'), ('ch|at'), (NULL)) dt(v),
     (VALUES ('x'), ('a|b'), (NULL)) di(v),
     (VALUES ('sent'), ('Sent'), (NULL)) st(v),
     (VALUES (NULL), ('transient'), ('nope')) ec(v),
     (VALUES (NULL), ('c'), (repeat('c', 201))) ca(v),
     (VALUES (1), (0)) an(v),
     (VALUES (NULL), ('n'), ('n|1')) nc(v),
     (VALUES (NULL), ('2026-01-01Z'::timestamptz), ('-infinity')) sa(v),
     (VALUES (NULL), ('9999-12-30 23:59:59.999999Z'::timestamptz), ('9999-12-31Z')) da(v),
     (VALUES (NULL), ('0001-01-02Z'::timestamptz), ('0001-01-01 23:59:59.999999Z')) ra(v);
SELECT is((SELECT count(*)::int FROM checked_values WHERE acceptable IS DISTINCT FROM (problem IS NULL)), 0,
          'delivery_acceptable is true exactly where delivery_problem is NULL');
SELECT is((SELECT count(*)::int FROM checked_values WHERE acceptable), 64,
          '... which is the 64 combinations of valid values (error_code, category, nonce and the times each NULL'
          ' or valid)');

SET LOCAL ROLE teams_obs_writer;
SELECT is((SELECT inserted FROM teams_obs.record_delivery('00000000-0000-4000-8000-0000000000c6', 'chat', 'w', 'sent')),
          true, 'the writer role records through the function');
SELECT throws_ok($$SELECT count(*) FROM teams_obs.notification_deliveries$$, '42501', NULL,
                 'the writer role cannot read the table');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
