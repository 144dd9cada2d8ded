-- Deploy teams_obs:payload_hash to pg
-- requires: canonical_json

BEGIN;

-- SPEC §4: the hash audit_events stores instead of the payload. teams_obs.jcs.payload_hash computes the same
-- value in Python. PL/pgSQL rather than an SQL body: the planner would not inline an IMMUTABLE SQL function
-- around convert_to(), which is only STABLE in the catalog (UTF-8 bytes of a text never change).
CREATE FUNCTION teams_obs.payload_hash(p_doc json)
RETURNS text
LANGUAGE plpgsql
IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $function$
BEGIN
    RETURN encode(sha256(convert_to(teams_obs.canonical_json(p_doc), 'UTF8')), 'hex');
END
$function$;

COMMENT ON FUNCTION teams_obs.payload_hash(json) IS
    'Lowercase hex SHA-256 of the UTF-8 RFC 8785 canonical form (teams_obs.canonical_json) of a JSON document; refuses what canonical_json refuses; NULL gives NULL.';

REVOKE ALL ON FUNCTION teams_obs.payload_hash(json) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.payload_hash(json) TO teams_obs_writer, teams_obs_reader, teams_obs_maintainer;

COMMIT;
