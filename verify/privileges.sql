-- Verify teams_obs:privileges on pg
-- Rendered from templates/render/verify/privileges.sql.j2 by `teams-obs render`: edit the template.

BEGIN;

DO $verify$
DECLARE
    v_owner oid := (SELECT n.nspowner FROM pg_catalog.pg_namespace AS n WHERE n.nspname = 'teams_obs');
    v_drift text;
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
    -- Each function of the schema is executable by exactly the roles templates/function_roles.toml declares
    -- for it: a grant lost or added by hand is found here. A function of a later change is checked when
    -- `verify` runs after it was deployed.
    SELECT pg_catalog.string_agg(pg_catalog.format('%s (executable by %s; declared: %s)', f.name,
                                                   coalesce(pg_catalog.array_to_string(f.granted, ', '), 'no role'),
                                                   CASE WHEN d.name IS NULL THEN 'not declared'
                                                        ELSE coalesce(nullif(pg_catalog.array_to_string(d.roles, ', '), ''),
                                                                      'no role') END),
                                 '; ' ORDER BY f.name)
      INTO v_drift
      FROM (SELECT p.proname AS name,
                   pg_catalog.array_agg(DISTINCT r.rolname::text ORDER BY r.rolname::text)
                       FILTER (WHERE r.rolname IS NOT NULL) AS granted
              FROM pg_catalog.pg_proc AS p
              LEFT JOIN LATERAL pg_catalog.aclexplode(coalesce(p.proacl, pg_catalog.acldefault('f', p.proowner))) AS a
                     ON true
              LEFT JOIN pg_catalog.pg_roles AS r
                     ON r.oid = a.grantee
                    AND r.rolname IN ('teams_obs_writer', 'teams_obs_reader', 'teams_obs_maintainer')
             WHERE p.pronamespace = 'teams_obs'::regnamespace
             GROUP BY p.proname) AS f
      LEFT JOIN (VALUES
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
           ) AS d (name, roles) ON d.name = f.name
     WHERE d.name IS NULL OR coalesce(f.granted, '{}') <> d.roles;
    IF v_drift IS NOT NULL THEN
        RAISE EXCEPTION 'function privileges differ from those declared (templates/function_roles.toml): %', v_drift;
    END IF;
END
$verify$;

ROLLBACK;
