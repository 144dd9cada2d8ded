"""Static checkers see the clients' methods (SPEC §1, §7: a typed client): the package is typed (py.typed) and
teams_obs/client_methods.pyi, rendered from the SqlFunction declarations, gives Client each method with its
signature and AsyncClient the same as coroutines."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import datetime
from pathlib import Path

import pytest

from teams_obs import client, render
from teams_obs.sql_function import Row, SqlFunction

ROOT = Path(__file__).resolve().parent.parent
STUBS = Path("teams_obs/client_methods.pyi")

CORRECT = """
    from datetime import UTC, datetime
    from uuid import UUID, uuid4

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
"""

WRONG = {
    "client.record_delivery(1, 2, 3)":
        'Missing positional argument "status" in call to "record_delivery"',
    'client.record_delivery(uuid4(), "a", "b", "c", limit=5)':
        'Unexpected keyword argument "limit" for "record_delivery"',
    'client.record_delivry("t", "a", "b", "c")':
        '"Client" has no attribute "record_delivry"',
    'await client.list_deliveries("t")':
        'Incompatible types in "await" (actual type "Page"',
    'aclient.record_delivery("t", "a", "b", "c")':
        'Value of type "Coroutine[Any, Any, RecordedDelivery]" must be used',
    'print(aclient.list_deliveries("t").rows)':
        '"Coroutine[Any, Any, Page]" has no attribute "rows"',
}


def mypy(tmp_path: Path, code: str) -> list[str]:
    """mypy --strict's errors on ``code`` and on the stubs themselves (so a stub naming a type it does not
    import fails here rather than turning into Any). It runs in the checkout, where it finds the package: the
    editable install's import hook is invisible to it. The package's own modules are followed silently, as an
    installed package's are."""
    snippet = tmp_path / "snippet.py"
    snippet.write_text(textwrap.dedent(code))
    run = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--follow-imports=silent", "--no-incremental",
                          "--cache-dir", str(tmp_path / "cache"), "--hide-error-context", "--no-error-summary",
                          str(snippet), str(STUBS)],
                         cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode in (0, 1), run.stdout + run.stderr  # 2: mypy itself failed
    return [line for line in run.stdout.splitlines() if ": error: " in line]


def test_correct_calls_type_check(tmp_path: Path):
    assert mypy(tmp_path, CORRECT) == []


def test_wrong_calls_are_reported(tmp_path: Path):
    calls = "\n".join(f"    {call}" for call in WRONG)
    code = ("from uuid import uuid4\n\nfrom teams_obs.client import AsyncClient, Client\n\n\n"
            f"async def main(client: Client, aclient: AsyncClient) -> None:\n{calls}\n")
    errors = mypy(tmp_path, code)
    for line, (call, message) in enumerate(WRONG.items(), start=7):
        assert any(f"snippet.py:{line}: error: {message}" in error for error in errors), (call, errors)


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
