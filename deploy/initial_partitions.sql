-- Deploy teams_obs:initial_partitions to pg
-- requires: partition_maintenance
-- requires: notification_deliveries
-- requires: audit_events
-- requires: citus_distribution

BEGIN;

-- SPEC §4: partitions are created ahead at deploy time, by sqitch as by `teams-obs deploy`: this UTC
-- month and the next 3 of every month-partitioned table, as `teams-obs maintain` makes them (which then
-- keeps them ahead). Months are counted in UTC, whatever the session's time zone. Last in the plan, so
-- that on Citus the partitions are made of tables already distributed.
SELECT teams_obs.attach_month_partition(
           t.parent_oid::regclass,
           (pg_catalog.date_trunc('month', pg_catalog.now() AT TIME ZONE 'UTC')
            + pg_catalog.make_interval(months => m.month)) AT TIME ZONE 'UTC')
  FROM teams_obs.month_partitioned_tables() AS t,
       pg_catalog.generate_series(0, 3) AS m(month)
 ORDER BY t.parent, m.month;

COMMIT;
