-- Table audit_events: partitioned like deliveries, CHECKs from the taxonomy source, no payload column.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(37);

SELECT has_table('teams_obs', 'audit_events', 'table audit_events exists');
SELECT columns_are('teams_obs', 'audit_events',
    ARRAY['tenant', 'event_id', 'actor_user_id', 'microsoft_user_id', 'surface', 'action_id', 'target_type',
          'target_id', 'idempotency_key', 'payload_hash', 'result_status', 'error_code', 'created_at']);
SELECT hasnt_column('teams_obs', 'audit_events', 'payload', 'there is no payload column');
SELECT col_is_pk('teams_obs', 'audit_events', ARRAY['tenant', 'event_id', 'created_at'],
                 'primary key (tenant, event_id, created_at)');
SELECT is_partitioned('teams_obs', 'audit_events', 'audit_events is partitioned');
SELECT is((SELECT partstrat::text || ':' || pg_get_partkeydef(partrelid) FROM pg_partitioned_table
            WHERE partrelid = 'teams_obs.audit_events'::regclass), 'r:RANGE (created_at)',
          'partitioned by RANGE on created_at');
SELECT is((SELECT partdefid::regclass::text FROM pg_partitioned_table WHERE partrelid = 'teams_obs.audit_events'::regclass),
          'teams_obs.audit_events_default', 'audit_events_default is the DEFAULT partition');
SELECT has_index('teams_obs', 'audit_events', 'audit_events_tenant_created_idx',
                 ARRAY['tenant', 'created_at', 'event_id'], 'paging index (tenant, created_at DESC, event_id DESC)');
SELECT is((SELECT pg_get_indexdef('teams_obs.audit_events_tenant_created_idx'::regclass) ~ '\(tenant, created_at DESC, event_id DESC\)'),
          true, 'the paging index is descending on (created_at, event_id)');
SELECT ok(to_regclass('teams_obs.' || i) IS NOT NULL, 'index ' || i)
  FROM unnest(ARRAY['audit_events_surface_created_idx', 'audit_events_actor_created_idx',
                    'audit_events_action_created_idx', 'audit_events_target_created_idx',
                    'audit_events_target_id_created_idx',
                    'audit_events_failure_created_idx', 'audit_events_error_code_created_idx']) AS i;
-- list_audit_events' error_code filter carries the literal result_status = 'failure': the predicate it proves.
SELECT is(pg_get_indexdef('teams_obs.audit_events_error_code_created_idx'::regclass),
          'CREATE INDEX audit_events_error_code_created_idx ON ONLY teams_obs.audit_events USING btree '
          '(tenant, error_code, created_at DESC, event_id DESC) WHERE (result_status = ''failure''::text)',
          'error_code index: (tenant, error_code, created_at DESC, event_id DESC) over failures');
SELECT col_not_null('teams_obs', 'audit_events', c, c || ' is NOT NULL')
  FROM unnest(ARRAY['tenant', 'event_id', 'surface', 'action_id', 'result_status', 'created_at']) AS c;

-- A valid row as the owner, then each CHECK on its own.
SELECT lives_ok($$INSERT INTO teams_obs.audit_events (tenant, surface, action_id, result_status, payload_hash, created_at)
                   VALUES ('00000000-0000-0000-0000-0000000000a1', 'tab', 'update_from_message', 'success',
                           repeat('0123456789abcdef', 4), '2001-01-01')$$, 'a valid row is accepted');
SELECT is((SELECT tableoid::regclass::text FROM teams_obs.audit_events), 'teams_obs.audit_events_default',
          'a row of a month without partition lands in DEFAULT');
SELECT throws_ok(format($$INSERT INTO teams_obs.audit_events (tenant, surface, action_id, result_status, error_code, payload_hash)
                          VALUES ('00000000-0000-0000-0000-0000000000a1', %L, %L, %L, %L, %L)$$,
                        x.surface, x.action_id, x.result_status, x.error_code, x.payload_hash),
                 '23514', NULL, x.description)
  FROM (VALUES
      ('teams', 'add_note', 'success', NULL, NULL, 'surface outside the taxonomy'),
      ('bot', 'my_tickets', 'success', NULL, NULL, 'action_id outside the taxonomy (lookups are not audited)'),
      ('bot', 'add_note', 'Success', NULL, NULL, 'result_status outside the taxonomy (case-sensitive)'),
      ('bot', 'add_note', 'failure', 'boom', NULL, 'error_code outside the taxonomy'),
      ('bot', 'add_note', 'success', 'forbidden', NULL, 'an error code on a success'),
      ('bot', 'add_note', 'success', NULL, repeat('0123456789ABCDEF', 4), 'upper-case payload_hash'),
      ('bot', 'add_note', 'success', NULL, repeat('0', 63), 'payload_hash of 63 digits'),
      ('bot', 'add_note', 'success', NULL, repeat('0', 64) || E'\n', 'payload_hash with a trailing newline')
  ) AS x(surface, action_id, result_status, error_code, payload_hash, description);
SELECT lives_ok($$INSERT INTO teams_obs.audit_events (tenant, surface, action_id, result_status, error_code)
                   VALUES ('00000000-0000-0000-0000-0000000000a1', 'quick_action', 'log_time', 'failure', NULL)$$,
                'a failure without error code and without payload hash is accepted');

SELECT ok(NOT has_table_privilege(r, 'teams_obs.audit_events', 'SELECT')
          AND NOT has_table_privilege(r, 'teams_obs.audit_events', 'INSERT'), r || ' cannot touch the table directly')
  FROM unnest(ARRAY['teams_obs_writer', 'teams_obs_reader', 'teams_obs_maintainer']) AS r;

SELECT * FROM finish();
ROLLBACK;
