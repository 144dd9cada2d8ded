-- The same function reserving the key first (bench/plpgsql_wrapper_function.sql): call plus reservation.
\set n random(1, 9000000000000000000)
SELECT * FROM teams_obs_bench.insert_delivery(
    p_tenant => '00000000-0000-4000-8000-000000000001', p_destination_type => 'user_activity',
    p_destination_id => 'aad-' || :n::bigint, p_status => 'delivered', p_internal_notification_id => gen_random_uuid(),
    p_category => 'assignment', p_sent_at => now(), p_delivered_at => now(), p_provider_request_id => 'req-' || :n::bigint,
    p_idempotency_key => lpad(to_hex(:n::bigint), 64, '0'), p_reserve => true);
