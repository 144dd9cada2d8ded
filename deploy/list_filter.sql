-- Deploy teams_obs:list_filter to pg
-- requires: clean_text

BEGIN;

-- A list filter is applied exactly or refused, never dropped: the original ignored an unknown status
-- and answered unfiltered. The value is trimmed as recorded text is (clean_text); NULL means "no
-- filter". With p_allowed (a taxonomy, rendered from teams_obs/taxonomy.toml into the caller),
-- anything outside it, blank included, is 22023 naming the filter; a free-text filter only refuses
-- blank text, which matches no stored row (recording turns blank text into NULL).
CREATE FUNCTION teams_obs.list_filter(p_field text, p_value text, p_allowed text[] DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $function$
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
$function$;

COMMENT ON FUNCTION teams_obs.list_filter(text, text, text[]) IS
    'Trimmed filter value, NULL for no filter; 22023 naming p_field for a value outside p_allowed (or blank free text).';

-- Helper of the SECURITY DEFINER list functions, which run it as the owner.
REVOKE ALL ON FUNCTION teams_obs.list_filter(text, text, text[]) FROM PUBLIC;

COMMIT;
