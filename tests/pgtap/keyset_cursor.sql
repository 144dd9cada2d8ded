-- Keyset cursors (encode_cursor/decode_cursor): exact round trip, and 22023 for anything that is not
-- a cursor this list issued for this tenant.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(30);

-- base64url (no padding) of arbitrary text: how a caller could forge or damage a cursor.
CREATE FUNCTION pg_temp.b64url(p_text text) RETURNS text LANGUAGE sql AS
$$ SELECT translate(encode(convert_to(p_text, 'UTF8'), 'base64'), E'+/=\n', '-_') $$;
CREATE FUNCTION pg_temp.doc(p_cursor text) RETURNS jsonb LANGUAGE sql AS
$$ SELECT convert_from(decode(rpad(translate(p_cursor, '-_', '+/'), (length(p_cursor) + 3) / 4 * 4, '='),
                              'base64'), 'UTF8')::jsonb $$;
-- How many of 500 instants from 1969 to 2125 a cursor carries to the microsecond.
CREATE FUNCTION pg_temp.round_trips() RETURNS bigint LANGUAGE sql AS $$
    SELECT count(*)
      FROM generate_series(1, 500) i,
           LATERAL (SELECT '1969-12-31 23:59:58.999999+00'::timestamptz
                           + (i * 987654321013)::bigint * interval '1 microsecond' AS at) a,
           LATERAL teams_obs.decode_cursor('x', '00000000-0000-4000-8000-0000000000a1',
                       teams_obs.encode_cursor('x', '00000000-0000-4000-8000-0000000000a1', a.at,
                                               '00000000-0000-4000-8000-000000000001')) d
     WHERE d.created_at = a.at $$;
CREATE TEMP TABLE c AS
SELECT teams_obs.encode_cursor('deliveries', '00000000-0000-4000-8000-0000000000a1',
                               '2026-11-05 10:11:12.123456+00', '00000000-0000-4000-8000-000000000042') AS cursor;

SELECT is((SELECT d FROM teams_obs.decode_cursor('deliveries', '00000000-0000-4000-8000-0000000000a1', cursor) d),
          ROW('2026-11-05 10:11:12.123456+00'::timestamptz, '00000000-0000-4000-8000-000000000042'::uuid)::record,
          'a cursor decodes to its position')
  FROM c;
SELECT is(pg_temp.round_trips(), 500::bigint,
          '500 instants from 1969 to 2125 round-trip to the microsecond');
-- The ends: a row the owner wrote at +-infinity, or in the first or last microsecond a timestamptz holds
-- (past 2^63 microseconds since 1970), is a page's last row like any other.
SELECT is((SELECT array_agg(d.created_at ORDER BY t.ord)
             FROM unnest(ARRAY['-infinity', '4714-11-24 00:00:00+00 BC', '0001-01-01 00:00:00.000001+00 BC',
                               '1970-01-01 00:00:00+00', '294276-12-31 23:59:59.999999+00', 'infinity']::timestamptz[])
                  WITH ORDINALITY AS t(at, ord),
                  LATERAL teams_obs.decode_cursor('x', '00000000-0000-4000-8000-0000000000a1',
                              teams_obs.encode_cursor('x', '00000000-0000-4000-8000-0000000000a1', t.at,
                                                      '00000000-0000-4000-8000-000000000001')) d),
          ARRAY['-infinity', '4714-11-24 00:00:00+00 BC', '0001-01-01 00:00:00.000001+00 BC',
                '1970-01-01 00:00:00+00', '294276-12-31 23:59:59.999999+00', 'infinity']::timestamptz[],
          'infinity, -infinity and the first and last instants a timestamptz holds round-trip');
SELECT is(pg_temp.doc(teams_obs.encode_cursor('x', '00000000-0000-4000-8000-0000000000a1', 'infinity',
                                              '00000000-0000-4000-8000-000000000001')) -> 'at',
          '"infinity"'::jsonb, 'infinity is the string "infinity" in the cursor');
SELECT ok(cursor ~ '^[A-Za-z0-9_-]+$', 'a cursor is base64url text without padding') FROM c;
SELECT is((SELECT d FROM teams_obs.decode_cursor('deliveries', '00000000-0000-4000-8000-0000000000a1', x) d),
          ROW(NULL::timestamptz, NULL::uuid)::record, format('%L means no cursor', x))
  FROM unnest(ARRAY[NULL, '', '   ']) AS x;
SELECT is((SELECT d FROM teams_obs.decode_cursor('deliveries', '00000000-0000-4000-8000-0000000000a1',
                                                 ' ' || cursor || E'\n') d),
          ROW('2026-11-05 10:11:12.123456+00'::timestamptz, '00000000-0000-4000-8000-000000000042'::uuid)::record,
          'surrounding whitespace is ignored')
  FROM c;

-- Malformed
SELECT throws_ok(format($$SELECT teams_obs.decode_cursor('deliveries', '00000000-0000-4000-8000-0000000000a1', %L)$$, x),
                 '22023', 'cursor: malformed (not a cursor returned by this list; pass next_cursor unchanged)', d)
  FROM (VALUES ('not a cursor!', 'characters outside base64url'),
               ('eyJ2Ij', 'truncated base64'),
               (pg_temp.b64url('{"v":1,'), 'base64 of broken JSON'),
               ('_w', 'base64 of invalid UTF-8 (0xff)'),
               (repeat('A', 600), 'absurdly long text')) AS t(x, d);
-- Over 512 characters is refused before decoding, even when it would decode to a valid cursor (here one
-- padded with JSON whitespace): a caller cannot make the function decode and parse text of any length.
SELECT throws_ok(format($$SELECT teams_obs.decode_cursor('deliveries', '00000000-0000-4000-8000-0000000000a1', %L)$$,
                        pg_temp.b64url(pg_temp.doc(cursor)::text || repeat(' ', 400))),
                 '22023', 'cursor: malformed (not a cursor returned by this list; pass next_cursor unchanged)',
                 'a valid cursor padded past 512 characters')
  FROM c;
SELECT throws_ok(format($$SELECT teams_obs.decode_cursor('deliveries', '00000000-0000-4000-8000-0000000000a1', %L)$$,
                        pg_temp.b64url(x)),
                 '22023', 'cursor: malformed (unexpected content; pass next_cursor unchanged)', d)
  FROM (VALUES ('[1795000000000000, "00000000-0000-4000-8000-000000000042"]', 'the original''s array shape'),
               ('{"v":1,"l":"deliveries","at":1795000000000000,"id":"00000000-0000-4000-8000-000000000042"}',
                'a missing checksum'),
               ('{"v":2,"l":"deliveries","at":1,"id":"00000000-0000-4000-8000-000000000042","ck":"0"}',
                'an unknown version'),
               ('{"v":1,"l":"deliveries","at":1.5,"id":"00000000-0000-4000-8000-000000000042","ck":"0"}',
                'a fractional timestamp'),
               ('{"v":1,"l":"deliveries","at":"2026-11-05","id":"00000000-0000-4000-8000-000000000042","ck":"0"}',
                'a timestamp as text'),
               ('{"v":1,"l":"deliveries","at":12345678901234567890,"id":"00000000-0000-4000-8000-000000000042","ck":"0"}',
                'a timestamp of 20 digits'),
               ('{"v":1,"l":"deliveries","at":1,"id":"x; DROP TABLE y","ck":"0"}', 'an id that is no UUID'),
               ('{"v":1,"l":"deliveries","at":1,"id":"00000000-0000-4000-8000-000000000042","ck":"0","x":1}',
                'an extra key')) AS t(x, d);

-- Altered or replayed
SELECT throws_ok(format($$SELECT teams_obs.decode_cursor('deliveries', '00000000-0000-4000-8000-0000000000a1', %L)$$,
                        pg_temp.b64url(jsonb_set(pg_temp.doc(cursor), '{at}',
                                                 to_jsonb((pg_temp.doc(cursor) ->> 'at')::bigint - 1))::text)),
                 '22023', 'cursor: checksum mismatch (altered, or issued for another tenant)',
                 'a timestamp moved by one microsecond is refused')
  FROM c;
SELECT throws_ok(format($$SELECT teams_obs.decode_cursor('deliveries', '00000000-0000-4000-8000-0000000000a1', %L)$$,
                        pg_temp.b64url(jsonb_set(pg_temp.doc(cursor), '{id}',
                                                 '"00000000-0000-4000-8000-000000000043"')::text)),
                 '22023', 'cursor: checksum mismatch (altered, or issued for another tenant)', 'an altered id is refused')
  FROM c;
SELECT throws_ok(format($$SELECT teams_obs.decode_cursor('deliveries', '00000000-0000-4000-8000-0000000000b2', %L)$$,
                        cursor),
                 '22023', 'cursor: checksum mismatch (altered, or issued for another tenant)',
                 'a cursor of another tenant is refused')
  FROM c;
SELECT throws_ok(format($$SELECT teams_obs.decode_cursor('audit_events', '00000000-0000-4000-8000-0000000000a1', %L)$$,
                        cursor),
                 '22023', 'cursor: issued by list "deliveries", not by "audit_events"',
                 'a cursor of another list is refused')
  FROM c;
SELECT throws_ok(format($$SELECT teams_obs.decode_cursor('deliveries', '00000000-0000-4000-8000-0000000000a1', %L)$$,
                        pg_temp.b64url(jsonb_set(pg_temp.doc(cursor), '{l}', to_jsonb(repeat('l', 200)))::text)),
                 '22023', format('cursor: issued by list "%s", not by "deliveries"', repeat('l', 100)),
                 'a forged list name is shown cut to 100 characters')
  FROM c;
-- Well formed, with a valid checksum (it is no secret), but past the last instant a timestamptz holds.
SELECT throws_ok(format($$SELECT teams_obs.decode_cursor('deliveries', '00000000-0000-4000-8000-0000000000a1', %L)$$,
                        pg_temp.b64url(format('{"v":1,"l":"deliveries","at":9999999999999999999,"id":"%s","ck":"%s"}',
                                              id, teams_obs.cursor_checksum('deliveries', '00000000-0000-4000-8000-0000000000a1',
                                                                            '9999999999999999999', id)))),
                 '22023', 'cursor: timestamp out of range', 'a forged position past the last timestamp is refused')
  FROM (VALUES ('00000000-0000-4000-8000-000000000042'::uuid)) AS t(id);

-- The session's time zone and date style change nothing: no calendar day of a zone with daylight saving
-- time in the arithmetic, no text of a timestamp in the cursor.
SET LOCAL TimeZone = 'America/New_York';
SET LOCAL DateStyle = 'SQL, DMY';
SELECT is(pg_temp.round_trips(), 500::bigint,
          'the 500 instants round-trip in America/New_York with DateStyle SQL, DMY too');

SELECT * FROM finish();
ROLLBACK;
