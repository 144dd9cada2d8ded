-- PostgreSQL 15
--
-- PostgreSQL database dump
--




--
-- Name: teams_obs; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA teams_obs;


--
-- Name: SCHEMA teams_obs; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA teams_obs IS 'Observability data of the Microsoft Teams integration (teams_obs).';


--
-- Name: audit_event_recorded; Type: TYPE; Schema: teams_obs; Owner: -
--

CREATE TYPE teams_obs.audit_event_recorded AS (
	event_id uuid,
	payload_hash text,
	created_at timestamp with time zone
);


--
-- Name: TYPE audit_event_recorded; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON TYPE teams_obs.audit_event_recorded IS 'Result of record_audit_event: the event_id, payload_hash and created_at of the stored row.';


--
-- Name: cleanup_result; Type: TYPE; Schema: teams_obs; Owner: -
--

CREATE TYPE teams_obs.cleanup_result AS (
	kind text,
	table_name text,
	partitions integer,
	rows_removed bigint,
	names text[],
	cutoff timestamp with time zone
);


--
-- Name: TYPE cleanup_result; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON TYPE teams_obs.cleanup_result IS 'One row of a retention report: kind (partitions_dropped, default_rows_deleted, reservations_deleted, partitions_busy), table, partitions, rows removed, object names, the cutoff applied.';


--
-- Name: delivery_input; Type: TYPE; Schema: teams_obs; Owner: -
--

CREATE TYPE teams_obs.delivery_input AS (
	destination_type text,
	destination_id text,
	status text,
	internal_notification_id uuid,
	category text,
	attempt_number integer,
	error_code text,
	error_message text,
	retryable boolean,
	provider_message_id text,
	provider_request_id text,
	sent_at timestamp with time zone,
	delivered_at timestamp with time zone,
	responded_at timestamp with time zone,
	nonce text
);


--
-- Name: TYPE delivery_input; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON TYPE teams_obs.delivery_input IS 'One delivery outcome as passed to record_delivery (without p_tenant); the element type of record_deliveries.';


--
-- Name: delivery_recorded; Type: TYPE; Schema: teams_obs; Owner: -
--

CREATE TYPE teams_obs.delivery_recorded AS (
	inserted boolean,
	delivery_id uuid,
	idempotency_key text,
	created_at timestamp with time zone
);


--
-- Name: TYPE delivery_recorded; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON TYPE teams_obs.delivery_recorded IS 'Result of record_delivery: whether this call stored the row, and the delivery_id, idempotency key and created_at of the stored row (the original one on a repeat).';


--
-- Name: month_partitioned_table; Type: TYPE; Schema: teams_obs; Owner: -
--

CREATE TYPE teams_obs.month_partitioned_table AS (
	parent_oid oid,
	parent text,
	schema_name name,
	table_name name,
	key_column text,
	default_partition text,
	column_names text[]
);


--
-- Name: TYPE month_partitioned_table; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON TYPE teams_obs.month_partitioned_table IS 'A table that monthly partition upkeep covers, with the quoted names its partition DDL needs.';


--
-- Name: _jcs_first_duplicate(integer[], text[], text[]); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs._jcs_first_duplicate(p_objects integer[], p_names text[], p_paths text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (SELECT ((k.path || ': duplicate key '::text) || (to_json("left"(k.name, 100)))::text) FROM (SELECT u.path, u.name, u.ord, row_number() OVER (PARTITION BY u.object, (u.name COLLATE "C") ORDER BY u.ord) AS occurrence FROM UNNEST(_jcs_first_duplicate.p_objects, _jcs_first_duplicate.p_names, _jcs_first_duplicate.p_paths) WITH ORDINALITY u(object, name, path, ord)) k WHERE (k.occurrence = 2) ORDER BY k.ord LIMIT 1);


--
-- Name: _jcs_format_number(text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs._jcs_format_number(p_number text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET extra_float_digits TO '1'
    AS $$
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
$$;


--
-- Name: _jcs_kept_every_member(text, text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs._jcs_kept_every_member(p_json_text text, p_canonical text) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ((strpos(p_json_text, '\u003a'::text) = 0) AND (strpos(p_json_text, '\u003A'::text) = 0) AND ((octet_length(p_json_text) - octet_length(replace(p_json_text, ':'::text, ''::text))) = (octet_length(p_canonical) - octet_length(replace(p_canonical, ':'::text, ''::text)))));


--
-- Name: _jcs_large_digits(double precision); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs._jcs_large_digits(p_magnitude double precision, OUT digits text, OUT point integer) RETURNS record
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
$$;


--
-- Name: _jcs_number(text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs._jcs_number(p_number text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN ((octet_length(p_number) <= 15) AND (strpos(p_number, '.'::text) = 0)) THEN p_number ELSE teams_obs._jcs_format_number(p_number) END;


--
-- Name: _jcs_path_step(text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs._jcs_path_step(p_name text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN (p_name ~ '^[A-Za-z_][A-Za-z0-9_]{0,99}$'::text) THEN ('.'::text || p_name) ELSE ('.'::text || (to_json("left"(p_name, 100)))::text) END;


--
-- Name: _jcs_render(jsonb); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs._jcs_render(p_doc jsonb) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
$$;


--
-- Name: _jcs_screen(json); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs._jcs_screen(p_doc json) RETURNS json
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
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
$_$;


--
-- Name: _jcs_sort_key(text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs._jcs_sort_key(p_name text) RETURNS bytea
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (convert_to(CASE WHEN (octet_length(p_name) = length(p_name)) THEN p_name ELSE regexp_replace(replace(p_name, '􏿿'::text, '􏿿'::text), '([-￿])'::text, '􏿿\1'::text, 'g'::text) END, 'UTF8'::name) || '\x00'::bytea);


--
-- Name: _jcs_string_problem(text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs._jcs_string_problem(p_token text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN (replace(p_token, '\\'::text, ''::text) ~* '\\u0000'::text) THEN '\u0000, which PostgreSQL cannot store'::text WHEN (replace(p_token, '\\'::text, ''::text) ~* '\\ud[89ab][0-9a-f]{2}(?!\\ud[c-f][0-9a-f]{2})|(?<!\\ud[89ab][0-9a-f]{2})\\ud[c-f][0-9a-f]{2}'::text) THEN 'a lone surrogate'::text ELSE NULL::text END;


--
-- Name: clean_text(text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.clean_text(p_value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN NULLIF(btrim(p_value, ' 	



             

  　﻿'::text), ''::text);


--
-- Name: FUNCTION clean_text(p_value text); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.clean_text(p_value text) IS 'Trims leading and trailing whitespace as JavaScript trim() does; empty text becomes NULL.';


--
-- Name: activity_text(jsonb, text[]); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.activity_text(p_activity jsonb, p_path text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN teams_obs.clean_text(CASE WHEN (jsonb_typeof((p_activity #> p_path)) = 'string'::text) THEN (p_activity #>> p_path) ELSE NULL::text END);


--
-- Name: FUNCTION activity_text(p_activity jsonb, p_path text[]); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.activity_text(p_activity jsonb, p_path text[]) IS 'Trimmed string at p_path of a Bot Framework activity; NULL when absent, blank or not a string.';


--
-- Name: attach_month_partition(regclass, timestamp with time zone); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.attach_month_partition(p_parent regclass, p_month_start timestamp with time zone) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $_$
DECLARE
    v_table teams_obs.month_partitioned_table := teams_obs.month_partitioned_table_of(p_parent);
    v_partition text := teams_obs.month_partition_name(p_parent, p_month_start);
    v_month_end timestamptz := p_month_start + interval '1 month';
    v_statement text;
    v_moved bigint := 0;
    v_rows bigint;
    v_waiting boolean;
BEGIN
    PERFORM teams_obs.lock_partition_maintenance(p_parent);
    IF EXISTS (SELECT 1 FROM teams_obs.partition_bounds(p_parent) AS b
                WHERE b.lower_bound = p_month_start AND b.upper_bound = v_month_end) THEN
        RETURN NULL;
    END IF;
    IF p_month_start < date_trunc('month', now()) THEN
        IF v_table.default_partition IS NULL THEN
            RETURN NULL;
        END IF;
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %1$s WHERE %2$s >= $1 AND %2$s < $2)',
                       v_table.default_partition, v_table.key_column)
           INTO v_waiting USING p_month_start, v_month_end;
        IF NOT v_waiting THEN
            RETURN NULL;
        END IF;
    END IF;
    FOREACH v_statement IN ARRAY ARRAY[
        'CREATE TABLE %2$s
    (LIKE %1$s INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE INCLUDING INDEXES)',
        '-- LIKE copies no row level security: a partition read directly must not bypass the parent''s policy.
ALTER TABLE %2$s ENABLE ROW LEVEL SECURITY',
        'ALTER TABLE %2$s ADD CONSTRAINT teams_obs_maintain_bounds
    CHECK (%4$s >= %6$L AND %4$s < %7$L)',
        'WITH moved AS (
    DELETE FROM %3$s WHERE %4$s >= %6$L AND %4$s < %7$L
    RETURNING %5$s)
INSERT INTO %2$s (%5$s) SELECT %5$s FROM moved',
        'WITH moved AS (
    DELETE FROM %3$s WHERE %4$s >= %6$L AND %4$s < %7$L
    RETURNING %5$s)
INSERT INTO %2$s (%5$s) SELECT %5$s FROM moved',
        'LOCK TABLE ONLY %1$s IN EXCLUSIVE MODE',
        'LOCK TABLE %3$s IN ACCESS EXCLUSIVE MODE',
        'WITH moved AS (
    DELETE FROM %3$s WHERE %4$s >= %6$L AND %4$s < %7$L
    RETURNING %5$s)
INSERT INTO %2$s (%5$s) SELECT %5$s FROM moved',
        'ALTER TABLE %1$s ATTACH PARTITION %2$s
    FOR VALUES FROM (%6$L) TO (%7$L)',
        'SELECT pg_catalog.truncate_local_data_after_distributing_table(''%2$s''::regclass)',
        'ALTER TABLE %2$s DROP CONSTRAINT teams_obs_maintain_bounds'
    ] LOOP
        -- Without a DEFAULT partition, the statements that name it (%3$s) have nothing to do.
        CONTINUE WHEN v_table.default_partition IS NULL AND strpos(v_statement, '%3$s') > 0;
        -- Nor, without Citus, the one for Citus's copy of the moved rows.
        CONTINUE WHEN v_statement = 'SELECT pg_catalog.truncate_local_data_after_distributing_table(''%2$s''::regclass)'
                      AND NOT teams_obs.citus_installed();
        EXECUTE format(v_statement, v_table.parent, v_partition, v_table.default_partition, v_table.key_column,
                       array_to_string(v_table.column_names, ', '),
                       to_char(p_month_start, 'YYYY-MM-DD HH24:MI:SS') || '+00',
                       to_char(v_month_end, 'YYYY-MM-DD HH24:MI:SS') || '+00');
        -- The rows moved: those of the move before the locks and of the move under them.
        IF v_statement = 'WITH moved AS (
    DELETE FROM %3$s WHERE %4$s >= %6$L AND %4$s < %7$L
    RETURNING %5$s)
INSERT INTO %2$s (%5$s) SELECT %5$s FROM moved' THEN
            GET DIAGNOSTICS v_rows = ROW_COUNT;
            v_moved := v_moved + v_rows;
        END IF;
    END LOOP;
    RETURN v_moved;
END
$_$;


--
-- Name: FUNCTION attach_month_partition(p_parent regclass, p_month_start timestamp with time zone); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.attach_month_partition(p_parent regclass, p_month_start timestamp with time zone) IS 'Creates p_parent''s partition of the UTC month starting at p_month_start, moving its rows out of DEFAULT; returns the rows moved, NULL if that partition exists or the month is past with no row of it in DEFAULT. Run by teams-obs maintain.';


--
-- Name: canonical_json(json); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.canonical_json(p_doc json) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
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
$$;


--
-- Name: FUNCTION canonical_json(p_doc json); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.canonical_json(p_doc json) IS 'RFC 8785 (JCS) canonical form of a JSON document: members in UTF-16 order, ECMAScript number form, no whitespace. Numbers are read as IEEE doubles. Refused with 22023 and the JSON path: duplicate keys, \u0000, lone surrogates, numbers outside the double range. NULL gives NULL.';


--
-- Name: check_retention_cutoff(timestamp with time zone); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.check_retention_cutoff(p_cutoff timestamp with time zone) RETURNS void
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF p_cutoff IS NULL OR NOT isfinite(p_cutoff) OR p_cutoff > now() THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'cutoff: must be a finite time not after now()';
    END IF;
END
$$;


--
-- Name: FUNCTION check_retention_cutoff(p_cutoff timestamp with time zone); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.check_retention_cutoff(p_cutoff timestamp with time zone) IS '22023 unless p_cutoff is a finite time not after now().';


--
-- Name: citus_installed(); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.citus_installed() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN (EXISTS (SELECT 1 FROM pg_extension e WHERE (e.extname = 'citus'::name)));


--
-- Name: FUNCTION citus_installed(); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.citus_installed() IS 'True when the citus extension is installed in this database.';


--
-- Name: cleanup_audit_events(interval, integer); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.cleanup_audit_events(p_retention interval DEFAULT '365 days'::interval, p_batch_size integer DEFAULT 10000) RETURNS SETOF teams_obs.cleanup_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN QUERY
    SELECT * FROM teams_obs.cleanup_partitioned_table('teams_obs.audit_events',
                                                      teams_obs.retention_cutoff(p_retention), p_batch_size);
END
$$;


--
-- Name: FUNCTION cleanup_audit_events(p_retention interval, p_batch_size integer); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.cleanup_audit_events(p_retention interval, p_batch_size integer) IS 'Retention of audit events: deletes DEFAULT rows older than now() - p_retention in batches, drops monthly partitions ending at or before it (never DEFAULT, current or future); reports what it removed.';


--
-- Name: cleanup_notification_deliveries(interval, integer); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.cleanup_notification_deliveries(p_retention interval DEFAULT '90 days'::interval, p_batch_size integer DEFAULT 10000) RETURNS SETOF teams_obs.cleanup_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN QUERY
    SELECT * FROM teams_obs.cleanup_partitioned_table('teams_obs.notification_deliveries',
                                                      teams_obs.retention_cutoff(p_retention), p_batch_size);
END
$$;


--
-- Name: FUNCTION cleanup_notification_deliveries(p_retention interval, p_batch_size integer); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.cleanup_notification_deliveries(p_retention interval, p_batch_size integer) IS 'Retention of deliveries: deletes reservations and DEFAULT rows older than now() - p_retention in batches, drops monthly partitions ending at or before it (never DEFAULT, current or future); reports what it removed.';


--
-- Name: cleanup_partitioned_table(regclass, timestamp with time zone, integer); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.cleanup_partitioned_table(p_parent regclass, p_cutoff timestamp with time zone, p_batch_size integer DEFAULT 10000) RETURNS SETOF teams_obs.cleanup_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET lock_timeout TO '60s'
    AS $$
DECLARE
    v_table record;
    v_rows bigint;
BEGIN
    PERFORM teams_obs.check_retention_cutoff(p_cutoff);
    PERFORM teams_obs.lock_partition_maintenance(p_parent);
    FOR v_table IN SELECT * FROM teams_obs.retention_row_tables(p_parent) LOOP
        SELECT coalesce(sum(teams_obs.delete_retention_batch(p_parent, b.table_name, p_cutoff,
                                                             b.first_page, b.end_page)), 0)
          INTO v_rows
          FROM teams_obs.retention_row_batches(p_parent, p_batch_size) AS b
         WHERE b.table_name = v_table.table_name;
        RETURN NEXT teams_obs.rows_deleted_result(p_parent, v_table.table_name, v_table.kind, v_table.is_default,
                                                  v_rows, p_cutoff);
    END LOOP;
    RETURN QUERY SELECT * FROM teams_obs.drop_expired_partitions(p_parent, p_cutoff);
END
$$;


--
-- Name: FUNCTION cleanup_partitioned_table(p_parent regclass, p_cutoff timestamp with time zone, p_batch_size integer); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.cleanup_partitioned_table(p_parent regclass, p_cutoff timestamp with time zone, p_batch_size integer) IS 'Retention of a monthly-partitioned table in one transaction: deletes expired rows (retention_row_tables) in batches, drops partitions ending at or before p_cutoff (never DEFAULT, current or future ones); one cleanup_result row per kind.';


--
-- Name: cursor_checksum(text, uuid, text, uuid); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.cursor_checksum(p_list text, p_tenant uuid, p_at text, p_id uuid) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT left(encode(sha256(convert_to(
               format('teams_obs.cursor.v1|%s|%s|%s|%s', p_list, p_tenant, p_at, p_id), 'UTF8')), 'hex'), 16);
$$;


--
-- Name: decode_cursor(text, uuid, text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.decode_cursor(p_list text, p_tenant uuid, p_cursor text, OUT created_at timestamp with time zone, OUT id uuid) RETURNS record
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_text text := btrim(p_cursor, E' \t\r\n');
    v_doc jsonb;
    v_at text;
    v_microseconds numeric;
BEGIN
    IF v_text IS NULL OR v_text = '' THEN
        RETURN;
    END IF;
    BEGIN
        IF length(v_text) > 512 OR v_text !~ '^[A-Za-z0-9_-]+$' THEN
            RAISE EXCEPTION USING ERRCODE = '22023';
        END IF;
        v_doc := convert_from(decode(rpad(translate(v_text, '-_', '+/'), (length(v_text) + 3) / 4 * 4, '='),
                                     'base64'), 'UTF8')::jsonb;
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'cursor: malformed (not a cursor returned by this list; pass next_cursor unchanged)';
    END;
    IF jsonb_typeof(v_doc) IS DISTINCT FROM 'object'
       OR (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(v_doc) AS k) <> ARRAY['at', 'ck', 'id', 'l', 'v']
       OR v_doc -> 'v' <> '1'::jsonb
       OR jsonb_typeof(v_doc -> 'l') <> 'string'
       OR NOT (jsonb_typeof(v_doc -> 'at') = 'number' AND (v_doc ->> 'at') ~ '^-?[0-9]{1,19}$'
               OR v_doc -> 'at' IN ('"infinity"', '"-infinity"'))
       OR jsonb_typeof(v_doc -> 'id') <> 'string'
       OR (v_doc ->> 'id') !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
       OR jsonb_typeof(v_doc -> 'ck') <> 'string' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'cursor: malformed (unexpected content; pass next_cursor unchanged)';
    END IF;
    IF v_doc ->> 'l' <> p_list THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('cursor: issued by list %s, not by %s', to_json(left(v_doc ->> 'l', 100)),
                             to_json(p_list));
    END IF;
    v_at := v_doc ->> 'at';
    id := (v_doc ->> 'id')::uuid;
    IF v_doc ->> 'ck' <> teams_obs.cursor_checksum(p_list, p_tenant, v_at, id) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'cursor: checksum mismatch (altered, or issued for another tenant)';
    END IF;
    IF v_at IN ('infinity', '-infinity') THEN
        created_at := v_at::timestamptz;
        RETURN;
    END IF;
    -- As encode_cursor wrote it, in a timestamp without time zone: no time zone's calendar in the arithmetic.
    v_microseconds := v_at::numeric;
    BEGIN
        created_at := ('1970-01-01'::timestamp + div(v_microseconds, 86400000000) * interval '1 day'
                       + mod(v_microseconds, 86400000000) * interval '1 microsecond') AT TIME ZONE 'UTC';
    EXCEPTION WHEN data_exception THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'cursor: timestamp out of range';
    END;
END
$_$;


--
-- Name: FUNCTION decode_cursor(p_list text, p_tenant uuid, p_cursor text, OUT created_at timestamp with time zone, OUT id uuid); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.decode_cursor(p_list text, p_tenant uuid, p_cursor text, OUT created_at timestamp with time zone, OUT id uuid) IS 'Position (created_at, id) of a cursor from encode_cursor for the same list and tenant; NULLs for a NULL or blank cursor; 22023 for anything else.';


--
-- Name: default_partition_months(regclass); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.default_partition_months(p_parent regclass) RETURNS TABLE(month_start timestamp with time zone, row_count bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_table teams_obs.month_partitioned_table := teams_obs.month_partitioned_table_of(p_parent);
BEGIN
    IF v_table.default_partition IS NOT NULL THEN
        RETURN QUERY EXECUTE format(
            'SELECT pg_catalog.date_trunc(''month'', %1$s, ''UTC''), pg_catalog.count(*) FROM %2$s'
            ' WHERE %1$s >= ''0001-01-01 00:00:00+00'' AND %1$s < ''10000-01-01 00:00:00+00'' GROUP BY 1 ORDER BY 1',
            v_table.key_column, v_table.default_partition);
    END IF;
END
$_$;


--
-- Name: FUNCTION default_partition_months(p_parent regclass); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.default_partition_months(p_parent regclass) IS 'Rows in p_parent''s DEFAULT partition per UTC month (month_start, row_count).';


--
-- Name: delete_retention_batch(regclass, regclass, timestamp with time zone, bigint, bigint); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.delete_retention_batch(p_parent regclass, p_table regclass, p_cutoff timestamp with time zone, p_first_page bigint, p_end_page bigint) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET lock_timeout TO '60s'
    AS $_$
DECLARE
    v_table record;
    v_deleted bigint;
BEGIN
    PERFORM teams_obs.check_retention_cutoff(p_cutoff);
    SELECT * INTO v_table FROM teams_obs.retention_row_tables(p_parent) AS t WHERE t.table_name = p_table;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('table: retention of %s deletes no rows of %s', p_parent, p_table);
    END IF;
    IF v_table.is_default THEN
        PERFORM teams_obs.lock_partition_maintenance(p_parent);
    END IF;
    EXECUTE format('DELETE FROM %s WHERE ctid >= $1 AND ctid < $2 AND %I < $3', p_table, v_table.time_column)
        USING format('(%s,0)', p_first_page)::tid, format('(%s,0)', p_end_page)::tid, p_cutoff;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RAISE DEBUG 'delete_retention_batch: pages % to % of %: % rows deleted',
        p_first_page, p_end_page - 1, p_table, v_deleted;
    RETURN v_deleted;
END
$_$;


--
-- Name: FUNCTION delete_retention_batch(p_parent regclass, p_table regclass, p_cutoff timestamp with time zone, p_first_page bigint, p_end_page bigint); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.delete_retention_batch(p_parent regclass, p_table regclass, p_cutoff timestamp with time zone, p_first_page bigint, p_end_page bigint) IS 'One retention batch: deletes rows of p_table (one of retention_row_tables(p_parent)) before p_cutoff in heap pages [p_first_page, p_end_page); returns the count.';


--
-- Name: delivery_acceptable(uuid, text, text, text, text, text, integer, text, timestamp with time zone, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.delivery_acceptable(p_tenant uuid, p_destination_type text, p_destination_id text, p_status text, p_error_code text, p_category text, p_attempt_number integer, p_nonce text, p_sent_at timestamp with time zone, p_delivered_at timestamp with time zone, p_responded_at timestamp with time zone) RETURNS boolean
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (((p_tenant IS NULL) OR (p_destination_type IS NULL) OR (p_destination_type ~~ '%|%'::text) OR (p_destination_id IS NULL) OR (p_destination_id ~~ '%|%'::text) OR (p_attempt_number <= 0) OR (p_nonce ~~ '%|%'::text) OR (p_destination_type <> ALL ('{user_activity,bot_dm,chat,channel,bot_test}'::text[])) OR (p_status IS NULL) OR (p_status <> ALL ('{skipped,sent,delivered,failed}'::text[])) OR (p_error_code <> ALL ('{graph_throttled,graph_unauthorized,graph_not_found,graph_server_error,user_not_mapped,addon_inactive,integration_inactive,package_misconfigured,transient,unknown}'::text[])) OR (char_length(p_category) > 200) OR (p_sent_at < '0001-01-02 00:00:00+00'::timestamp with time zone) OR (p_sent_at >= '9999-12-31 00:00:00+00'::timestamp with time zone) OR (p_delivered_at < '0001-01-02 00:00:00+00'::timestamp with time zone) OR (p_delivered_at >= '9999-12-31 00:00:00+00'::timestamp with time zone) OR (p_responded_at < '0001-01-02 00:00:00+00'::timestamp with time zone) OR (p_responded_at >= '9999-12-31 00:00:00+00'::timestamp with time zone)) IS NOT TRUE);


--
-- Name: delivery_health(uuid, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.delivery_health(p_tenant uuid, p_since timestamp with time zone DEFAULT (now() - '7 days'::interval), p_until timestamp with time zone DEFAULT now()) RETURNS TABLE(day date, total bigint, skipped bigint, sent bigint, delivered bigint, failed bigint, error_codes jsonb, success_rate numeric, latency_samples bigint, latency_p50 interval, latency_p95 interval)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    IF p_tenant IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'tenant: required';
    -- The window's bounds are the recorders' times: each of its days is a row, which Python must read.
    ELSIF p_since IS NULL OR p_since < '0001-01-02 00:00:00+00'::timestamptz OR p_since >= '9999-12-31 00:00:00+00'::timestamptz THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = coalesce('since: must be a time from 0001-01-02 until 9999-12-31 (UTC), not ' || pg_catalog.left((p_since AT TIME ZONE 'UTC')::text, 100), 'since: must be a time from 0001-01-02 until 9999-12-31 (UTC), not NULL');
    ELSIF p_until IS NULL OR p_until < '0001-01-02 00:00:00+00'::timestamptz OR p_until >= '9999-12-31 00:00:00+00'::timestamptz THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = coalesce('until: must be a time from 0001-01-02 until 9999-12-31 (UTC), not ' || pg_catalog.left((p_until AT TIME ZONE 'UTC')::text, 100), 'until: must be a time from 0001-01-02 until 9999-12-31 (UTC), not NULL');
    ELSIF p_since >= p_until THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('since: must be before until (since %s, until %s)', p_since, p_until);
    ELSIF p_until - p_since > interval '731 days' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('until: the window may span at most 731 days, not %s', p_until - p_since);
    END IF;

    RETURN QUERY
    WITH window_rows AS (
        SELECT (d.created_at AT TIME ZONE 'UTC')::date AS day, d.status, d.error_code,
               -- delivered_at >= sent_at, so these two bounds hold both times inside the range.
               CASE WHEN d.delivered_at >= d.sent_at AND d.sent_at >= '0001-01-02 00:00:00+00'::timestamptz
                         AND d.delivered_at < '9999-12-31 00:00:00+00'::timestamptz
                    THEN d.delivered_at - d.sent_at END AS latency
          FROM teams_obs.notification_deliveries AS d
         WHERE d.tenant = p_tenant AND d.created_at >= p_since AND d.created_at < p_until
    ),
    by_status AS (
        SELECT r.day,
               count(*) AS total,
               count(*) FILTER (WHERE r.status = 'skipped') AS skipped,
               count(*) FILTER (WHERE r.status = 'sent') AS sent,
               count(*) FILTER (WHERE r.status = 'delivered') AS delivered,
               count(*) FILTER (WHERE r.status = 'failed') AS failed,
               count(r.latency) AS latency_samples,
               percentile_cont(0.5) WITHIN GROUP (ORDER BY r.latency) AS latency_p50,
               percentile_cont(0.95) WITHIN GROUP (ORDER BY r.latency) AS latency_p95
          FROM window_rows AS r
         GROUP BY GROUPING SETS ((r.day), ())
    ),
    by_error_code AS (
        SELECT c.day, jsonb_object_agg(c.error_code, c.n) AS error_codes
          FROM (SELECT r.day, r.error_code, count(*) AS n
                  FROM window_rows AS r
                 WHERE r.error_code IS NOT NULL
                 GROUP BY GROUPING SETS ((r.day, r.error_code), (r.error_code))) AS c
         GROUP BY c.day
    ),
    days AS (
        SELECT g.day::date AS day
          FROM generate_series((p_since AT TIME ZONE 'UTC')::date::timestamp,
                               ((p_until - interval '1 microsecond') AT TIME ZONE 'UTC')::date::timestamp,
                               interval '1 day') AS g (day)
        UNION ALL
        SELECT NULL::date
    )
    SELECT w.day,
           coalesce(s.total, 0),
           coalesce(s.skipped, 0),
           coalesce(s.sent, 0),
           coalesce(s.delivered, 0),
           coalesce(s.failed, 0),
           coalesce(e.error_codes, '{}'::jsonb),
           round(s.delivered::numeric / nullif(s.delivered + s.failed, 0), 4),
           coalesce(s.latency_samples, 0),
           s.latency_p50,
           s.latency_p95
      FROM days AS w
      LEFT JOIN by_status AS s ON s.day IS NOT DISTINCT FROM w.day
      LEFT JOIN by_error_code AS e ON e.day IS NOT DISTINCT FROM w.day
     ORDER BY w.day NULLS LAST;
END
$$;


--
-- Name: FUNCTION delivery_health(p_tenant uuid, p_since timestamp with time zone, p_until timestamp with time zone); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.delivery_health(p_tenant uuid, p_since timestamp with time zone, p_until timestamp with time zone) IS 'A tenant''s deliveries per UTC day of [p_since, p_until) plus a last row (day NULL) for the whole window: counts by status and error code, success_rate = delivered / (delivered + failed), p50/p95 of delivered_at - sent_at.';


--
-- Name: delivery_idempotency_key(uuid, uuid, text, text, integer, text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.delivery_idempotency_key(p_tenant uuid, p_internal_notification_id uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text DEFAULT NULL::text) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_destination_type text := teams_obs.clean_text(p_destination_type);
    v_destination_id text := teams_obs.clean_text(p_destination_id);
    v_attempt_number integer := coalesce(p_attempt_number, 1);
    v_nonce text := teams_obs.clean_text(p_nonce);
    v_problem text := teams_obs.delivery_key_problem(
        p_tenant, v_destination_type, v_destination_id, v_attempt_number, v_nonce);
BEGIN
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = v_problem;
    END IF;
    RETURN teams_obs.delivery_key_digest(
        p_tenant, p_internal_notification_id, v_destination_type, v_destination_id, v_attempt_number, v_nonce);
END
$$;


--
-- Name: FUNCTION delivery_idempotency_key(p_tenant uuid, p_internal_notification_id uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.delivery_idempotency_key(p_tenant uuid, p_internal_notification_id uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text) IS 'Idempotency key of a delivery attempt (SPEC §4): lowercase hex SHA-256 of notification|tenant|destination_type|destination_id|attempt[|nonce]. Text is trimmed first; a "|" inside a text component is refused (22023).';


--
-- Name: delivery_key_digest(uuid, uuid, text, text, integer, text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.delivery_key_digest(p_tenant uuid, p_internal_notification_id uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN encode(sha256(convert_to(concat_ws('|'::text, COALESCE((p_internal_notification_id)::text, ''::text), p_tenant, p_destination_type, p_destination_id, p_attempt_number, p_nonce), 'UTF8'::name)), 'hex'::text);


--
-- Name: delivery_key_problem(uuid, text, text, integer, text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.delivery_key_problem(p_tenant uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN CASE WHEN (p_tenant IS NULL) THEN 'tenant: required'::text WHEN (p_destination_type IS NULL) THEN 'destination_type: required'::text WHEN (p_destination_type ~~ '%|%'::text) THEN 'destination_type: must not contain "|"'::text WHEN (p_destination_id IS NULL) THEN 'destination_id: required'::text WHEN (p_destination_id ~~ '%|%'::text) THEN 'destination_id: must not contain "|"'::text WHEN (p_attempt_number <= 0) THEN ('attempt_number: must be positive, got '::text || (p_attempt_number)::text) WHEN (p_nonce ~~ '%|%'::text) THEN 'nonce: must not contain "|"'::text ELSE NULL::text END;


--
-- Name: delivery_normalised(teams_obs.delivery_input); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.delivery_normalised(p_row teams_obs.delivery_input) RETURNS teams_obs.delivery_input
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ROW(teams_obs.clean_text((p_row).destination_type), teams_obs.clean_text((p_row).destination_id), teams_obs.clean_text((p_row).status), (p_row).internal_notification_id, teams_obs.clean_text((p_row).category), COALESCE((p_row).attempt_number, 1), teams_obs.clean_text((p_row).error_code), "left"(teams_obs.clean_text((p_row).error_message), 1024), (p_row).retryable, teams_obs.clean_text((p_row).provider_message_id), teams_obs.clean_text((p_row).provider_request_id), (p_row).sent_at, (p_row).delivered_at, (p_row).responded_at, teams_obs.clean_text((p_row).nonce))::teams_obs.delivery_input;


--
-- Name: delivery_problem(uuid, text, text, text, text, text, integer, text, timestamp with time zone, timestamp with time zone, timestamp with time zone); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.delivery_problem(p_tenant uuid, p_destination_type text, p_destination_id text, p_status text, p_error_code text, p_category text, p_attempt_number integer, p_nonce text, p_sent_at timestamp with time zone, p_delivered_at timestamp with time zone, p_responded_at timestamp with time zone) RETURNS text
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN COALESCE(teams_obs.delivery_key_problem(p_tenant, p_destination_type, p_destination_id, p_attempt_number, p_nonce), CASE WHEN (p_destination_type <> ALL ('{user_activity,bot_dm,chat,channel,bot_test}'::text[])) THEN (('destination_type: invalid value "'::text || "left"(p_destination_type, 100)) || '"; expected one of user_activity, bot_dm, chat, channel, bot_test'::text) WHEN (p_status IS NULL) THEN 'status: required; expected one of skipped, sent, delivered, failed'::text WHEN (p_status <> ALL ('{skipped,sent,delivered,failed}'::text[])) THEN (('status: invalid value "'::text || "left"(p_status, 100)) || '"; expected one of skipped, sent, delivered, failed'::text) WHEN (p_error_code <> ALL ('{graph_throttled,graph_unauthorized,graph_not_found,graph_server_error,user_not_mapped,addon_inactive,integration_inactive,package_misconfigured,transient,unknown}'::text[])) THEN (('error_code: invalid value "'::text || "left"(p_error_code, 100)) || '"; expected NULL or one of graph_throttled, graph_unauthorized, graph_not_found, graph_server_error, user_not_mapped, addon_inactive, integration_inactive, package_misconfigured, transient, unknown'::text) WHEN (char_length(p_category) > 200) THEN 'category: longer than 200 characters'::text WHEN ((p_sent_at < '0001-01-02 00:00:00+00'::timestamp with time zone) OR (p_sent_at >= '9999-12-31 00:00:00+00'::timestamp with time zone)) THEN ('sent_at: must be a time from 0001-01-02 until 9999-12-31 (UTC), not '::text || "left"(((p_sent_at AT TIME ZONE 'UTC'::text))::text, 100)) WHEN ((p_delivered_at < '0001-01-02 00:00:00+00'::timestamp with time zone) OR (p_delivered_at >= '9999-12-31 00:00:00+00'::timestamp with time zone)) THEN ('delivered_at: must be a time from 0001-01-02 until 9999-12-31 (UTC), not '::text || "left"(((p_delivered_at AT TIME ZONE 'UTC'::text))::text, 100)) WHEN ((p_responded_at < '0001-01-02 00:00:00+00'::timestamp with time zone) OR (p_responded_at >= '9999-12-31 00:00:00+00'::timestamp with time zone)) THEN ('responded_at: must be a time from 0001-01-02 until 9999-12-31 (UTC), not '::text || "left"(((p_responded_at AT TIME ZONE 'UTC'::text))::text, 100)) ELSE NULL::text END);




--
-- Name: notification_delivery_idempotency; Type: TABLE; Schema: teams_obs; Owner: -
--

CREATE TABLE teams_obs.notification_delivery_idempotency (
    tenant uuid NOT NULL,
    idempotency_key text NOT NULL COLLATE pg_catalog."C",
    delivery_id uuid NOT NULL,
    created_at timestamp with time zone NOT NULL
);


--
-- Name: TABLE notification_delivery_idempotency; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON TABLE teams_obs.notification_delivery_idempotency IS 'Reservation of each (tenant, idempotency_key) with the delivery_id and created_at of the notification_deliveries row it belongs to.';


--
-- Name: delivery_reservation(uuid, text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.delivery_reservation(p_tenant uuid, p_idempotency_key text) RETURNS teams_obs.notification_delivery_idempotency
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_reservation teams_obs.notification_delivery_idempotency;
BEGIN
    SELECT r.* INTO v_reservation
    FROM teams_obs.notification_delivery_idempotency r
    WHERE r.tenant = p_tenant AND r.idempotency_key = p_idempotency_key;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '40001', MESSAGE = format(
            'idempotency_key: the reservation of %s was deleted (retention, a tenant purge) while this call '
            'read it; retry the call', p_idempotency_key);
    END IF;
    RETURN v_reservation;
END
$$;


--
-- Name: drop_expired_partitions(regclass, timestamp with time zone); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.drop_expired_partitions(p_parent regclass, p_cutoff timestamp with time zone) RETURNS SETOF teams_obs.cleanup_result
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET lock_timeout TO '500ms'
    AS $$
DECLARE
    v_current_month constant timestamptz := date_trunc('month', now(), 'UTC');
    v_expired text[];
    v_rows bigint[] := '{}';
    v_count bigint;
    v_dropped text[] := '{}';
    v_dropped_rows bigint := 0;
    v_busy text[] := '{}';
BEGIN
    PERFORM teams_obs.check_retention_cutoff(p_cutoff);
    PERFORM teams_obs.month_partitioned_table_of(p_parent);  -- as in retention_row_tables
    -- A row move by `teams-obs maintain` may hold the maintenance lock for a while: wait longer for it.
    PERFORM set_config('lock_timeout', '60s', true);
    PERFORM teams_obs.lock_partition_maintenance(p_parent);
    PERFORM set_config('lock_timeout', '500ms', true);

    SELECT coalesce(array_agg(b.partition_name ORDER BY b.upper_bound), '{}') INTO v_expired
      FROM teams_obs.partition_bounds(p_parent) AS b
     WHERE NOT b.is_default AND b.upper_bound <= p_cutoff AND b.upper_bound <= v_current_month;
    -- Counted before any DROP: the first DROP holds the parent's lock until the transaction ends.
    FOR v_index IN 1 .. cardinality(v_expired) LOOP
        EXECUTE format('SELECT count(*) FROM %s', v_expired[v_index]) INTO v_count;
        v_rows := v_rows || v_count;
    END LOOP;

    FOR v_index IN 1 .. cardinality(v_expired) LOOP
        FOR v_attempt IN 1 .. 5 LOOP
            BEGIN
                EXECUTE format('DROP TABLE %s', v_expired[v_index]);
                v_dropped := v_dropped || v_expired[v_index];
                v_dropped_rows := v_dropped_rows + v_rows[v_index];
                EXIT;
            -- A deadlock too: a reader of the partition bounds (pg_get_expr) locks the partitions in OID
            -- order, DEFAULT first, while the DROP holds the expired one and then asks for DEFAULT.
            EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
                IF v_attempt = 5 THEN
                    v_busy := v_busy || v_expired[v_index];
                ELSE
                    PERFORM pg_sleep(0.05 * 2 ^ v_attempt);
                END IF;
            END;
        END LOOP;
    END LOOP;

    RETURN NEXT ROW('partitions_dropped', p_parent::text, cardinality(v_dropped), v_dropped_rows, v_dropped,
                    p_cutoff)::teams_obs.cleanup_result;
    IF cardinality(v_busy) > 0 THEN
        RETURN NEXT ROW('partitions_busy', p_parent::text, cardinality(v_busy), 0, v_busy,
                        p_cutoff)::teams_obs.cleanup_result;
    END IF;
END
$$;


--
-- Name: FUNCTION drop_expired_partitions(p_parent regclass, p_cutoff timestamp with time zone); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.drop_expired_partitions(p_parent regclass, p_cutoff timestamp with time zone) IS 'Drops the partitions of p_parent ending at or before p_cutoff (never DEFAULT, current or future ones); reports them as partitions_dropped, those still in use as partitions_busy.';


--
-- Name: encode_cursor(text, uuid, timestamp with time zone, uuid); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.encode_cursor(p_list text, p_tenant uuid, p_created_at timestamp with time zone, p_id uuid) RETURNS text
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT translate(encode(convert_to(format('{"v":1,"l":%s,"at":%s,"id":"%s","ck":"%s"}',
                                              to_json(p_list), CASE WHEN c.finite THEN c.at ELSE to_json(c.at)::text END,
                                              p_id, teams_obs.cursor_checksum(p_list, p_tenant, c.at, p_id)),
                                       'UTF8'), 'base64'),
                     E'+/=\n', '-_')
      -- As decode_cursor reads it back: whole days and microseconds of the day, exact over the whole range
      -- (extract(epoch) rounds in the last years a timestamptz holds, past 2^63 microseconds since 1970).
      FROM (SELECT isfinite(p_created_at) AS finite,
                   CASE WHEN isfinite(p_created_at)
                        THEN (((utc.at::date - date '1970-01-01')::numeric * 86400000000)
                              + extract(epoch FROM utc.at::time) * 1000000)::numeric(20, 0)::text
                        ELSE p_created_at::text END AS at
              FROM (SELECT p_created_at AT TIME ZONE 'UTC' AS at) utc) c;
$$;


--
-- Name: FUNCTION encode_cursor(p_list text, p_tenant uuid, p_created_at timestamp with time zone, p_id uuid); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.encode_cursor(p_list text, p_tenant uuid, p_created_at timestamp with time zone, p_id uuid) IS 'Opaque keyset cursor for list p_list of tenant p_tenant positioned after (p_created_at, p_id), microsecond-exact.';


--
-- Name: conversation_references; Type: TABLE; Schema: teams_obs; Owner: -
--

CREATE TABLE teams_obs.conversation_references (
    tenant uuid NOT NULL,
    microsoft_user_id text NOT NULL,
    conversation_id text NOT NULL,
    conversation_type text NOT NULL,
    service_url text NOT NULL,
    tenant_id_aad text,
    channel_id_bot_framework text DEFAULT 'msteams'::text NOT NULL,
    last_activity_at timestamp with time zone NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT conversation_references_conversation_type_check CHECK ((conversation_type = ANY ('{personal,groupChat,channel}'::text[])))
);


--
-- Name: TABLE conversation_references; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON TABLE teams_obs.conversation_references IS 'Latest Bot Framework conversation reference per (tenant, microsoft_user_id, conversation_id). Write through teams_obs.record_conversation_reference.';


--
-- Name: COLUMN conversation_references.microsoft_user_id; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON COLUMN teams_obs.conversation_references.microsoft_user_id IS 'from.aadObjectId of the activity, else from.id.';


--
-- Name: COLUMN conversation_references.tenant_id_aad; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON COLUMN teams_obs.conversation_references.tenant_id_aad IS 'channelData.tenant.id (Azure AD tenant); a later activity without it never erases a known one.';


--
-- Name: COLUMN conversation_references.last_activity_at; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON COLUMN teams_obs.conversation_references.last_activity_at IS 'Time of the newest activity seen; an older activity recorded late never moves it (or service_url) back.';


--
-- Name: find_conversation_reference(uuid, text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.find_conversation_reference(p_tenant uuid, p_conversation_id text) RETURNS SETOF teams_obs.conversation_references
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    -- Trimmed as recording trims it.
    v_conversation_id text := teams_obs.clean_text(p_conversation_id);
BEGIN
    IF p_tenant IS NULL THEN
        PERFORM teams_obs.raise_invalid_parameter('tenant: required');
    END IF;
    IF v_conversation_id IS NULL THEN
        PERFORM teams_obs.raise_invalid_parameter('conversation_id: required');
    END IF;
    RETURN QUERY
        SELECT r.*
          FROM teams_obs.conversation_references r
         WHERE r.tenant = p_tenant AND r.conversation_id = v_conversation_id
         ORDER BY r.last_activity_at DESC, r.microsoft_user_id;
END
$$;


--
-- Name: FUNCTION find_conversation_reference(p_tenant uuid, p_conversation_id text); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.find_conversation_reference(p_tenant uuid, p_conversation_id text) IS 'Conversation references of one conversation id, newest activity first (one per user who wrote in it); no row if unknown.';


--
-- Name: raise_invalid_parameter(text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.raise_invalid_parameter(p_message text) RETURNS text
    LANGUAGE plpgsql PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = p_message;
END
$$;


--
-- Name: FUNCTION raise_invalid_parameter(p_message text); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.raise_invalid_parameter(p_message text) IS 'Raises SQLSTATE 22023 (invalid_parameter_value) with the given message; never returns.';


--
-- Name: graph_status_error(integer); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.graph_status_error(p_http_status integer, OUT error_code text, OUT retryable boolean) RETURNS record
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    BEGIN ATOMIC
 SELECT
         CASE
             WHEN (p_http_status IS NULL) THEN 'transient'::text
             WHEN ((p_http_status < 100) OR (p_http_status > 999)) THEN teams_obs.raise_invalid_parameter((('http_status: not an HTTP status code: '::text || (p_http_status)::text) || '; pass NULL for a request that threw'::text))
             WHEN (p_http_status = ANY (ARRAY[401, 403])) THEN 'graph_unauthorized'::text
             WHEN (p_http_status = 404) THEN 'graph_not_found'::text
             WHEN (p_http_status = 429) THEN 'graph_throttled'::text
             WHEN ((p_http_status >= 500) AND (p_http_status <= 599)) THEN 'graph_server_error'::text
             ELSE 'unknown'::text
         END AS "case",
     ((p_http_status IS NULL) OR (p_http_status = 429) OR (p_http_status >= 500));
END;


--
-- Name: FUNCTION graph_status_error(p_http_status integer, OUT error_code text, OUT retryable boolean); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.graph_status_error(p_http_status integer, OUT error_code text, OUT retryable boolean) IS 'Maps a Microsoft Graph HTTP status to (error_code, retryable): 401/403 graph_unauthorized, 404 graph_not_found, 429 graph_throttled, 5xx graph_server_error, other unknown; retryable = 429 or >= 500. NULL = the request threw: transient, retryable.';


--
-- Name: latest_conversation_reference(uuid, text, text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.latest_conversation_reference(p_tenant uuid, p_microsoft_user_id text, p_conversation_type text DEFAULT 'personal'::text) RETURNS SETOF teams_obs.conversation_references
    LANGUAGE plpgsql STABLE SECURITY DEFINER ROWS 1
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_user_id text := teams_obs.clean_text(p_microsoft_user_id);
    v_conversation_type text := teams_obs.list_filter('conversation_type', p_conversation_type,
                                                      '{"personal","groupChat","channel"}'::text[]);
BEGIN
    IF p_tenant IS NULL THEN
        PERFORM teams_obs.raise_invalid_parameter('tenant: required');
    END IF;
    IF v_user_id IS NULL THEN
        PERFORM teams_obs.raise_invalid_parameter('microsoft_user_id: required');
    END IF;
    RETURN QUERY
        SELECT r.*
          FROM teams_obs.conversation_references r
         WHERE r.tenant = p_tenant
           AND r.microsoft_user_id = v_user_id
           AND (v_conversation_type IS NULL OR r.conversation_type = v_conversation_type)
         ORDER BY r.last_activity_at DESC, r.conversation_id DESC
         LIMIT 1;
END
$$;


--
-- Name: FUNCTION latest_conversation_reference(p_tenant uuid, p_microsoft_user_id text, p_conversation_type text); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.latest_conversation_reference(p_tenant uuid, p_microsoft_user_id text, p_conversation_type text) IS 'Most recently active conversation reference of a user, of one conversation type (default personal, NULL: any); no row if none.';


--
-- Name: list_audit_events(uuid, text, text, uuid, text, text, text, timestamp with time zone, timestamp with time zone, integer, text, text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.list_audit_events(p_tenant uuid, p_surface text DEFAULT NULL::text, p_action_id text DEFAULT NULL::text, p_actor_user_id uuid DEFAULT NULL::uuid, p_result_status text DEFAULT NULL::text, p_target_type text DEFAULT NULL::text, p_target_id text DEFAULT NULL::text, p_since timestamp with time zone DEFAULT NULL::timestamp with time zone, p_until timestamp with time zone DEFAULT NULL::timestamp with time zone, p_limit integer DEFAULT 50, p_cursor text DEFAULT NULL::text, p_error_code text DEFAULT NULL::text) RETURNS TABLE(tenant uuid, event_id uuid, actor_user_id uuid, microsoft_user_id text, surface text, action_id text, target_type text, target_id text, idempotency_key text, payload_hash text, result_status text, error_code text, created_at timestamp with time zone, next_cursor text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_surface text := teams_obs.list_filter('surface', p_surface, '{"bot","message_extension","quick_action","tab"}'::text[]);
    v_action_id text := teams_obs.list_filter('action_id', p_action_id,
        '{"assign_ticket","add_note","reply_to_contact","log_time","approval_response","create_ticket_from_message","update_from_message"}'::text[]);
    v_result_status text := teams_obs.list_filter('result_status', p_result_status,
        '{"success","failure"}'::text[]);
    v_target_type text := teams_obs.list_filter('target_type', p_target_type);
    v_target_id text := teams_obs.list_filter('target_id', p_target_id);
    v_error_code text := teams_obs.list_filter('error_code', p_error_code,
        '{"validation_error","forbidden","not_found","not_configured","capability_disabled","unsupported_action","duplicate_submission","execution_failed"}'::text[]);
    v_limit integer := least(greatest(coalesce(p_limit, 50), 1), 200);
    v_after record;
    v_where text := 'e.tenant = $1';
BEGIN
    IF p_tenant IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'tenant: required';
    END IF;
    IF p_since > p_until THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('since: %s is after until (%s)', p_since, p_until);
    END IF;
    SELECT c.created_at AS at, c.id INTO v_after
      FROM teams_obs.decode_cursor('audit_events', p_tenant, p_cursor) AS c;

    IF v_surface IS NOT NULL THEN
        v_where := v_where || ' AND e.surface = $2';
    END IF;
    IF v_action_id IS NOT NULL THEN
        v_where := v_where || ' AND e.action_id = $3';
    END IF;
    IF p_actor_user_id IS NOT NULL THEN
        v_where := v_where || ' AND e.actor_user_id = $4';
    END IF;
    IF v_result_status IS NOT NULL THEN
        v_where := v_where || ' AND e.result_status = $5';
    END IF;
    IF v_target_type IS NOT NULL THEN
        v_where := v_where || ' AND e.target_type = $6';
    END IF;
    IF v_target_id IS NOT NULL THEN
        v_where := v_where || ' AND e.target_id = $7';
    END IF;
    IF v_error_code IS NOT NULL THEN
        -- Only failures carry an error code (CHECK); saying so lets the failures index serve it.
        v_where := v_where || ' AND e.error_code = $8 AND e.result_status = ''failure''';
    END IF;
    IF p_since IS NOT NULL THEN
        v_where := v_where || ' AND e.created_at >= $9';
    END IF;
    IF p_until IS NOT NULL THEN
        v_where := v_where || ' AND e.created_at < $10';
    END IF;
    IF v_after.at IS NOT NULL THEN
        v_where := v_where || ' AND e.created_at <= $11 AND (e.created_at, e.event_id) < ($11, $12)';
    END IF;

    RETURN QUERY EXECUTE format(
        $query$
        SELECT p.tenant, p.event_id, p.actor_user_id, p.microsoft_user_id, p.surface, p.action_id,
               p.target_type, p.target_id, p.idempotency_key, p.payload_hash, p.result_status,
               p.error_code, p.created_at,
               CASE WHEN p.position = $13 AND p.more
                    THEN teams_obs.encode_cursor('audit_events', p.tenant, p.created_at, p.event_id)
               END
          FROM (SELECT page.*,
                       row_number() OVER (ORDER BY page.created_at DESC, page.event_id DESC) AS position,
                       count(*) OVER () > $13 AS more
                  FROM (SELECT e.*
                          FROM teams_obs.audit_events AS e
                         WHERE %s
                         ORDER BY e.created_at DESC, e.event_id DESC
                         LIMIT $13 + 1) AS page) AS p
         WHERE p.position <= $13
         ORDER BY p.position
        $query$, v_where)
    USING p_tenant, v_surface, v_action_id, p_actor_user_id, v_result_status, v_target_type, v_target_id,
          v_error_code, p_since, p_until, v_after.at, v_after.id, v_limit;
END
$_$;


--
-- Name: FUNCTION list_audit_events(p_tenant uuid, p_surface text, p_action_id text, p_actor_user_id uuid, p_result_status text, p_target_type text, p_target_id text, p_since timestamp with time zone, p_until timestamp with time zone, p_limit integer, p_cursor text, p_error_code text); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.list_audit_events(p_tenant uuid, p_surface text, p_action_id text, p_actor_user_id uuid, p_result_status text, p_target_type text, p_target_id text, p_since timestamp with time zone, p_until timestamp with time zone, p_limit integer, p_cursor text, p_error_code text) IS 'One page of a tenant''s audit events, newest first, filtered exactly (22023 for an unknown value), keyset-paged by next_cursor (SPEC §8).';


--
-- Name: list_deliveries(uuid, text, text, text, text, uuid, timestamp with time zone, timestamp with time zone, integer, text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.list_deliveries(p_tenant uuid, p_status text DEFAULT NULL::text, p_category text DEFAULT NULL::text, p_destination_type text DEFAULT NULL::text, p_error_code text DEFAULT NULL::text, p_internal_notification_id uuid DEFAULT NULL::uuid, p_since timestamp with time zone DEFAULT NULL::timestamp with time zone, p_until timestamp with time zone DEFAULT NULL::timestamp with time zone, p_limit integer DEFAULT 50, p_cursor text DEFAULT NULL::text) RETURNS TABLE(tenant uuid, delivery_id uuid, internal_notification_id uuid, category text, destination_type text, destination_id text, attempt_number integer, idempotency_key text, provider_message_id text, status text, error_code text, error_message text, retryable boolean, provider_request_id text, sent_at timestamp with time zone, delivered_at timestamp with time zone, responded_at timestamp with time zone, created_at timestamp with time zone, next_cursor text)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_status text := teams_obs.list_filter('status', p_status, '{"skipped","sent","delivered","failed"}'::text[]);
    v_category text := teams_obs.list_filter('category', p_category);
    v_destination_type text := teams_obs.list_filter('destination_type', p_destination_type,
        '{"user_activity","bot_dm","chat","channel","bot_test"}'::text[]);
    v_error_code text := teams_obs.list_filter('error_code', p_error_code,
        '{"graph_throttled","graph_unauthorized","graph_not_found","graph_server_error","user_not_mapped","addon_inactive","integration_inactive","package_misconfigured","transient","unknown"}'::text[]);
    v_limit integer := least(greatest(coalesce(p_limit, 50), 1), 200);
    v_after record;
    v_where text := 'd.tenant = $1';
BEGIN
    IF p_tenant IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'tenant: required';
    END IF;
    IF p_since > p_until THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('since: %s is after until (%s)', p_since, p_until);
    END IF;
    SELECT c.created_at AS at, c.id INTO v_after
      FROM teams_obs.decode_cursor('deliveries', p_tenant, p_cursor) AS c;

    IF v_status IS NOT NULL THEN
        v_where := v_where || ' AND d.status = $2';
    END IF;
    IF v_category IS NOT NULL THEN
        v_where := v_where || ' AND d.category = $3';
    END IF;
    IF v_destination_type IS NOT NULL THEN
        v_where := v_where || ' AND d.destination_type = $4';
    END IF;
    IF v_error_code IS NOT NULL THEN
        v_where := v_where || ' AND d.error_code = $5';
    END IF;
    IF p_internal_notification_id IS NOT NULL THEN
        v_where := v_where || ' AND d.internal_notification_id = $6';
    END IF;
    IF p_since IS NOT NULL THEN
        v_where := v_where || ' AND d.created_at >= $7';
    END IF;
    IF p_until IS NOT NULL THEN
        v_where := v_where || ' AND d.created_at < $8';
    END IF;
    IF v_after.at IS NOT NULL THEN
        v_where := v_where || ' AND d.created_at <= $9 AND (d.created_at, d.delivery_id) < ($9, $10)';
    END IF;

    RETURN QUERY EXECUTE format(
        $query$
        SELECT p.tenant, p.delivery_id, p.internal_notification_id, p.category, p.destination_type,
               p.destination_id, p.attempt_number, p.idempotency_key, p.provider_message_id, p.status,
               p.error_code, p.error_message, p.retryable, p.provider_request_id, p.sent_at,
               p.delivered_at, p.responded_at, p.created_at,
               CASE WHEN p.position = $11 AND p.more
                    THEN teams_obs.encode_cursor('deliveries', p.tenant, p.created_at, p.delivery_id)
               END
          FROM (SELECT page.*,
                       row_number() OVER (ORDER BY page.created_at DESC, page.delivery_id DESC) AS position,
                       count(*) OVER () > $11 AS more
                  FROM (SELECT d.*
                          FROM teams_obs.notification_deliveries AS d
                         WHERE %s
                         ORDER BY d.created_at DESC, d.delivery_id DESC
                         LIMIT $11 + 1) AS page) AS p
         WHERE p.position <= $11
         ORDER BY p.position
        $query$, v_where)
    USING p_tenant, v_status, v_category, v_destination_type, v_error_code, p_internal_notification_id,
          p_since, p_until, v_after.at, v_after.id, v_limit;
END
$_$;


--
-- Name: FUNCTION list_deliveries(p_tenant uuid, p_status text, p_category text, p_destination_type text, p_error_code text, p_internal_notification_id uuid, p_since timestamp with time zone, p_until timestamp with time zone, p_limit integer, p_cursor text); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.list_deliveries(p_tenant uuid, p_status text, p_category text, p_destination_type text, p_error_code text, p_internal_notification_id uuid, p_since timestamp with time zone, p_until timestamp with time zone, p_limit integer, p_cursor text) IS 'One page of a tenant''s deliveries, newest first, filtered exactly (22023 for an unknown value), keyset-paged by next_cursor (SPEC §8).';


--
-- Name: list_filter(text, text, text[]); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.list_filter(p_field text, p_value text, p_allowed text[] DEFAULT NULL::text[]) RETURNS text
    LANGUAGE plpgsql IMMUTABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_value text := teams_obs.clean_text(p_value);
BEGIN
    IF p_value IS NULL THEN
        RETURN NULL;
    ELSIF v_value IS NULL AND p_allowed IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('%s: must not be blank (pass NULL for no filter)', p_field);
    ELSIF p_allowed IS NOT NULL AND (v_value IS NULL OR NOT v_value = ANY (p_allowed)) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('%s: invalid value "%s"; expected one of %s',
                             p_field, left(coalesce(v_value, p_value), 100), array_to_string(p_allowed, ', '));
    END IF;
    RETURN v_value;
END
$$;


--
-- Name: FUNCTION list_filter(p_field text, p_value text, p_allowed text[]); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.list_filter(p_field text, p_value text, p_allowed text[]) IS 'Trimmed filter value, NULL for no filter; 22023 naming p_field for a value outside p_allowed (or blank free text).';


--
-- Name: lock_partition_maintenance(regclass); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.lock_partition_maintenance(p_parent regclass) RETURNS void
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    EXECUTE format('LOCK TABLE ONLY %s IN SHARE UPDATE EXCLUSIVE MODE',
                   (teams_obs.month_partitioned_table_of(p_parent)).parent);
END
$$;


--
-- Name: FUNCTION lock_partition_maintenance(p_parent regclass); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.lock_partition_maintenance(p_parent regclass) IS 'Takes the lock serialising partition maintenance, retention and tenant purges of one month-partitioned table (SHARE UPDATE EXCLUSIVE on the parent alone) until the transaction ends.';


--
-- Name: maintain_partitions(integer, text, integer); Type: PROCEDURE; Schema: teams_obs; Owner: -
--

CREATE PROCEDURE teams_obs.maintain_partitions(IN p_months_ahead integer DEFAULT 3, IN p_lock_timeout text DEFAULT '500ms'::text, INOUT p_created integer DEFAULT NULL::integer)
    LANGUAGE plpgsql
    AS $$
DECLARE
    v_table pg_catalog.record;
    v_month pg_catalog.record;
    v_moved pg_catalog.int8;
    v_callers_timeout pg_catalog.text := pg_catalog.current_setting('lock_timeout');
    v_waits_without_end pg_catalog.bool;
BEGIN
    -- Not teams_obs.citus_installed(): that one is the owner's, and a procedure runs as its caller.
    IF EXISTS (SELECT FROM pg_catalog.pg_extension AS e WHERE e.extname OPERATOR(pg_catalog.=) 'citus') THEN
        RAISE EXCEPTION USING ERRCODE = '0A000',
            MESSAGE = 'maintain_partitions: not on Citus; run teams-obs maintain (one transaction per month)';
    END IF;
    -- 0 (also what PostgreSQL rounds a timeout below 1ms to) would wait for the locks without end: checked
    -- first, as PostgreSQL reads the value, which is then put back to the caller's.
    PERFORM pg_catalog.set_config('lock_timeout', p_lock_timeout, true);
    v_waits_without_end := pg_catalog.current_setting('lock_timeout') OPERATOR(pg_catalog.=) '0';
    PERFORM pg_catalog.set_config('lock_timeout', v_callers_timeout, true);
    IF v_waits_without_end THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = pg_catalog.format('lock_timeout: must be at least 1ms (0 waits for locks without end), got %s',
                                        pg_catalog.left(coalesce(p_lock_timeout, 'NULL'), 100));
    END IF;
    p_created := 0;
    FOR v_table IN SELECT t.parent_oid, t.parent FROM teams_obs.month_partitioned_tables() AS t LOOP
        FOR v_month IN SELECT m.month_start, m.partition_name, m.overlapping
                         FROM teams_obs.missing_month_partitions(v_table.parent_oid::pg_catalog.regclass,
                                                                 p_months_ahead) AS m
        LOOP
            IF pg_catalog.cardinality(v_month.overlapping) OPERATOR(pg_catalog.>) 0 THEN
                RAISE WARNING '%: overlapped by %, left alone', v_month.partition_name, v_month.overlapping;
                CONTINUE;
            END IF;
            PERFORM pg_catalog.set_config('lock_timeout', p_lock_timeout, true);
            BEGIN
                v_moved := teams_obs.attach_month_partition(v_table.parent_oid::pg_catalog.regclass,
                                                            v_month.month_start);
                IF v_moved IS NOT NULL THEN
                    p_created := p_created OPERATOR(pg_catalog.+) 1;
                    RAISE NOTICE '%: created, % rows moved out of DEFAULT', v_month.partition_name, v_moved;
                END IF;
            EXCEPTION
                WHEN lock_not_available THEN
                    RAISE WARNING '%: locks not granted within %, left to the next run', v_month.partition_name,
                        p_lock_timeout;
                -- One month in trouble (a table of its name left by a DETACH, say) must not keep the
                -- months after it from being made.
                WHEN OTHERS THEN
                    RAISE WARNING '%: % (%), left alone', v_month.partition_name, SQLERRM, SQLSTATE;
            END;
            COMMIT;
        END LOOP;
    END LOOP;
END
$$;


--
-- Name: PROCEDURE maintain_partitions(IN p_months_ahead integer, IN p_lock_timeout text, INOUT p_created integer); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON PROCEDURE teams_obs.maintain_partitions(IN p_months_ahead integer, IN p_lock_timeout text, INOUT p_created integer) IS 'teams-obs maintain from SQL (pg_cron): creates every missing monthly partition, one transaction per month; a busy month, or one that fails, is left with a warning and the others are made. p_created: months made.';


--
-- Name: maintenance_status(); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.maintenance_status() RETURNS TABLE(table_name text, partitions integer, oldest_partition text, oldest_partition_start timestamp with time zone, covered_until timestamp with time zone, months_ahead integer, default_partition text, default_rows bigint, sidecar_table text, sidecar_rows bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_now constant timestamptz := now();
    v_next_month constant timestamp := date_trunc('month', v_now AT TIME ZONE 'UTC') + interval '1 month';
    v_parent regclass;
    v_sidecar regclass;
    v_months interval;
    v_on_shards boolean;
BEGIN
    -- The sidecar is the table that retention deletes from beside the DEFAULT partition
    -- (retention_row_tables, of partition_retention, earlier in the plan).
    FOR v_parent, v_sidecar IN
        SELECT t.parent_oid::regclass, s.table_name
          FROM teams_obs.month_partitioned_tables() AS t
          LEFT JOIN LATERAL teams_obs.retention_row_tables(t.parent_oid::regclass) AS s ON NOT s.is_default
         ORDER BY t.table_name
    LOOP
        table_name := v_parent::text;
        SELECT count(*) FILTER (WHERE NOT b.is_default),
               (array_agg(b.partition_name ORDER BY b.lower_bound) FILTER (WHERE NOT b.is_default))[1],
               min(b.lower_bound) FILTER (WHERE NOT b.is_default),
               (array_agg(b.partition_name) FILTER (WHERE b.is_default))[1]
          INTO partitions, oldest_partition, oldest_partition_start, default_partition
          FROM teams_obs.partition_bounds(v_parent) AS b;

        WITH RECURSIVE bounds AS (
            SELECT b.lower_bound, b.upper_bound FROM teams_obs.partition_bounds(v_parent) AS b WHERE NOT b.is_default
        ), run AS (
            SELECT b.upper_bound FROM bounds AS b WHERE b.lower_bound <= v_now AND v_now < b.upper_bound
            UNION ALL
            SELECT b.upper_bound FROM run AS r JOIN bounds AS b ON b.lower_bound = r.upper_bound
        )
        SELECT max(r.upper_bound) INTO covered_until FROM run AS r;
        v_months := age(covered_until AT TIME ZONE 'UTC', v_next_month);
        months_ahead := CASE WHEN covered_until IS NULL OR v_months < interval '0' THEN 0
                             WHEN NOT isfinite(covered_until) THEN NULL
                             ELSE (extract(year FROM v_months) * 12 + extract(month FROM v_months))::integer END;

        default_rows := NULL;
        IF default_partition IS NOT NULL THEN
            EXECUTE format('SELECT count(*) FROM %s', default_partition::regclass) INTO default_rows;
        END IF;

        sidecar_table := v_sidecar::text;
        sidecar_rows := NULL;
        IF v_sidecar IS NOT NULL THEN
            v_on_shards := false;
            IF teams_obs.citus_installed() THEN
                -- A distributed table's rows are in its shards (the coordinator holds an empty shell): add up
                -- their estimates. A table that is not distributed has no shards.
                EXECUTE $sql$
                    SELECT count(*) > 0, sum(NULLIF(s.result, '')::double precision)::bigint
                      FROM pg_catalog.run_command_on_shards($1,
                               'SELECT CASE WHEN reltuples >= 0 THEN reltuples END FROM pg_catalog.pg_class WHERE oid = ''%s''::pg_catalog.regclass') AS s
                     WHERE s.success
                $sql$ INTO v_on_shards, sidecar_rows USING v_sidecar;
            END IF;
            IF NOT v_on_shards THEN
                SELECT CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint END INTO sidecar_rows
                  FROM pg_catalog.pg_class AS c WHERE c.oid = v_sidecar;
            END IF;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$_$;


--
-- Name: FUNCTION maintenance_status(); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.maintenance_status() IS 'Per partitioned table: partitions, oldest partition, months of partitions ahead of the current UTC month, rows waiting in DEFAULT, idempotency sidecar size (estimate).';


--
-- Name: missing_month_partitions(regclass, integer); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.missing_month_partitions(p_parent regclass, p_months_ahead integer DEFAULT 3) RETURNS TABLE(month_start timestamp with time zone, partition_name text, default_rows bigint, overlapping text[])
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
BEGIN
    -- Ten years at most: a typo (100000) would otherwise make a partition per month for millennia.
    IF p_months_ahead IS NULL OR p_months_ahead NOT BETWEEN 0 AND 120 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format(
            'months_ahead: must be between 0 and 120, got %s', coalesce(p_months_ahead::text, 'NULL'));
    END IF;
    RETURN QUERY
    WITH existing AS (
        SELECT b.partition_name, b.lower_bound, b.upper_bound
          FROM teams_obs.partition_bounds(p_parent) AS b
         WHERE NOT b.is_default
    ), wanted AS (
        SELECT m.month_start, max(m.row_count) AS row_count
          FROM (SELECT date_trunc('month', now()) + make_interval(months => i), 0::bigint
                  FROM generate_series(0, p_months_ahead) AS i
                UNION ALL
                SELECT d.month_start, d.row_count FROM teams_obs.default_partition_months(p_parent) AS d
               ) AS m (month_start, row_count)
         GROUP BY m.month_start
    )
    SELECT w.month_start,
           teams_obs.month_partition_name(p_parent, w.month_start),
           w.row_count,
           ARRAY(SELECT e.partition_name FROM existing AS e
                  WHERE e.lower_bound < w.month_start + interval '1 month' AND w.month_start < e.upper_bound
                  ORDER BY e.lower_bound)
      FROM wanted AS w
     WHERE NOT EXISTS (SELECT 1 FROM existing AS e
                        WHERE e.lower_bound = w.month_start AND e.upper_bound = w.month_start + interval '1 month')
     ORDER BY w.month_start;
END
$$;


--
-- Name: FUNCTION missing_month_partitions(p_parent regclass, p_months_ahead integer); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.missing_month_partitions(p_parent regclass, p_months_ahead integer) IS 'Months p_parent needs a partition for (this UTC month and the next p_months_ahead, months with rows in DEFAULT) that none covers, with the partitions overlapping each.';


--
-- Name: month_partition_name(regclass, timestamp with time zone); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.month_partition_name(p_parent regclass, p_month_start timestamp with time zone) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
DECLARE
    v_table teams_obs.month_partitioned_table := teams_obs.month_partitioned_table_of(p_parent);
    v_name text := v_table.table_name || '_p' || to_char(p_month_start, 'YYYY_MM');
BEGIN
    IF p_month_start IS NULL OR NOT isfinite(p_month_start) OR p_month_start <> date_trunc('month', p_month_start) THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format(
            'month_start: must be the first instant of a UTC month, got %s', coalesce(p_month_start::text, 'NULL'));
    END IF;
    IF octet_length(v_name) > 63 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format(
            'parent: partition name %s is longer than 63 bytes', v_name);
    END IF;
    RETURN format('%I.%I', v_table.schema_name, v_name);
END
$$;


--
-- Name: FUNCTION month_partition_name(p_parent regclass, p_month_start timestamp with time zone); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.month_partition_name(p_parent regclass, p_month_start timestamp with time zone) IS 'Quoted, schema-qualified name of p_parent''s partition for the UTC month starting at p_month_start (<parent>_pYYYY_MM).';


--
-- Name: month_partitioned_table_of(regclass); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.month_partitioned_table_of(p_parent regclass) RETURNS teams_obs.month_partitioned_table
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_table teams_obs.month_partitioned_table;
BEGIN
    SELECT * INTO v_table FROM teams_obs.month_partitioned_tables() AS t WHERE t.parent_oid = p_parent;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format(
            'parent: %s is not a table of schema teams_obs partitioned by range on one timestamptz column',
            coalesce(p_parent::text, 'NULL'));
    END IF;
    RETURN v_table;
END
$$;


--
-- Name: FUNCTION month_partitioned_table_of(p_parent regclass); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.month_partitioned_table_of(p_parent regclass) IS 'The row of month_partitioned_tables() for p_parent; 22023 when p_parent is not one of them.';


--
-- Name: month_partitioned_tables(); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.month_partitioned_tables() RETURNS SETOF teams_obs.month_partitioned_table
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT c.oid,
           pg_catalog.format('%I.%I', n.nspname, c.relname),
           n.nspname,
           c.relname,
           pg_catalog.quote_ident(a.attname),
           (SELECT pg_catalog.format('%I.%I', dn.nspname, d.relname)
              FROM pg_catalog.pg_class AS d
              JOIN pg_catalog.pg_namespace AS dn ON dn.oid = d.relnamespace
             WHERE d.oid = pt.partdefid),
           (SELECT pg_catalog.array_agg(pg_catalog.quote_ident(col.attname) ORDER BY col.attnum)
              FROM pg_catalog.pg_attribute AS col
             WHERE col.attrelid = c.oid AND col.attnum > 0 AND NOT col.attisdropped AND col.attgenerated = '')
      FROM pg_catalog.pg_partitioned_table AS pt
      JOIN pg_catalog.pg_class AS c ON c.oid = pt.partrelid
      JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
      JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum = pt.partattrs[0]
     WHERE n.nspname = 'teams_obs' AND NOT c.relispartition
       AND pt.partstrat = 'r' AND pt.partnatts = 1 AND a.atttypid = 'pg_catalog.timestamptz'::pg_catalog.regtype
     ORDER BY c.relname
$$;


--
-- Name: FUNCTION month_partitioned_tables(); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.month_partitioned_tables() IS 'Tables of schema teams_obs partitioned by range on one timestamptz column, with the quoted names of their key, DEFAULT partition and columns: what monthly partition upkeep covers.';


--
-- Name: partition_bounds(regclass); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.partition_bounds(p_parent regclass) RETURNS TABLE(partition_oid oid, partition_name text, is_default boolean, lower_bound timestamp with time zone, upper_bound timestamp with time zone)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    SET "DateStyle" TO 'ISO, YMD'
    AS $_$
DECLARE
    -- An E'' string: it reads the same whatever the caller's standard_conforming_strings.
    v_bound_pattern constant text :=
        E'^FOR VALUES FROM \\((MINVALUE|''[^'']+'')\\) TO \\((MAXVALUE|''[^'']+'')\\)$';
    v_partition record;
    v_match text[];
BEGIN
    IF NOT EXISTS (
        SELECT 1
          FROM pg_catalog.pg_partitioned_table pt
          JOIN pg_catalog.pg_attribute a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
         WHERE pt.partrelid = p_parent AND pt.partstrat = 'r' AND pt.partnatts = 1
           AND a.atttypid = 'timestamptz'::regtype) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('parent: %s is not partitioned by range on one timestamptz column', p_parent);
    END IF;
    FOR v_partition IN
        SELECT c.oid, c.oid::regclass::text AS name, pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS bound
          FROM pg_catalog.pg_inherits i
          JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = p_parent
         ORDER BY c.oid
    LOOP
        partition_oid := v_partition.oid;
        partition_name := v_partition.name;
        is_default := v_partition.bound = 'DEFAULT';
        lower_bound := NULL;
        upper_bound := NULL;
        IF NOT is_default THEN
            v_match := regexp_match(v_partition.bound, v_bound_pattern);
            IF v_match IS NULL THEN
                RAISE EXCEPTION 'unexpected bound of partition %: %', v_partition.name, v_partition.bound;
            END IF;
            lower_bound := CASE v_match[1] WHEN 'MINVALUE' THEN '-infinity'::timestamptz
                                ELSE btrim(v_match[1], '''')::timestamptz END;
            upper_bound := CASE v_match[2] WHEN 'MAXVALUE' THEN 'infinity'::timestamptz
                                ELSE btrim(v_match[2], '''')::timestamptz END;
        END IF;
        RETURN NEXT;
    END LOOP;
END
$_$;


--
-- Name: FUNCTION partition_bounds(p_parent regclass); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.partition_bounds(p_parent regclass) IS 'Partitions of a table range-partitioned on one timestamptz column, with bounds read from the catalog (DEFAULT: is_default, NULL bounds; MINVALUE/MAXVALUE: -infinity/infinity).';


--
-- Name: payload_hash(json); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.payload_hash(p_doc json) RETURNS text
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    RETURN encode(sha256(convert_to(teams_obs.canonical_json(p_doc), 'UTF8')), 'hex');
END
$$;


--
-- Name: FUNCTION payload_hash(p_doc json); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.payload_hash(p_doc json) IS 'Lowercase hex SHA-256 of the UTF-8 RFC 8785 canonical form (teams_obs.canonical_json) of a JSON document; refuses what canonical_json refuses; NULL gives NULL.';


--
-- Name: purge_tenant(uuid); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.purge_tenant(p_tenant uuid) RETURNS TABLE(table_name text, rows_deleted bigint)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_statement text;
BEGIN
    IF p_tenant IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'tenant: required';
    END IF;
    -- One statement deleting from every table (a DELETE per table in a WITH clause): one snapshot for all of
    -- them at any isolation level, so a delivery recorded while the purge runs is either deleted with its
    -- reservation or kept with it. A DELETE per table, each with its own snapshot under READ COMMITTED,
    -- could delete the row of a delivery whose reservation the previous one had not seen.
    SELECT 'WITH ' || string_agg(format('deleted_%s AS (DELETE FROM %s WHERE tenant = $1 RETURNING 1)',
                                        o.step, o.table_name::regclass), ', ' ORDER BY o.step)
           || ' SELECT v.table_name, v.rows_deleted FROM (VALUES '
           || string_agg(format('(%s, %L, (SELECT count(*) FROM deleted_%s))', o.step, o.table_name, o.step), ', '
                         ORDER BY o.step)
           || ') AS v (step, table_name, rows_deleted) ORDER BY v.step'
      INTO v_statement
      FROM teams_obs.tenant_deletion_order() AS o;
    PERFORM teams_obs.wait_for_partition_maintenance();
    RETURN QUERY EXECUTE v_statement USING p_tenant;
END
$_$;


--
-- Name: FUNCTION purge_tenant(p_tenant uuid); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.purge_tenant(p_tenant uuid) IS 'Deletes every row of tenant p_tenant, table by table in tenant_deletion_order(); one (table_name, rows_deleted) per table, zeros for an unknown tenant.';


--
-- Name: purge_tenant_table(uuid, text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.purge_tenant_table(p_tenant uuid, p_table_name text) RETURNS bigint
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_deleted bigint;
BEGIN
    IF p_tenant IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'tenant: required';
    END IF;
    IF p_table_name IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'table_name: required';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM teams_obs.tenant_deletion_order() AS o WHERE o.table_name = p_table_name) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('table_name: invalid value %s; expected one of %s', to_json(left(p_table_name, 100)),
                             (SELECT string_agg(o.table_name, ', ' ORDER BY o.step)
                                FROM teams_obs.tenant_deletion_order() AS o));
    END IF;
    PERFORM teams_obs.wait_for_partition_maintenance();
    -- regclass prints the name quoted and, under the pinned search_path, schema-qualified.
    EXECUTE format('DELETE FROM %s WHERE tenant = $1', p_table_name::regclass) USING p_tenant;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END
$_$;


--
-- Name: FUNCTION purge_tenant_table(p_tenant uuid, p_table_name text); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.purge_tenant_table(p_tenant uuid, p_table_name text) IS 'Deletes tenant p_tenant''s rows from p_table_name, which must be one of tenant_deletion_order(); returns the count.';


--
-- Name: record_audit_event(uuid, text, text, text, uuid, text, text, text, text, json, text, text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.record_audit_event(p_tenant uuid, p_surface text, p_action_id text, p_result_status text, p_actor_user_id uuid DEFAULT NULL::uuid, p_microsoft_user_id text DEFAULT NULL::text, p_target_type text DEFAULT NULL::text, p_target_id text DEFAULT NULL::text, p_idempotency_key text DEFAULT NULL::text, p_payload json DEFAULT NULL::json, p_payload_hash text DEFAULT NULL::text, p_error_code text DEFAULT NULL::text) RETURNS teams_obs.audit_event_recorded
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_surface text := teams_obs.clean_text(p_surface);
    v_action_id text := teams_obs.clean_text(p_action_id);
    v_result_status text := teams_obs.clean_text(p_result_status);
    v_error_code text := teams_obs.clean_text(p_error_code);
    v_microsoft_user_id text := teams_obs.clean_text(p_microsoft_user_id);
    v_target_type text := teams_obs.clean_text(p_target_type);
    v_target_id text := teams_obs.clean_text(p_target_id);
    v_idempotency_key text := teams_obs.clean_text(p_idempotency_key);
    v_hash text := teams_obs.clean_text(p_payload_hash);
    v_problem text;
    v_sqlstate text;
    v_refusal text;
    v_event_id uuid;
    v_created_at timestamptz;
BEGIN
    v_problem := CASE
        WHEN p_tenant IS NULL THEN 'tenant: required'
        WHEN v_surface IS NULL THEN 'surface: required; expected one of bot, message_extension, quick_action, tab'
        WHEN v_surface <> ALL ('{"bot","message_extension","quick_action","tab"}'::text[])
            THEN 'surface: invalid value "' || pg_catalog.left(v_surface, 100) || '"; expected one of bot, message_extension, quick_action, tab'
        WHEN v_action_id IS NULL THEN 'action_id: required; expected one of assign_ticket, add_note, reply_to_contact, log_time, approval_response, create_ticket_from_message, update_from_message'
        WHEN v_action_id <> ALL ('{"assign_ticket","add_note","reply_to_contact","log_time","approval_response","create_ticket_from_message","update_from_message"}'::text[])
            THEN 'action_id: invalid value "' || pg_catalog.left(v_action_id, 100) || '"; expected one of assign_ticket, add_note, reply_to_contact, log_time, approval_response, create_ticket_from_message, update_from_message'
        WHEN v_result_status IS NULL THEN 'result_status: required; expected one of success, failure'
        WHEN v_result_status <> ALL ('{"success","failure"}'::text[])
            THEN 'result_status: invalid value "' || pg_catalog.left(v_result_status, 100) || '"; expected one of success, failure'
        WHEN v_error_code <> ALL ('{"validation_error","forbidden","not_found","not_configured","capability_disabled","unsupported_action","duplicate_submission","execution_failed"}'::text[])
            THEN 'error_code: invalid value "' || pg_catalog.left(v_error_code, 100) || '"; expected NULL or one of validation_error, forbidden, not_found, not_configured, capability_disabled, unsupported_action, duplicate_submission, execution_failed'
        WHEN v_error_code IS NOT NULL AND v_result_status <> 'failure'
            THEN 'error_code: only a failure carries one (result_status is ' || v_result_status || ')'
        WHEN char_length(v_microsoft_user_id) > 256 THEN 'microsoft_user_id: longer than 256 characters'
        WHEN char_length(v_target_type) > 256 THEN 'target_type: longer than 256 characters'
        WHEN char_length(v_target_id) > 256 THEN 'target_id: longer than 256 characters'
        WHEN char_length(v_idempotency_key) > 256 THEN 'idempotency_key: longer than 256 characters'
        WHEN v_hash IS NOT NULL AND p_payload IS NOT NULL
            THEN 'payload_hash: give the payload or its precomputed hash, not both'
        WHEN v_hash !~ '^[0-9a-f]{64}$'
            THEN 'payload_hash: must be 64 lowercase hexadecimal digits (the SHA-256 of the payload''s RFC 8785 form)'
    END;
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = v_problem;
    END IF;

    IF p_payload IS NOT NULL THEN
        BEGIN
            v_hash := teams_obs.payload_hash(p_payload);
        EXCEPTION WHEN OTHERS THEN
            -- canonical_json names the JSON path of a refusal, and a path is made of the payload's keys:
            -- only the kind of problem leaves this block.
            GET STACKED DIAGNOSTICS v_sqlstate = RETURNED_SQLSTATE, v_refusal = MESSAGE_TEXT;
            RAISE EXCEPTION USING ERRCODE = v_sqlstate, MESSAGE = CASE
                WHEN v_sqlstate <> '22023' THEN 'payload: cannot be hashed (SQLSTATE ' || v_sqlstate || ')'
                WHEN v_refusal ~ ': duplicate key ' THEN 'payload: refused, it has a duplicate key'
                WHEN v_refusal ~ 'lone surrogate' THEN 'payload: refused, it has a lone surrogate'
                WHEN v_refusal ~ E'\\\\u0000' THEN E'payload: refused, it has \\u0000 (PostgreSQL text cannot hold it)'
                WHEN v_refusal ~ 'double range' THEN 'payload: refused, it has a number outside the double range'
                ELSE 'payload: refused by the RFC 8785 policy'
            END || '; the position is not shown (key names are payload content), teams_obs.payload_hash(payload) names it';
        END;
    END IF;

    INSERT INTO teams_obs.audit_events AS e
        (tenant, actor_user_id, microsoft_user_id, surface, action_id, target_type, target_id,
         idempotency_key, payload_hash, result_status, error_code)
    VALUES (p_tenant, p_actor_user_id, v_microsoft_user_id, v_surface, v_action_id, v_target_type, v_target_id,
            v_idempotency_key, v_hash, v_result_status, v_error_code)
    RETURNING e.event_id, e.created_at INTO v_event_id, v_created_at;
    RETURN ROW(v_event_id, v_hash, v_created_at)::teams_obs.audit_event_recorded;
END
$_$;


--
-- Name: FUNCTION record_audit_event(p_tenant uuid, p_surface text, p_action_id text, p_result_status text, p_actor_user_id uuid, p_microsoft_user_id text, p_target_type text, p_target_id text, p_idempotency_key text, p_payload json, p_payload_hash text, p_error_code text); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.record_audit_event(p_tenant uuid, p_surface text, p_action_id text, p_result_status text, p_actor_user_id uuid, p_microsoft_user_id text, p_target_type text, p_target_id text, p_idempotency_key text, p_payload json, p_payload_hash text, p_error_code text) IS 'Records one executed Teams mutation with the SHA-256 of its payload''s RFC 8785 form, never the payload (SPEC §4, §8); returns event_id, payload_hash, created_at.';


--
-- Name: record_conversation_reference(uuid, jsonb, timestamp with time zone); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.record_conversation_reference(p_tenant uuid, p_activity jsonb, p_activity_at timestamp with time zone DEFAULT now()) RETURNS boolean
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_user_id text := coalesce(teams_obs.activity_text(p_activity, '{from,aadObjectId}'),
                               teams_obs.activity_text(p_activity, '{from,id}'));
    v_conversation_id text := teams_obs.activity_text(p_activity, '{conversation,id}');
    v_service_url text := teams_obs.activity_text(p_activity, '{serviceUrl}');
    v_conversation_type text := teams_obs.activity_text(p_activity, '{conversation,conversationType}');
    v_activity_at timestamptz := coalesce(p_activity_at, pg_catalog.now());
BEGIN
    IF p_tenant IS NULL THEN
        PERFORM teams_obs.raise_invalid_parameter('tenant: required');
    END IF;
    IF v_activity_at < '0001-01-02 00:00:00+00'::timestamptz OR v_activity_at >= '9999-12-31 00:00:00+00'::timestamptz THEN
        PERFORM teams_obs.raise_invalid_parameter(
            'activity_at: must be a time from 0001-01-02 until 9999-12-31 (UTC), not ' || pg_catalog.left((v_activity_at AT TIME ZONE 'UTC')::text, 100));
    END IF;
    -- The row keeps its newest activity, so one time far ahead would hold the reference until then.
    IF v_activity_at > pg_catalog.now() + interval '1 hour' THEN
        PERFORM teams_obs.raise_invalid_parameter(
            pg_catalog.format('activity_at: more than an hour in the future, %s', v_activity_at));
    END IF;
    IF v_user_id IS NULL OR v_conversation_id IS NULL OR v_service_url IS NULL THEN
        RETURN false;
    END IF;
    -- Both ids make up the primary key, whose entries may not exceed 2,704 bytes: 256 + 384 characters
    -- of up to 4 bytes each fit.
    IF pg_catalog.char_length(v_user_id) > 256 THEN
        PERFORM teams_obs.raise_invalid_parameter(
            CASE WHEN teams_obs.activity_text(p_activity, '{from,aadObjectId}') IS NULL
                 THEN 'activity.from.id' ELSE 'activity.from.aadObjectId' END
            || ': longer than 256 characters');
    END IF;
    IF pg_catalog.char_length(v_conversation_id) > 384 THEN
        PERFORM teams_obs.raise_invalid_parameter('activity.conversation.id: longer than 384 characters');
    END IF;
    -- As the original: a known type is kept (case-sensitive), anything else, missing included, is personal.
    IF v_conversation_type IS NULL OR NOT v_conversation_type = ANY ('{"personal","groupChat","channel"}'::text[]) THEN
        v_conversation_type := 'personal';
    END IF;

    INSERT INTO teams_obs.conversation_references AS r
        (tenant, microsoft_user_id, conversation_id, conversation_type, service_url, tenant_id_aad,
         channel_id_bot_framework, last_activity_at, created_at, updated_at)
    VALUES (p_tenant, v_user_id, v_conversation_id, v_conversation_type, v_service_url,
            teams_obs.activity_text(p_activity, '{channelData,tenant,id}'),
            coalesce(teams_obs.activity_text(p_activity, '{channelId}'), 'msteams'),
            v_activity_at, pg_catalog.now(), pg_catalog.now())
    ON CONFLICT (tenant, microsoft_user_id, conversation_id) DO UPDATE SET
        conversation_type = CASE WHEN EXCLUDED.last_activity_at >= r.last_activity_at
                                 THEN EXCLUDED.conversation_type ELSE r.conversation_type END,
        service_url = CASE WHEN EXCLUDED.last_activity_at >= r.last_activity_at
                           THEN EXCLUDED.service_url ELSE r.service_url END,
        channel_id_bot_framework = CASE WHEN EXCLUDED.last_activity_at >= r.last_activity_at
                                        THEN EXCLUDED.channel_id_bot_framework ELSE r.channel_id_bot_framework END,
        tenant_id_aad = CASE WHEN EXCLUDED.last_activity_at >= r.last_activity_at
                             THEN coalesce(EXCLUDED.tenant_id_aad, r.tenant_id_aad)
                             ELSE coalesce(r.tenant_id_aad, EXCLUDED.tenant_id_aad) END,
        last_activity_at = GREATEST(r.last_activity_at, EXCLUDED.last_activity_at),
        updated_at = EXCLUDED.updated_at;
    RETURN true;
END
$$;


--
-- Name: FUNCTION record_conversation_reference(p_tenant uuid, p_activity jsonb, p_activity_at timestamp with time zone); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.record_conversation_reference(p_tenant uuid, p_activity jsonb, p_activity_at timestamp with time zone) IS 'Upserts the conversation reference of a raw Bot Framework activity; false (nothing written) when user id, conversation.id or serviceUrl is missing. Never moves last_activity_at/service_url back, never erases a known tenant_id_aad.';


--
-- Name: record_deliveries(uuid, jsonb); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.record_deliveries(p_tenant uuid, p_rows jsonb) RETURNS TABLE(ordinality integer, inserted boolean, delivery_id uuid, idempotency_key text, created_at timestamp with time zone)
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    -- The accepted keys are the attributes of the element type: one list, kept by the type itself.
    v_keys text[] := ARRAY(
        SELECT a.attname::text
        FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = 'teams_obs.delivery_input'::pg_catalog.regclass AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum);
    v_position bigint;
    v_key text;
    v_value jsonb;
    v_message text;
    v_quoted text;
BEGIN
    IF p_tenant IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'tenant: required';
    END IF;
    IF p_rows IS NULL OR jsonb_typeof(p_rows) <> 'array' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'p_rows: must be a JSON array of objects, got ' || coalesce(jsonb_typeof(p_rows), 'NULL');
    END IF;

    -- The statement in a block of its own: the handler that names the element a conversion error came
    -- from must not catch the refusals of the arguments above.
    BEGIN
        -- The lock on the deliveries table first, before any key is reserved (why: record_delivery). The
        -- statement below takes it at its start on plain PostgreSQL, but Citus runs its data-modifying CTEs
        -- one after the other, the reservations first; this DELETE of nothing (delivery_id is NOT NULL; the
        -- created_at prunes every monthly partition) is routed to the tenant's shard and locks it as the row
        -- inserts will.
        DELETE FROM teams_obs.notification_deliveries AS d
        WHERE d.tenant = p_tenant AND d.created_at = '-infinity' AND d.delivery_id IS NULL;

        RETURN QUERY
        WITH parsed AS MATERIALIZED (
            SELECT e.ord::integer AS ord,
                   CASE
                       WHEN jsonb_typeof(e.element) <> 'object'
                           THEN ': must be a JSON object, got ' || jsonb_typeof(e.element)
                       -- Five keys at most, each cut to 100 characters: the message is not to echo a whole element.
                       WHEN e.element - v_keys <> '{}'::jsonb
                           THEN ': unknown keys ' || (
                               SELECT string_agg('"' || left(u.k, 100) || '"', ', ' ORDER BY u.n)
                                          FILTER (WHERE u.n <= 5)
                                      || CASE WHEN count(*) > 5 THEN format(' and %s more', count(*) - 5) ELSE '' END
                               FROM (SELECT k, row_number() OVER (ORDER BY k) AS n
                                     FROM jsonb_object_keys(e.element - v_keys) k) u)
                               || '; expected ' || array_to_string(v_keys, ', ')
                       -- jsonb_populate_record would store a number, boolean, array or object given for a
                       -- text field as its JSON text: an id of 5 and of "5" would be one key, 1.5 and 1.50 two.
                       -- It would read 0, 1 or "yes" as a boolean too: retryable takes JSON true, false or null, as
                       -- the client sends it.
                       -- The path test is the fast one (the other keys are known by now to be text fields);
                       -- jsonb_each, which names the key, costs as much as the rest of the batch.
                       WHEN jsonb_path_exists(
                               e.element - '{internal_notification_id,attempt_number,retryable,sent_at,delivered_at,responded_at}'::text[],
                               'strict $.* ? (@.type() != "string" && @.type() != "null")')
                            OR jsonb_typeof(e.element -> 'retryable') NOT IN ('boolean', 'null') THEN (
                           SELECT '.' || k.key || ': must be a JSON ' || t.expected || ' or null, got '
                                  || jsonb_typeof(k.value)
                           FROM jsonb_each(e.element) k
                           CROSS JOIN LATERAL (
                               SELECT CASE WHEN k.key = 'retryable' THEN 'boolean' ELSE 'string' END AS expected) t
                           WHERE k.key = ANY ('{destination_type,destination_id,status,category,error_code,error_message,provider_message_id,provider_request_id,nonce,retryable}'::text[])
                             AND jsonb_typeof(k.value) NOT IN (t.expected, 'null')
                           ORDER BY k.key
                           LIMIT 1)
                   END AS shape_problem,
                   teams_obs.delivery_normalised(r) AS delivery
            FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS e(element, ord)
            CROSS JOIN LATERAL jsonb_populate_record(
                NULL::teams_obs.delivery_input,
                CASE WHEN jsonb_typeof(e.element) <> 'object' THEN '{}'::jsonb
                     -- Left out for the check above to name: "maybe" would stop the statement as a conversion error.
                     WHEN jsonb_typeof(e.element -> 'retryable') NOT IN ('boolean', 'null')
                         THEN e.element - 'retryable'
                     ELSE e.element END) AS r
        ),
        input AS MATERIALIZED (
            SELECT p.ord, p.delivery,
                   CASE WHEN c.problem IS NOT NULL THEN teams_obs.raise_invalid_parameter(
                       'p_rows[' || p.ord::text || ']' || c.problem)
                   END AS refused,
                   teams_obs.delivery_key_digest(
                       p_tenant, (p.delivery).internal_notification_id, (p.delivery).destination_type,
                       (p.delivery).destination_id, (p.delivery).attempt_number, (p.delivery).nonce) AS key,
                   teams_obs.time_ordered_uuid() AS new_id
            FROM parsed p
            CROSS JOIN LATERAL (
                SELECT coalesce(p.shape_problem, '.' || teams_obs.delivery_problem(
                    p_tenant, (p.delivery).destination_type, (p.delivery).destination_id, (p.delivery).status, (p.delivery).error_code, (p.delivery).category, (p.delivery).attempt_number, (p.delivery).nonce, (p.delivery).sent_at, (p.delivery).delivered_at, (p.delivery).responded_at)) AS problem
            ) c
        ),
        reserved AS (
            INSERT INTO teams_obs.notification_delivery_idempotency AS s
                (tenant, idempotency_key, delivery_id, created_at)
            SELECT p_tenant, i.key, i.new_id, now()
            FROM input i
            -- One lock order for every writer, so two batches sharing keys wait instead of deadlocking; among
            -- a key's occurrences the first reserves it (the sort is not stable beyond a handful of rows).
            ORDER BY i.key, i.ord
            ON CONFLICT DO NOTHING
            RETURNING s.tenant, s.idempotency_key, s.delivery_id, s.created_at
        ),
        stored AS (
            INSERT INTO teams_obs.notification_deliveries (
                tenant, delivery_id, internal_notification_id, category, destination_type, destination_id,
            attempt_number, idempotency_key, provider_message_id, status, error_code, error_message,
            retryable, provider_request_id, sent_at, delivered_at, responded_at, created_at)
            SELECT r.tenant, r.delivery_id, (i.delivery).internal_notification_id, (i.delivery).category,
            (i.delivery).destination_type, (i.delivery).destination_id, (i.delivery).attempt_number,
            r.idempotency_key, (i.delivery).provider_message_id, (i.delivery).status, (i.delivery).error_code,
            (i.delivery).error_message, (i.delivery).retryable, (i.delivery).provider_request_id,
            (i.delivery).sent_at, (i.delivery).delivered_at, (i.delivery).responded_at, r.created_at
            FROM reserved r
            JOIN input i ON i.new_id = r.delivery_id
        )
        SELECT j.ord, j.inserted,
               coalesce(j.delivery_id, (j.existing).delivery_id),
               j.key,
               coalesce(j.created_at, (j.existing).created_at)
        FROM (
            SELECT i.ord, r.delivery_id IS NOT NULL AS inserted, i.key,
                   -- A key repeated inside the batch gets its first occurrence's reservation (f) ...
                   coalesce(r.delivery_id, f.delivery_id) AS delivery_id,
                   coalesce(r.created_at, f.created_at) AS created_at,
                   -- ... and a key reserved before this call is read, only then, from the sidecar.
                   CASE WHEN r.delivery_id IS NULL AND f.delivery_id IS NULL
                        THEN teams_obs.delivery_reservation(p_tenant, i.key)
                   END AS existing
            FROM input i
            LEFT JOIN reserved r ON r.delivery_id = i.new_id
            LEFT JOIN reserved f ON r.delivery_id IS NULL AND f.idempotency_key = i.key
        ) j
        ORDER BY j.ord;
    EXCEPTION
        -- A value that does not convert to its field's type (jsonb_populate_record) stops the statement
        -- without naming the element: find it and name it. Input functions raise any data exception
        -- (22009 for an offset of +25:00, 22023 for an unknown time zone); our own 22023 refusals pass
        -- through unchanged.
        WHEN data_exception THEN
            GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT;
            IF v_message LIKE E'p\\_rows%' THEN
                -- Raised anew, so that its CONTEXT is this line, not the whole statement above (every
                -- refused batch would write it to the server log).
                RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = v_message;
            END IF;
            FOR v_position, v_key, v_value IN
                SELECT e.ord, k.key, jsonb_build_object(k.key, k.value)
                FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS e(element, ord)
                CROSS JOIN LATERAL jsonb_each(
                    CASE WHEN jsonb_typeof(e.element) = 'object' THEN e.element ELSE '{}'::jsonb END) AS k
                WHERE k.key = ANY (v_keys)
                  -- Kept out of the conversion above: not what failed (its own check names it once this passes).
                  AND NOT (k.key = 'retryable' AND jsonb_typeof(k.value) NOT IN ('boolean', 'null'))
                ORDER BY e.ord, k.key
            LOOP
                BEGIN
                    PERFORM jsonb_populate_record(NULL::teams_obs.delivery_input, v_value);
                EXCEPTION WHEN OTHERS THEN
                    GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT;
                    -- PostgreSQL quotes the whole value, once (and may have changed its case): cut it to 100.
                    v_quoted := substring(v_message FROM '"(.*)"');
                    IF length(v_quoted) > 100 THEN
                        v_message := replace(v_message, '"' || v_quoted || '"', '"' || left(v_quoted, 100) || '"');
                    END IF;
                    RAISE EXCEPTION USING ERRCODE = '22023',
                        MESSAGE = format('p_rows[%s].%s: %s', v_position, v_key, v_message);
                END;
            END LOOP;
            RAISE;
    END;
END
$_$;


--
-- Name: FUNCTION record_deliveries(p_tenant uuid, p_rows jsonb); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.record_deliveries(p_tenant uuid, p_rows jsonb) IS 'Records a JSON array of delivery outcomes (keys: the record_delivery parameter names without p_ and tenant) in one set-based call; one result row per element, in order. A bad element fails the whole batch, naming its 1-based position.';


--
-- Name: record_delivery(uuid, text, text, text, uuid, text, integer, text, text, boolean, text, text, timestamp with time zone, timestamp with time zone, timestamp with time zone, text); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.record_delivery(p_tenant uuid, p_destination_type text, p_destination_id text, p_status text, p_internal_notification_id uuid DEFAULT NULL::uuid, p_category text DEFAULT NULL::text, p_attempt_number integer DEFAULT 1, p_error_code text DEFAULT NULL::text, p_error_message text DEFAULT NULL::text, p_retryable boolean DEFAULT NULL::boolean, p_provider_message_id text DEFAULT NULL::text, p_provider_request_id text DEFAULT NULL::text, p_sent_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_delivered_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_responded_at timestamp with time zone DEFAULT NULL::timestamp with time zone, p_nonce text DEFAULT NULL::text) RETURNS teams_obs.delivery_recorded
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
DECLARE
    v_destination_type text := teams_obs.clean_text(p_destination_type);
    v_destination_id text := teams_obs.clean_text(p_destination_id);
    v_status text := teams_obs.clean_text(p_status);
    v_error_code text := teams_obs.clean_text(p_error_code);
    v_category text := teams_obs.clean_text(p_category);
    v_attempt_number integer := COALESCE(p_attempt_number, 1);
    v_nonce text := teams_obs.clean_text(p_nonce);
    v_key text;
    v_delivery_id uuid := teams_obs.time_ordered_uuid();
    v_created_at timestamptz := now();
BEGIN
    IF NOT teams_obs.delivery_acceptable(p_tenant, v_destination_type, v_destination_id, v_status, v_error_code, v_category, v_attempt_number, v_nonce, p_sent_at, p_delivered_at, p_responded_at) THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = teams_obs.delivery_problem(p_tenant, v_destination_type, v_destination_id, v_status, v_error_code, v_category, v_attempt_number, v_nonce, p_sent_at, p_delivered_at, p_responded_at);
    END IF;
    v_key := teams_obs.delivery_key_digest(
        p_tenant, p_internal_notification_id, v_destination_type, v_destination_id, v_attempt_number, v_nonce);

    INSERT INTO teams_obs.notification_deliveries (
        tenant, delivery_id, internal_notification_id, category, destination_type, destination_id,
        attempt_number, idempotency_key, provider_message_id, status, error_code, error_message,
        retryable, provider_request_id, sent_at, delivered_at, responded_at, created_at)
    VALUES (
        p_tenant, v_delivery_id, p_internal_notification_id, v_category,
        v_destination_type, v_destination_id, v_attempt_number,
        v_key, teams_obs.clean_text(p_provider_message_id), v_status, v_error_code,
        pg_catalog.left(teams_obs.clean_text(p_error_message), 1024), p_retryable, teams_obs.clean_text(p_provider_request_id),
        p_sent_at, p_delivered_at, p_responded_at, v_created_at);

    INSERT INTO teams_obs.notification_delivery_idempotency (tenant, idempotency_key, delivery_id, created_at)
    VALUES (p_tenant, v_key, v_delivery_id, v_created_at)
    ON CONFLICT DO NOTHING;
    IF FOUND THEN
        RETURN ROW(true, v_delivery_id, v_key, v_created_at)::teams_obs.delivery_recorded;
    END IF;

    DELETE FROM teams_obs.notification_deliveries AS d
    WHERE d.tenant = p_tenant AND d.delivery_id = v_delivery_id AND d.created_at = v_created_at;
    SELECT s.delivery_id, s.created_at INTO v_delivery_id, v_created_at
    FROM teams_obs.delivery_reservation(p_tenant, v_key) AS s;
    RETURN ROW(false, v_delivery_id, v_key, v_created_at)::teams_obs.delivery_recorded;
END
$$;


--
-- Name: FUNCTION record_delivery(p_tenant uuid, p_destination_type text, p_destination_id text, p_status text, p_internal_notification_id uuid, p_category text, p_attempt_number integer, p_error_code text, p_error_message text, p_retryable boolean, p_provider_message_id text, p_provider_request_id text, p_sent_at timestamp with time zone, p_delivered_at timestamp with time zone, p_responded_at timestamp with time zone, p_nonce text); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.record_delivery(p_tenant uuid, p_destination_type text, p_destination_id text, p_status text, p_internal_notification_id uuid, p_category text, p_attempt_number integer, p_error_code text, p_error_message text, p_retryable boolean, p_provider_message_id text, p_provider_request_id text, p_sent_at timestamp with time zone, p_delivered_at timestamp with time zone, p_responded_at timestamp with time zone, p_nonce text) IS 'Records one delivery outcome idempotently (SPEC §4, §8): returns inserted, the delivery_id and created_at of the stored row (the original one on a repeat) and the idempotency key.';


--
-- Name: retention_cutoff(interval); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.retention_cutoff(p_retention interval) RETURNS timestamp with time zone
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    SET "TimeZone" TO 'UTC'
    AS $$
BEGIN
    IF p_retention IS NULL OR p_retention <= interval '0' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('retention: must be a positive interval, not %s', coalesce(p_retention::text, 'NULL'));
    END IF;
    RETURN now() - p_retention;
END
$$;


--
-- Name: FUNCTION retention_cutoff(p_retention interval); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.retention_cutoff(p_retention interval) IS 'now() - p_retention for the cleanup_* functions; 22023 unless p_retention is a positive interval.';


--
-- Name: retention_row_batches(regclass, integer); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.retention_row_batches(p_parent regclass, p_batch_size integer DEFAULT 10000) RETURNS TABLE(kind text, table_name regclass, first_page bigint, end_page bigint)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $_$
DECLARE
    v_block_size constant integer := current_setting('block_size')::integer;
    v_table record;
    v_bytes bigint;
    v_rows_per_page double precision;
    v_step bigint;
BEGIN
    IF p_batch_size IS NULL OR p_batch_size < 1 THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'batch_size: must be a positive integer';
    END IF;
    FOR v_table IN SELECT * FROM teams_obs.retention_row_tables(p_parent) LOOP
        v_bytes := pg_relation_size(v_table.table_name);
        -- On Citus the coordinator holds an empty shell of a distributed table, each DELETE runs on
        -- every shard, and the page ranges must cover the largest one.
        IF teams_obs.citus_installed() THEN
            EXECUTE 'SELECT greatest($2, max(s.shard_size)) FROM pg_catalog.citus_shards AS s WHERE s.table_name = $1'
                INTO v_bytes USING v_table.table_name, v_bytes;
        END IF;
        SELECT CASE WHEN c.relpages > 0 AND c.reltuples > 0 THEN c.reltuples / c.relpages
                    ELSE (v_block_size - 24) / 28 END
          INTO v_rows_per_page
          FROM pg_catalog.pg_class AS c
         WHERE c.oid = v_table.table_name;
        v_step := greatest(1, floor(p_batch_size / v_rows_per_page));
        RETURN QUERY
        SELECT v_table.kind, v_table.table_name, first, first + v_step
          FROM generate_series(0::bigint, v_bytes / v_block_size - 1, v_step) AS first;
    END LOOP;
END
$_$;


--
-- Name: FUNCTION retention_row_batches(p_parent regclass, p_batch_size integer); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.retention_row_batches(p_parent regclass, p_batch_size integer) IS 'The page ranges, of about p_batch_size rows each, in which retention of p_parent deletes expired rows (tables of retention_row_tables).';


--
-- Name: retention_row_tables(regclass); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.retention_row_tables(p_parent regclass) RETURNS TABLE(kind text, table_name regclass, time_column name, is_default boolean)
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
BEGIN
    -- A month-partitioned table of teams_obs only: the owner that the cleanup_* functions run as may own
    -- other tables too.
    PERFORM teams_obs.month_partitioned_table_of(p_parent);
    IF p_parent = 'teams_obs.notification_deliveries'::regclass THEN
        RETURN QUERY SELECT 'reservations_deleted', 'teams_obs.notification_delivery_idempotency'::regclass,
                            'created_at'::name, false;
    END IF;
    RETURN QUERY
    SELECT 'default_rows_deleted', pt.partdefid::regclass, a.attname, true
      FROM pg_catalog.pg_partitioned_table AS pt
      JOIN pg_catalog.pg_attribute AS a ON a.attrelid = pt.partrelid AND a.attnum = pt.partattrs[0]
     WHERE pt.partrelid = p_parent AND pt.partdefid <> 0;
END
$$;


--
-- Name: FUNCTION retention_row_tables(p_parent regclass); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.retention_row_tables(p_parent regclass) IS 'The tables whose expired rows retention of p_parent deletes in batches: the sidecar of deliveries, then p_parent''s DEFAULT partition; with time column and report kind.';


--
-- Name: rows_deleted_result(regclass, regclass, text, boolean, bigint, timestamp with time zone); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.rows_deleted_result(p_parent regclass, p_table regclass, p_kind text, p_is_default boolean, p_rows bigint, p_cutoff timestamp with time zone) RETURNS teams_obs.cleanup_result
    LANGUAGE sql STABLE
    SET search_path TO 'pg_catalog', 'pg_temp'
    RETURN ROW(p_kind, (CASE WHEN p_is_default THEN p_parent ELSE p_table END)::text, 0, p_rows, CASE WHEN p_is_default THEN ARRAY[(p_table)::text] ELSE '{}'::text[] END, p_cutoff)::teams_obs.cleanup_result;


--
-- Name: FUNCTION rows_deleted_result(p_parent regclass, p_table regclass, p_kind text, p_is_default boolean, p_rows bigint, p_cutoff timestamp with time zone); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.rows_deleted_result(p_parent regclass, p_table regclass, p_kind text, p_is_default boolean, p_rows bigint, p_cutoff timestamp with time zone) IS 'The cleanup_result row of the rows retention deleted from one table of retention_row_tables.';


--
-- Name: run_retention(regclass, interval, integer, teams_obs.cleanup_result[]); Type: PROCEDURE; Schema: teams_obs; Owner: -
--

CREATE PROCEDURE teams_obs.run_retention(IN p_parent regclass, IN p_retention interval, IN p_batch_size integer DEFAULT 10000, INOUT p_removed teams_obs.cleanup_result[] DEFAULT NULL::teams_obs.cleanup_result[])
    LANGUAGE plpgsql
    AS $$
DECLARE
    v_cutoff constant pg_catalog.timestamptz := teams_obs.retention_cutoff(p_retention);
    v_table pg_catalog.record;
    v_batch pg_catalog.record;
    v_rows pg_catalog.int8;
BEGIN
    p_removed := '{}';
    FOR v_table IN SELECT t.kind, t.table_name, t.is_default FROM teams_obs.retention_row_tables(p_parent) AS t LOOP
        v_rows := 0;
        FOR v_batch IN SELECT b.first_page, b.end_page
                         FROM teams_obs.retention_row_batches(p_parent, p_batch_size) AS b
                        WHERE b.table_name OPERATOR(pg_catalog.=) v_table.table_name
        LOOP
            v_rows := v_rows OPERATOR(pg_catalog.+) teams_obs.delete_retention_batch(
                p_parent, v_table.table_name, v_cutoff, v_batch.first_page, v_batch.end_page);
            COMMIT;
        END LOOP;
        p_removed := pg_catalog.array_append(p_removed, teams_obs.rows_deleted_result(
            p_parent, v_table.table_name, v_table.kind, v_table.is_default, v_rows, v_cutoff));
    END LOOP;
    p_removed := pg_catalog.array_cat(
        p_removed, ARRAY(SELECT d FROM teams_obs.drop_expired_partitions(p_parent, v_cutoff) AS d));
END
$$;


--
-- Name: PROCEDURE run_retention(IN p_parent regclass, IN p_retention interval, IN p_batch_size integer, INOUT p_removed teams_obs.cleanup_result[]); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON PROCEDURE teams_obs.run_retention(IN p_parent regclass, IN p_retention interval, IN p_batch_size integer, INOUT p_removed teams_obs.cleanup_result[]) IS 'Retention of p_parent (teams_obs.notification_deliveries or audit_events) older than p_retention, one transaction per batch of expired rows, then the partition drops; p_removed: one cleanup_result row per kind.';


--
-- Name: tenant_deletion_order(); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.tenant_deletion_order() RETURNS TABLE(step integer, table_name text)
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    BEGIN ATOMIC
 SELECT (o.step)::integer AS step,
     o.table_name
    FROM unnest(ARRAY['teams_obs.notification_delivery_idempotency'::text, 'teams_obs.notification_deliveries'::text, 'teams_obs.audit_events'::text, 'teams_obs.conversation_references'::text]) WITH ORDINALITY o(table_name, step)
   ORDER BY o.step;
END;


--
-- Name: FUNCTION tenant_deletion_order(); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.tenant_deletion_order() IS 'Tables holding tenant rows, in the order a host application must delete a tenant from them (dependents first); purge_tenant follows it.';


--
-- Name: time_ordered_uuid(); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.time_ordered_uuid() RETURNS uuid
    LANGUAGE sql PARALLEL SAFE
    RETURN (encode(set_bit(set_bit("overlay"(uuid_send(gen_random_uuid()), substr(int8send((floor(("extract"('epoch'::text, now()) * (1000)::numeric)))::bigint), 3), 1, 6), (52)::bigint, 1), (53)::bigint, 1), 'hex'::text))::uuid;


--
-- Name: FUNCTION time_ordered_uuid(); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.time_ordered_uuid() IS 'A version 7 UUID (RFC 9562) whose first 48 bits are the transaction start in Unix milliseconds: the default of delivery_id and event_id.';


--
-- Name: wait_for_partition_maintenance(); Type: FUNCTION; Schema: teams_obs; Owner: -
--

CREATE FUNCTION teams_obs.wait_for_partition_maintenance() RETURNS void
    LANGUAGE sql
    SET search_path TO 'pg_catalog', 'pg_temp'
    AS $$
    SELECT teams_obs.lock_partition_maintenance(pt.partrelid::pg_catalog.regclass)
      FROM teams_obs.tenant_deletion_order() AS o
      JOIN pg_catalog.pg_partitioned_table AS pt ON pt.partrelid = o.table_name::pg_catalog.regclass
     ORDER BY o.step;
$$;


--
-- Name: FUNCTION wait_for_partition_maintenance(); Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON FUNCTION teams_obs.wait_for_partition_maintenance() IS 'Waits for partition maintenance (a month moving out of DEFAULT) of every table a purge deletes from, before it deletes: their maintenance locks, in deletion order.';


--
-- Name: audit_events; Type: TABLE; Schema: teams_obs; Owner: -
--

CREATE TABLE teams_obs.audit_events (
    tenant uuid NOT NULL,
    event_id uuid DEFAULT teams_obs.time_ordered_uuid() NOT NULL,
    actor_user_id uuid,
    microsoft_user_id text,
    surface text NOT NULL,
    action_id text NOT NULL,
    target_type text,
    target_id text,
    idempotency_key text,
    payload_hash text,
    result_status text NOT NULL,
    error_code text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT audit_events_action_id_check CHECK ((action_id = ANY ('{assign_ticket,add_note,reply_to_contact,log_time,approval_response,create_ticket_from_message,update_from_message}'::text[]))),
    CONSTRAINT audit_events_error_code_check CHECK (((error_code IS NULL) OR (error_code = ANY ('{validation_error,forbidden,not_found,not_configured,capability_disabled,unsupported_action,duplicate_submission,execution_failed}'::text[])))),
    CONSTRAINT audit_events_error_code_failure_check CHECK (((error_code IS NULL) OR (result_status = 'failure'::text))),
    CONSTRAINT audit_events_payload_hash_check CHECK ((payload_hash ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT audit_events_result_status_check CHECK ((result_status = ANY ('{success,failure}'::text[]))),
    CONSTRAINT audit_events_surface_check CHECK ((surface = ANY ('{bot,message_extension,quick_action,tab}'::text[])))
)
PARTITION BY RANGE (created_at);


--
-- Name: TABLE audit_events; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON TABLE teams_obs.audit_events IS 'One row per executed Teams mutation (success or failure); holds payload_hash, never the payload. Monthly partitions (UTC) plus DEFAULT. Write through teams_obs.record_audit_event.';


--
-- Name: COLUMN audit_events.idempotency_key; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON COLUMN teams_obs.audit_events.idempotency_key IS 'The key Teams sent with the request, for correlation; not unique (a failure and its retry share it).';


--
-- Name: COLUMN audit_events.payload_hash; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON COLUMN teams_obs.audit_events.payload_hash IS 'Lowercase hex SHA-256 of the RFC 8785 canonical form of the request payload (teams_obs.payload_hash); NULL when there was no payload.';


--
-- Name: COLUMN audit_events.created_at; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON COLUMN teams_obs.audit_events.created_at IS 'Database clock (transaction start) when the event was recorded; the partition key.';


--
-- Name: audit_events_default; Type: TABLE; Schema: teams_obs; Owner: -
--

CREATE TABLE teams_obs.audit_events_default (
    tenant uuid NOT NULL,
    event_id uuid DEFAULT teams_obs.time_ordered_uuid() NOT NULL,
    actor_user_id uuid,
    microsoft_user_id text,
    surface text NOT NULL,
    action_id text NOT NULL,
    target_type text,
    target_id text,
    idempotency_key text,
    payload_hash text,
    result_status text NOT NULL,
    error_code text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT audit_events_action_id_check CHECK ((action_id = ANY ('{assign_ticket,add_note,reply_to_contact,log_time,approval_response,create_ticket_from_message,update_from_message}'::text[]))),
    CONSTRAINT audit_events_error_code_check CHECK (((error_code IS NULL) OR (error_code = ANY ('{validation_error,forbidden,not_found,not_configured,capability_disabled,unsupported_action,duplicate_submission,execution_failed}'::text[])))),
    CONSTRAINT audit_events_error_code_failure_check CHECK (((error_code IS NULL) OR (result_status = 'failure'::text))),
    CONSTRAINT audit_events_payload_hash_check CHECK ((payload_hash ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT audit_events_result_status_check CHECK ((result_status = ANY ('{success,failure}'::text[]))),
    CONSTRAINT audit_events_surface_check CHECK ((surface = ANY ('{bot,message_extension,quick_action,tab}'::text[])))
);


--
-- Name: notification_deliveries; Type: TABLE; Schema: teams_obs; Owner: -
--

CREATE TABLE teams_obs.notification_deliveries (
    tenant uuid NOT NULL,
    delivery_id uuid DEFAULT teams_obs.time_ordered_uuid() NOT NULL,
    internal_notification_id uuid,
    category text,
    destination_type text NOT NULL,
    destination_id text NOT NULL,
    attempt_number integer DEFAULT 1 NOT NULL,
    idempotency_key text NOT NULL COLLATE pg_catalog."C",
    provider_message_id text,
    status text NOT NULL,
    error_code text,
    error_message text,
    retryable boolean,
    provider_request_id text,
    sent_at timestamp with time zone,
    delivered_at timestamp with time zone,
    responded_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT notification_deliveries_attempt_number_check CHECK ((attempt_number > 0)),
    CONSTRAINT notification_deliveries_category_check CHECK ((char_length(category) <= 200)),
    CONSTRAINT notification_deliveries_destination_type_check CHECK ((destination_type = ANY ('{user_activity,bot_dm,chat,channel,bot_test}'::text[]))),
    CONSTRAINT notification_deliveries_error_code_check CHECK (((error_code IS NULL) OR (error_code = ANY ('{graph_throttled,graph_unauthorized,graph_not_found,graph_server_error,user_not_mapped,addon_inactive,integration_inactive,package_misconfigured,transient,unknown}'::text[])))),
    CONSTRAINT notification_deliveries_error_message_check CHECK ((char_length(error_message) <= 1024)),
    CONSTRAINT notification_deliveries_status_check CHECK ((status = ANY ('{skipped,sent,delivered,failed}'::text[])))
)
PARTITION BY RANGE (created_at);


--
-- Name: TABLE notification_deliveries; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON TABLE teams_obs.notification_deliveries IS 'One row per terminal outcome of one Teams notification delivery attempt; monthly partitions (UTC) plus DEFAULT. Write through teams_obs.record_delivery(ies).';


--
-- Name: COLUMN notification_deliveries.idempotency_key; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON COLUMN teams_obs.notification_deliveries.idempotency_key IS 'teams_obs.delivery_idempotency_key(...); unique per tenant through teams_obs.notification_delivery_idempotency.';


--
-- Name: COLUMN notification_deliveries.created_at; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON COLUMN teams_obs.notification_deliveries.created_at IS 'Database clock (transaction start) when the outcome was recorded; the partition key.';


--
-- Name: notification_deliveries_default; Type: TABLE; Schema: teams_obs; Owner: -
--

CREATE TABLE teams_obs.notification_deliveries_default (
    tenant uuid NOT NULL,
    delivery_id uuid DEFAULT teams_obs.time_ordered_uuid() NOT NULL,
    internal_notification_id uuid,
    category text,
    destination_type text NOT NULL,
    destination_id text NOT NULL,
    attempt_number integer DEFAULT 1 NOT NULL,
    idempotency_key text NOT NULL COLLATE pg_catalog."C",
    provider_message_id text,
    status text NOT NULL,
    error_code text,
    error_message text,
    retryable boolean,
    provider_request_id text,
    sent_at timestamp with time zone,
    delivered_at timestamp with time zone,
    responded_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT notification_deliveries_attempt_number_check CHECK ((attempt_number > 0)),
    CONSTRAINT notification_deliveries_category_check CHECK ((char_length(category) <= 200)),
    CONSTRAINT notification_deliveries_destination_type_check CHECK ((destination_type = ANY ('{user_activity,bot_dm,chat,channel,bot_test}'::text[]))),
    CONSTRAINT notification_deliveries_error_code_check CHECK (((error_code IS NULL) OR (error_code = ANY ('{graph_throttled,graph_unauthorized,graph_not_found,graph_server_error,user_not_mapped,addon_inactive,integration_inactive,package_misconfigured,transient,unknown}'::text[])))),
    CONSTRAINT notification_deliveries_error_message_check CHECK ((char_length(error_message) <= 1024)),
    CONSTRAINT notification_deliveries_status_check CHECK ((status = ANY ('{skipped,sent,delivered,failed}'::text[])))
);


--
-- Name: audit_events_default; Type: TABLE ATTACH; Schema: teams_obs; Owner: -
--

ALTER TABLE ONLY teams_obs.audit_events ATTACH PARTITION teams_obs.audit_events_default DEFAULT;


--
-- Name: notification_deliveries_default; Type: TABLE ATTACH; Schema: teams_obs; Owner: -
--

ALTER TABLE ONLY teams_obs.notification_deliveries ATTACH PARTITION teams_obs.notification_deliveries_default DEFAULT;


--
-- Name: audit_events audit_events_pk; Type: CONSTRAINT; Schema: teams_obs; Owner: -
--

ALTER TABLE ONLY teams_obs.audit_events
    ADD CONSTRAINT audit_events_pk PRIMARY KEY (tenant, event_id, created_at);


--
-- Name: audit_events_default audit_events_default_pkey; Type: CONSTRAINT; Schema: teams_obs; Owner: -
--

ALTER TABLE ONLY teams_obs.audit_events_default
    ADD CONSTRAINT audit_events_default_pkey PRIMARY KEY (tenant, event_id, created_at);


--
-- Name: conversation_references conversation_references_pk; Type: CONSTRAINT; Schema: teams_obs; Owner: -
--

ALTER TABLE ONLY teams_obs.conversation_references
    ADD CONSTRAINT conversation_references_pk PRIMARY KEY (tenant, microsoft_user_id, conversation_id);


--
-- Name: notification_deliveries notification_deliveries_pk; Type: CONSTRAINT; Schema: teams_obs; Owner: -
--

ALTER TABLE ONLY teams_obs.notification_deliveries
    ADD CONSTRAINT notification_deliveries_pk PRIMARY KEY (tenant, delivery_id, created_at);


--
-- Name: notification_deliveries_default notification_deliveries_default_pkey; Type: CONSTRAINT; Schema: teams_obs; Owner: -
--

ALTER TABLE ONLY teams_obs.notification_deliveries_default
    ADD CONSTRAINT notification_deliveries_default_pkey PRIMARY KEY (tenant, delivery_id, created_at);


--
-- Name: notification_delivery_idempotency notification_delivery_idempotency_pk; Type: CONSTRAINT; Schema: teams_obs; Owner: -
--

ALTER TABLE ONLY teams_obs.notification_delivery_idempotency
    ADD CONSTRAINT notification_delivery_idempotency_pk PRIMARY KEY (tenant, idempotency_key);


--
-- Name: audit_events_action_created_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX audit_events_action_created_idx ON ONLY teams_obs.audit_events USING btree (tenant, action_id, created_at DESC, event_id DESC);


--
-- Name: audit_events_actor_created_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX audit_events_actor_created_idx ON ONLY teams_obs.audit_events USING btree (tenant, actor_user_id, created_at DESC, event_id DESC) WHERE (actor_user_id IS NOT NULL);


--
-- Name: audit_events_default_tenant_action_id_created_at_event_id_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX audit_events_default_tenant_action_id_created_at_event_id_idx ON teams_obs.audit_events_default USING btree (tenant, action_id, created_at DESC, event_id DESC);


--
-- Name: audit_events_default_tenant_actor_user_id_created_at_event__idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX audit_events_default_tenant_actor_user_id_created_at_event__idx ON teams_obs.audit_events_default USING btree (tenant, actor_user_id, created_at DESC, event_id DESC) WHERE (actor_user_id IS NOT NULL);


--
-- Name: audit_events_tenant_created_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX audit_events_tenant_created_idx ON ONLY teams_obs.audit_events USING btree (tenant, created_at DESC, event_id DESC);


--
-- Name: audit_events_default_tenant_created_at_event_id_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX audit_events_default_tenant_created_at_event_id_idx ON teams_obs.audit_events_default USING btree (tenant, created_at DESC, event_id DESC);


--
-- Name: audit_events_failure_created_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX audit_events_failure_created_idx ON ONLY teams_obs.audit_events USING btree (tenant, created_at DESC, event_id DESC) WHERE (result_status = 'failure'::text);


--
-- Name: audit_events_default_tenant_created_at_event_id_idx1; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX audit_events_default_tenant_created_at_event_id_idx1 ON teams_obs.audit_events_default USING btree (tenant, created_at DESC, event_id DESC) WHERE (result_status = 'failure'::text);


--
-- Name: audit_events_error_code_created_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX audit_events_error_code_created_idx ON ONLY teams_obs.audit_events USING btree (tenant, error_code, created_at DESC, event_id DESC) WHERE (result_status = 'failure'::text);


--
-- Name: audit_events_default_tenant_error_code_created_at_event_id_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX audit_events_default_tenant_error_code_created_at_event_id_idx ON teams_obs.audit_events_default USING btree (tenant, error_code, created_at DESC, event_id DESC) WHERE (result_status = 'failure'::text);


--
-- Name: audit_events_surface_created_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX audit_events_surface_created_idx ON ONLY teams_obs.audit_events USING btree (tenant, surface, created_at DESC, event_id DESC);


--
-- Name: audit_events_default_tenant_surface_created_at_event_id_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX audit_events_default_tenant_surface_created_at_event_id_idx ON teams_obs.audit_events_default USING btree (tenant, surface, created_at DESC, event_id DESC);


--
-- Name: audit_events_target_id_created_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX audit_events_target_id_created_idx ON ONLY teams_obs.audit_events USING btree (tenant, target_id, created_at DESC, event_id DESC) WHERE (target_id IS NOT NULL);


--
-- Name: audit_events_default_tenant_target_id_created_at_event_id_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX audit_events_default_tenant_target_id_created_at_event_id_idx ON teams_obs.audit_events_default USING btree (tenant, target_id, created_at DESC, event_id DESC) WHERE (target_id IS NOT NULL);


--
-- Name: audit_events_target_created_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX audit_events_target_created_idx ON ONLY teams_obs.audit_events USING btree (tenant, target_type, target_id, created_at DESC, event_id DESC) WHERE ((target_type IS NOT NULL) OR (target_id IS NOT NULL));


--
-- Name: audit_events_default_tenant_target_type_target_id_created_a_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX audit_events_default_tenant_target_type_target_id_created_a_idx ON teams_obs.audit_events_default USING btree (tenant, target_type, target_id, created_at DESC, event_id DESC) WHERE ((target_type IS NOT NULL) OR (target_id IS NOT NULL));


--
-- Name: conversation_references_conversation_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX conversation_references_conversation_idx ON teams_obs.conversation_references USING btree (tenant, conversation_id);


--
-- Name: notification_deliveries_category_created_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX notification_deliveries_category_created_idx ON ONLY teams_obs.notification_deliveries USING btree (tenant, category, created_at DESC, delivery_id DESC);


--
-- Name: notification_deliveries_defau_tenant_category_created_at_de_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX notification_deliveries_defau_tenant_category_created_at_de_idx ON teams_obs.notification_deliveries_default USING btree (tenant, category, created_at DESC, delivery_id DESC);


--
-- Name: notification_deliveries_tenant_created_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX notification_deliveries_tenant_created_idx ON ONLY teams_obs.notification_deliveries USING btree (tenant, created_at DESC, delivery_id DESC);


--
-- Name: notification_deliveries_defau_tenant_created_at_delivery_id_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX notification_deliveries_defau_tenant_created_at_delivery_id_idx ON teams_obs.notification_deliveries_default USING btree (tenant, created_at DESC, delivery_id DESC);


--
-- Name: notification_deliveries_destination_type_created_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX notification_deliveries_destination_type_created_idx ON ONLY teams_obs.notification_deliveries USING btree (tenant, destination_type, created_at DESC, delivery_id DESC);


--
-- Name: notification_deliveries_defau_tenant_destination_type_creat_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX notification_deliveries_defau_tenant_destination_type_creat_idx ON teams_obs.notification_deliveries_default USING btree (tenant, destination_type, created_at DESC, delivery_id DESC);


--
-- Name: notification_deliveries_error_code_created_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX notification_deliveries_error_code_created_idx ON ONLY teams_obs.notification_deliveries USING btree (tenant, error_code, created_at DESC, delivery_id DESC) WHERE (error_code IS NOT NULL);


--
-- Name: notification_deliveries_defau_tenant_error_code_created_at__idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX notification_deliveries_defau_tenant_error_code_created_at__idx ON teams_obs.notification_deliveries_default USING btree (tenant, error_code, created_at DESC, delivery_id DESC) WHERE (error_code IS NOT NULL);


--
-- Name: notification_deliveries_internal_notification_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX notification_deliveries_internal_notification_idx ON ONLY teams_obs.notification_deliveries USING btree (tenant, internal_notification_id) WHERE (internal_notification_id IS NOT NULL);


--
-- Name: notification_deliveries_defau_tenant_internal_notification__idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX notification_deliveries_defau_tenant_internal_notification__idx ON teams_obs.notification_deliveries_default USING btree (tenant, internal_notification_id) WHERE (internal_notification_id IS NOT NULL);


--
-- Name: notification_deliveries_status_created_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX notification_deliveries_status_created_idx ON ONLY teams_obs.notification_deliveries USING btree (tenant, status, created_at DESC, delivery_id DESC);


--
-- Name: notification_deliveries_defau_tenant_status_created_at_deli_idx; Type: INDEX; Schema: teams_obs; Owner: -
--

CREATE INDEX notification_deliveries_defau_tenant_status_created_at_deli_idx ON teams_obs.notification_deliveries_default USING btree (tenant, status, created_at DESC, delivery_id DESC);


--
-- Name: audit_events_default_pkey; Type: INDEX ATTACH; Schema: teams_obs; Owner: -
--

ALTER INDEX teams_obs.audit_events_pk ATTACH PARTITION teams_obs.audit_events_default_pkey;


--
-- Name: audit_events_default_tenant_action_id_created_at_event_id_idx; Type: INDEX ATTACH; Schema: teams_obs; Owner: -
--

ALTER INDEX teams_obs.audit_events_action_created_idx ATTACH PARTITION teams_obs.audit_events_default_tenant_action_id_created_at_event_id_idx;


--
-- Name: audit_events_default_tenant_actor_user_id_created_at_event__idx; Type: INDEX ATTACH; Schema: teams_obs; Owner: -
--

ALTER INDEX teams_obs.audit_events_actor_created_idx ATTACH PARTITION teams_obs.audit_events_default_tenant_actor_user_id_created_at_event__idx;


--
-- Name: audit_events_default_tenant_created_at_event_id_idx; Type: INDEX ATTACH; Schema: teams_obs; Owner: -
--

ALTER INDEX teams_obs.audit_events_tenant_created_idx ATTACH PARTITION teams_obs.audit_events_default_tenant_created_at_event_id_idx;


--
-- Name: audit_events_default_tenant_created_at_event_id_idx1; Type: INDEX ATTACH; Schema: teams_obs; Owner: -
--

ALTER INDEX teams_obs.audit_events_failure_created_idx ATTACH PARTITION teams_obs.audit_events_default_tenant_created_at_event_id_idx1;


--
-- Name: audit_events_default_tenant_error_code_created_at_event_id_idx; Type: INDEX ATTACH; Schema: teams_obs; Owner: -
--

ALTER INDEX teams_obs.audit_events_error_code_created_idx ATTACH PARTITION teams_obs.audit_events_default_tenant_error_code_created_at_event_id_idx;


--
-- Name: audit_events_default_tenant_surface_created_at_event_id_idx; Type: INDEX ATTACH; Schema: teams_obs; Owner: -
--

ALTER INDEX teams_obs.audit_events_surface_created_idx ATTACH PARTITION teams_obs.audit_events_default_tenant_surface_created_at_event_id_idx;


--
-- Name: audit_events_default_tenant_target_id_created_at_event_id_idx; Type: INDEX ATTACH; Schema: teams_obs; Owner: -
--

ALTER INDEX teams_obs.audit_events_target_id_created_idx ATTACH PARTITION teams_obs.audit_events_default_tenant_target_id_created_at_event_id_idx;


--
-- Name: audit_events_default_tenant_target_type_target_id_created_a_idx; Type: INDEX ATTACH; Schema: teams_obs; Owner: -
--

ALTER INDEX teams_obs.audit_events_target_created_idx ATTACH PARTITION teams_obs.audit_events_default_tenant_target_type_target_id_created_a_idx;


--
-- Name: notification_deliveries_defau_tenant_category_created_at_de_idx; Type: INDEX ATTACH; Schema: teams_obs; Owner: -
--

ALTER INDEX teams_obs.notification_deliveries_category_created_idx ATTACH PARTITION teams_obs.notification_deliveries_defau_tenant_category_created_at_de_idx;


--
-- Name: notification_deliveries_defau_tenant_created_at_delivery_id_idx; Type: INDEX ATTACH; Schema: teams_obs; Owner: -
--

ALTER INDEX teams_obs.notification_deliveries_tenant_created_idx ATTACH PARTITION teams_obs.notification_deliveries_defau_tenant_created_at_delivery_id_idx;


--
-- Name: notification_deliveries_defau_tenant_destination_type_creat_idx; Type: INDEX ATTACH; Schema: teams_obs; Owner: -
--

ALTER INDEX teams_obs.notification_deliveries_destination_type_created_idx ATTACH PARTITION teams_obs.notification_deliveries_defau_tenant_destination_type_creat_idx;


--
-- Name: notification_deliveries_defau_tenant_error_code_created_at__idx; Type: INDEX ATTACH; Schema: teams_obs; Owner: -
--

ALTER INDEX teams_obs.notification_deliveries_error_code_created_idx ATTACH PARTITION teams_obs.notification_deliveries_defau_tenant_error_code_created_at__idx;


--
-- Name: notification_deliveries_defau_tenant_internal_notification__idx; Type: INDEX ATTACH; Schema: teams_obs; Owner: -
--

ALTER INDEX teams_obs.notification_deliveries_internal_notification_idx ATTACH PARTITION teams_obs.notification_deliveries_defau_tenant_internal_notification__idx;


--
-- Name: notification_deliveries_defau_tenant_status_created_at_deli_idx; Type: INDEX ATTACH; Schema: teams_obs; Owner: -
--

ALTER INDEX teams_obs.notification_deliveries_status_created_idx ATTACH PARTITION teams_obs.notification_deliveries_defau_tenant_status_created_at_deli_idx;


--
-- Name: notification_deliveries_default_pkey; Type: INDEX ATTACH; Schema: teams_obs; Owner: -
--

ALTER INDEX teams_obs.notification_deliveries_pk ATTACH PARTITION teams_obs.notification_deliveries_default_pkey;


--
-- Name: audit_events; Type: ROW SECURITY; Schema: teams_obs; Owner: -
--

ALTER TABLE teams_obs.audit_events ENABLE ROW LEVEL SECURITY;

--
-- Name: audit_events_default; Type: ROW SECURITY; Schema: teams_obs; Owner: -
--

ALTER TABLE teams_obs.audit_events_default ENABLE ROW LEVEL SECURITY;

--
-- Name: conversation_references; Type: ROW SECURITY; Schema: teams_obs; Owner: -
--

ALTER TABLE teams_obs.conversation_references ENABLE ROW LEVEL SECURITY;

--
-- Name: notification_deliveries; Type: ROW SECURITY; Schema: teams_obs; Owner: -
--

ALTER TABLE teams_obs.notification_deliveries ENABLE ROW LEVEL SECURITY;

--
-- Name: notification_deliveries_default; Type: ROW SECURITY; Schema: teams_obs; Owner: -
--

ALTER TABLE teams_obs.notification_deliveries_default ENABLE ROW LEVEL SECURITY;

--
-- Name: notification_delivery_idempotency; Type: ROW SECURITY; Schema: teams_obs; Owner: -
--

ALTER TABLE teams_obs.notification_delivery_idempotency ENABLE ROW LEVEL SECURITY;

--
-- Name: audit_events tenant_isolation; Type: POLICY; Schema: teams_obs; Owner: -
--

CREATE POLICY tenant_isolation ON teams_obs.audit_events USING ((tenant = (NULLIF(current_setting('teams_obs.tenant'::text, true), ''::text))::uuid)) WITH CHECK ((tenant = (NULLIF(current_setting('teams_obs.tenant'::text, true), ''::text))::uuid));


--
-- Name: POLICY tenant_isolation ON audit_events; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON POLICY tenant_isolation ON teams_obs.audit_events IS 'Rows of the tenant named by the transaction''s teams_obs.tenant setting only; none while unset.';


--
-- Name: conversation_references tenant_isolation; Type: POLICY; Schema: teams_obs; Owner: -
--

CREATE POLICY tenant_isolation ON teams_obs.conversation_references USING ((tenant = (NULLIF(current_setting('teams_obs.tenant'::text, true), ''::text))::uuid)) WITH CHECK ((tenant = (NULLIF(current_setting('teams_obs.tenant'::text, true), ''::text))::uuid));


--
-- Name: POLICY tenant_isolation ON conversation_references; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON POLICY tenant_isolation ON teams_obs.conversation_references IS 'Rows of the tenant named by the transaction''s teams_obs.tenant setting only; none while unset.';


--
-- Name: notification_deliveries tenant_isolation; Type: POLICY; Schema: teams_obs; Owner: -
--

CREATE POLICY tenant_isolation ON teams_obs.notification_deliveries USING ((tenant = (NULLIF(current_setting('teams_obs.tenant'::text, true), ''::text))::uuid)) WITH CHECK ((tenant = (NULLIF(current_setting('teams_obs.tenant'::text, true), ''::text))::uuid));


--
-- Name: POLICY tenant_isolation ON notification_deliveries; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON POLICY tenant_isolation ON teams_obs.notification_deliveries IS 'Rows of the tenant named by the transaction''s teams_obs.tenant setting only; none while unset.';


--
-- Name: notification_delivery_idempotency tenant_isolation; Type: POLICY; Schema: teams_obs; Owner: -
--

CREATE POLICY tenant_isolation ON teams_obs.notification_delivery_idempotency USING ((tenant = (NULLIF(current_setting('teams_obs.tenant'::text, true), ''::text))::uuid)) WITH CHECK ((tenant = (NULLIF(current_setting('teams_obs.tenant'::text, true), ''::text))::uuid));


--
-- Name: POLICY tenant_isolation ON notification_delivery_idempotency; Type: COMMENT; Schema: teams_obs; Owner: -
--

COMMENT ON POLICY tenant_isolation ON teams_obs.notification_delivery_idempotency IS 'Rows of the tenant named by the transaction''s teams_obs.tenant setting only; none while unset.';


--
-- Name: SCHEMA teams_obs; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA teams_obs TO teams_obs_writer;
GRANT USAGE ON SCHEMA teams_obs TO teams_obs_reader;
GRANT USAGE ON SCHEMA teams_obs TO teams_obs_maintainer;


--
-- Name: FUNCTION _jcs_first_duplicate(p_objects integer[], p_names text[], p_paths text[]); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs._jcs_first_duplicate(p_objects integer[], p_names text[], p_paths text[]) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs._jcs_first_duplicate(p_objects integer[], p_names text[], p_paths text[]) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs._jcs_first_duplicate(p_objects integer[], p_names text[], p_paths text[]) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs._jcs_first_duplicate(p_objects integer[], p_names text[], p_paths text[]) TO teams_obs_maintainer;


--
-- Name: FUNCTION _jcs_format_number(p_number text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs._jcs_format_number(p_number text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs._jcs_format_number(p_number text) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs._jcs_format_number(p_number text) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs._jcs_format_number(p_number text) TO teams_obs_maintainer;


--
-- Name: FUNCTION _jcs_kept_every_member(p_json_text text, p_canonical text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs._jcs_kept_every_member(p_json_text text, p_canonical text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs._jcs_kept_every_member(p_json_text text, p_canonical text) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs._jcs_kept_every_member(p_json_text text, p_canonical text) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs._jcs_kept_every_member(p_json_text text, p_canonical text) TO teams_obs_maintainer;


--
-- Name: FUNCTION _jcs_large_digits(p_magnitude double precision, OUT digits text, OUT point integer); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs._jcs_large_digits(p_magnitude double precision, OUT digits text, OUT point integer) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs._jcs_large_digits(p_magnitude double precision, OUT digits text, OUT point integer) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs._jcs_large_digits(p_magnitude double precision, OUT digits text, OUT point integer) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs._jcs_large_digits(p_magnitude double precision, OUT digits text, OUT point integer) TO teams_obs_maintainer;


--
-- Name: FUNCTION _jcs_number(p_number text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs._jcs_number(p_number text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs._jcs_number(p_number text) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs._jcs_number(p_number text) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs._jcs_number(p_number text) TO teams_obs_maintainer;


--
-- Name: FUNCTION _jcs_path_step(p_name text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs._jcs_path_step(p_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs._jcs_path_step(p_name text) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs._jcs_path_step(p_name text) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs._jcs_path_step(p_name text) TO teams_obs_maintainer;


--
-- Name: FUNCTION _jcs_render(p_doc jsonb); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs._jcs_render(p_doc jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs._jcs_render(p_doc jsonb) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs._jcs_render(p_doc jsonb) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs._jcs_render(p_doc jsonb) TO teams_obs_maintainer;


--
-- Name: FUNCTION _jcs_screen(p_doc json); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs._jcs_screen(p_doc json) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs._jcs_screen(p_doc json) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs._jcs_screen(p_doc json) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs._jcs_screen(p_doc json) TO teams_obs_maintainer;


--
-- Name: FUNCTION _jcs_sort_key(p_name text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs._jcs_sort_key(p_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs._jcs_sort_key(p_name text) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs._jcs_sort_key(p_name text) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs._jcs_sort_key(p_name text) TO teams_obs_maintainer;


--
-- Name: FUNCTION _jcs_string_problem(p_token text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs._jcs_string_problem(p_token text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs._jcs_string_problem(p_token text) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs._jcs_string_problem(p_token text) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs._jcs_string_problem(p_token text) TO teams_obs_maintainer;


--
-- Name: FUNCTION clean_text(p_value text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.clean_text(p_value text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.clean_text(p_value text) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs.clean_text(p_value text) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs.clean_text(p_value text) TO teams_obs_maintainer;


--
-- Name: FUNCTION activity_text(p_activity jsonb, p_path text[]); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.activity_text(p_activity jsonb, p_path text[]) FROM PUBLIC;


--
-- Name: FUNCTION attach_month_partition(p_parent regclass, p_month_start timestamp with time zone); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.attach_month_partition(p_parent regclass, p_month_start timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.attach_month_partition(p_parent regclass, p_month_start timestamp with time zone) TO teams_obs_maintainer;


--
-- Name: FUNCTION canonical_json(p_doc json); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.canonical_json(p_doc json) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.canonical_json(p_doc json) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs.canonical_json(p_doc json) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs.canonical_json(p_doc json) TO teams_obs_maintainer;


--
-- Name: FUNCTION check_retention_cutoff(p_cutoff timestamp with time zone); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.check_retention_cutoff(p_cutoff timestamp with time zone) FROM PUBLIC;


--
-- Name: FUNCTION citus_installed(); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.citus_installed() FROM PUBLIC;


--
-- Name: FUNCTION cleanup_audit_events(p_retention interval, p_batch_size integer); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.cleanup_audit_events(p_retention interval, p_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.cleanup_audit_events(p_retention interval, p_batch_size integer) TO teams_obs_maintainer;


--
-- Name: FUNCTION cleanup_notification_deliveries(p_retention interval, p_batch_size integer); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.cleanup_notification_deliveries(p_retention interval, p_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.cleanup_notification_deliveries(p_retention interval, p_batch_size integer) TO teams_obs_maintainer;


--
-- Name: FUNCTION cleanup_partitioned_table(p_parent regclass, p_cutoff timestamp with time zone, p_batch_size integer); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.cleanup_partitioned_table(p_parent regclass, p_cutoff timestamp with time zone, p_batch_size integer) FROM PUBLIC;


--
-- Name: FUNCTION cursor_checksum(p_list text, p_tenant uuid, p_at text, p_id uuid); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.cursor_checksum(p_list text, p_tenant uuid, p_at text, p_id uuid) FROM PUBLIC;


--
-- Name: FUNCTION decode_cursor(p_list text, p_tenant uuid, p_cursor text, OUT created_at timestamp with time zone, OUT id uuid); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.decode_cursor(p_list text, p_tenant uuid, p_cursor text, OUT created_at timestamp with time zone, OUT id uuid) FROM PUBLIC;


--
-- Name: FUNCTION default_partition_months(p_parent regclass); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.default_partition_months(p_parent regclass) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.default_partition_months(p_parent regclass) TO teams_obs_maintainer;


--
-- Name: FUNCTION delete_retention_batch(p_parent regclass, p_table regclass, p_cutoff timestamp with time zone, p_first_page bigint, p_end_page bigint); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.delete_retention_batch(p_parent regclass, p_table regclass, p_cutoff timestamp with time zone, p_first_page bigint, p_end_page bigint) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.delete_retention_batch(p_parent regclass, p_table regclass, p_cutoff timestamp with time zone, p_first_page bigint, p_end_page bigint) TO teams_obs_maintainer;


--
-- Name: FUNCTION delivery_acceptable(p_tenant uuid, p_destination_type text, p_destination_id text, p_status text, p_error_code text, p_category text, p_attempt_number integer, p_nonce text, p_sent_at timestamp with time zone, p_delivered_at timestamp with time zone, p_responded_at timestamp with time zone); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.delivery_acceptable(p_tenant uuid, p_destination_type text, p_destination_id text, p_status text, p_error_code text, p_category text, p_attempt_number integer, p_nonce text, p_sent_at timestamp with time zone, p_delivered_at timestamp with time zone, p_responded_at timestamp with time zone) FROM PUBLIC;


--
-- Name: FUNCTION delivery_health(p_tenant uuid, p_since timestamp with time zone, p_until timestamp with time zone); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.delivery_health(p_tenant uuid, p_since timestamp with time zone, p_until timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.delivery_health(p_tenant uuid, p_since timestamp with time zone, p_until timestamp with time zone) TO teams_obs_reader;


--
-- Name: FUNCTION delivery_idempotency_key(p_tenant uuid, p_internal_notification_id uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.delivery_idempotency_key(p_tenant uuid, p_internal_notification_id uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.delivery_idempotency_key(p_tenant uuid, p_internal_notification_id uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs.delivery_idempotency_key(p_tenant uuid, p_internal_notification_id uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs.delivery_idempotency_key(p_tenant uuid, p_internal_notification_id uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text) TO teams_obs_maintainer;


--
-- Name: FUNCTION delivery_key_digest(p_tenant uuid, p_internal_notification_id uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.delivery_key_digest(p_tenant uuid, p_internal_notification_id uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.delivery_key_digest(p_tenant uuid, p_internal_notification_id uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs.delivery_key_digest(p_tenant uuid, p_internal_notification_id uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs.delivery_key_digest(p_tenant uuid, p_internal_notification_id uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text) TO teams_obs_maintainer;


--
-- Name: FUNCTION delivery_key_problem(p_tenant uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.delivery_key_problem(p_tenant uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.delivery_key_problem(p_tenant uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs.delivery_key_problem(p_tenant uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs.delivery_key_problem(p_tenant uuid, p_destination_type text, p_destination_id text, p_attempt_number integer, p_nonce text) TO teams_obs_maintainer;


--
-- Name: FUNCTION delivery_normalised(p_row teams_obs.delivery_input); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.delivery_normalised(p_row teams_obs.delivery_input) FROM PUBLIC;


--
-- Name: FUNCTION delivery_problem(p_tenant uuid, p_destination_type text, p_destination_id text, p_status text, p_error_code text, p_category text, p_attempt_number integer, p_nonce text, p_sent_at timestamp with time zone, p_delivered_at timestamp with time zone, p_responded_at timestamp with time zone); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.delivery_problem(p_tenant uuid, p_destination_type text, p_destination_id text, p_status text, p_error_code text, p_category text, p_attempt_number integer, p_nonce text, p_sent_at timestamp with time zone, p_delivered_at timestamp with time zone, p_responded_at timestamp with time zone) FROM PUBLIC;


--
-- Name: FUNCTION delivery_reservation(p_tenant uuid, p_idempotency_key text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.delivery_reservation(p_tenant uuid, p_idempotency_key text) FROM PUBLIC;


--
-- Name: FUNCTION drop_expired_partitions(p_parent regclass, p_cutoff timestamp with time zone); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.drop_expired_partitions(p_parent regclass, p_cutoff timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.drop_expired_partitions(p_parent regclass, p_cutoff timestamp with time zone) TO teams_obs_maintainer;


--
-- Name: FUNCTION encode_cursor(p_list text, p_tenant uuid, p_created_at timestamp with time zone, p_id uuid); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.encode_cursor(p_list text, p_tenant uuid, p_created_at timestamp with time zone, p_id uuid) FROM PUBLIC;


--
-- Name: FUNCTION find_conversation_reference(p_tenant uuid, p_conversation_id text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.find_conversation_reference(p_tenant uuid, p_conversation_id text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.find_conversation_reference(p_tenant uuid, p_conversation_id text) TO teams_obs_reader;


--
-- Name: FUNCTION raise_invalid_parameter(p_message text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.raise_invalid_parameter(p_message text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.raise_invalid_parameter(p_message text) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs.raise_invalid_parameter(p_message text) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs.raise_invalid_parameter(p_message text) TO teams_obs_maintainer;


--
-- Name: FUNCTION graph_status_error(p_http_status integer, OUT error_code text, OUT retryable boolean); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.graph_status_error(p_http_status integer, OUT error_code text, OUT retryable boolean) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.graph_status_error(p_http_status integer, OUT error_code text, OUT retryable boolean) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs.graph_status_error(p_http_status integer, OUT error_code text, OUT retryable boolean) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs.graph_status_error(p_http_status integer, OUT error_code text, OUT retryable boolean) TO teams_obs_maintainer;


--
-- Name: FUNCTION latest_conversation_reference(p_tenant uuid, p_microsoft_user_id text, p_conversation_type text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.latest_conversation_reference(p_tenant uuid, p_microsoft_user_id text, p_conversation_type text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.latest_conversation_reference(p_tenant uuid, p_microsoft_user_id text, p_conversation_type text) TO teams_obs_reader;


--
-- Name: FUNCTION list_audit_events(p_tenant uuid, p_surface text, p_action_id text, p_actor_user_id uuid, p_result_status text, p_target_type text, p_target_id text, p_since timestamp with time zone, p_until timestamp with time zone, p_limit integer, p_cursor text, p_error_code text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.list_audit_events(p_tenant uuid, p_surface text, p_action_id text, p_actor_user_id uuid, p_result_status text, p_target_type text, p_target_id text, p_since timestamp with time zone, p_until timestamp with time zone, p_limit integer, p_cursor text, p_error_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.list_audit_events(p_tenant uuid, p_surface text, p_action_id text, p_actor_user_id uuid, p_result_status text, p_target_type text, p_target_id text, p_since timestamp with time zone, p_until timestamp with time zone, p_limit integer, p_cursor text, p_error_code text) TO teams_obs_reader;


--
-- Name: FUNCTION list_deliveries(p_tenant uuid, p_status text, p_category text, p_destination_type text, p_error_code text, p_internal_notification_id uuid, p_since timestamp with time zone, p_until timestamp with time zone, p_limit integer, p_cursor text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.list_deliveries(p_tenant uuid, p_status text, p_category text, p_destination_type text, p_error_code text, p_internal_notification_id uuid, p_since timestamp with time zone, p_until timestamp with time zone, p_limit integer, p_cursor text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.list_deliveries(p_tenant uuid, p_status text, p_category text, p_destination_type text, p_error_code text, p_internal_notification_id uuid, p_since timestamp with time zone, p_until timestamp with time zone, p_limit integer, p_cursor text) TO teams_obs_reader;


--
-- Name: FUNCTION list_filter(p_field text, p_value text, p_allowed text[]); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.list_filter(p_field text, p_value text, p_allowed text[]) FROM PUBLIC;


--
-- Name: FUNCTION lock_partition_maintenance(p_parent regclass); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.lock_partition_maintenance(p_parent regclass) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.lock_partition_maintenance(p_parent regclass) TO teams_obs_maintainer;


--
-- Name: PROCEDURE maintain_partitions(IN p_months_ahead integer, IN p_lock_timeout text, INOUT p_created integer); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON PROCEDURE teams_obs.maintain_partitions(IN p_months_ahead integer, IN p_lock_timeout text, INOUT p_created integer) FROM PUBLIC;
GRANT ALL ON PROCEDURE teams_obs.maintain_partitions(IN p_months_ahead integer, IN p_lock_timeout text, INOUT p_created integer) TO teams_obs_maintainer;


--
-- Name: FUNCTION maintenance_status(); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.maintenance_status() FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.maintenance_status() TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs.maintenance_status() TO teams_obs_maintainer;


--
-- Name: FUNCTION missing_month_partitions(p_parent regclass, p_months_ahead integer); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.missing_month_partitions(p_parent regclass, p_months_ahead integer) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.missing_month_partitions(p_parent regclass, p_months_ahead integer) TO teams_obs_maintainer;


--
-- Name: FUNCTION month_partition_name(p_parent regclass, p_month_start timestamp with time zone); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.month_partition_name(p_parent regclass, p_month_start timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.month_partition_name(p_parent regclass, p_month_start timestamp with time zone) TO teams_obs_maintainer;


--
-- Name: FUNCTION month_partitioned_table_of(p_parent regclass); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.month_partitioned_table_of(p_parent regclass) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.month_partitioned_table_of(p_parent regclass) TO teams_obs_maintainer;


--
-- Name: FUNCTION month_partitioned_tables(); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.month_partitioned_tables() FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.month_partitioned_tables() TO teams_obs_maintainer;


--
-- Name: FUNCTION partition_bounds(p_parent regclass); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.partition_bounds(p_parent regclass) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.partition_bounds(p_parent regclass) TO teams_obs_maintainer;


--
-- Name: FUNCTION payload_hash(p_doc json); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.payload_hash(p_doc json) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.payload_hash(p_doc json) TO teams_obs_writer;
GRANT ALL ON FUNCTION teams_obs.payload_hash(p_doc json) TO teams_obs_reader;
GRANT ALL ON FUNCTION teams_obs.payload_hash(p_doc json) TO teams_obs_maintainer;


--
-- Name: FUNCTION purge_tenant(p_tenant uuid); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.purge_tenant(p_tenant uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.purge_tenant(p_tenant uuid) TO teams_obs_maintainer;


--
-- Name: FUNCTION purge_tenant_table(p_tenant uuid, p_table_name text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.purge_tenant_table(p_tenant uuid, p_table_name text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.purge_tenant_table(p_tenant uuid, p_table_name text) TO teams_obs_maintainer;


--
-- Name: FUNCTION record_audit_event(p_tenant uuid, p_surface text, p_action_id text, p_result_status text, p_actor_user_id uuid, p_microsoft_user_id text, p_target_type text, p_target_id text, p_idempotency_key text, p_payload json, p_payload_hash text, p_error_code text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.record_audit_event(p_tenant uuid, p_surface text, p_action_id text, p_result_status text, p_actor_user_id uuid, p_microsoft_user_id text, p_target_type text, p_target_id text, p_idempotency_key text, p_payload json, p_payload_hash text, p_error_code text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.record_audit_event(p_tenant uuid, p_surface text, p_action_id text, p_result_status text, p_actor_user_id uuid, p_microsoft_user_id text, p_target_type text, p_target_id text, p_idempotency_key text, p_payload json, p_payload_hash text, p_error_code text) TO teams_obs_writer;


--
-- Name: FUNCTION record_conversation_reference(p_tenant uuid, p_activity jsonb, p_activity_at timestamp with time zone); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.record_conversation_reference(p_tenant uuid, p_activity jsonb, p_activity_at timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.record_conversation_reference(p_tenant uuid, p_activity jsonb, p_activity_at timestamp with time zone) TO teams_obs_writer;


--
-- Name: FUNCTION record_deliveries(p_tenant uuid, p_rows jsonb); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.record_deliveries(p_tenant uuid, p_rows jsonb) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.record_deliveries(p_tenant uuid, p_rows jsonb) TO teams_obs_writer;


--
-- Name: FUNCTION record_delivery(p_tenant uuid, p_destination_type text, p_destination_id text, p_status text, p_internal_notification_id uuid, p_category text, p_attempt_number integer, p_error_code text, p_error_message text, p_retryable boolean, p_provider_message_id text, p_provider_request_id text, p_sent_at timestamp with time zone, p_delivered_at timestamp with time zone, p_responded_at timestamp with time zone, p_nonce text); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.record_delivery(p_tenant uuid, p_destination_type text, p_destination_id text, p_status text, p_internal_notification_id uuid, p_category text, p_attempt_number integer, p_error_code text, p_error_message text, p_retryable boolean, p_provider_message_id text, p_provider_request_id text, p_sent_at timestamp with time zone, p_delivered_at timestamp with time zone, p_responded_at timestamp with time zone, p_nonce text) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.record_delivery(p_tenant uuid, p_destination_type text, p_destination_id text, p_status text, p_internal_notification_id uuid, p_category text, p_attempt_number integer, p_error_code text, p_error_message text, p_retryable boolean, p_provider_message_id text, p_provider_request_id text, p_sent_at timestamp with time zone, p_delivered_at timestamp with time zone, p_responded_at timestamp with time zone, p_nonce text) TO teams_obs_writer;


--
-- Name: FUNCTION retention_cutoff(p_retention interval); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.retention_cutoff(p_retention interval) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.retention_cutoff(p_retention interval) TO teams_obs_maintainer;


--
-- Name: FUNCTION retention_row_batches(p_parent regclass, p_batch_size integer); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.retention_row_batches(p_parent regclass, p_batch_size integer) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.retention_row_batches(p_parent regclass, p_batch_size integer) TO teams_obs_maintainer;


--
-- Name: FUNCTION retention_row_tables(p_parent regclass); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.retention_row_tables(p_parent regclass) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.retention_row_tables(p_parent regclass) TO teams_obs_maintainer;


--
-- Name: FUNCTION rows_deleted_result(p_parent regclass, p_table regclass, p_kind text, p_is_default boolean, p_rows bigint, p_cutoff timestamp with time zone); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.rows_deleted_result(p_parent regclass, p_table regclass, p_kind text, p_is_default boolean, p_rows bigint, p_cutoff timestamp with time zone) FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.rows_deleted_result(p_parent regclass, p_table regclass, p_kind text, p_is_default boolean, p_rows bigint, p_cutoff timestamp with time zone) TO teams_obs_maintainer;


--
-- Name: PROCEDURE run_retention(IN p_parent regclass, IN p_retention interval, IN p_batch_size integer, INOUT p_removed teams_obs.cleanup_result[]); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON PROCEDURE teams_obs.run_retention(IN p_parent regclass, IN p_retention interval, IN p_batch_size integer, INOUT p_removed teams_obs.cleanup_result[]) FROM PUBLIC;
GRANT ALL ON PROCEDURE teams_obs.run_retention(IN p_parent regclass, IN p_retention interval, IN p_batch_size integer, INOUT p_removed teams_obs.cleanup_result[]) TO teams_obs_maintainer;


--
-- Name: FUNCTION tenant_deletion_order(); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.tenant_deletion_order() FROM PUBLIC;
GRANT ALL ON FUNCTION teams_obs.tenant_deletion_order() TO teams_obs_maintainer;


--
-- Name: FUNCTION time_ordered_uuid(); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.time_ordered_uuid() FROM PUBLIC;


--
-- Name: FUNCTION wait_for_partition_maintenance(); Type: ACL; Schema: teams_obs; Owner: -
--

REVOKE ALL ON FUNCTION teams_obs.wait_for_partition_maintenance() FROM PUBLIC;


--
-- PostgreSQL database dump complete
--
