-- Deploy teams_obs:raise_invalid_parameter to pg
-- requires: schema

BEGIN;

-- Lets SQL-language functions and set-based statements refuse bad input inside an expression
-- (CASE WHEN <bad> THEN teams_obs.raise_invalid_parameter('field: ...') END) with the same SQLSTATE as
-- PL/pgSQL code. VOLATILE on purpose: the planner must never fold a call with a constant message at
-- plan time, which would raise even where the CASE branch is never taken.
CREATE FUNCTION teams_obs.raise_invalid_parameter(p_message text)
RETURNS text
LANGUAGE plpgsql
VOLATILE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = p_message;
END
$function$;

COMMENT ON FUNCTION teams_obs.raise_invalid_parameter(text) IS
    'Raises SQLSTATE 22023 (invalid_parameter_value) with the given message; never returns.';

REVOKE ALL ON FUNCTION teams_obs.raise_invalid_parameter(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.raise_invalid_parameter(text)
    TO teams_obs_writer, teams_obs_reader, teams_obs_maintainer;

COMMIT;
