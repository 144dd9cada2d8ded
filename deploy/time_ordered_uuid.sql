-- Deploy teams_obs:time_ordered_uuid to pg
-- requires: schema

BEGIN;

-- The ids of deliveries and audit events: the default of delivery_id and event_id, and what
-- record_delivery and record_deliveries draw before reserving the key. The primary keys are
-- (tenant, <id>, created_at): with random (version 4) ids every insert lands on a random leaf of a
-- month's primary key, and after each checkpoint the first change of a leaf writes the whole page to
-- the WAL. Ids that grow with time land after the tenant's newest ones instead: on a million deliveries,
-- 26% less WAL per record_delivery after a checkpoint, 16% later on (bench/wal_per_delivery.py).
-- A version 7 UUID (RFC 9562) built from gen_random_uuid(): the first 48 bits become the Unix time in
-- milliseconds, the version nibble becomes 7 (bits 52 and 53 of 0100 set); 74 random bits remain.
-- The time is now(), the transaction's start, as created_at, so an id's time is its row's created_at
-- cut to the millisecond. Plain SQL without SET so the planner inlines it (built-ins only).
CREATE FUNCTION teams_obs.time_ordered_uuid()
RETURNS uuid
LANGUAGE sql
VOLATILE PARALLEL SAFE
RETURN pg_catalog.encode(
    pg_catalog.set_bit(pg_catalog.set_bit(
        pg_catalog.overlay(
            pg_catalog.uuid_send(pg_catalog.gen_random_uuid()),
            pg_catalog.substr(
                pg_catalog.int8send(pg_catalog.floor(pg_catalog.extract('epoch', pg_catalog.now()) * 1000)::bigint),
                3),
            1, 6),
        52, 1), 53, 1),
    'hex')::uuid;

COMMENT ON FUNCTION teams_obs.time_ordered_uuid() IS
    'A version 7 UUID (RFC 9562) whose first 48 bits are the transaction start in Unix milliseconds: the default of delivery_id and event_id.';

REVOKE ALL ON FUNCTION teams_obs.time_ordered_uuid() FROM PUBLIC;

COMMIT;
