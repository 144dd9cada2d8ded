-- Deploy teams_obs:clean_text to pg
-- requires: schema

BEGIN;

-- The original recorders trimmed with JavaScript's String.prototype.trim(), which strips every Unicode
-- White_Space and line terminator, not only spaces as btrim(text) does; this keeps that behaviour.
-- A plain SQL function without SET or SECURITY DEFINER so the planner inlines it into the set-based
-- record statements (btrim and nullif are built-ins; pg_catalog is searched first anyway).
-- Needs a UTF8 database (the \u escapes).
CREATE FUNCTION teams_obs.clean_text(p_value text)
RETURNS text
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
RETURN NULLIF(
    pg_catalog.btrim(
        p_value,
        E' \t\n\u000b\f\r\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\ufeff'
    ),
    ''
);

COMMENT ON FUNCTION teams_obs.clean_text(text) IS
    'Trims leading and trailing whitespace as JavaScript trim() does; empty text becomes NULL.';

REVOKE ALL ON FUNCTION teams_obs.clean_text(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.clean_text(text)
    TO teams_obs_writer, teams_obs_reader, teams_obs_maintainer;

COMMIT;
