-- Deploy teams_obs:canonical_json to pg
-- requires: schema

BEGIN;

-- RFC 8785 (JSON Canonicalization Scheme) in SQL, byte-identical to teams_obs/jcs.py (the rfc8785 package
-- with the same refusals). Numbers are IEEE doubles as in JavaScript: an integer beyond 2^53 is the nearest
-- double, an underflowing number is 0, and a number that rounds to infinity is refused.
--
-- Fast path: p_doc::jsonb, then one recursive query (_jcs_render) that gives every node a sort key and
-- aggregates the fragments in that order; one executor run per document, no per-container function call.
-- Members come from jsonb_object_keys and ->, not jsonb_each: jsonb_each builds its result tuple descriptor
-- and a tuplestore on every rescan, about 8% of the time on 1 KB documents.
-- jsonb cannot tell what the fast path must refuse, so:
--   * \u0000 and lone surrogates make p_doc::jsonb fail, a number outside the double range makes the cast
--     to float8 fail; those errors send the document to _jcs_screen;
--   * jsonb keeps the last of duplicate keys silently, so a member count decides: every member has exactly
--     one ':' token, and JCS never escapes ':' in strings, so the canonical text has as many ':' as the input
--     text unless a member was dropped (or the input spelled a colon \u003a, which also goes to the screen).
-- _jcs_screen walks the tokens of the text in document order and raises the first refusal with its path,
-- the same one jcs.py reports.
--
-- The internal _jcs_* functions are pure like canonical_json and granted with it (a function that is not
-- SECURITY DEFINER needs its caller to hold EXECUTE on what it calls). The SQL-standard bodies (RETURN) are
-- bound at creation and inlined by the planner, which is why they are not STRICT (the planner does not
-- inline a STRICT function whose body, a CASE, is not strict; NULL gives NULL all the same); the PL/pgSQL
-- ones pin search_path.
-- Every literal with a backslash is an E'' string (U+XXXX as E'\uXXXX', never U&''): a PL/pgSQL body is
-- compiled under the standard_conforming_strings of the session that first calls it, and only E'' strings
-- read the same under on and off (tests/test_session_settings.py). A SET clause would also do, at the price
-- of a setting switch on every call and no inlining.

-- Sort key of an object member: its name in UTF-16 code unit order, as bytes, then a 0x00 terminator (a name
-- cannot hold U+0000, so a name sorts before every longer name it is a prefix of). UTF-8 byte order is code
-- point order, which differs from UTF-16 order only between U+E000..U+FFFF and the astral planes (stored as
-- surrogates D800..DFFF in UTF-16); prefixing U+E000..U+FFFF with U+10FFFF (and writing U+10FFFF itself as
-- U+10FFFF U+0001) moves them above every astral character. Names in ASCII skip the regular expression.
-- STABLE only because convert_to() is (the planner inlines no IMMUTABLE function with a STABLE body).
CREATE FUNCTION teams_obs._jcs_sort_key(p_name text)
RETURNS bytea
LANGUAGE sql
STABLE PARALLEL SAFE
RETURN pg_catalog.convert_to(
    CASE WHEN pg_catalog.octet_length(p_name) = pg_catalog.length(p_name) THEN p_name
         ELSE pg_catalog.regexp_replace(
                  pg_catalog.replace(p_name, E'\U0010FFFF', E'\U0010FFFF\u0001'),
                  E'([\uE000-\uFFFF])', E'\U0010FFFF\\1', 'g')
    END, 'UTF8') || E'\\x00'::bytea;

-- ECMAScript Number::toString digits of a double >= 2^53 (always an integer there): the shortest digit
-- string that reads back as the same double, the closest to it among the shortest, an even last digit on
-- a tie. PostgreSQL's own shortest output (ryu) never picks a value on the rounding boundary, so for 1e23,
-- 5e22 or some halfway integers it prints a longer string; below 2^53 a boundary has at least 17
-- significant digits and its output is already the shortest. Here every length is tried on the exact
-- integer value: truncated and rounded up to k digits, each candidate read back through float8 (round half
-- to even, as a JSON parser reads it).
-- Returns the digits without trailing zeros and the position of the decimal point (value = 0.digits x
-- 10^point).
CREATE FUNCTION teams_obs._jcs_large_digits(p_magnitude double precision, OUT digits text, OUT point integer)
LANGUAGE plpgsql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_exponent integer := floor(ln(p_magnitude) / ln(2::double precision))::integer - 52;
    v_exact numeric;
    v_length integer;
    v_step numeric;
    v_low numeric;
    v_high numeric;
    v_low_ok boolean;
    v_high_ok boolean;
    v_best numeric;
BEGIN
    -- ln() may land one off near a power of two: bring the 53-bit significand into [2^52, 2^53).
    WHILE p_magnitude / 2::double precision ^ v_exponent >= 9007199254740992 LOOP
        v_exponent := v_exponent + 1;
    END LOOP;
    WHILE p_magnitude / 2::double precision ^ v_exponent < 4503599627370496 LOOP
        v_exponent := v_exponent - 1;
    END LOOP;
    -- Dividing by a power of two is exact; numeric integer powers are exact too.
    v_exact := (p_magnitude / 2::double precision ^ v_exponent)::bigint::numeric
               * trunc(2::numeric ^ v_exponent);
    v_length := length(v_exact::text);
    FOR v_digit_count IN 1 .. 17 LOOP
        v_step := trunc(10::numeric ^ (v_length - v_digit_count));
        v_low := div(v_exact, v_step) * v_step;
        v_high := v_low + v_step;
        v_low_ok := v_low::double precision = p_magnitude;
        -- Rounded up past the largest double (2^1024 - 2^970 and above reads as infinity): not a candidate.
        v_high_ok := CASE WHEN v_high < 1.7976931348623158079e308
                          THEN v_high::double precision = p_magnitude ELSE false END;
        IF v_low_ok OR v_high_ok THEN
            -- Both reading back, the nearer wins. They are never equally near: that needs v_exact to end
            -- in 5 followed by d - 1 zeros (d = the digits cut), so at most d - 1 factors of 2, while
            -- both candidates reading back needs 10^d within one ulp, 2^e with e at most d - 1.
            v_best := CASE
                WHEN NOT v_high_ok THEN v_low
                WHEN NOT v_low_ok THEN v_high
                WHEN v_exact - v_low < v_high - v_exact THEN v_low
                ELSE v_high
            END;
            digits := rtrim(v_best::text, '0');
            point := length(v_best::text);
            RETURN;
        END IF;
    END LOOP;
    RAISE EXCEPTION 'teams_obs._jcs_large_digits: no 17-digit form reads back as %', p_magnitude;
END
$function$;

-- ECMAScript Number::toString (ES 7.1.12.1, RFC 8785 §3.2.2.3) of a JSON number given as the text of a
-- PostgreSQL numeric. The cast to float8 rounds to nearest as JSON.parse does and fails (22003) outside the
-- double range, including underflow; canonical_json catches that and lets _jcs_screen decide.
-- extra_float_digits > 0 makes float8 output the shortest round-trip digits (PostgreSQL 12+), whatever the
-- session has set.
CREATE FUNCTION teams_obs._jcs_format_number(p_number text)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET extra_float_digits = 1
AS $function$
DECLARE
    v_value double precision := p_number::double precision;
    v_magnitude double precision := abs(v_value);
    v_text text;
    v_mantissa text;
    v_digits text;
    v_point integer;
    v_count integer;
BEGIN
    IF v_magnitude = 0 THEN
        RETURN '0';  -- -0 too
    ELSIF v_magnitude < 9007199254740992 AND v_magnitude = trunc(v_magnitude) THEN
        RETURN v_value::bigint::text;
    ELSIF v_magnitude >= 9007199254740992 THEN
        SELECT d.digits, d.point INTO v_digits, v_point FROM teams_obs._jcs_large_digits(v_magnitude) AS d;
    ELSE
        -- Shortest round-trip text, e.g. 123.456, 0.001, 1.5e-07: digits and decimal point position.
        v_text := v_magnitude::text;
        v_mantissa := split_part(v_text, 'e', 1);
        v_digits := replace(v_mantissa, '.', '');
        v_point := coalesce(nullif(strpos(v_mantissa, '.'), 0) - 1, length(v_mantissa))
                   + coalesce(nullif(split_part(v_text, 'e', 2), '')::integer, 0)
                   - (length(v_digits) - length(ltrim(v_digits, '0')));
        v_digits := rtrim(ltrim(v_digits, '0'), '0');
    END IF;
    v_count := length(v_digits);
    RETURN CASE WHEN v_value < 0 THEN '-' ELSE '' END || CASE
        WHEN v_count <= v_point AND v_point <= 21 THEN v_digits || repeat('0', v_point - v_count)
        WHEN 0 < v_point AND v_point <= 21 THEN left(v_digits, v_point) || '.' || substr(v_digits, v_point + 1)
        WHEN -6 < v_point AND v_point <= 0 THEN '0.' || repeat('0', -v_point) || v_digits
        ELSE left(v_digits, 1) || CASE WHEN v_count > 1 THEN '.' || substr(v_digits, 2) ELSE '' END
             || 'e' || CASE WHEN v_point > 0 THEN '+' ELSE '-' END || abs(v_point - 1)::text
    END;
END
$function$;

-- A JSON number as RFC 8785 writes it, from the text of a PostgreSQL numeric (jsonb's number type, which
-- never uses an exponent). Integers of up to 15 characters are already in ECMAScript form (a numeric has no
-- -0 and no leading zeros); anything else is formatted as a double.
CREATE FUNCTION teams_obs._jcs_number(p_number text)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN pg_catalog.octet_length(p_number) <= 15 AND pg_catalog.strpos(p_number, '.') = 0 THEN p_number
            ELSE teams_obs._jcs_format_number(p_number) END;

-- The canonical text of a jsonb value. Every node gets a sort key: the keys of its ancestors and its own
-- (_jcs_sort_key for a member, int4send of the position for an element), so one ORDER BY puts members in
-- UTF-16 order and elements in array order, each container's '{' or '[' before its children and its '}' or
-- ']' (key || 0xff) after them. Strings are written by jsonb, whose escaping is exactly RFC 8785's (as is
-- to_json(text)'s for names). Each child's fragment starts with U+0001 (which can only appear escaped in
-- the output) standing for the comma; after an opening bracket it is dropped.
CREATE FUNCTION teams_obs._jcs_render(p_doc jsonb)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN (
        WITH RECURSIVE node (sort_key, value, kind, fragment) AS (
            SELECT ''::bytea, p_doc, jsonb_typeof(p_doc), ''::text
            UNION ALL
            SELECT node.sort_key || child.sort_key, child.value, jsonb_typeof(child.value), child.prefix
              FROM node
             CROSS JOIN LATERAL (
                    SELECT teams_obs._jcs_sort_key(m.key) AS sort_key, node.value -> m.key AS value,
                           E'\x01' || to_json(m.key)::text || ':' AS prefix
                      FROM jsonb_object_keys(node.value) AS m (key)
                     WHERE node.kind = 'object'
                    UNION ALL
                    SELECT int4send(e.position::integer), e.value, E'\x01'
                      FROM jsonb_array_elements(node.value) WITH ORDINALITY AS e (value, position)
                     WHERE node.kind = 'array'
                   ) AS child
             WHERE node.kind IN ('object', 'array')  -- scalars have no children: no lateral rescan for them
        )
        SELECT replace(replace(replace(string_agg(f.fragment, '' ORDER BY f.sort_key),
                                       E'{\x01', '{'), E'[\x01', '['), E'\x01', ',')
          FROM (SELECT node.sort_key,
                       node.fragment || CASE node.kind
                           WHEN 'string' THEN node.value::text
                           WHEN 'number' THEN teams_obs._jcs_number(node.value::text)
                           WHEN 'object' THEN '{'
                           WHEN 'array' THEN '['
                           ELSE node.value::text
                       END
                  FROM node
                UNION ALL
                SELECT node.sort_key || E'\\xff'::bytea, CASE node.kind WHEN 'object' THEN '}' ELSE ']' END
                  FROM node
                 WHERE node.kind IN ('object', 'array')) AS f (sort_key, fragment)
    );
END
$function$;

-- True when the canonical text kept every member of the json text it came from (see the header: one ':' per
-- member, none escaped in the canonical form); false sends the document to _jcs_screen.
CREATE FUNCTION teams_obs._jcs_kept_every_member(p_json_text text, p_canonical text)
RETURNS boolean
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
RETURN pg_catalog.strpos(p_json_text, E'\\u003a') = 0 AND pg_catalog.strpos(p_json_text, E'\\u003A') = 0
   AND pg_catalog.octet_length(p_json_text) - pg_catalog.octet_length(pg_catalog.replace(p_json_text, ':', ''))
       = pg_catalog.octet_length(p_canonical) - pg_catalog.octet_length(pg_catalog.replace(p_canonical, ':', ''));

-- What RFC 8785 (or PostgreSQL) cannot take in the text of a JSON string token, or NULL. Escaped
-- backslashes are removed first so that every remaining backslash starts an escape.
CREATE FUNCTION teams_obs._jcs_string_problem(p_token text)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
RETURN CASE
    WHEN pg_catalog.replace(p_token, E'\\\\', '') ~* E'\\\\u0000' THEN E'\\u0000, which PostgreSQL cannot store'
    WHEN pg_catalog.replace(p_token, E'\\\\', '')
         ~* E'\\\\ud[89ab][0-9a-f]{2}(?!\\\\ud[c-f][0-9a-f]{2})|(?<!\\\\ud[89ab][0-9a-f]{2})\\\\ud[c-f][0-9a-f]{2}'
        THEN 'a lone surrogate'
END;

-- One step of a path: .name for an identifier, else the JSON string of the name; a name is cut to its first
-- 100 characters, like every value this project echoes in a message.
CREATE FUNCTION teams_obs._jcs_path_step(p_name text)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN p_name ~ '^[A-Za-z_][A-Za-z0-9_]{0,99}$' THEN '.' || p_name
            ELSE '.' || pg_catalog.to_json(pg_catalog.left(p_name, 100))::text END;

-- The refusals of RFC 8785 and of this project, in document order: walks the tokens of the json text (which
-- json input has already validated), keeping a path per open container, and raises 22023 with the path of
-- the first refusal:
--   <object path>: duplicate key "<name>"
--   <object path>: object key contains \u0000, which PostgreSQL cannot store | ... a lone surrogate
--   <path>: string contains \u0000, which PostgreSQL cannot store | ... a lone surrogate
--   <path>: number is outside the IEEE 754 double range
-- Paths read $, .name or ."name", [index]. Only names are echoed, never a value. Returns the document with
-- numbers that underflow a double written as 0 when there are any (jsonb may not hold them), else NULL.
-- The first duplicate key among an object's names, in document order (the second occurrence that comes
-- first), as _jcs_screen reports it, or NULL. Set-based: one sort, where checking each name against those
-- seen before in its object costs time that grows with the square of the object's size.
CREATE FUNCTION teams_obs._jcs_first_duplicate(p_objects integer[], p_names text[], p_paths text[])
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
RETURN (
    SELECT k.path || ': duplicate key ' || pg_catalog.to_json(pg_catalog.left(k.name, 100))::text
    FROM (SELECT u.path, u.name, u.ord,
                 pg_catalog.row_number() OVER (PARTITION BY u.object, u.name COLLATE "C" ORDER BY u.ord) AS occurrence
            FROM unnest(p_objects, p_names, p_paths) WITH ORDINALITY AS u(object, name, path, ord)) AS k
    WHERE k.occurrence = 2
    ORDER BY k.ord
    LIMIT 1
);

CREATE FUNCTION teams_obs._jcs_screen(p_doc json)
RETURNS json
LANGUAGE plpgsql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_token text;
    v_tokens text[] := '{}';
    v_underflow boolean := false;
    v_depth integer := 0;
    v_kind text[] := '{}';       -- per open container: 'object' or 'array'
    v_path text[] := '{}';       -- per open container: its path
    v_index integer[] := '{}';   -- per open array: position of the current element
    v_object integer[] := '{}';  -- per open object: its number in document order
    v_objects integer := 0;
    -- Every name, with its object's number and path: duplicates are looked for in one go (_jcs_first_duplicate).
    v_key_objects integer[] := '{}';
    v_key_names text[] := '{}';
    v_key_paths text[] := '{}';
    v_expect_name boolean := false;
    v_value_path text := '$';
    v_name text;
    v_problem text;
    v_refusal text;
    v_mantissa text;
    v_order numeric;
BEGIN
    FOR v_token IN
        SELECT t[1] FROM regexp_matches(p_doc::text, E'("(?:[^"\\\\]|\\\\.)*"|[{}\\[\\]:,]|[^\\s"{}\\[\\]:,]+)', 'g') AS t
    LOOP
        CASE left(v_token, 1)
        WHEN '{', '[' THEN
            v_depth := v_depth + 1;
            v_path[v_depth] := v_value_path;
            IF v_token = '{' THEN
                v_kind[v_depth] := 'object';
                v_objects := v_objects + 1;
                v_object[v_depth] := v_objects;
                v_expect_name := true;
            ELSE
                v_kind[v_depth] := 'array';
                v_index[v_depth] := 0;
                v_value_path := v_value_path || '[0]';
            END IF;
        WHEN '}', ']' THEN
            v_depth := v_depth - 1;
            v_expect_name := false;  -- after {} a string is a value
        WHEN ',' THEN
            IF v_kind[v_depth] = 'object' THEN
                v_expect_name := true;
            ELSE
                v_index[v_depth] := v_index[v_depth] + 1;
                v_value_path := v_path[v_depth] || '[' || v_index[v_depth] || ']';
            END IF;
        WHEN ':' THEN
            NULL;
        WHEN '"' THEN
            v_problem := teams_obs._jcs_string_problem(v_token);
            IF v_expect_name THEN
                IF v_problem IS NOT NULL THEN
                    v_refusal := v_path[v_depth] || ': object key contains ' || v_problem;
                    EXIT;
                END IF;
                v_name := v_token::json #>> '{}';
                v_key_objects := array_append(v_key_objects, v_object[v_depth]);
                v_key_names := array_append(v_key_names, v_name);
                v_key_paths := array_append(v_key_paths, v_path[v_depth]);
                v_value_path := v_path[v_depth] || teams_obs._jcs_path_step(v_name);
                v_expect_name := false;
            ELSIF v_problem IS NOT NULL THEN
                v_refusal := v_value_path || ': string contains ' || v_problem;
                EXIT;
            END IF;
        ELSE
            IF v_token NOT IN ('true', 'false', 'null') THEN
                BEGIN
                    PERFORM v_token::double precision;
                EXCEPTION WHEN numeric_value_out_of_range THEN
                    -- Overflow or underflow? The decimal order of magnitude of the first significant digit.
                    v_mantissa := ltrim(split_part(lower(v_token), 'e', 1), '-');
                    v_order := strpos(v_mantissa || '.', '.') - 2
                               - (length(replace(v_mantissa, '.', '')) - length(ltrim(replace(v_mantissa, '.', ''), '0')))
                               + coalesce(nullif(split_part(lower(v_token), 'e', 2), '')::numeric, 0);
                    IF v_order >= 0 THEN
                        v_refusal := v_value_path || ': number is outside the IEEE 754 double range';
                    END IF;
                    v_token := '0';
                    v_underflow := true;
                END;
                EXIT WHEN v_refusal IS NOT NULL;
            END IF;
        END CASE;
        v_tokens := array_append(v_tokens, v_token);
    END LOOP;
    -- A duplicate before the refusal that ended the walk, if any, comes first in document order.
    v_refusal := coalesce(teams_obs._jcs_first_duplicate(v_key_objects, v_key_names, v_key_paths), v_refusal);
    IF v_refusal IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = v_refusal;
    END IF;
    RETURN CASE WHEN v_underflow THEN array_to_string(v_tokens, ' ')::json END;
END
$function$;

CREATE FUNCTION teams_obs.canonical_json(p_doc json)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_canonical text;
BEGIN
    BEGIN
        v_canonical := teams_obs._jcs_render(p_doc::jsonb);
    EXCEPTION WHEN untranslatable_character OR invalid_text_representation OR numeric_value_out_of_range THEN
        v_canonical := NULL;  -- \u0000, a lone surrogate, a number outside the double range: see below
    END;
    IF v_canonical IS NULL OR NOT teams_obs._jcs_kept_every_member(p_doc::text, v_canonical) THEN
        -- Raises the first refusal with its path; otherwise the document only had underflowing numbers (or
        -- a spelled-out colon) and is rendered again.
        v_canonical := teams_obs._jcs_render(coalesce(teams_obs._jcs_screen(p_doc), p_doc)::jsonb);
    END IF;
    RETURN v_canonical;
END
$function$;

COMMENT ON FUNCTION teams_obs.canonical_json(json) IS
    E'RFC 8785 (JCS) canonical form of a JSON document: members in UTF-16 order, ECMAScript number form, no whitespace. Numbers are read as IEEE doubles. Refused with 22023 and the JSON path: duplicate keys, \\u0000, lone surrogates, numbers outside the double range. NULL gives NULL.';

DO $grants$
DECLARE
    v_function regprocedure;
BEGIN
    FOREACH v_function IN ARRAY ARRAY[
        'teams_obs._jcs_sort_key(text)', 'teams_obs._jcs_large_digits(double precision)',
        'teams_obs._jcs_format_number(text)', 'teams_obs._jcs_number(text)', 'teams_obs._jcs_render(jsonb)',
        'teams_obs._jcs_kept_every_member(text, text)', 'teams_obs._jcs_string_problem(text)',
        'teams_obs._jcs_path_step(text)', 'teams_obs._jcs_first_duplicate(integer[], text[], text[])',
        'teams_obs._jcs_screen(json)', 'teams_obs.canonical_json(json)'
    ]::regprocedure[] LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', v_function);
        EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO teams_obs_writer, teams_obs_reader, teams_obs_maintainer',
                       v_function);
    END LOOP;
END
$grants$;

COMMIT;
