-- Deploy teams_obs:tenant_purge to pg
-- requires: notification_deliveries
-- requires: notification_delivery_idempotency
-- requires: audit_events
-- requires: conversation_references
-- requires: partition_catalog

BEGIN;

-- The one list of the tables holding tenant rows, in the order they must be emptied: dependents first.
-- A reservation in notification_delivery_idempotency points at its notification_deliveries row, so it
-- goes first (deleting the row first would leave, for a moment or after a failure, a reservation
-- without its row). The other tables depend on nothing. No foreign keys exist (Citus, partitions):
-- this order is the contract, published to host applications that delete tenants table by table
-- (the original's TENANT_TABLES_DELETION_ORDER), and the order purge_tenant follows. Names are
-- schema-qualified so that they can be used as they are. Partitions are never listed: deleting through
-- the parent covers them. tests/pgtap/tenant_purge.sql fails when a table with a tenant column is missing.
CREATE FUNCTION teams_obs.tenant_deletion_order()
RETURNS TABLE (step integer, table_name text)
LANGUAGE sql
IMMUTABLE PARALLEL SAFE
BEGIN ATOMIC
    SELECT o.step::integer, o.table_name
      FROM pg_catalog.unnest(ARRAY[
               'teams_obs.notification_delivery_idempotency',
               'teams_obs.notification_deliveries',
               'teams_obs.audit_events',
               'teams_obs.conversation_references'
           ]::text[]) WITH ORDINALITY AS o (table_name, step)
     ORDER BY o.step;
END;

COMMENT ON FUNCTION teams_obs.tenant_deletion_order() IS
    'Tables holding tenant rows, in the order a host application must delete a tenant from them (dependents first); purge_tenant follows it.';

-- A month moving out of DEFAULT (`teams-obs maintain`) holds the rows it moves until it commits, and
-- then needs a lock on the table that a DELETE waiting for one of those rows holds: the two would wait for
-- each other until one timed out or failed as a deadlock. A purge therefore waits for the move first, on
-- the maintenance lock (purges of several tenants take turns on it too). It takes the locks of every
-- partitioned table of tenant_deletion_order(), in that order, before it deletes any row, also when it
-- deletes from one table only (a table-by-table purge): retention takes its table's lock before it
-- deletes a reservation, and a purge that deleted the tenant's reservations first and asked for the lock
-- on the next table would wait for retention while retention waited for those rows.
CREATE FUNCTION teams_obs.wait_for_partition_maintenance()
RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $function$
    SELECT teams_obs.lock_partition_maintenance(pt.partrelid::pg_catalog.regclass)
      FROM teams_obs.tenant_deletion_order() AS o
      JOIN pg_catalog.pg_partitioned_table AS pt ON pt.partrelid = o.table_name::pg_catalog.regclass
     ORDER BY o.step;
$function$;

COMMENT ON FUNCTION teams_obs.wait_for_partition_maintenance() IS
    'Waits for partition maintenance (a month moving out of DEFAULT) of every table a purge deletes from, before it deletes: their maintenance locks, in deletion order.';

-- Deletes one tenant's rows from one table of tenant_deletion_order(), nothing else: the table name is
-- checked against that list, so this cannot be pointed at any other relation. Exposed for callers that
-- report progress per table (`teams-obs purge-tenant`) inside one transaction of their own.
CREATE FUNCTION teams_obs.purge_tenant_table(p_tenant uuid, p_table_name text)
RETURNS bigint
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_deleted bigint;
BEGIN
    IF p_tenant IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'tenant: required';
    END IF;
    IF p_table_name IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'table_name: required';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM teams_obs.tenant_deletion_order() AS o WHERE o.table_name = p_table_name) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('table_name: invalid value %s; expected one of %s', to_json(left(p_table_name, 100)),
                             (SELECT string_agg(o.table_name, ', ' ORDER BY o.step)
                                FROM teams_obs.tenant_deletion_order() AS o));
    END IF;
    PERFORM teams_obs.wait_for_partition_maintenance();
    -- regclass prints the name quoted and, under the pinned search_path, schema-qualified.
    EXECUTE format('DELETE FROM %s WHERE tenant = $1', p_table_name::regclass) USING p_tenant;
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END
$function$;

COMMENT ON FUNCTION teams_obs.purge_tenant_table(uuid, text) IS
    'Deletes tenant p_tenant''s rows from p_table_name, which must be one of tenant_deletion_order(); returns the count.';

-- SPEC §4 Tenant purge: every table of tenant_deletion_order(), in one statement of the caller's
-- transaction (atomic), reported in that order. An unknown tenant gets one zero per table. Meant for a
-- tenant that no longer writes: a delivery recorded while the purge runs survives it whole (reservation
-- and row); call it again to take it.
CREATE FUNCTION teams_obs.purge_tenant(p_tenant uuid)
RETURNS TABLE (table_name text, rows_deleted bigint)
LANGUAGE plpgsql
VOLATILE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $function$
DECLARE
    v_statement text;
BEGIN
    IF p_tenant IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'tenant: required';
    END IF;
    -- One statement deleting from every table (a DELETE per table in a WITH clause): one snapshot for all of
    -- them at any isolation level, so a delivery recorded while the purge runs is either deleted with its
    -- reservation or kept with it. A DELETE per table, each with its own snapshot under READ COMMITTED,
    -- could delete the row of a delivery whose reservation the previous one had not seen.
    SELECT 'WITH ' || string_agg(format('deleted_%s AS (DELETE FROM %s WHERE tenant = $1 RETURNING 1)',
                                        o.step, o.table_name::regclass), ', ' ORDER BY o.step)
           || ' SELECT v.table_name, v.rows_deleted FROM (VALUES '
           || string_agg(format('(%s, %L, (SELECT count(*) FROM deleted_%s))', o.step, o.table_name, o.step), ', '
                         ORDER BY o.step)
           || ') AS v (step, table_name, rows_deleted) ORDER BY v.step'
      INTO v_statement
      FROM teams_obs.tenant_deletion_order() AS o;
    PERFORM teams_obs.wait_for_partition_maintenance();
    RETURN QUERY EXECUTE v_statement USING p_tenant;
END
$function$;

COMMENT ON FUNCTION teams_obs.purge_tenant(uuid) IS
    'Deletes every row of tenant p_tenant, table by table in tenant_deletion_order(); one (table_name, rows_deleted) per table, zeros for an unknown tenant.';

REVOKE ALL ON FUNCTION teams_obs.tenant_deletion_order() FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.wait_for_partition_maintenance() FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.purge_tenant_table(uuid, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION teams_obs.purge_tenant(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION teams_obs.tenant_deletion_order(), teams_obs.purge_tenant_table(uuid, text),
    teams_obs.purge_tenant(uuid)
    TO teams_obs_maintainer;

COMMIT;
