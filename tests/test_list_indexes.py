"""Every filter of list_deliveries and list_audit_events finds a rare value through an index.

A filter the planner can only apply as a Filter over the tenant's index reads every row of the tenant to
fill a page when its value is rare: the cost grows with the tenant, not with the page. Here one tenant
has thousands of rows with a common value of the filtered column and a few with a rare one; the call's
plans (auto_explain, nested statements, so the dynamic query is seen) may remove only a few rows by
filter or recheck.

Filters are enumerated from the catalog: a parameter added later that is not declared below fails
test_every_filter_is_declared.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

import psycopg
import pytest
from psycopg import sql

TENANT = uuid.UUID("00000000-0000-4000-8000-0000000001d5")
COMMON_ID = uuid.UUID("00000000-0000-4000-8000-00000000c033")
RARE_ID = uuid.UUID("00000000-0000-4000-8000-00000000a4e0")
ROWS = 3000
RARE = 5
# Far below the ROWS - RARE a Filter over the tenant's rows removes, far above what an index scan does.
MAX_REMOVED = 100
NOT_FILTERS = {"p_tenant", "p_since", "p_until", "p_limit", "p_cursor"}

TABLES = {"list_deliveries": "notification_deliveries", "list_audit_events": "audit_events"}
# Columns a row needs (NOT NULL, CHECKs); i numbers the rows, newest first.
BASE_ROW = {
    "list_deliveries": {
        "destination_type": sql.Literal("user_activity"),
        "destination_id": sql.SQL("'user-' || i"),
        "idempotency_key": sql.SQL("'key-' || i"),
        "status": sql.Literal("delivered"),
        "category": sql.Literal("approval"),
    },
    "list_audit_events": {
        "surface": sql.Literal("bot"),
        "action_id": sql.Literal("add_note"),
        "result_status": sql.Literal("success"),
        "target_type": sql.Literal("ticket"),
        "target_id": sql.SQL("'T-' || i"),
    },
}


@dataclass(frozen=True)
class Filter:
    function: str
    column: str  # the parameter is p_<column>
    common: object
    rare: object
    row: dict[str, object] = field(default_factory=dict)  # further columns of every row

    @property
    def id(self) -> str:
        return f"{self.function}-{self.column}"


FILTERS = (
    Filter("list_deliveries", "status", "delivered", "skipped"),
    Filter("list_deliveries", "category", "approval", "digest"),
    Filter("list_deliveries", "destination_type", "user_activity", "channel"),
    Filter("list_deliveries", "error_code", "transient", "graph_throttled", {"status": "failed"}),
    Filter("list_deliveries", "internal_notification_id", COMMON_ID, RARE_ID),
    Filter("list_audit_events", "surface", "bot", "tab"),
    Filter("list_audit_events", "action_id", "add_note", "log_time"),
    Filter("list_audit_events", "actor_user_id", COMMON_ID, RARE_ID),
    # 'success' is most rows by design: the tenant index serves it (audit_events.sql.j2).
    Filter("list_audit_events", "result_status", "success", "failure"),
    Filter("list_audit_events", "target_type", "ticket", "contact"),
    Filter("list_audit_events", "target_id", "T-common", "T-rare"),
    Filter("list_audit_events", "error_code", "execution_failed", "forbidden", {"result_status": "failure"}),
)


def insert_rows(conn: psycopg.Connection, case: Filter) -> None:
    """ROWS rows of TENANT, RARE of them (spread over the tenant's history) with the rare value."""
    columns = BASE_ROW[case.function] | {name: sql.Literal(value) for name, value in case.row.items()}
    columns[case.column] = sql.SQL("CASE WHEN i % {} = 0 THEN {} ELSE {} END").format(
        sql.Literal(ROWS // RARE), sql.Literal(case.rare), sql.Literal(case.common))
    columns |= {"tenant": sql.Literal(TENANT), "created_at": sql.SQL("now() - i * interval '1 minute'")}
    table = sql.Identifier("teams_obs", TABLES[case.function])
    conn.execute(sql.SQL("INSERT INTO {} ({}) SELECT {} FROM generate_series(0, {}) AS i").format(
        table, sql.SQL(", ").join(map(sql.Identifier, columns)), sql.SQL(", ").join(columns.values()),
        sql.Literal(ROWS - 1)))
    conn.execute(sql.SQL("ANALYZE {}").format(table))


def plans_of(conn: psycopg.Connection, query: sql.Composable, params: dict[str, object]) -> tuple[int, list[dict]]:
    """The rows a query returns and the plans of every statement it ran, the nested ones included."""
    notices: list[str] = []
    conn.add_notice_handler(lambda diagnostic: notices.append(diagnostic.message_primary or ""))
    conn.execute("LOAD 'auto_explain'")
    for setting, value in {"auto_explain.log_min_duration": "0", "auto_explain.log_nested_statements": "on",
                           "auto_explain.log_analyze": "on", "auto_explain.log_timing": "off",
                           "auto_explain.log_format": "json", "auto_explain.log_level": "notice",
                           "client_min_messages": "notice"}.items():
        conn.execute("SELECT set_config(%s, %s, false)", (setting, value))
    rows = len(conn.execute(query, params).fetchall())
    return rows, [json.loads(notice[notice.index("{"):])["Plan"] for notice in notices if "plan:" in notice]


def removed(plan: dict) -> int:
    """Rows the plan's nodes read and then discarded, over the whole tree."""
    own = sum(plan.get(key, 0) for key in ("Rows Removed by Filter", "Rows Removed by Index Recheck"))
    return own + sum(map(removed, plan.get("Plans", ())))


@pytest.mark.parametrize("case", FILTERS, ids=lambda case: case.id)
def test_a_rare_value_is_found_through_an_index(db: psycopg.Connection, case: Filter) -> None:
    insert_rows(db, case)
    query = sql.SQL("SELECT * FROM teams_obs.{}(p_tenant => %(tenant)s, {} => %(value)s)").format(
        sql.Identifier(case.function), sql.Identifier(f"p_{case.column}"))
    rows, plans = plans_of(db, query, {"tenant": TENANT, "value": case.rare})
    assert rows == RARE
    assert plans, "auto_explain reported no plan"
    assert sum(map(removed, plans)) < MAX_REMOVED, json.dumps(plans, indent=1)


def test_every_filter_is_declared(db: psycopg.Connection) -> None:
    parameters = db.execute(
        "SELECT p.proname, a.name FROM pg_proc AS p CROSS JOIN unnest(p.proargnames) AS a(name) "
        "WHERE p.pronamespace = 'teams_obs'::regnamespace AND p.proname = ANY(%s) "
        "AND a.name LIKE 'p\\_%%' AND NOT a.name = ANY(%s)", (list(TABLES), list(NOT_FILTERS))).fetchall()
    assert sorted(parameters) == sorted((case.function, f"p_{case.column}") for case in FILTERS)
