-- Verify teams_obs:privileges on pg
-- Rendered from templates/render/verify/privileges.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

-- A drift check as much as a deploy's: `verify` finds a grant lost or added by hand since, and its HINT
-- gives the statements that repair it. Every kind of drift found is in the one error, so that one run
-- shows the operator all there is to repair.
DO $verify$
DECLARE
    v_owner oid := (SELECT n.nspowner FROM pg_catalog.pg_namespace AS n WHERE n.nspname = 'teams_obs');
    v_drift text;
    v_repair text;
    v_found text[] := '{}';
    v_repairs text[] := '{}';
BEGIN
    IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles AS r WHERE r.oid = v_owner)
       AND EXISTS (SELECT 1
                     FROM pg_catalog.aclexplode(coalesce(
                              (SELECT d.defaclacl FROM pg_catalog.pg_default_acl AS d
                                WHERE d.defaclrole = v_owner AND d.defaclnamespace = 0 AND d.defaclobjtype = 'f'),
                              pg_catalog.acldefault('f', v_owner))) AS a
                    WHERE a.grantee = 0) THEN
        v_found := v_found || 'functions the owner of teams_obs creates are executable by PUBLIC by default'::text;
        v_repairs := v_repairs || pg_catalog.format(
            'ALTER DEFAULT PRIVILEGES FOR ROLE %s REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;', v_owner::pg_catalog.regrole);
    END IF;

    -- Names in the messages and in the repair statements schema-qualified, whatever the role's search_path.
    PERFORM pg_catalog.set_config('search_path', 'pg_catalog', true);

    -- Each routine of the schema is executable by exactly the roles the package declares for it
    -- (function_roles.toml in its source's templates/), and by no other role nor PUBLIC; its owner aside. A
    -- routine of a later change is checked when `verify` runs after it was deployed.
    WITH acl AS (
        SELECT p.oid::pg_catalog.regprocedure AS routine, p.proname::text AS name,
               CASE a.grantee WHEN 0 THEN 'PUBLIC' ELSE a.grantee::pg_catalog.regrole::text END AS grantee
          FROM pg_catalog.pg_proc AS p
          LEFT JOIN LATERAL pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) AS a
                 ON a.grantee <> p.proowner
         WHERE p.pronamespace = 'teams_obs'::regnamespace
    ), declared (name, roles) AS (VALUES
        ('record_delivery', '{"teams_obs_writer"}'::text[]),
        ('record_deliveries', '{"teams_obs_writer"}'::text[]),
        ('record_audit_event', '{"teams_obs_writer"}'::text[]),
        ('record_conversation_reference', '{"teams_obs_writer"}'::text[]),
        ('list_deliveries', '{"teams_obs_reader"}'::text[]),
        ('list_audit_events', '{"teams_obs_reader"}'::text[]),
        ('latest_conversation_reference', '{"teams_obs_reader"}'::text[]),
        ('find_conversation_reference', '{"teams_obs_reader"}'::text[]),
        ('delivery_health', '{"teams_obs_reader"}'::text[]),
        ('maintenance_status', '{"teams_obs_maintainer","teams_obs_reader"}'::text[]),
        ('cleanup_notification_deliveries', '{"teams_obs_maintainer"}'::text[]),
        ('cleanup_audit_events', '{"teams_obs_maintainer"}'::text[]),
        ('run_retention', '{"teams_obs_maintainer"}'::text[]),
        ('retention_cutoff', '{"teams_obs_maintainer"}'::text[]),
        ('retention_row_tables', '{"teams_obs_maintainer"}'::text[]),
        ('retention_row_batches', '{"teams_obs_maintainer"}'::text[]),
        ('delete_retention_batch', '{"teams_obs_maintainer"}'::text[]),
        ('rows_deleted_result', '{"teams_obs_maintainer"}'::text[]),
        ('drop_expired_partitions', '{"teams_obs_maintainer"}'::text[]),
        ('purge_tenant', '{"teams_obs_maintainer"}'::text[]),
        ('purge_tenant_table', '{"teams_obs_maintainer"}'::text[]),
        ('tenant_deletion_order', '{"teams_obs_maintainer"}'::text[]),
        ('partition_bounds', '{"teams_obs_maintainer"}'::text[]),
        ('lock_partition_maintenance', '{"teams_obs_maintainer"}'::text[]),
        ('month_partitioned_tables', '{"teams_obs_maintainer"}'::text[]),
        ('month_partitioned_table_of', '{"teams_obs_maintainer"}'::text[]),
        ('month_partition_name', '{"teams_obs_maintainer"}'::text[]),
        ('default_partition_months', '{"teams_obs_maintainer"}'::text[]),
        ('missing_month_partitions', '{"teams_obs_maintainer"}'::text[]),
        ('maintain_partitions', '{"teams_obs_maintainer"}'::text[]),
        ('attach_month_partition', '{"teams_obs_maintainer"}'::text[]),
        ('delivery_idempotency_key', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('graph_status_error', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('canonical_json', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('payload_hash', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('clean_text', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('delivery_key_problem', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('delivery_key_digest', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('raise_invalid_parameter', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('_jcs_format_number', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('_jcs_kept_every_member', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('_jcs_large_digits', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('_jcs_number', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('_jcs_path_step', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('_jcs_render', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('_jcs_screen', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('_jcs_first_duplicate', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('_jcs_sort_key', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('_jcs_string_problem', '{"teams_obs_maintainer","teams_obs_reader","teams_obs_writer"}'::text[]),
        ('activity_text', '{}'::text[]),
        ('check_retention_cutoff', '{}'::text[]),
        ('citus_installed', '{}'::text[]),
        ('cleanup_partitioned_table', '{}'::text[]),
        ('cursor_checksum', '{}'::text[]),
        ('decode_cursor', '{}'::text[]),
        ('delivery_acceptable', '{}'::text[]),
        ('delivery_normalised', '{}'::text[]),
        ('delivery_problem', '{}'::text[]),
        ('delivery_reservation', '{}'::text[]),
        ('encode_cursor', '{}'::text[]),
        ('list_filter', '{}'::text[]),
        ('time_ordered_uuid', '{}'::text[]),
        ('wait_for_partition_maintenance', '{}'::text[])
    ), drift AS (
        SELECT acl.routine, d.roles AS declared,
               coalesce(pg_catalog.array_agg(DISTINCT acl.grantee COLLATE "C" ORDER BY acl.grantee COLLATE "C")
                            FILTER (WHERE acl.grantee IS NOT NULL), '{}') AS granted
          FROM acl
          LEFT JOIN declared AS d ON d.name = acl.name
         GROUP BY acl.routine, d.roles
    )
    SELECT pg_catalog.string_agg(pg_catalog.format('%s executable by %s, declared for %s', dr.routine,
                                     coalesce(nullif(pg_catalog.array_to_string(dr.granted, ', '), ''), 'no role'),
                                     CASE WHEN dr.declared IS NULL THEN 'no role (not declared)'
                                          ELSE coalesce(nullif(pg_catalog.array_to_string(dr.declared, ', '), ''),
                                                        'no role') END),
                                 '; ' ORDER BY dr.routine::text),
           pg_catalog.concat_ws(' ',
               pg_catalog.string_agg(fix.statements, ' ' ORDER BY dr.routine::text),
               'Declare each routine that is not declared in function_roles.toml, or drop it: '
                   || pg_catalog.string_agg(dr.routine::text, ', ' ORDER BY dr.routine::text)
                          FILTER (WHERE dr.declared IS NULL))
      INTO v_drift, v_repair
      FROM drift AS dr,
           -- ROUTINE: the schema has procedures too. CASCADE: a grant made on by a grantee's grant option goes too.
           LATERAL (SELECT pg_catalog.string_agg(s.statement, ' ')
                      FROM (SELECT pg_catalog.format('GRANT EXECUTE ON ROUTINE %s TO %s;', dr.routine, r)
                              FROM pg_catalog.unnest(dr.declared) AS r WHERE r <> ALL (dr.granted)
                            UNION ALL
                            SELECT pg_catalog.format('REVOKE EXECUTE ON ROUTINE %s FROM %s CASCADE;', dr.routine, r)
                              FROM pg_catalog.unnest(dr.granted) AS r
                             WHERE r <> ALL (coalesce(dr.declared, '{}'))) AS s (statement)
           ) AS fix (statements)
     WHERE dr.declared IS NULL OR dr.granted <> dr.declared;
    IF v_drift IS NOT NULL THEN
        v_found := v_found || ('function privileges differ from those declared: ' || v_drift);
        v_repairs := v_repairs || v_repair;
    END IF;

    -- The package's roles and PUBLIC reach data through the functions only (a reporting role granted
    -- SELECT directly, docs/security.md, is the operator's own): no privilege on a relation of the schema,
    -- nor on one of its columns.
    SELECT pg_catalog.string_agg(pg_catalog.format('%s has %s on %s', t.grantee, t.privileges, t.relation),
                                 '; ' ORDER BY t.relation, t.grantee),
           pg_catalog.string_agg(pg_catalog.format('REVOKE ALL ON %s FROM %s CASCADE;', t.relation, t.grantee), ' '
                                 ORDER BY t.relation, t.grantee)
      INTO v_drift, v_repair
      FROM (SELECT g.relation::text AS relation,
                   CASE g.grantee WHEN 0 THEN 'PUBLIC' ELSE g.grantee::pg_catalog.regrole::text END AS grantee,
                   pg_catalog.string_agg(DISTINCT g.privilege, ', ') AS privileges
              FROM (SELECT c.oid::regclass AS relation, a.grantee, a.privilege_type AS privilege
                      FROM pg_catalog.pg_class AS c, LATERAL pg_catalog.aclexplode(c.relacl) AS a
                     WHERE c.relnamespace = 'teams_obs'::regnamespace
                    UNION ALL
                    SELECT c.oid::regclass, a.grantee,
                           pg_catalog.format('%s (%s)', a.privilege_type, pg_catalog.quote_ident(col.attname))
                      FROM pg_catalog.pg_class AS c
                      JOIN pg_catalog.pg_attribute AS col ON col.attrelid = c.oid AND col.attacl IS NOT NULL,
                           LATERAL pg_catalog.aclexplode(col.attacl) AS a
                     WHERE c.relnamespace = 'teams_obs'::regnamespace) AS g
             WHERE g.grantee = 0 OR g.grantee::pg_catalog.regrole::text IN ('teams_obs_writer', 'teams_obs_reader',
                                                                            'teams_obs_maintainer')
             GROUP BY g.relation, g.grantee) AS t;
    IF v_drift IS NOT NULL THEN
        v_found := v_found || ('tables of teams_obs are granted to roles that reach them through functions only: '
                               || v_drift);
        v_repairs := v_repairs || v_repair;
    END IF;

    IF v_found <> '{}' THEN
        RAISE EXCEPTION USING MESSAGE = pg_catalog.array_to_string(v_found, '; and '),
                              HINT = pg_catalog.array_to_string(v_repairs, ' ');
    END IF;
END
$verify$;

ROLLBACK;
