"""Static checkers see the clients' methods (SPEC §1, §7: a typed client): the package is typed (py.typed) and
teams_obs/client_methods.pyi, rendered from the SqlFunction declarations, gives Client each method with its
signature and AsyncClient the same as coroutines. A never_raise client's results include its neutral None, so
the checker asks for the None check a failed call needs, and only there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import typing
from datetime import datetime
from pathlib import Path

import pytest

from teams_obs import client, render
from teams_obs.sql_function import Row, SqlFunction

ROOT = Path(__file__).resolve().parent.parent
STUBS = Path("teams_obs/client_methods.pyi")

CORRECT = """
    from datetime import UTC, datetime
    from uuid import UUID

    from psycopg import Connection
    from psycopg.rows import DictRow, dict_row
    from psycopg_pool import AsyncConnectionPool, ConnectionPool

    from teams_obs.client import AsyncClient, Client, Page, RecordedDelivery


    def hot_path(tenant: UUID) -> None:
        with Client.connect("postgresql://", never_raise=True) as obs:
            obs.record_delivery(tenant, "bot_dm", "c-1", "sent", sent_at=datetime.now(UTC), attempt_number=2)
            obs.record_audit_event(str(tenant), "bot", "add_note", "success", payload={"note": 1})


    def read(obs: Client, tenant: str) -> str | None:
        recorded: RecordedDelivery = obs.record_delivery(tenant, "bot_dm", "c-1", "failed", retryable=True)
        page: Page = obs.list_deliveries(tenant, status="failed", limit=50, cursor=None)
        health = obs.delivery_health(tenant)
        return page.next_cursor or str(recorded.delivery_id) + str(health[0]["day"])


    async def read_async(tenant: str) -> bool:
        async with await AsyncClient.connect("postgresql://") as obs:
            recorded = await obs.record_delivery(tenant, "bot_dm", "c-1", "sent")
            reference = await obs.record_conversation_reference(tenant, {"type": "message"})
            return recorded.inserted and reference and (await obs.graph_status_error(429))["retryable"]


    def careful(url: str) -> str | None:
        with Client(ConnectionPool(url), never_raise=True) as obs:
            event = obs.record_audit_event("t", "bot", "add_note", "success")
            if event is None:  # the call failed, and was logged
                return None
            return event.payload_hash


    async def careful_async(url: str) -> bool:
        async with await AsyncClient.connect(url, never_raise=True) as obs:
            recorded = await obs.record_delivery("t", "bot_dm", "c-1", "sent")
            reference: bool = await obs.record_conversation_reference("t", {})  # False when it failed
            return recorded is not None and recorded.inserted and reference


    def pools(url: str) -> list[Client | AsyncClient]:
        rows: ConnectionPool[Connection[DictRow]] = ConnectionPool(
            url, connection_class=Connection[DictRow], kwargs={"row_factory": dict_row})
        return [Client(ConnectionPool(url)), Client(rows), AsyncClient(AsyncConnectionPool(url))]
"""

# Each call with what mypy says of it and the rule pyright reports it under.
WRONG = {
    "client.record_delivery(1, 2, 3)":
        ('Missing positional argument "status" in call to "record_delivery"', "reportCallIssue"),
    'client.record_delivery(uuid4(), "a", "b", "c", limit=5)':
        ('Unexpected keyword argument "limit" for "record_delivery"', "reportCallIssue"),
    'client.record_delivry("t", "a", "b", "c")':
        ('"Client[Never]" has no attribute "record_delivry"', "reportAttributeAccessIssue"),
    'await client.list_deliveries("t")':
        ('Incompatible types in "await" (actual type "Page"', "reportGeneralTypeIssues"),
    'aclient.record_delivery("t", "a", "b", "c")':
        ('Value of type "Coroutine[Any, Any, RecordedDelivery]" must be used', "reportUnusedCoroutine"),
    'print(aclient.list_deliveries("t").rows)':
        ('"Coroutine[Any, Any, Page]" has no attribute "rows"', "reportAttributeAccessIssue"),
    'print(Client.connect("u", never_raise=True).record_audit_event("t", "s", "a", "r").payload_hash)':
        ('Item "None" of "RecordedAuditEvent | None" has no attribute "payload_hash"', "reportOptionalMemberAccess"),
    'print(Client(ConnectionPool("u"), never_raise=True).record_delivery("t", "a", "b", "c").inserted)':
        ('Item "None" of "RecordedDelivery | None" has no attribute "inserted"', "reportOptionalMemberAccess"),
    'print((await (await AsyncClient.connect("u", never_raise=True)).list_deliveries("t")).rows)':
        ('Item "None" of "Page | None" has no attribute "rows"', "reportOptionalMemberAccess"),
    'print((await AsyncClient(AsyncConnectionPool("u"), never_raise=True).graph_status_error(500))["retryable"])':
        ('Value of type "dict[str, Any] | None" is not indexable', "reportOptionalSubscript"),
    'Client(AsyncConnectionPool("u"))':
        ('No overload variant of "Client" matches argument type "AsyncConnectionPool[', "reportArgumentType"),
    'AsyncClient(ConnectionPool("u"))':
        ('No overload variant of "AsyncClient" matches argument type "ConnectionPool[', "reportArgumentType"),
}
WRONG_CALLS = ("from uuid import uuid4\n\nfrom psycopg_pool import AsyncConnectionPool, ConnectionPool\n\n"
               "from teams_obs.client import AsyncClient, Client\n\n\n"
               "async def main(client: Client, aclient: AsyncClient) -> None:\n"
               + "\n".join(f"    {call}" for call in WRONG) + "\n")
FIRST_WRONG_LINE = len(WRONG_CALLS.splitlines()) - len(WRONG) + 1  # the calls are the last lines


def mypy(tmp_path: Path, code: str) -> list[str]:
    """mypy --strict --warn-unreachable's errors on ``code`` and on the stubs themselves (so a stub naming a type
    it does not import fails here rather than turning into Any). It runs in the checkout, where it finds the
    package: the editable install's import hook is invisible to it. The package's own modules are followed
    silently, as an installed package's are."""
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent(code))
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental",
                          "--cache-dir", str(tmp_path / "cache"), "--hide-error-context", "--no-error-summary",
                          "--warn-unreachable", str(snippet), str(STUBS)],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode in (0, 1), run.stdout + run.stderr  # 2: mypy itself failed
    return [line for line in run.stdout.splitlines() if ": error: " in line]


def pyright(tmp_path: Path, code: str) -> list[tuple[int, str]]:
    """pyright's errors on ``code`` and on the stubs, both checked in strict mode, as (line, rule). Its project
    is made in ``tmp_path``, with the checkout as an extra import root, where it finds the package (its
    configuration takes paths relative to itself only)."""
    (tmp_path / "snippet.py").write_text(textwrap.dedent(code))
    checked = ["snippet.py", os.path.relpath(ROOT / STUBS, tmp_path)]
    config = tmp_path / "pyrightconfig.json"
    config.write_text(json.dumps({"include": checked, "strict": checked,
                                  "extraPaths": [os.path.relpath(ROOT, tmp_path)]}))
    run = subprocess.run([sys.executable, "-m", "pyright", "--outputjson", "--project", str(config)],
                         capture_output=True, text=True, check=False)
    assert run.returncode in (0, 1), run.stdout + run.stderr  # 2 and up: pyright itself failed
    report = json.loads(run.stdout)
    assert report["summary"]["filesAnalyzed"] == 2, report
    return [(diagnostic["range"]["start"]["line"] + 1, diagnostic.get("rule", diagnostic["message"]))
            for diagnostic in report["generalDiagnostics"] if diagnostic["severity"] == "error"]


def test_correct_calls_type_check(tmp_path: Path):
    assert mypy(tmp_path, CORRECT) == []


def test_correct_calls_type_check_under_pyright(tmp_path: Path):
    assert pyright(tmp_path, CORRECT) == []


def test_wrong_calls_are_reported(tmp_path: Path):
    errors = mypy(tmp_path, WRONG_CALLS)
    for line, (call, (message, _rule)) in enumerate(WRONG.items(), start=FIRST_WRONG_LINE):
        assert any(f"snippet.py:{line}: error: {message}" in error for error in errors), (call, errors)


def test_wrong_calls_are_reported_by_pyright(tmp_path: Path):
    errors = pyright(tmp_path, WRONG_CALLS)
    for line, (call, (_message, rule)) in enumerate(WRONG.items(), start=FIRST_WRONG_LINE):
        assert (line, rule) in errors, (call, errors)


def test_a_changed_declaration_makes_the_stubs_stale(monkeypatch: pytest.MonkeyPatch):
    assert STUBS not in render.stale()

    def maintenance_status(since: datetime | None = None) -> list[Row]:
        """Changed."""

    monkeypatch.setitem(client.CALLS, "maintenance_status", SqlFunction(maintenance_status))
    assert render.stale() == [STUBS]


def test_only_named_parameters_can_be_stubbed(monkeypatch: pytest.MonkeyPatch):
    """The stubs write no "/": a positional-only declaration would be stubbed as taking keywords."""

    def maintenance_status(tenant: str, /) -> list[Row]:
        """Positional only."""

    monkeypatch.setitem(client.CALLS, "maintenance_status", SqlFunction(maintenance_status))
    with pytest.raises(TypeError, match="declare SQL parameters plain or keyword-only"):
        render.render_all()


def test_the_stubs_take_the_neutral_results_of_never_raise(monkeypatch: pytest.MonkeyPatch):
    """A failed call's None is in its stub's type, any other neutral result must be of the declared type."""
    monkeypatch.setitem(client._NEUTRAL, "maintenance_status", [])
    assert render.stale() == [STUBS]
    monkeypatch.setitem(client._NEUTRAL, "maintenance_status", 0)
    with pytest.raises(TypeError, match=r"maintenance_status: its neutral result 0 .* is not a list\[Row\]"):
        render.render_all()


def test_the_clients_are_generic_for_checkers_only():
    assert client.Client.__mro__ == (client.Client, client._Base, object)
    assert client.AsyncClient.__mro__ == (client.AsyncClient, client._Base, object)
    # Client[None] in an annotation evaluated at run time (pydantic, FastAPI) names the client.
    assert typing.get_origin(client.Client[None]) is client.Client
