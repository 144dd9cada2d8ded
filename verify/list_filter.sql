-- Verify teams_obs:list_filter on pg

BEGIN;

DO $verify$
BEGIN
    IF teams_obs.list_filter('status', ' sent ', ARRAY['sent']) IS DISTINCT FROM 'sent' THEN
        RAISE EXCEPTION 'list_filter does not trim and accept a known value';
    END IF;
    BEGIN
        PERFORM teams_obs.list_filter('status', 'nope', ARRAY['sent']);
        RAISE EXCEPTION 'list_filter accepted an unknown value';
    EXCEPTION WHEN invalid_parameter_value THEN
        NULL;
    END;
END
$verify$;

ROLLBACK;
