-- Tables notification_deliveries (partitioned, DEFAULT partition) and notification_delivery_idempotency:
-- structure, keys, taxonomy CHECKs, the other CHECKs and the indexes behind the list filters.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(45);

SELECT has_table('teams_obs', 'notification_deliveries', 'deliveries table exists');
SELECT is(
    (SELECT partstrat::text FROM pg_catalog.pg_partitioned_table
      WHERE partrelid = 'teams_obs.notification_deliveries'::regclass),
    'r', 'deliveries are RANGE-partitioned');
SELECT is(
    (SELECT pg_catalog.pg_get_partkeydef('teams_obs.notification_deliveries'::regclass)),
    'RANGE (created_at)', 'partition key is created_at');
SELECT is(
    (SELECT partdefid::regclass::text FROM pg_catalog.pg_partitioned_table
      WHERE partrelid = 'teams_obs.notification_deliveries'::regclass),
    'teams_obs.notification_deliveries_default', 'the DEFAULT partition is notification_deliveries_default');
SELECT columns_are('teams_obs', 'notification_deliveries', ARRAY[
    'tenant', 'delivery_id', 'internal_notification_id', 'category', 'destination_type', 'destination_id',
    'attempt_number', 'idempotency_key', 'provider_message_id', 'status', 'error_code', 'error_message',
    'retryable', 'provider_request_id', 'sent_at', 'delivered_at', 'responded_at', 'created_at'],
    'deliveries have the columns of the original');
SELECT col_type_is('teams_obs', 'notification_deliveries', 'created_at', 'timestamp with time zone', 'created_at is timestamptz');
SELECT col_type_is('teams_obs', 'notification_deliveries', 'attempt_number', 'integer', 'attempt_number is integer');
SELECT col_not_null('teams_obs', 'notification_deliveries', c, c || ' is NOT NULL')
  FROM unnest(ARRAY['tenant', 'delivery_id', 'destination_type', 'destination_id', 'attempt_number',
                    'idempotency_key', 'status', 'created_at']) AS c;
SELECT col_is_pk('teams_obs', 'notification_deliveries', ARRAY['tenant', 'delivery_id', 'created_at'],
                 'deliveries PK is (tenant, delivery_id, created_at)');

SELECT has_table('teams_obs', 'notification_delivery_idempotency', 'sidecar exists');
SELECT columns_are('teams_obs', 'notification_delivery_idempotency',
                   ARRAY['tenant', 'idempotency_key', 'delivery_id', 'created_at'], 'sidecar columns');
SELECT col_is_pk('teams_obs', 'notification_delivery_idempotency', ARRAY['tenant', 'idempotency_key'],
                 'sidecar PK is (tenant, idempotency_key)');
SELECT indexes_are('teams_obs', 'notification_delivery_idempotency', ARRAY['notification_delivery_idempotency_pk'],
                   'sidecar has no index but its PK: every recording writes it');
SELECT is(
    (SELECT count(*)::int FROM pg_catalog.pg_inherits
      WHERE inhrelid = 'teams_obs.notification_delivery_idempotency'::regclass
         OR inhparent = 'teams_obs.notification_delivery_idempotency'::regclass),
    0, 'the sidecar is not partitioned, so it keys every month at once');

-- Indexes: every list filter, in the tenant-scoped newest-first order.
SELECT has_index('teams_obs', 'notification_deliveries', i, i)
  FROM unnest(ARRAY['notification_deliveries_tenant_created_idx', 'notification_deliveries_status_created_idx',
                    'notification_deliveries_category_created_idx',
                    'notification_deliveries_destination_type_created_idx',
                    'notification_deliveries_error_code_created_idx',
                    'notification_deliveries_internal_notification_idx']) AS i;
SELECT is(
    (SELECT pg_catalog.pg_get_indexdef('teams_obs.notification_deliveries_tenant_created_idx'::regclass)),
    'CREATE INDEX notification_deliveries_tenant_created_idx ON ONLY teams_obs.notification_deliveries USING btree (tenant, created_at DESC, delivery_id DESC)',
    'the paging index is (tenant, created_at DESC, delivery_id DESC)');

-- Taxonomy CHECKs (23514 when the table is written directly).
CREATE FUNCTION pg_temp.insert_probe(p_status text, p_error_code text, p_destination_type text,
                                     p_attempt integer DEFAULT 1, p_message text DEFAULT NULL,
                                     p_category text DEFAULT NULL)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO teams_obs.notification_deliveries
        (tenant, destination_type, destination_id, attempt_number, idempotency_key, status, error_code,
         error_message, category)
    VALUES ('00000000-0000-4000-8000-0000000000aa', p_destination_type, 'd', p_attempt, 'k', p_status,
            p_error_code, p_message, p_category)
$$;

SELECT lives_ok(format('SELECT pg_temp.insert_probe(%L, NULL, %L)', s, 'user_activity'), 'status ' || s || ' accepted')
  FROM unnest(ARRAY['skipped', 'sent', 'delivered', 'failed']) AS s;
SELECT throws_ok($$SELECT pg_temp.insert_probe('Delivered', NULL, 'user_activity')$$, '23514', NULL,
                 'status outside the taxonomy is a check violation');
SELECT lives_ok($$SELECT pg_temp.insert_probe('failed', 'graph_throttled', 'bot_dm')$$, 'error_code in the taxonomy accepted');
SELECT throws_ok($$SELECT pg_temp.insert_probe('failed', 'graph_teapot', 'bot_dm')$$, '23514', NULL,
                 'error_code outside the taxonomy is a check violation');
SELECT throws_ok($$SELECT pg_temp.insert_probe('failed', NULL, 'email')$$, '23514', NULL,
                 'destination_type outside the taxonomy is a check violation');
SELECT throws_ok($$SELECT pg_temp.insert_probe('failed', NULL, 'chat', 0)$$, '23514', NULL,
                 'attempt_number must be positive');
SELECT throws_ok($$SELECT pg_temp.insert_probe('failed', NULL, 'chat', 1, repeat('x', 1025))$$, '23514', NULL,
                 'error_message longer than 1024 characters is a check violation');
SELECT lives_ok($$SELECT pg_temp.insert_probe('failed', NULL, 'chat', 1, repeat('😀', 1024))$$,
                'error_message of 1024 characters (not bytes) is accepted');
SELECT throws_ok($$SELECT pg_temp.insert_probe('failed', NULL, 'chat', 1, NULL, repeat('c', 201))$$, '23514', NULL,
                 'category longer than 200 characters is a check violation');
SELECT is(
    (SELECT pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint
      WHERE conname = 'notification_deliveries_status_check'
        AND conrelid = 'teams_obs.notification_deliveries'::regclass),
    $$CHECK ((status = ANY ('{skipped,sent,delivered,failed}'::text[])))$$,
    'the status CHECK lists the spec values in order, as one array constant (cheap to re-read per INSERT)');

-- Rows past any monthly partition land in DEFAULT instead of failing.
INSERT INTO teams_obs.notification_deliveries
    (tenant, destination_type, destination_id, idempotency_key, status, created_at)
VALUES ('00000000-0000-4000-8000-0000000000ab', 'chat', 'd', 'k', 'sent', '2199-01-01T00:00:00Z');
SELECT is(
    (SELECT tableoid::regclass::text FROM teams_obs.notification_deliveries
      WHERE tenant = '00000000-0000-4000-8000-0000000000ab'),
    'teams_obs.notification_deliveries_default', 'a row far in the future lands in the DEFAULT partition');

-- No direct table access for the roles.
SELECT ok(NOT has_table_privilege(r, 'teams_obs.notification_deliveries', 'SELECT,INSERT,UPDATE,DELETE'),
          r || ' cannot touch notification_deliveries directly')
  FROM unnest(ARRAY['teams_obs_writer', 'teams_obs_reader', 'teams_obs_maintainer']) AS r;

SELECT * FROM finish();
ROLLBACK;
