-- Verify teams_obs:record_conversation_reference on pg

BEGIN;

DO $verify$
DECLARE
    v_tenant constant uuid := '00000000-0000-0000-0000-00000000000f';
    v_activity constant jsonb := '{"from": {"id": "29:verify"}, "conversation": {"id": "a:verify"},
                                   "serviceUrl": "https://smba.example/verify/"}';
BEGIN
    IF NOT teams_obs.record_conversation_reference(v_tenant, v_activity, '2026-01-02')
       OR NOT teams_obs.record_conversation_reference(v_tenant, v_activity, '2026-01-01') THEN
        RAISE EXCEPTION 'record_conversation_reference refused a complete activity';
    END IF;
    IF teams_obs.record_conversation_reference(v_tenant, v_activity - 'serviceUrl') THEN
        RAISE EXCEPTION 'record_conversation_reference accepted an activity without serviceUrl';
    END IF;
    IF (SELECT last_activity_at FROM teams_obs.conversation_references
         WHERE tenant = v_tenant AND microsoft_user_id = '29:verify') <> '2026-01-02' THEN
        RAISE EXCEPTION 'record_conversation_reference moved last_activity_at back';
    END IF;
END
$verify$;

ROLLBACK;
