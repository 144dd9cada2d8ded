-- Verify teams_obs:canonical_json on pg

BEGIN;

DO $verify$
BEGIN
    -- RFC 8785 §3.2.3 ordering, §3.2.2.3 numbers (1e23: PostgreSQL's own float8 output is longer), escaping.
    IF teams_obs.canonical_json(E'{"b": [1.0, 1e23, -0, 1E-7], "a": "\\u00e9\\n", "\\ufb33": 3, "\\ud83d\\ude00": 2, "\\u20ac": 1}')
       IS DISTINCT FROM E'{"a":"é\\n","b":[1,1e+23,0,1e-7],"€":1,"😀":2,"דּ":3}' THEN
        RAISE EXCEPTION 'teams_obs.canonical_json does not follow RFC 8785';
    END IF;
END
$verify$;

ROLLBACK;
