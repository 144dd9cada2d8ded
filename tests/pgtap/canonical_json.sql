-- RFC 8785 (JCS) vectors for canonical_json and payload_hash, and every refusal with its SQLSTATE and path.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(95);

-- RFC 8785 Appendix B (IEEE 754 double -> ECMAScript string). Each double is given by a 17-digit literal
-- and by its exact decimal expansion, so the function has to find the shortest form itself.
SELECT is(teams_obs.canonical_json(v.literal::json), v.expected, format('Appendix B %s: %s', v.ieee, v.literal))
  FROM (VALUES
    ('0000000000000000', '0.00000000000000000e+00', '0'),
    ('8000000000000000', '-0.00000000000000000e+00', '0'),
    ('0000000000000001', '4.94065645841246544e-324', '5e-324'),
    ('8000000000000001', '-4.94065645841246544e-324', '-5e-324'),
    ('7fefffffffffffff', '1.79769313486231571e+308', '1.7976931348623157e+308'),
    ('ffefffffffffffff', '-1.79769313486231571e+308', '-1.7976931348623157e+308'),
    ('4340000000000000', '9.00719925474099200e+15', '9007199254740992'),
    ('c340000000000000', '-9.00719925474099200e+15', '-9007199254740992'),
    ('4430000000000000', '295147905179352825856', '295147905179352830000'),
    ('44b52d02c7e14af5', '99999999999999974834176', '9.999999999999997e+22'),
    ('44b52d02c7e14af6', '99999999999999991611392', '1e+23'),
    ('44b52d02c7e14af7', '100000000000000008388608', '1.0000000000000001e+23'),
    ('444b1ae4d6e2ef4e', '999999999999999737856', '999999999999999700000'),
    ('444b1ae4d6e2ef4f', '999999999999999868928', '999999999999999900000'),
    ('444b1ae4d6e2ef50', '1000000000000000000000', '1e+21'),
    ('3eb0c6f7a0b5ed8c', '9.99999999999999743e-07', '9.999999999999997e-7'),
    ('3eb0c6f7a0b5ed8d', '9.99999999999999955e-07', '0.000001'),
    ('41b3de4355555553', '333333333.333333194255828857421875', '333333333.3333332'),
    ('41b3de4355555554', '333333333.3333332538604736328125', '333333333.33333325'),
    ('41b3de4355555555', '333333333.333333313465118408203125', '333333333.3333333'),
    ('41b3de4355555556', '333333333.33333337306976318359375', '333333333.3333334'),
    ('41b3de4355555557', '333333333.333333432674407958984375', '333333333.33333343'),
    ('becbf647612f3696', '-3.33333333333333332e-06', '-0.0000033333333333333333'),
    ('43143ff3c1cb0959', '1424953923781206.25', '1424953923781206.2')
  ) AS v (ieee, literal, expected);

-- Literals as a writer spells them; the boundary cases where PostgreSQL's float8 output is not the shortest
-- (1e23 prints as 9.999999999999999e+22 there); integers beyond 2^53 are the nearest double.
SELECT is(teams_obs.canonical_json(v.literal::json), v.expected, format('number %s', v.literal))
  FROM (VALUES
    ('1e23', '1e+23'), ('5e22', '5e+22'), ('7e22', '7e+22'), ('-1E23', '-1e+23'),
    ('9007199254740993', '9007199254740992'), ('9007199254740995', '9007199254740996'),
    ('18014398509481985', '18014398509481984'), ('1152921504606846976', '1152921504606847000'),
    ('1e21', '1e+21'), ('1e20', '100000000000000000000'), ('1E30', '1e+30'), ('1.2345678901234568e+29', '1.2345678901234568e+29'),
    ('1e-7', '1e-7'), ('0.000001', '0.000001'), ('1.5e-7', '1.5e-7'), ('123e-20', '1.23e-18'),
    ('333333333.33333329', '333333333.3333333'), ('4.50', '4.5'), ('2e-3', '0.002'), ('1.0', '1'), ('1e2', '100'),
    ('-0', '0'), ('-0.0e5', '0'), ('1e16', '10000000000000000'), ('0.1', '0.1'), ('100', '100'),
    ('1e-400', '0'), ('-1e-400', '0'), ('2.4703282292062327e-324', '0'), ('2.4703282292062328e-324', '5e-324'),
    ('1.7976931348623158e308', '1.7976931348623157e+308')
  ) AS v (literal, expected);

-- §3.2.3: members sorted by UTF-16 code units (U+FB33 after the astral U+1F600), recursively; arrays kept.
SELECT is(teams_obs.canonical_json(
    '{"\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control\u007f", "\u00f6": "Latin Small Letter O With Diaeresis"}'),
    '{"\r":"Carriage Return","1":"One","' || chr(128) || '":"Control' || chr(127)
        || '","ö":"Latin Small Letter O With Diaeresis","€":"Euro Sign","😀":"Emoji: Grinning Face","' || chr(64307) || '":"Hebrew Letter Dalet With Dagesh"}',
    'RFC 8785 §3.2.3 sorting example');
SELECT is(teams_obs.canonical_json('{"\uffff": 1, "\udbff\udfff": 2, "\ud800\udc00": 3, "\ue000": 4, "z": 5, "": 6}'),
          '{"":6,"z":5,"' || chr(65536) || '":3,"' || chr(1114111) || '":2,"' || chr(57344) || '":4,"' || chr(65535) || '":1}',
          'astral names sort below U+E000..U+FFFF, U+10FFFF included; the empty name first');
SELECT is(teams_obs.canonical_json('{ "b" : [ 1 , { "d" : 2 , "c" : 3 } , [ ] ] , "a" : { } , "aa" : null , "ab" : false }'),
          '{"a":{},"aa":null,"ab":false,"b":[1,{"c":3,"d":2},[]]}',
          'whitespace removed, nested objects sorted, a prefix before its extensions, arrays in order');

-- §3.2.4: the complete example (its UTF-8 bytes are printed in the RFC).
SELECT is(convert_to(teams_obs.canonical_json(
    '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA''\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}'), 'UTF8'),
    '\x7b226c69746572616c73223a5b6e756c6c2c747275652c66616c73655d2c226e756d62657273223a5b3333333333333333332e333333333333332c31652b33302c342e352c302e3030322c31652d32375d2c22737472696e67223a22e282ac245c75303030665c6e4127425c225c5c5c5c5c222f227d'::bytea,
    'RFC 8785 §3.2.4 example, byte for byte');
SELECT is(teams_obs.payload_hash(
    '{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
      "string": "\u20ac$\u000F\u000aA''\u0042\u0022\u005c\\\"\/", "literals": [null, true, false]}'),
    '2d5e01a318d0f0879ab568c4be289c8b1f64ef8921a53c6277d5e069978baacb',
    'payload_hash of the §3.2.4 example is the SHA-256 of those bytes');

-- §3.2.2.2 string escaping: the six short escapes, other controls as lowercase \u00xx, the rest literal.
SELECT is(teams_obs.canonical_json('"\b\t\n\f\r\u0001\u001F\u007f\u2028\/\"\\ é😀"'),
          '"\b\t\n\f\r\u0001\u001f' || chr(127) || chr(8232) || '/\"\\ é😀"', 'JCS string escaping');
SELECT is(teams_obs.canonical_json('{"\u0061": "\u00e9", "\t": [true]}'), '{"\t":[true],"a":"é"}',
          'names are escaped like strings and sorted by their value, not their spelling');
SELECT is(teams_obs.canonical_json(v.doc), v.expected, format('scalar document %s', v.doc))
  FROM (VALUES ('null'::json, 'null'), ('true', 'true'), ('false', 'false'), ('"x"', '"x"'), ('[]', '[]'), ('{}', '{}'))
       AS v (doc, expected);
SELECT is(teams_obs.canonical_json('{"x": "a\u003ab", "y": "c:d"}'), '{"x":"a:b","y":"c:d"}',
          'a colon spelled \u003a (which defeats the fast member count) still gives the canonical form');

-- NULL in, NULL out; the hash is lowercase hex SHA-256 of the UTF-8 canonical form.
SELECT is(teams_obs.canonical_json(NULL), NULL, 'canonical_json(NULL) is NULL');
SELECT is(teams_obs.payload_hash(NULL), NULL, 'payload_hash(NULL) is NULL');
SELECT is(teams_obs.payload_hash('{"b": "é", "a": [1.0, 1e2]}'),
          encode(sha256(convert_to('{"a":[1,100],"b":"é"}', 'UTF8')), 'hex'), 'payload_hash hashes the canonical bytes');
SELECT is(teams_obs.payload_hash('{"a": 1, "b": 2}'), teams_obs.payload_hash('{ "b":2.0, "a":1e0 }'),
          'equal documents written differently have one hash');

-- Refusals: 22023 with the path of the first problem in document order; only names are echoed.
SELECT throws_ok(format('SELECT teams_obs.canonical_json(%L)', v.doc), '22023', v.message, v.description)
  FROM (VALUES
    ('{"a": 1, "a": 2}', '$: duplicate key "a"', 'duplicate key at the root'),
    ('{"a": {"b": [0, 1, {"x": 1, "y": "secret", "x": 3}]}}', '$.a.b[2]: duplicate key "x"', 'duplicate key, nested'),
    ('{"a": 1, "\u0061": 2}', '$: duplicate key "a"', 'duplicate key spelled with an escape'),
    ('{"x": "p\u003aq", "x": 1}', '$: duplicate key "x"', 'duplicate key next to a colon spelled \u003a'),
    ('{"a b": {"é": {"": 1, "": 2}}}', '$."a b"."é": duplicate key ""', 'names that are not identifiers are quoted in the path'),
    ('{"s": ["ok", "top\u0000secret"]}', '$.s[1]: string contains \u0000, which PostgreSQL cannot store', '\u0000 in a string'),
    ('{"k": {"na\u0000me": 1}}', '$.k: object key contains \u0000, which PostgreSQL cannot store', '\u0000 in a name'),
    ('{"s": "secret\ud800"}', '$.s: string contains a lone surrogate', 'lone high surrogate'),
    ('{"s": "\udc00secret"}', '$.s: string contains a lone surrogate', 'lone low surrogate'),
    ('["\ud800\u0041"]', '$[0]: string contains a lone surrogate', 'high surrogate followed by no low one'),
    ('{"\udfff": 1}', '$: object key contains a lone surrogate', 'lone surrogate in a name'),
    ('{"n": [1, 1e400]}', '$.n[1]: number is outside the IEEE 754 double range', 'number above the double range'),
    ('{"n": -1e309}', '$.n: number is outside the IEEE 754 double range', 'number below the double range'),
    ('[1.7976931348623159e308]', '$[0]: number is outside the IEEE 754 double range', 'number that rounds to infinity'),
    ('[1e200000]', '$[0]: number is outside the IEEE 754 double range', 'number beyond PostgreSQL numeric'),
    ('{"b": {"x": "\ud800"}, "a": 1, "a": 2}', '$.b.x: string contains a lone surrogate', 'the first problem in document order wins'),
    ('{"a": 1, "a": {"x": "\u0000"}}', '$: duplicate key "a"', 'a duplicate key before a bad value wins')
  ) AS v (doc, message, description);
SELECT throws_ok($$SELECT teams_obs.payload_hash('{"a": 1, "a": 2}')$$, '22023', '$: duplicate key "a"',
                 'payload_hash refuses what canonical_json refuses');
SELECT throws_ok(format('SELECT teams_obs.canonical_json(%L)', '{"' || repeat('k', 150) || '": 1, "' || repeat('k', 150) || '": 2}'),
                 '22023', '$: duplicate key "' || repeat('k', 100) || '"', 'a name is cut to 100 characters in a message');

-- Catalog: pure, parallel safe, path pinned or bound at creation, executable by the three roles only.
SELECT is(p.provolatile::text || p.proparallel::text, 'is', p.oid::regprocedure::text || ' is IMMUTABLE PARALLEL SAFE')
  FROM pg_catalog.pg_proc AS p
 WHERE p.oid IN ('teams_obs.canonical_json(json)'::regprocedure, 'teams_obs.payload_hash(json)'::regprocedure);
SELECT is(array(SELECT r FROM unnest(ARRAY['teams_obs_writer', 'teams_obs_reader', 'teams_obs_maintainer', 'public']) AS r
                 WHERE has_function_privilege(r, 'teams_obs.payload_hash(json)', 'EXECUTE')),
          ARRAY['teams_obs_writer', 'teams_obs_reader', 'teams_obs_maintainer'],
          'payload_hash is executable by the three roles, not by PUBLIC');

SELECT * FROM finish();
ROLLBACK;
