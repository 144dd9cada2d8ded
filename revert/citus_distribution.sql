-- Revert teams_obs:citus_distribution from pg

BEGIN;

-- Nothing is undone, on purpose. Citus takes a table back to the coordinator (undistribute_table) by
-- creating a new table and dropping the old one, which would drop with it every SQL function bound to
-- it; and it offers no way to undistribute a function. So the tables and functions stay distributed
-- until the changes that created them are reverted (which drops them on every node), and deploying
-- this change again skips what is already distributed. On plain PostgreSQL there is nothing to undo.

COMMIT;
