-- Verify teams_obs:record_deliveries on pg

BEGIN;

DO $verify$
BEGIN
    IF (SELECT pg_catalog.array_agg(r.inserted ORDER BY r.ordinality)
        FROM teams_obs.record_deliveries('00000000-0000-0000-0000-00000000000f',
            '[{"destination_type": "bot_dm", "destination_id": "v", "status": "sent"},
              {"destination_type": "bot_dm", "destination_id": "v", "status": "sent"}]') r)
       IS DISTINCT FROM ARRAY[true, false] THEN
        RAISE EXCEPTION 'teams_obs.record_deliveries does not record a batch with a repeated key once';
    END IF;
END
$verify$;

ROLLBACK;
