-- The building blocks of retention that run_retention calls as the maintainer, one transaction per batch:
-- which tables lose rows row by row, the page ranges, one batch's DELETE, the partition drops. Granted to
-- the maintainer, so each refuses what is not a table of teams_obs' retention.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(28);

SELECT results_eq($$SELECT kind, table_name::text, time_column::text COLLATE "default", is_default
                      FROM teams_obs.retention_row_tables('teams_obs.notification_deliveries')$$,
                  $$VALUES ('reservations_deleted', 'teams_obs.notification_delivery_idempotency', 'created_at', false),
                           ('default_rows_deleted', 'teams_obs.notification_deliveries_default', 'created_at', true)$$,
                  'deliveries: the sidecar first, then the DEFAULT partition');
SELECT results_eq($$SELECT kind, table_name::text FROM teams_obs.retention_row_tables('teams_obs.audit_events')$$,
                  $$VALUES ('default_rows_deleted', 'teams_obs.audit_events_default')$$,
                  'audit events: the DEFAULT partition alone');

-- 600 reservations, 400 of them expired, on about 3 pages of 28-byte-aligned tuples; no statistics yet.
INSERT INTO teams_obs.notification_delivery_idempotency (tenant, idempotency_key, delivery_id, created_at)
SELECT '00000000-0000-4000-8000-0000000000b1'::uuid, 'k-' || i, gen_random_uuid(),
       now() - CASE WHEN i % 3 = 0 THEN interval '1 day' ELSE interval '200 days' END
  FROM generate_series(1, 600) i;
CREATE TEMP TABLE b AS
SELECT * FROM teams_obs.retention_row_batches('teams_obs.notification_deliveries', 50)
 WHERE table_name = 'teams_obs.notification_delivery_idempotency'::regclass;
SELECT ok((SELECT min(first_page) = 0 AND bool_and(end_page > first_page) FROM b), 'ranges start at page 0 and are not empty');
SELECT is((SELECT count(*) FROM b b1 JOIN b b2 ON b2.first_page = b1.end_page),
          (SELECT count(*) - 1 FROM b), 'the ranges follow one another without gaps');
SELECT ok((SELECT max(end_page) FROM b) >= pg_relation_size('teams_obs.notification_delivery_idempotency') / 8192,
          'together they cover every page');
SELECT ok((SELECT count(*) FROM b) >= 2, 'without statistics a batch spans at most batch_size rows: several batches');

SELECT is(teams_obs.delete_retention_batch('teams_obs.notification_deliveries', 'teams_obs.notification_delivery_idempotency',
                                           now() - interval '90 days', 0, 1),
          (SELECT count(*) FROM teams_obs.notification_delivery_idempotency
            WHERE ctid < '(1,0)'::tid AND created_at < now() - interval '90 days'),
          'a batch returns what it deleted');
SELECT is((SELECT count(*) FROM teams_obs.notification_delivery_idempotency
            WHERE ctid < '(1,0)'::tid AND created_at < now() - interval '90 days'), 0::bigint,
          'its pages hold no expired reservation any more');
SELECT ok((SELECT count(*) FROM teams_obs.notification_delivery_idempotency
            WHERE ctid >= '(1,0)'::tid AND created_at < now() - interval '90 days') > 0,
          'pages outside its range are untouched');
SELECT is((SELECT count(*) FROM teams_obs.notification_delivery_idempotency WHERE created_at > now() - interval '90 days'),
          200::bigint, 'unexpired reservations stay');

-- Refusals: 22023 naming the argument, nothing deleted.
CREATE TEMP TABLE before_refusals AS SELECT count(*) AS n FROM teams_obs.notification_delivery_idempotency;
SELECT throws_ok($$SELECT teams_obs.delete_retention_batch('teams_obs.notification_deliveries',
                       'teams_obs.conversation_references', now(), 0, 100)$$,
                 '22023', 'table: retention of teams_obs.notification_deliveries deletes no rows of teams_obs.conversation_references',
                 'a table outside the retention of the parent is refused');
SELECT throws_ok($$SELECT teams_obs.delete_retention_batch('teams_obs.audit_events',
                       'teams_obs.notification_delivery_idempotency', now(), 0, 100)$$,
                 '22023', 'table: retention of teams_obs.audit_events deletes no rows of teams_obs.notification_delivery_idempotency',
                 'the sidecar is not part of the audit events'' retention');
SELECT throws_ok($$SELECT teams_obs.delete_retention_batch('teams_obs.notification_deliveries',
                       'teams_obs.notification_delivery_idempotency', now() + interval '1 second', 0, 100)$$,
                 '22023', 'cutoff: must be a finite time not after now()', 'a future cutoff is refused');
SELECT throws_ok($$SELECT teams_obs.delete_retention_batch('teams_obs.notification_deliveries',
                       'teams_obs.notification_delivery_idempotency', NULL, 0, 100)$$,
                 '22023', 'cutoff: must be a finite time not after now()', 'a NULL cutoff is refused');
SELECT throws_ok($$SELECT * FROM teams_obs.retention_row_batches('teams_obs.notification_deliveries', 0)$$,
                 '22023', 'batch_size: must be a positive integer', 'batch size 0 is refused');
SELECT throws_ok($$SELECT * FROM teams_obs.drop_expired_partitions('teams_obs.audit_events', 'infinity')$$,
                 '22023', 'cutoff: must be a finite time not after now()', 'drops refuse an infinite cutoff');
SELECT is((SELECT count(*) FROM teams_obs.notification_delivery_idempotency), (SELECT n FROM before_refusals),
          'nothing was deleted by the refused calls');

-- A partitioned table of the same shape outside teams_obs: the owner may own it, the maintainer must not
-- reach it through these functions.
CREATE TABLE public.retention_victim (created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at);
CREATE TABLE public.retention_victim_default PARTITION OF public.retention_victim DEFAULT;
CREATE TABLE public.retention_victim_2019 PARTITION OF public.retention_victim
    FOR VALUES FROM ('2019-01-01 00:00:00+00') TO ('2019-02-01 00:00:00+00');
INSERT INTO public.retention_victim VALUES ('2019-01-02 00:00:00+00'), ('2018-01-02 00:00:00+00');
SELECT throws_ok($$SELECT * FROM teams_obs.retention_row_tables('public.retention_victim')$$,
                 '22023', 'parent: public.retention_victim is not a table of schema teams_obs partitioned by range on one timestamptz column',
                 'retention_row_tables: a table outside teams_obs is refused');
SELECT throws_ok($$SELECT * FROM teams_obs.retention_row_batches('public.retention_victim')$$,
                 '22023', 'parent: public.retention_victim is not a table of schema teams_obs partitioned by range on one timestamptz column',
                 'retention_row_batches: a table outside teams_obs is refused');
SELECT throws_ok($$SELECT teams_obs.delete_retention_batch('public.retention_victim', 'public.retention_victim_default',
                       now(), 0, 100)$$,
                 '22023', 'parent: public.retention_victim is not a table of schema teams_obs partitioned by range on one timestamptz column',
                 'delete_retention_batch: a table outside teams_obs is refused');
SELECT throws_ok($$SELECT * FROM teams_obs.drop_expired_partitions('public.retention_victim', now())$$,
                 '22023', 'parent: public.retention_victim is not a table of schema teams_obs partitioned by range on one timestamptz column',
                 'drop_expired_partitions: a table outside teams_obs is refused');
SELECT throws_ok($$CALL teams_obs.run_retention('public.retention_victim', '1 day')$$,
                 '22023', 'parent: public.retention_victim is not a table of schema teams_obs partitioned by range on one timestamptz column',
                 'run_retention: a table outside teams_obs is refused');
SELECT throws_ok($$CALL teams_obs.run_retention('teams_obs.audit_events', '0')$$,
                 '22023', 'retention: must be a positive interval, not 00:00:00',
                 'run_retention: a retention of zero is refused');
SELECT is((SELECT count(*) FROM public.retention_victim), 2::bigint, 'its rows and partitions are untouched');

-- Roles: the maintainer runs these without any table privilege; nobody else may.
SELECT ok(has_function_privilege('teams_obs_maintainer', f, 'execute')
          AND NOT has_function_privilege('teams_obs_writer', f, 'execute')
          AND NOT has_function_privilege('teams_obs_reader', f, 'execute'),
          'only the maintainer may execute ' || f)
  FROM unnest(ARRAY['teams_obs.retention_row_batches(regclass, integer)',
                    'teams_obs.delete_retention_batch(regclass, regclass, timestamptz, bigint, bigint)',
                    'teams_obs.drop_expired_partitions(regclass, timestamptz)']) AS f;
CREATE TEMP TABLE expired_left AS
SELECT count(*)::numeric AS n FROM teams_obs.notification_delivery_idempotency WHERE created_at < now() - interval '90 days';
GRANT SELECT ON expired_left TO teams_obs_maintainer;
SET LOCAL ROLE teams_obs_maintainer;
SELECT is((SELECT sum(teams_obs.delete_retention_batch('teams_obs.notification_deliveries', table_name,
                                                       now() - interval '90 days', first_page, end_page))
             FROM teams_obs.retention_row_batches('teams_obs.notification_deliveries', 50)),
          (SELECT n FROM expired_left), 'as teams_obs_maintainer, the batches delete the remaining expired reservations');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
