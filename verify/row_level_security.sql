-- Verify teams_obs:row_level_security on pg

BEGIN;

DO $verify$
DECLARE
    v_unprotected text;
BEGIN
    SELECT string_agg(c.oid::regclass::text, ', ') INTO v_unprotected
      FROM pg_catalog.pg_class AS c
     WHERE c.relnamespace = 'teams_obs'::regnamespace AND c.relkind IN ('r', 'p')
       AND (NOT c.relrowsecurity
            OR (NOT c.relispartition
                AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy AS p
                                 WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation')));
    IF v_unprotected IS NOT NULL THEN
        RAISE EXCEPTION 'tables without row level security or without policy tenant_isolation: %', v_unprotected;
    END IF;
END
$verify$;

ROLLBACK;
