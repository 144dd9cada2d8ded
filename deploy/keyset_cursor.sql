-- Deploy teams_obs:keyset_cursor to pg
-- requires: schema

BEGIN;

-- A page of a list function ends at a row (created_at, id); the next page starts strictly after it.
-- The cursor carries that position with full precision: created_at as integer microseconds since the
-- Unix epoch (the original's millisecond ISO text skipped rows that shared a millisecond), or the
-- string "infinity" or "-infinity" for a row the owner wrote there, the id as a UUID. The text is
-- base64url (no padding) of compact JSON
--     {"v":1,"l":"<list>","at":<microseconds>,"id":"<uuid>","ck":"<16 hex>"}
-- where ck is the first 16 hex digits of SHA-256 over the list name, the tenant, at and id. The tenant
-- is not in the cursor but bound by ck, so a cursor altered by hand, cut short, or replayed against
-- another tenant or another list is refused (22023) instead of paging from a wrong position. ck is an
-- integrity check, not a secret (no HMAC key to manage): security never rests on it, every list
-- function filters by its own p_tenant whatever the cursor says.
CREATE FUNCTION teams_obs.cursor_checksum(p_list text, p_tenant uuid, p_at text, p_id uuid)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT left(encode(sha256(convert_to(
               format('teams_obs.cursor.v1|%s|%s|%s|%s', p_list, p_tenant, p_at, p_id), 'UTF8')), 'hex'), 16);
$function$;

CREATE FUNCTION teams_obs.encode_cursor(p_list text, p_tenant uuid, p_created_at timestamptz, p_id uuid)
RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
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
$function$;

-- NULL or blank: no cursor (first page), both outputs NULL. Anything else must be a cursor that
-- encode_cursor made for this list and this tenant.
CREATE FUNCTION teams_obs.decode_cursor(p_list text, p_tenant uuid, p_cursor text,
                                        OUT created_at timestamptz, OUT id uuid)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $function$
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
$function$;

COMMENT ON FUNCTION teams_obs.encode_cursor(text, uuid, timestamptz, uuid) IS
    'Opaque keyset cursor for list p_list of tenant p_tenant positioned after (p_created_at, p_id), microsecond-exact.';
COMMENT ON FUNCTION teams_obs.decode_cursor(text, uuid, text) IS
    'Position (created_at, id) of a cursor from encode_cursor for the same list and tenant; NULLs for a NULL or blank cursor; 22023 for anything else.';

-- Helpers of the SECURITY DEFINER list functions, which run them as the owner.
REVOKE ALL ON FUNCTION teams_obs.cursor_checksum(text, uuid, text, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.encode_cursor(text, uuid, timestamptz, uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.decode_cursor(text, uuid, text) FROM PUBLIC;

COMMIT;
