-- Verify teams_obs:privileges on pg

BEGIN;

DO $verify$
DECLARE
    v_owner oid := (SELECT n.nspowner FROM pg_catalog.pg_namespace AS n WHERE n.nspname = 'teams_obs');
BEGIN
    IF EXISTS (SELECT 1
                 FROM pg_catalog.pg_proc AS p,
                      LATERAL pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) AS a
                WHERE p.pronamespace = 'teams_obs'::regnamespace AND a.grantee = 0) THEN
        RAISE EXCEPTION 'PUBLIC may execute a function of teams_obs';
    END IF;
    IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.oid = v_owner)
       AND EXISTS (SELECT 1
                     FROM pg_catalog.aclexplode(coalesce(
                              (SELECT d.defaclacl FROM pg_catalog.pg_default_acl AS d
                                WHERE d.defaclrole = v_owner AND d.defaclnamespace = 0 AND d.defaclobjtype = 'f'),
                              pg_catalog.acldefault('f', v_owner))) AS a
                    WHERE a.grantee = 0) THEN
        RAISE EXCEPTION 'functions the owner of teams_obs creates are executable by PUBLIC by default';
    END IF;
END
$verify$;

ROLLBACK;
