"""A sqitch script run as ``psql -f`` runs it for sqitch: in a fresh session, statement by statement."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path

import pglast
import psycopg

from teams_obs.sqitch.registry import EngineError

# How a CREATE FUNCTION or PROCEDURE whose body psql keeps whole, BEGIN ATOMIC to END, begins.
_ROUTINE_STARTS = (["create", "function"], ["create", "procedure"])
_REPLACING_STARTS = (["create", "or", "replace", "function"], ["create", "or", "replace", "procedure"])


def _statements(script: str) -> list[slice]:
    """Where the statements psql sends one by one lie in ``script``, split as psql splits (psqlscan.l): at a
    ``;`` outside parentheses and outside a routine's BEGIN ... END body, and at the end of the script.
    PostgreSQL's scanner (pglast) reads the quotes, dollar quotes and comments; its own splitter would drop
    a statement that does not begin with a keyword, which psql sends for the server to refuse."""
    statements: list[slice] = []
    first: int | None = None  # where the statement being read begins
    last = parens = depth = 0
    words: list[str] = []
    for token in pglast.parser.scan(script):
        text = script[token.start : token.end + 1]
        if token.name in ("SQL_COMMENT", "C_COMMENT"):
            continue
        if text == ";" and parens == depth == 0:
            if first is not None:  # with its ';', whose line psql names in messages
                statements.append(slice(first, token.end + 1))
            first, words = None, []
            continue
        if first is None:
            first = token.start
        last = token.end + 1
        if text == "(":
            parens += 1
        elif text == ")":
            parens = max(parens - 1, 0)
        elif token.kind != "NO_KEYWORD" or (token.name == "IDENT" and not text.startswith('"')):
            words.append(text.lower())
            if parens == 0 and (words[:2] in _ROUTINE_STARTS or words[:4] in _REPLACING_STARTS):
                if words[-1] == "begin" or (words[-1] == "case" and depth):
                    depth += 1
                elif words[-1] == "end" and depth:
                    depth -= 1
    if first is not None:
        statements.append(slice(first, last))
    return statements


class ScriptSession:
    """An autocommit connection that runs a run's scripts, each as psql would in a session of its own, and
    echoes what the server says to them (RAISE NOTICE, WARNING, INFO) as psql shows it to sqitch."""

    def __init__(self, url: str, top_dir: Path, echo: Callable[[str], None]):
        self.top_dir = top_dir
        self.echo = echo
        self._statement = ""  # script:line of the statement running, as psql names it in messages
        self.url = url
        # Opened by the first script, as sqitch starts psql: not idle through the wait for the advisory lock
        # or revert's prompt, which idle_session_timeout would end it in.
        self.conn: psycopg.Connection | None = None

    def _connect(self) -> psycopg.Connection:
        conn = psycopg.connect(self.url, autocommit=True)
        conn.prepare_threshold = None  # the DISCARD ALL before each script drops prepared statements
        conn.add_notice_handler(self._echo_notice)
        return conn

    def __enter__(self) -> ScriptSession:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()

    def _echo_notice(self, diag: psycopg.errors.Diagnostic) -> None:
        self.echo(f"{self._statement}: {diag.severity}: {diag.message_primary}")

    def _reset(self) -> None:
        """A session as fresh as psql's for the next script: what an earlier script SET, created or locked for
        its session is discarded. psql's session is the script's own, so one lost with an earlier script (its
        backend terminated, a failover, a COPY left unfed) or between two takes none of the scripts after it
        (a failed run's reverts) along: it is opened anew, with nothing to discard."""
        if self.conn is not None and not self.conn.closed:
            try:
                self.conn.execute("DISCARD ALL")
                return
            except psycopg.OperationalError:  # lost while idle: found out only now
                self.conn.close()
        self.conn = self._connect()

    def run(self, path: Path) -> None:
        """Runs the script, each statement committed on its own unless the script opened a transaction
        block, stopping at the first error."""
        if not path.is_file():
            raise EngineError(f"Script {path} does not exist")
        name = path.relative_to(self.top_dir)
        try:
            # psql skips a byte order mark at the start of a file
            text = path.read_bytes().decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as exc:
            raise EngineError(f"{name}: not UTF-8 (byte {exc.start})") from exc
        try:
            statements = _statements(text)
        except pglast.parser.ParseError as exc:
            raise EngineError(f"{name}: {exc}") from exc
        self._reset()
        # Killed mid-script, the command leaves the script's open transaction block uncommitted (the server
        # rolls it back on disconnect), so never done without its registry row; statements outside a block
        # were each committed, as psql's are. The check has the server drop the dead run's statement, and the
        # locks it holds, at once rather than when the statement ends, which for one waiting on a lock may be
        # never. Servers on a platform that cannot tell (Windows) refuse the setting, and go without.
        with contextlib.suppress(psycopg.errors.InvalidParameterValue):
            self.conn.execute("SET client_connection_check_interval = '1s'")
        try:
            for statement in statements:
                line = text.count("\n", 0, statement.stop - 1) + 1  # psql's line for a statement: its end
                self._statement = f"{name}:{line}"
                self.conn.execute(text[statement])
        except psycopg.Error as exc:
            if self.conn.pgconn.transaction_status == psycopg.pq.TransactionStatus.ACTIVE:
                # a COPY to or from the client, which psql feeds from the script and this runner cannot:
                # the connection would stay busy with it, so it is dropped
                self.conn.close()
            raise EngineError(f"{self._statement}: {str(exc).strip()}") from exc
        finally:  # as psql's session ends: a transaction block the script left open is rolled back
            if self.conn.info.transaction_status in (psycopg.pq.TransactionStatus.INTRANS,
                                                     psycopg.pq.TransactionStatus.INERROR):
                self.conn.execute("ROLLBACK")
