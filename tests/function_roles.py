"""Who may execute each function of teams_obs (SPEC §5, declared in templates/function_roles.toml), with a
call that succeeds for those roles.

The privilege matrix compares the catalog with this map both ways; the isolation and search_path tests
reuse its calls (``%(t)s`` is the tenant).
"""

from __future__ import annotations

import uuid

from teams_obs.render import function_roles

TENANT = uuid.UUID("00000000-0000-4000-8000-00000000e0e0")
ACTIVITY = ('{"from": {"aadObjectId": "aad-user"}, "conversation": {"id": "a:conversation"}, '
            '"serviceUrl": "https://smba.trafficmanager.net/emea/"}')

# A call of each function that succeeds for the roles templates/function_roles.toml declares for it (the
# isolation and search_path tests reuse them). A function without one is tried with NULL arguments (the
# pure building blocks, all strict: the privilege is checked, the body not run) or not at all (internal).
CALLS: dict[str, str] = {
    "record_delivery": "SELECT * FROM teams_obs.record_delivery(%(t)s, 'user_activity', 'u', 'delivered')",
    "record_deliveries":
        "SELECT * FROM teams_obs.record_deliveries(%(t)s, '[{\"destination_type\": "
        "\"bot_dm\", \"destination_id\": \"u\", \"status\": \"sent\"}]')",
    "record_audit_event": "SELECT * FROM teams_obs.record_audit_event(%(t)s, 'bot', 'add_note', 'success')",
    "record_conversation_reference": f"SELECT teams_obs.record_conversation_reference(%(t)s, '{ACTIVITY}')",
    "list_deliveries": "SELECT * FROM teams_obs.list_deliveries(%(t)s)",
    "list_audit_events": "SELECT * FROM teams_obs.list_audit_events(%(t)s)",
    "latest_conversation_reference": "SELECT * FROM teams_obs.latest_conversation_reference(%(t)s, 'u')",
    "find_conversation_reference": "SELECT * FROM teams_obs.find_conversation_reference(%(t)s, 'c')",
    "delivery_health": "SELECT * FROM teams_obs.delivery_health(%(t)s)",
    "maintenance_status": "SELECT * FROM teams_obs.maintenance_status()",
    "cleanup_notification_deliveries": "SELECT * FROM teams_obs.cleanup_notification_deliveries()",
    "cleanup_audit_events": "SELECT * FROM teams_obs.cleanup_audit_events()",
    "run_retention": "CALL teams_obs.run_retention('teams_obs.audit_events', '365 days')",
    "retention_cutoff": "SELECT teams_obs.retention_cutoff('1 day')",
    "retention_row_tables": "SELECT * FROM teams_obs.retention_row_tables('teams_obs.audit_events')",
    "retention_row_batches": "SELECT * FROM teams_obs.retention_row_batches('teams_obs.audit_events')",
    "delete_retention_batch":
        "SELECT teams_obs.delete_retention_batch('teams_obs.audit_events', "
        "'teams_obs.audit_events_default', now() - interval '1 day', 0, 1)",
    "rows_deleted_result":
        "SELECT teams_obs.rows_deleted_result('teams_obs.audit_events', "
        "'teams_obs.audit_events_default', 'default_rows_deleted', true, 0, now())",
    "drop_expired_partitions":
        "SELECT * FROM teams_obs.drop_expired_partitions("
        "'teams_obs.audit_events', now() - interval '365 days')",
    "purge_tenant": "SELECT * FROM teams_obs.purge_tenant(%(t)s)",
    "purge_tenant_table":
        "SELECT teams_obs.purge_tenant_table(%(t)s, "
        "'teams_obs.conversation_references')",
    "tenant_deletion_order": "SELECT * FROM teams_obs.tenant_deletion_order()",
    "partition_bounds": "SELECT * FROM teams_obs.partition_bounds('teams_obs.audit_events')",
    "lock_partition_maintenance": "SELECT teams_obs.lock_partition_maintenance('teams_obs.audit_events')",
    "month_partitioned_tables": "SELECT * FROM teams_obs.month_partitioned_tables()",
    "month_partitioned_table_of": "SELECT teams_obs.month_partitioned_table_of('teams_obs.audit_events')",
    "month_partition_name":
        "SELECT teams_obs.month_partition_name('teams_obs.audit_events', "
        "date_trunc('month', now(), 'UTC'))",
    "default_partition_months": "SELECT * FROM teams_obs.default_partition_months('teams_obs.audit_events')",
    "missing_month_partitions":
        "SELECT * FROM teams_obs.missing_month_partitions("
        "'teams_obs.audit_events', 5)",
    "maintain_partitions": "CALL teams_obs.maintain_partitions(0)",  # nothing to do: no COMMIT
    "attach_month_partition":
        "SELECT teams_obs.attach_month_partition('teams_obs.audit_events', "
        "date_trunc('month', now(), 'UTC'))",
    "delivery_idempotency_key": "SELECT teams_obs.delivery_idempotency_key(%(t)s, NULL, 'bot_dm', 'u', 1)",
    "graph_status_error": "SELECT * FROM teams_obs.graph_status_error(429)",
    "canonical_json": "SELECT teams_obs.canonical_json('{\"b\": 1, \"a\": [true, null]}')",
    "payload_hash": "SELECT teams_obs.payload_hash('{\"b\": 1, \"a\": [true, null]}')",
    "clean_text": "SELECT teams_obs.clean_text(' x ')",
    "delivery_key_problem": "SELECT teams_obs.delivery_key_problem(%(t)s, 'bot_dm', 'u', 1, NULL)",
    "delivery_key_digest": "SELECT teams_obs.delivery_key_digest(%(t)s, NULL, 'bot_dm', 'u', 1, NULL)",
    "raise_invalid_parameter": "SELECT teams_obs.raise_invalid_parameter('field: raised on purpose')",
}
# name -> (roles that may execute it, its call)
EXPECTED: dict[str, tuple[frozenset[str], str | None]] = {
    name: (frozenset(roles), CALLS.get(name)) for name, roles in function_roles().items()
}
BUILDING_BLOCKS = frozenset({"clean_text", "delivery_key_problem", "delivery_key_digest", "raise_invalid_parameter"}
                            | {name for name in EXPECTED if name.startswith("_jcs_")})
# Calls that do reach the function but fail on purpose.
EXPECTED_SQLSTATE = {"raise_invalid_parameter": "22023"}
