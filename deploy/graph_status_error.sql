-- Deploy teams_obs:graph_status_error to pg
-- requires: raise_invalid_parameter

BEGIN;

-- One mapping for every caller (SPEC §4, original notes §2.8). p_http_status NULL means no HTTP status
-- at all: the request threw (network error, timeout, token fetch failure), which is 'transient' and
-- retryable. A status outside 100..999 is not an HTTP status and is refused rather than guessed.
-- retryable is "429 or >= 500", so 600..999 are 'unknown' yet retryable, exactly as the original.
CREATE FUNCTION teams_obs.graph_status_error(p_http_status integer, OUT error_code text, OUT retryable boolean)
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT CASE
               WHEN p_http_status IS NULL THEN 'transient'
               WHEN p_http_status NOT BETWEEN 100 AND 999 THEN teams_obs.raise_invalid_parameter(
                   'http_status: not an HTTP status code: ' || p_http_status::text
                   || '; pass NULL for a request that threw')
               WHEN p_http_status IN (401, 403) THEN 'graph_unauthorized'
               WHEN p_http_status = 404 THEN 'graph_not_found'
               WHEN p_http_status = 429 THEN 'graph_throttled'
               WHEN p_http_status BETWEEN 500 AND 599 THEN 'graph_server_error'
               ELSE 'unknown'
           END,
           p_http_status IS NULL OR p_http_status = 429 OR p_http_status >= 500;
END;

COMMENT ON FUNCTION teams_obs.graph_status_error(integer) IS
    'Maps a Microsoft Graph HTTP status to (error_code, retryable): 401/403 graph_unauthorized, 404 graph_not_found, 429 graph_throttled, 5xx graph_server_error, other unknown; retryable = 429 or >= 500. NULL = the request threw: transient, retryable.';

REVOKE ALL ON FUNCTION teams_obs.graph_status_error(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.graph_status_error(integer)
    TO teams_obs_writer, teams_obs_reader, teams_obs_maintainer;

COMMIT;
