-- SPEC §5 in the catalog: every function of teams_obs, whoever wrote it, is checked here, so a function
-- added later is held to the same rules without a change to this file.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(10);

SELECT is_empty($$
    SELECT p.oid::regprocedure::text
      FROM pg_catalog.pg_proc AS p,
           LATERAL pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) AS a
     WHERE p.pronamespace = 'teams_obs'::regnamespace AND a.grantee = 0 AND a.privilege_type = 'EXECUTE'
$$, 'PUBLIC may execute no function of teams_obs');

-- A pinned path lists only schemas no untrusted role can create in, pg_catalog before anything
-- searched for functions and operators, and pg_temp last (else a temporary object could shadow).
CREATE TEMP VIEW function_search_path AS
SELECT p.oid::regprocedure::text AS function, p.prokind, p.prosecdef, p.prosqlbody IS NOT NULL AS parsed_body,
       pg_catalog.string_to_array(pg_catalog.replace(substr(c.setting, length('search_path=') + 1), ' ', ''), ',')
           AS path
  FROM pg_catalog.pg_proc AS p
  LEFT JOIN LATERAL (SELECT s.setting FROM pg_catalog.unnest(p.proconfig) AS s (setting)
                      WHERE s.setting LIKE 'search_path=%') AS c ON true
 WHERE p.pronamespace = 'teams_obs'::regnamespace;

SELECT is_empty($$
    SELECT function FROM function_search_path WHERE prosecdef AND path IS NULL
$$, 'every SECURITY DEFINER function pins search_path');

SELECT is_empty($$
    SELECT function FROM function_search_path
     WHERE path IS NOT NULL
       AND (path[1] <> 'pg_catalog' OR path[cardinality(path)] <> 'pg_temp'
            OR NOT path <@ ARRAY['pg_catalog', 'teams_obs', 'pg_temp'])
$$, 'every pinned search_path starts with pg_catalog, ends with pg_temp and names no other schema than teams_obs');

-- A function without a pinned path must have an SQL-standard body (BEGIN ATOMIC / RETURN): it is parsed
-- when created, so every name in it is already bound and the caller's search_path cannot change it.
-- A procedure that commits can have neither (PostgreSQL refuses COMMIT under a SET clause): it runs as
-- its caller and qualifies every name and operator instead (tests/test_search_path_attack.py calls it
-- under planted objects).
SELECT is_empty($$
    SELECT function FROM function_search_path WHERE path IS NULL AND NOT parsed_body AND prokind <> 'p'
$$, 'every function pins search_path or has an SQL-standard body bound at creation');
SELECT is_empty($$
    SELECT function FROM function_search_path WHERE prokind = 'p' AND (prosecdef OR path IS NOT NULL)
$$, 'procedures run as their caller, with the caller''s settings (they commit)');

SELECT is_empty($$
    SELECT c.oid::regclass::text
      FROM pg_catalog.pg_class AS c
     WHERE c.relnamespace = 'teams_obs'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relrowsecurity
$$, 'row level security is enabled on every table and partition');

SELECT is_empty($$
    SELECT c.oid::regclass::text
      FROM pg_catalog.pg_class AS c
     WHERE c.relnamespace = 'teams_obs'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_policy AS p
                        WHERE p.polrelid = c.oid AND p.polname = 'tenant_isolation' AND p.polcmd = '*'
                          AND p.polroles = '{0}'
                          AND pg_catalog.pg_get_expr(p.polqual, p.polrelid) LIKE '%current_setting(''teams_obs.tenant''::text, true)%'
                          AND pg_catalog.pg_get_expr(p.polwithcheck, p.polrelid) = pg_catalog.pg_get_expr(p.polqual, p.polrelid))
$$, 'every table has the tenant_isolation policy on teams_obs.tenant, for every command and role');

SELECT is_empty($$
    SELECT r.rolname || ' on ' || c.oid::regclass::text
      FROM pg_catalog.pg_class AS c,
           (VALUES ('teams_obs_writer'), ('teams_obs_reader'), ('teams_obs_maintainer'), ('public')) AS r (rolname)
     WHERE c.relnamespace = 'teams_obs'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
       AND pg_catalog.has_table_privilege(r.rolname, c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
$$, 'neither the roles nor PUBLIC hold any privilege on a table of teams_obs');

SELECT is_empty($$
    SELECT r.rolname
      FROM (VALUES ('teams_obs_writer'), ('teams_obs_reader'), ('teams_obs_maintainer'), ('public')) AS r (rolname)
     WHERE pg_catalog.has_schema_privilege(r.rolname, 'teams_obs', 'CREATE')
$$, 'neither the roles nor PUBLIC may create objects in teams_obs');

SELECT is_empty($$
    SELECT p.oid::regprocedure::text
      FROM pg_catalog.pg_proc AS p
     WHERE p.pronamespace = 'teams_obs'::regnamespace AND p.prosecdef
       AND p.proowner <> (SELECT n.nspowner FROM pg_catalog.pg_namespace AS n WHERE n.nspname = 'teams_obs')
$$, 'every SECURITY DEFINER function is owned by the schema owner');

SELECT * FROM finish();
ROLLBACK;
