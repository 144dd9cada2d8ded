"""The database a command works on: ``--db``/``TEAMS_OBS_DATABASE_URL``, or an embedded throwaway cluster."""

from __future__ import annotations

import contextlib
import functools
import re
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click
import psycopg
from rich.console import Console

from teams_obs.connect import connect
from teams_obs.sqitch import project_root
from teams_obs.sqitch.config import SqitchConfig
from teams_obs.sqitch.engine import libpq_url, names_target

if TYPE_CHECKING:
    from teams_obs.embedded import EmbeddedPostgres

# C0 controls but tab and newline, DEL and C1: in text from the database (stored data, notices, errors)
# they would reach the terminal as escape sequences (clearing it, retitling it, writing the clipboard).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with each control character shown as its escape (``\\x1b``), never acted on."""
    return _CONTROL.sub(lambda m: f"\\x{ord(m[0]):02x}", text)


class NoDatabase(ValueError):
    """The command cannot have the database it needs: the one named is no URL or conninfo string libpq reads,
    or none is named where a throwaway cluster would only pretend (an empty health check, a purge of
    nothing reported as done)."""


class Session:
    def __init__(self, database: str | None, *, throwaway: bool = False):
        """``database`` as --db takes it: a URL, a conninfo string, a sqitch target URI or the name of a target
        in sqitch.conf, read when a command first asks for it (commands that need no database never do).
        ``throwaway``: the command always works on an embedded cluster (demo), whatever is named."""
        self._database = database
        self._url: str | None = None
        # named in the migration commands' messages as sqitch names it
        self.target = database if database is not None and names_target(database) else None
        self.throwaway = throwaway
        self._embedded: EmbeddedPostgres | None = None
        self.console = Console(highlight=False)
        if not self.console.is_terminal:  # piped or logged: wide enough for the list tables
            self.console.width = 240
        self.deployed = False

    def echo(self, line: str) -> None:
        """A line of the runner's output. It quotes scripts, notices and server errors, so never rich markup:
        a bracketed path in one would close no tag, and rich would raise."""
        self.console.print(printable(line), markup=False, soft_wrap=True)

    @property
    def embedded(self) -> bool:
        return self._database is None

    def url(self, *, deployed: bool = True, named: bool = False) -> str:
        """The target URL; with none named, start a throwaway cluster (stopped when the command exits).

        ``deployed`` asks for the plan to be deployed into a fresh embedded cluster first, so that data
        commands work out of the box; migration commands ask for the bare cluster. ``named``: the command
        checks or changes data that lives elsewhere (health, maintenance, a purge), so it refuses the
        throwaway cluster, except in the demo.
        """
        if named and self._database is None and not self.throwaway:
            raise NoDatabase("name the database with --db or TEAMS_OBS_DATABASE_URL: on a throwaway cluster "
                             "this command would report on, or change, nothing")
        if self._database is not None:
            if self._url is None:
                url = libpq_url(SqitchConfig(project_root()).target_uri(self.target) if self.target
                                else self._database)
                try:
                    psycopg.conninfo.conninfo_to_dict(url)
                except psycopg.ProgrammingError as exc:  # libpq quotes what it could not read: the password too
                    # (what it quotes later are other options' values, never the password's)
                    raise NoDatabase("--db / TEAMS_OBS_DATABASE_URL: neither a URL nor a conninfo string libpq "
                                     "reads") from exc
                self._url = url
            return self._url
        if self._embedded is None:
            try:  # imported here: a command given --db works without the [embedded] extra
                from teams_obs.embedded import EmbeddedPostgres
            except ModuleNotFoundError as exc:
                lead = "" if self.throwaway else "no --db or TEAMS_OBS_DATABASE_URL given, and "
                raise NoDatabase(f"{lead}{exc}") from exc
            # On standard error: standard output may be a --json document.
            click.echo("No --db or TEAMS_OBS_DATABASE_URL given: starting an embedded throwaway PostgreSQL",
                       err=True)
            self._embedded = EmbeddedPostgres()
            click.get_current_context().find_root().call_on_close(self._embedded.stop)
        url = self._embedded.url()
        if deployed and not self.deployed:
            from teams_obs.deploy import deploy_and_maintain

            deploy_and_maintain(url, echo=lambda _line: None)
            self.deployed = True
        return url

    @contextmanager
    def connect(self, *, deployed: bool = True, named: bool = False) -> Iterator[psycopg.Connection]:
        with connect(self.url(deployed=deployed, named=named), autocommit=True) as conn:
            yield conn


def exit_when_signalled(ctx: click.Context) -> None:
    """SIGINT, SIGTERM or SIGHUP (Ctrl-C, a `timeout`, the end of a CronJob, a closed terminal) end the
    command as SystemExit(128 + signal): psycopg then cancels the running statement, which the server
    would otherwise finish (a month's move, a purge) after the client is gone, and the clean-up that stops
    an embedded cluster runs. The handlers found are restored when the command ends."""
    if threading.current_thread() is not threading.main_thread():  # signal.signal() works there alone
        return

    def exit_(signum: int, _frame: object) -> None:
        with contextlib.suppress(OSError):  # a hung-up terminal or a closed pipe: the exit matters more
            click.echo(f"teams-obs: stopped by {signal.Signals(signum).name}", err=True)
        raise SystemExit(128 + signum)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        ctx.call_on_close(functools.partial(signal.signal, signum, signal.signal(signum, exit_)))


pass_session = click.make_pass_decorator(Session)
