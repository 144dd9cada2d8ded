"""Who may execute each function of teams_obs (SPEC §5), with a call that succeeds for those roles.

The privilege matrix compares the catalog with this map both ways; the isolation and search_path tests
reuse its calls (``%(t)s`` is the tenant).
"""

from __future__ import annotations

import uuid

from tests.security_helpers import MAINTAINER, READER, ROLES, WRITER

ALL = frozenset(ROLES)
NONE: frozenset[str] = frozenset()
TENANT = uuid.UUID("00000000-0000-4000-8000-00000000e0e0")
ACTIVITY = ('{"from": {"aadObjectId": "aad-user"}, "conversation": {"id": "a:conversation"}, '
            '"serviceUrl": "https://smba.trafficmanager.net/emea/"}')

# name -> (roles that may execute it, a call that succeeds for them). Internal building blocks are
# executed by the SECURITY DEFINER functions as the owner and by no role. The pure helpers of SPEC §8
# (no table access, not SECURITY DEFINER) are granted to all three roles, with the pure functions they
# call: a function that is not SECURITY DEFINER needs its caller to hold EXECUTE on what it calls.
EXPECTED: dict[str, tuple[frozenset[str], str | None]] = {
    # Recording: the writer.
    "record_delivery": ({WRITER}, "SELECT * FROM teams_obs.record_delivery(%(t)s, 'user_activity', 'u', 'delivered')"),
    "record_deliveries": ({WRITER}, "SELECT * FROM teams_obs.record_deliveries(%(t)s, '[{\"destination_type\": "
                                    "\"bot_dm\", \"destination_id\": \"u\", \"status\": \"sent\"}]')"),
    "record_audit_event": ({WRITER}, "SELECT * FROM teams_obs.record_audit_event(%(t)s, 'bot', 'add_note', 'success')"),
    "record_conversation_reference": ({WRITER}, f"SELECT teams_obs.record_conversation_reference(%(t)s, '{ACTIVITY}')"),
    # Reading and health: the reader.
    "list_deliveries": ({READER}, "SELECT * FROM teams_obs.list_deliveries(%(t)s)"),
    "list_audit_events": ({READER}, "SELECT * FROM teams_obs.list_audit_events(%(t)s)"),
    "latest_conversation_reference": ({READER}, "SELECT * FROM teams_obs.latest_conversation_reference(%(t)s, 'u')"),
    "find_conversation_reference": ({READER}, "SELECT * FROM teams_obs.find_conversation_reference(%(t)s, 'c')"),
    "delivery_health": ({READER}, "SELECT * FROM teams_obs.delivery_health(%(t)s)"),
    "maintenance_status": ({READER, MAINTAINER}, "SELECT * FROM teams_obs.maintenance_status()"),
    # Maintenance, retention and purge: the maintainer.
    "cleanup_notification_deliveries": ({MAINTAINER}, "SELECT * FROM teams_obs.cleanup_notification_deliveries()"),
    "cleanup_audit_events": ({MAINTAINER}, "SELECT * FROM teams_obs.cleanup_audit_events()"),
    # run_retention runs as its caller (it commits), so what it calls is the maintainer's too.
    "run_retention": ({MAINTAINER}, "CALL teams_obs.run_retention('teams_obs.audit_events', '365 days')"),
    "retention_cutoff": ({MAINTAINER}, "SELECT teams_obs.retention_cutoff('1 day')"),
    "retention_row_tables": ({MAINTAINER}, "SELECT * FROM teams_obs.retention_row_tables('teams_obs.audit_events')"),
    "retention_row_batches": ({MAINTAINER},
                              "SELECT * FROM teams_obs.retention_row_batches('teams_obs.audit_events')"),
    "delete_retention_batch": ({MAINTAINER}, "SELECT teams_obs.delete_retention_batch('teams_obs.audit_events', "
                                             "'teams_obs.audit_events_default', now() - interval '1 day', 0, 1)"),
    "rows_deleted_result": ({MAINTAINER}, "SELECT teams_obs.rows_deleted_result('teams_obs.audit_events', "
                                          "'teams_obs.audit_events_default', 'default_rows_deleted', true, 0, now())"),
    "drop_expired_partitions": ({MAINTAINER}, "SELECT * FROM teams_obs.drop_expired_partitions("
                                              "'teams_obs.audit_events', now() - interval '365 days')"),
    "purge_tenant": ({MAINTAINER}, "SELECT * FROM teams_obs.purge_tenant(%(t)s)"),
    "purge_tenant_table": ({MAINTAINER}, "SELECT teams_obs.purge_tenant_table(%(t)s, "
                                         "'teams_obs.conversation_references')"),
    "tenant_deletion_order": ({MAINTAINER}, "SELECT * FROM teams_obs.tenant_deletion_order()"),
    "partition_bounds": ({MAINTAINER}, "SELECT * FROM teams_obs.partition_bounds('teams_obs.audit_events')"),
    "lock_partition_maintenance": ({MAINTAINER},
                                   "SELECT teams_obs.lock_partition_maintenance('teams_obs.audit_events')"),
    "month_partitioned_tables": ({MAINTAINER}, "SELECT * FROM teams_obs.month_partitioned_tables()"),
    "month_partitioned_table_of": ({MAINTAINER},
                                   "SELECT teams_obs.month_partitioned_table_of('teams_obs.audit_events')"),
    "month_partition_name": ({MAINTAINER}, "SELECT teams_obs.month_partition_name('teams_obs.audit_events', "
                                           "date_trunc('month', now(), 'UTC'))"),
    "default_partition_months": ({MAINTAINER},
                                 "SELECT * FROM teams_obs.default_partition_months('teams_obs.audit_events')"),
    "missing_month_partitions": ({MAINTAINER}, "SELECT * FROM teams_obs.missing_month_partitions("
                                               "'teams_obs.audit_events', 5)"),
    "maintain_partitions": ({MAINTAINER}, "CALL teams_obs.maintain_partitions(0)"),  # nothing to do: no COMMIT
    "attach_month_partition": ({MAINTAINER}, "SELECT teams_obs.attach_month_partition('teams_obs.audit_events', "
                                             "date_trunc('month', now(), 'UTC'))"),
    # Pure public helpers (SPEC §8): every role.
    "delivery_idempotency_key": (ALL, "SELECT teams_obs.delivery_idempotency_key(%(t)s, NULL, 'bot_dm', 'u', 1)"),
    "graph_status_error": (ALL, "SELECT * FROM teams_obs.graph_status_error(429)"),
    "canonical_json": (ALL, "SELECT teams_obs.canonical_json('{\"b\": 1, \"a\": [true, null]}')"),
    "payload_hash": (ALL, "SELECT teams_obs.payload_hash('{\"b\": 1, \"a\": [true, null]}')"),
    # The pure functions those call (BUILDING_BLOCKS); without a call of their own, they are tried with
    # NULL arguments (all strict: the privilege is checked, the body not run).
    "clean_text": (ALL, "SELECT teams_obs.clean_text(' x ')"),
    "delivery_key_problem": (ALL, "SELECT teams_obs.delivery_key_problem(%(t)s, 'bot_dm', 'u', 1, NULL)"),
    "delivery_key_digest": (ALL, "SELECT teams_obs.delivery_key_digest(%(t)s, NULL, 'bot_dm', 'u', 1, NULL)"),
    "raise_invalid_parameter": (ALL, "SELECT teams_obs.raise_invalid_parameter('field: raised on purpose')"),
    "_jcs_format_number": (ALL, None),
    "_jcs_kept_every_member": (ALL, None),
    "_jcs_large_digits": (ALL, None),
    "_jcs_number": (ALL, None),
    "_jcs_path_step": (ALL, None),
    "_jcs_render": (ALL, None),
    "_jcs_screen": (ALL, None),
    "_jcs_first_duplicate": (ALL, None),
    "_jcs_sort_key": (ALL, None),
    "_jcs_string_problem": (ALL, None),
    # Internal: run by SECURITY DEFINER functions as the owner only.
    "activity_text": (NONE, None),
    "check_retention_cutoff": (NONE, None),
    "citus_installed": (NONE, None),
    "cleanup_partitioned_table": (NONE, None),
    "cursor_checksum": (NONE, None),
    "decode_cursor": (NONE, None),
    "delivery_acceptable": (NONE, None),
    "delivery_normalised": (NONE, None),
    "delivery_problem": (NONE, None),
    "delivery_reservation": (NONE, None),
    "encode_cursor": (NONE, None),
    "list_filter": (NONE, None),
    "time_ordered_uuid": (NONE, None),
    "wait_for_partition_maintenance": (NONE, None),
}
BUILDING_BLOCKS = frozenset({"clean_text", "delivery_key_problem", "delivery_key_digest", "raise_invalid_parameter"}
                            | {name for name in EXPECTED if name.startswith("_jcs_")})
# Calls that do reach the function but fail on purpose.
EXPECTED_SQLSTATE = {"raise_invalid_parameter": "22023"}
