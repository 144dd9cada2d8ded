-- Revert teams_obs:partition_maintenance from pg

BEGIN;

DROP PROCEDURE teams_obs.maintain_partitions(integer, text, integer);
DROP FUNCTION teams_obs.missing_month_partitions(regclass, integer);
DROP FUNCTION teams_obs.attach_month_partition(regclass, timestamptz);
DROP FUNCTION teams_obs.default_partition_months(regclass);
DROP FUNCTION teams_obs.month_partition_name(regclass, timestamptz);

COMMIT;
