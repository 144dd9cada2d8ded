-- Deploy teams_obs:record_deliveries to pg
-- requires: record_delivery

BEGIN;

-- A thin front of teams_obs.record_delivery_rows, which does all normalisation, validation and writing
-- (the same code as record_delivery). This function only turns the JSON array into typed rows and names
-- the element (1-based, like the returned ordinality) and key when that fails.
CREATE FUNCTION teams_obs.record_deliveries(p_tenant uuid, p_rows jsonb)
RETURNS TABLE (
    ordinality integer,
    inserted boolean,
    delivery_id uuid,
    idempotency_key text,
    created_at timestamptz
)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    -- The accepted keys are the attributes of the element type: one list, kept by the type itself.
    v_keys text[] := ARRAY(
        SELECT a.attname::text
        FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = 'teams_obs.delivery_input'::pg_catalog.regclass AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum);
    v_rows teams_obs.delivery_input[];
    v_position bigint;
    v_element jsonb;
    v_key text;
    v_message text;
BEGIN
    IF p_rows IS NULL OR jsonb_typeof(p_rows) <> 'array' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'p_rows: must be a JSON array of objects, got ' || coalesce(jsonb_typeof(p_rows), 'NULL');
    END IF;

    SELECT e.ord, e.element INTO v_position, v_element
    FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS e(element, ord)
    WHERE jsonb_typeof(e.element) <> 'object' OR e.element - v_keys <> '{}'::jsonb
    ORDER BY e.ord
    LIMIT 1;
    IF v_position IS NOT NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('p_rows[%s]: %s', v_position,
            CASE WHEN jsonb_typeof(v_element) <> 'object'
                 THEN 'must be a JSON object, got ' || jsonb_typeof(v_element)
                 ELSE 'unknown keys ' || (SELECT string_agg(format('"%s"', k), ', ' ORDER BY k)
                                          FROM jsonb_object_keys(v_element - v_keys) k)
                      || '; expected ' || array_to_string(v_keys, ', ')
            END);
    END IF;

    BEGIN
        v_rows := ARRAY(
            SELECT jsonb_populate_record(NULL::teams_obs.delivery_input, e.element)
            FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS e(element, ord)
            ORDER BY e.ord);
    EXCEPTION WHEN data_exception THEN
        -- Slow path, only for a batch that is refused anyway: find the first value that does not convert.
        FOR v_position, v_key, v_element IN
            SELECT e.ord, k.key, jsonb_build_object(k.key, k.value)
            FROM jsonb_array_elements(p_rows) WITH ORDINALITY AS e(element, ord),
                 jsonb_each(e.element) k
            ORDER BY e.ord, k.key
        LOOP
            BEGIN
                PERFORM jsonb_populate_record(NULL::teams_obs.delivery_input, v_element);
            EXCEPTION WHEN data_exception THEN
                GET STACKED DIAGNOSTICS v_message = MESSAGE_TEXT;
                RAISE EXCEPTION USING ERRCODE = '22023',
                    MESSAGE = format('p_rows[%s].%s: %s', v_position, v_key, v_message);
            END;
        END LOOP;
        RAISE;
    END;

    RETURN QUERY SELECT * FROM teams_obs.record_delivery_rows(p_tenant, v_rows, 'p_rows');
END
$function$;

COMMENT ON FUNCTION teams_obs.record_deliveries(uuid, jsonb) IS
    'Records a JSON array of delivery outcomes (keys: the record_delivery parameter names without p_ and tenant) in one set-based call; one result row per element, in order. A bad element fails the whole batch, naming its 1-based position.';

REVOKE ALL ON FUNCTION teams_obs.record_deliveries(uuid, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.record_deliveries(uuid, jsonb) TO teams_obs_writer;

COMMIT;
