-- Revert teams_obs:initial_partitions from pg

BEGIN;

-- Nothing: the partitions hold rows by now, and they go with their tables when those are reverted.

COMMIT;
