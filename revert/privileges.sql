-- Revert teams_obs:privileges from pg

BEGIN;

-- Nothing is undone, on purpose. The revokes only closed what no change grants. Putting PUBLIC's default
-- EXECUTE on functions back could silently loosen a setting the host had made itself before this deploy
-- (the default belongs to the role in this database, not to teams_obs): it stays the stricter way.

COMMIT;
