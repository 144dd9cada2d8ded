-- Verify teams_obs:payload_hash on pg

BEGIN;

DO $verify$
BEGIN
    -- sha256 of the UTF-8 bytes of {"a":1,"b":"é"}
    IF teams_obs.payload_hash(E'{"b": "\\u00e9", "a": 1.0}')
       IS DISTINCT FROM pg_catalog.encode(pg_catalog.sha256(E'\\x7b2261223a312c2262223a22c3a9227d'::bytea), 'hex') THEN
        RAISE EXCEPTION 'teams_obs.payload_hash is not the SHA-256 of the canonical UTF-8 bytes';
    END IF;
END
$verify$;

ROLLBACK;
