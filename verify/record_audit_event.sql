-- Verify teams_obs:record_audit_event on pg

BEGIN;

DO $verify$
DECLARE
    v_recorded record;
BEGIN
    SELECT * INTO v_recorded FROM teams_obs.record_audit_event(
        '00000000-0000-0000-0000-00000000000f', 'bot', 'add_note', 'success', p_payload => '{"b": 1, "a": 2}');
    IF v_recorded.payload_hash IS DISTINCT FROM teams_obs.payload_hash('{"a": 2, "b": 1}') THEN
        RAISE EXCEPTION 'record_audit_event does not store the payload''s RFC 8785 hash';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM teams_obs.audit_events WHERE event_id = v_recorded.event_id
                      AND created_at = v_recorded.created_at) THEN
        RAISE EXCEPTION 'record_audit_event did not store the row it returned';
    END IF;
END
$verify$;

ROLLBACK;
