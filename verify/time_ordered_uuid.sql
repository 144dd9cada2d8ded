-- Verify teams_obs:time_ordered_uuid on pg

BEGIN;

DO $verify$
DECLARE
    v_id uuid := teams_obs.time_ordered_uuid();
BEGIN
    IF substr(v_id::text, 15, 1) <> '7' OR substr(v_id::text, 20, 1) NOT IN ('8', '9', 'a', 'b')
       OR ('x' || translate(left(v_id::text, 13), '-', ''))::bit(48)::bigint
          <> floor(extract(epoch FROM now()) * 1000)::bigint THEN
        RAISE EXCEPTION 'teams_obs.time_ordered_uuid() gave % at %, not a version 7 UUID of that millisecond', v_id, now();
    END IF;
END
$verify$;

ROLLBACK;
