-- Revert teams_obs:keyset_cursor from pg

BEGIN;

DROP FUNCTION teams_obs.decode_cursor(text, uuid, text);
DROP FUNCTION teams_obs.encode_cursor(text, uuid, timestamptz, uuid);
DROP FUNCTION teams_obs.cursor_checksum(text, uuid, text, uuid);

COMMIT;
