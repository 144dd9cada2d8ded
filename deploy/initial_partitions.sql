-- Deploy teams_obs:initial_partitions to pg
-- requires: partition_maintenance
-- requires: notification_deliveries
-- requires: audit_events
-- requires: citus_distribution

BEGIN;

-- SPEC §4: partitions are created ahead at deploy time, by sqitch as by `teams-obs deploy`: this UTC
-- month and the next 3 of every month-partitioned table, as `teams-obs maintain` makes them (which then
-- keeps them ahead). Last in the plan, so that on Citus the partitions are made of tables already
-- distributed. When rows wait in a DEFAULT partition (a database that ran without partitions), all of
-- it is left to `teams-obs maintain`, which works one month per transaction: here every ATTACH would scan
-- DEFAULT while the deploy holds its locks, and on Citus several ATTACHes next to a DEFAULT that holds
-- rows end in a distributed deadlock.
DO $initial$
BEGIN
    IF EXISTS (SELECT 1
                 FROM teams_obs.month_partitioned_tables() AS t,
                      teams_obs.default_partition_months(t.parent_oid::regclass) AS d) THEN
        RAISE NOTICE 'rows wait in a DEFAULT partition: no partition made at deploy; run teams-obs maintain';
        RETURN;
    END IF;
    PERFORM teams_obs.attach_month_partition(t.parent_oid::regclass, m.month_start)
       FROM teams_obs.month_partitioned_tables() AS t,
            teams_obs.missing_month_partitions(t.parent_oid::regclass, 3) AS m
      WHERE pg_catalog.cardinality(m.overlapping) = 0
      ORDER BY t.parent, m.month_start;
END
$initial$;

COMMIT;
