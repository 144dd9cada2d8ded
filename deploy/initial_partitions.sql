-- Deploy teams_obs:initial_partitions to pg
-- requires: partition_maintenance
-- requires: notification_deliveries
-- requires: audit_events
-- requires: citus_distribution
-- Rendered from templates/render/deploy/initial_partitions.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- SPEC §4: partitions are created ahead at deploy time, by sqitch as by `teams-obs deploy`: this UTC
-- month and the next 3 of every month-partitioned table, as `teams-obs maintain` makes them (which then
-- keeps them ahead). All of it is left to `teams-obs maintain`, which works one month per transaction,
-- in two cases: on Citus, where several ATTACH PARTITIONs of distributed tables in one transaction can
-- end in a distributed deadlock (`teams-obs deploy` runs maintain itself; after a deploy by sqitch, run
-- it); and when rows wait in a DEFAULT partition (a database that ran without partitions), where every
-- ATTACH would scan DEFAULT while the deploy holds its locks.
DO $initial$
DECLARE
    v_lock_timeout constant text := '500ms';
    v_month record;
BEGIN
    IF teams_obs.citus_installed() THEN
        RAISE NOTICE 'Citus: no partition made at deploy, teams-obs maintain makes them one month per transaction';
        RETURN;
    END IF;
    IF EXISTS (SELECT 1
                 FROM teams_obs.month_partitioned_tables() AS t,
                      teams_obs.default_partition_months(t.parent_oid::regclass) AS d) THEN
        RAISE NOTICE 'rows wait in a DEFAULT partition: no partition made at deploy; run teams-obs maintain';
        RETURN;
    END IF;
    -- A deploy into a database in use (this change reverted and deployed again) must not hold writers in
    -- the queue behind a lock it waits for: a month whose locks are not granted soon is left to maintain.
    PERFORM pg_catalog.set_config('lock_timeout', v_lock_timeout, true);
    FOR v_month IN
        SELECT t.parent_oid::regclass AS parent, m.month_start, m.partition_name
          FROM teams_obs.month_partitioned_tables() AS t,
               teams_obs.missing_month_partitions(t.parent_oid::regclass, 3) AS m
         WHERE pg_catalog.cardinality(m.overlapping) = 0
         ORDER BY t.parent, m.month_start
    LOOP
        BEGIN
            PERFORM teams_obs.attach_month_partition(v_month.parent, v_month.month_start);
        EXCEPTION WHEN lock_not_available THEN
            RAISE NOTICE '%: locks not granted within %, no partition made at deploy; run teams-obs maintain',
                v_month.partition_name, v_lock_timeout;
        END;
    END LOOP;
END
$initial$;

COMMIT;
