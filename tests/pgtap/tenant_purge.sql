-- tenant_purge (SPEC §4 Tenant purge): a host application deletes a tenant, and nothing else, with
-- purge_tenant or table by table in the published tenant_deletion_order(), so the order must name every
-- table holding tenant rows, dependents first, the counts must be what was stored, and purge_tenant_table
-- (SECURITY DEFINER, building its DELETE from a name) must refuse any relation outside that list.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(22);

-- Rows of one tenant in every table, recorded through the public functions (as tests/tenant_data.py
-- does): p_deliveries deliveries and one repeat of the first (stores nothing), p_audit audit events,
-- p_conversations conversation references.
CREATE FUNCTION pg_temp.record_sample(p_tenant uuid, p_deliveries integer DEFAULT 5, p_audit integer DEFAULT 3,
                                      p_conversations integer DEFAULT 2)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    PERFORM teams_obs.record_delivery(p_tenant => p_tenant, p_destination_type => 'user_activity',
                                      p_destination_id => 'user-' || n,
                                      p_status => (ARRAY['delivered', 'failed', 'skipped', 'sent'])[n % 4 + 1])
       FROM generate_series(0, p_deliveries - 1) n;
    PERFORM teams_obs.record_delivery(p_tenant => p_tenant, p_destination_type => 'user_activity',
                                      p_destination_id => 'user-0', p_status => 'delivered');
    PERFORM teams_obs.record_audit_event(p_tenant => p_tenant, p_surface => 'bot', p_action_id => 'add_note',
                                         p_result_status => 'success', p_target_type => 'ticket',
                                         p_target_id => 'T-' || n, p_payload => json_build_object('n', n))
       FROM generate_series(0, p_audit - 1) n;
    PERFORM teams_obs.record_conversation_reference(p_tenant, jsonb_build_object(
                'from', jsonb_build_object('id', '29:aad-' || n, 'aadObjectId', 'aad-' || n),
                'conversation', jsonb_build_object('id', 'a:conversation-' || n, 'conversationType', 'personal'),
                'serviceUrl', 'https://smba.trafficmanager.net/emea/',
                'channelData', '{"tenant": {"id": "aad-tenant"}}'::jsonb))
       FROM generate_series(0, p_conversations - 1) n;
END $$;

-- Every row of a tenant in every table of the order, as text (read as the owner: no row level security).
CREATE FUNCTION pg_temp.tenant_rows(p_tenant uuid) RETURNS TABLE (table_name text, row_text text)
LANGUAGE plpgsql AS $$
DECLARE
    v_table text;
BEGIN
    FOR v_table IN SELECT o.table_name FROM teams_obs.tenant_deletion_order() o ORDER BY o.step LOOP
        RETURN QUERY EXECUTE format('SELECT %L, t::text FROM %s t WHERE t.tenant = $1', v_table, v_table::regclass)
            USING p_tenant;
    END LOOP;
END $$;

-- Rows of a tenant per table, in the order.
CREATE FUNCTION pg_temp.tenant_counts(p_tenant uuid) RETURNS TABLE (table_name text, n bigint)
LANGUAGE sql AS $$
    SELECT o.table_name, (SELECT count(*) FROM pg_temp.tenant_rows(p_tenant) r WHERE r.table_name = o.table_name)
      FROM teams_obs.tenant_deletion_order() o ORDER BY o.step $$;

-- Counts equal what was recorded; another tenant is untouched.
SELECT pg_temp.record_sample('00000000-0000-4000-8000-0000000000a1');
SELECT pg_temp.record_sample('00000000-0000-4000-8000-0000000000b2', 2, 1, 1);
CREATE TEMP TABLE before_b AS SELECT * FROM pg_temp.tenant_rows('00000000-0000-4000-8000-0000000000b2');
SELECT results_eq($$SELECT table_name, rows_deleted FROM teams_obs.purge_tenant('00000000-0000-4000-8000-0000000000a1')$$,
                  $$VALUES ('teams_obs.notification_delivery_idempotency', 5::bigint), ('teams_obs.notification_deliveries', 5),
                           ('teams_obs.audit_events', 3), ('teams_obs.conversation_references', 2)$$,
                  'purge_tenant reports, table by table in the deletion order, exactly the rows recorded');
SELECT results_eq($$SELECT table_name, n FROM pg_temp.tenant_counts('00000000-0000-4000-8000-0000000000a1')$$,
                  $$SELECT table_name, 0::bigint FROM teams_obs.tenant_deletion_order() ORDER BY step$$,
                  'no row of the purged tenant is left in any table');
SELECT results_eq($$SELECT table_name, row_text FROM pg_temp.tenant_rows('00000000-0000-4000-8000-0000000000b2') ORDER BY 1, 2$$,
                  $$SELECT table_name, row_text FROM before_b ORDER BY 1, 2$$,
                  'every row of another tenant is still there, unchanged');
SELECT results_eq($$SELECT table_name, rows_deleted FROM teams_obs.purge_tenant('00000000-0000-4000-8000-0000000000a1')$$,
                  $$VALUES ('teams_obs.notification_delivery_idempotency', 0::bigint), ('teams_obs.notification_deliveries', 0),
                           ('teams_obs.audit_events', 0), ('teams_obs.conversation_references', 0)$$,
                  'purging the same tenant again deletes nothing and reports zeros');

-- An unknown tenant: one zero per table, nothing deleted.
SELECT pg_temp.record_sample('00000000-0000-4000-8000-0000000000c3');
CREATE TEMP TABLE before_c AS SELECT * FROM pg_temp.tenant_rows('00000000-0000-4000-8000-0000000000c3');
SELECT results_eq($$SELECT table_name, rows_deleted FROM teams_obs.purge_tenant(gen_random_uuid())$$,
                  $$SELECT table_name, 0::bigint FROM teams_obs.tenant_deletion_order() ORDER BY step$$,
                  'an unknown tenant gets one zero per table of the deletion order');
SELECT results_eq($$SELECT table_name, row_text FROM pg_temp.tenant_rows('00000000-0000-4000-8000-0000000000c3') ORDER BY 1, 2$$,
                  $$SELECT table_name, row_text FROM before_c ORDER BY 1, 2$$,
                  'purging an unknown tenant leaves every other tenant''s rows unchanged');

-- Deleting through the parent reaches the DEFAULT partition and the monthly ones alike.
SELECT pg_temp.record_sample('00000000-0000-4000-8000-0000000000d4', 2, 0, 0);
INSERT INTO teams_obs.notification_deliveries (tenant, destination_type, destination_id, idempotency_key, status, created_at)
VALUES ('00000000-0000-4000-8000-0000000000d4', 'bot_dm', 'old', 'k-old', 'sent', '2019-05-01 00:00:00+00');
SELECT ok((SELECT count(*) FROM teams_obs.notification_deliveries_default
            WHERE tenant = '00000000-0000-4000-8000-0000000000d4') >= 1,
          'the tenant has a delivery in the DEFAULT partition before the purge');
SELECT is((SELECT rows_deleted FROM teams_obs.purge_tenant('00000000-0000-4000-8000-0000000000d4')
            WHERE table_name = 'teams_obs.notification_deliveries'), 3::bigint,
          'purge_tenant deletes and counts the deliveries of every partition');
SELECT is((SELECT count(*) FROM teams_obs.notification_deliveries_default
            WHERE tenant = '00000000-0000-4000-8000-0000000000d4'), 0::bigint,
          'no delivery of the tenant is left in the DEFAULT partition');

-- Table by table, as `teams-obs purge-tenant` does it: purge_tenant_table in the deletion order deletes the
-- tenant's rows and no one else's (c3 is still there, as recorded above).
SELECT pg_temp.record_sample('00000000-0000-4000-8000-0000000000e5');
SELECT results_eq($$SELECT o.table_name, teams_obs.purge_tenant_table('00000000-0000-4000-8000-0000000000e5', o.table_name)
                      FROM teams_obs.tenant_deletion_order() o ORDER BY o.step$$,
                  $$VALUES ('teams_obs.notification_delivery_idempotency', 5::bigint), ('teams_obs.notification_deliveries', 5),
                           ('teams_obs.audit_events', 3), ('teams_obs.conversation_references', 2)$$,
                  'purge_tenant_table, table by table in the deletion order, deletes exactly the rows recorded');
SELECT results_eq($$SELECT table_name, row_text FROM pg_temp.tenant_rows('00000000-0000-4000-8000-0000000000c3') ORDER BY 1, 2$$,
                  $$SELECT table_name, row_text FROM before_c ORDER BY 1, 2$$,
                  'purge_tenant_table leaves every other tenant''s rows unchanged, in every table');

-- The order lists every table with a tenant column (never a partition), once, dependents first.
SELECT bag_eq($$SELECT table_name FROM teams_obs.tenant_deletion_order()$$,
              $$SELECT c.oid::regclass::text FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
                 WHERE c.relnamespace = 'teams_obs'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
                   AND a.attname = 'tenant' AND NOT a.attisdropped$$,
              'tenant_deletion_order lists every table with a tenant column exactly once, and no partition');
SELECT ok((SELECT step FROM teams_obs.tenant_deletion_order() WHERE table_name = 'teams_obs.notification_delivery_idempotency')
          < (SELECT step FROM teams_obs.tenant_deletion_order() WHERE table_name = 'teams_obs.notification_deliveries'),
          'a reservation is deleted before the delivery row it points at');
SELECT results_eq($$SELECT step FROM teams_obs.tenant_deletion_order()$$,
                  $$SELECT generate_series(1, (SELECT count(*)::integer FROM teams_obs.tenant_deletion_order()))$$,
                  'the steps are 1, 2, ... in the order the rows come');

-- purge_tenant_table deletes from the listed tables only: not a catalog, a partition, an unqualified name or
-- an injection; and it needs a name.
SELECT throws_ok(format('SELECT teams_obs.purge_tenant_table(%L, %L)', '00000000-0000-4000-8000-0000000000a1', t),
                 '22023',
                 format('table_name: invalid value %s; expected one of teams_obs.notification_delivery_idempotency, '
                        'teams_obs.notification_deliveries, teams_obs.audit_events, teams_obs.conversation_references',
                        to_json(t)),
                 format('purge_tenant_table refuses table_name %s', to_json(t)))
  FROM unnest(ARRAY['pg_catalog.pg_class', 'teams_obs.notification_deliveries_default', 'notification_deliveries',
                    'teams_obs.notification_deliveries; DROP TABLE x']) AS t;
SELECT throws_ok(format('SELECT teams_obs.purge_tenant_table(%L, %L)', '00000000-0000-4000-8000-0000000000a1',
                        repeat('d', 5000)),
                 '22023',
                 format('table_name: invalid value "%s"; expected one of teams_obs.notification_delivery_idempotency, '
                        'teams_obs.notification_deliveries, teams_obs.audit_events, teams_obs.conversation_references',
                        repeat('d', 100)),
                 'purge_tenant_table shows a refused table_name cut to 100 characters');
SELECT throws_ok($$SELECT teams_obs.purge_tenant_table('00000000-0000-4000-8000-0000000000a1', NULL)$$, '22023',
                 'table_name: required', 'purge_tenant_table refuses a NULL table_name');

-- A NULL tenant is a mistake, not "no tenant".
SELECT throws_ok($$SELECT * FROM teams_obs.purge_tenant(NULL)$$, '22023', 'tenant: required',
                 'purge_tenant refuses a NULL tenant');
SELECT throws_ok($$SELECT teams_obs.purge_tenant_table(NULL, 'teams_obs.notification_deliveries')$$, '22023',
                 'tenant: required', 'purge_tenant_table refuses a NULL tenant');

SELECT * FROM finish();
ROLLBACK;
