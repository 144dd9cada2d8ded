-- Revert teams_obs:tenant_purge from pg

BEGIN;

DROP FUNCTION teams_obs.purge_tenant(uuid);
DROP FUNCTION teams_obs.purge_tenant_table(uuid, text);
DROP FUNCTION teams_obs.wait_for_partition_maintenance();
DROP FUNCTION teams_obs.tenant_deletion_order();

COMMIT;
