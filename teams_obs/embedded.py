"""A throwaway local PostgreSQL cluster (testing.postgresql), usable as root.

initdb and postgres refuse to run as root, so when we are root the server binaries are started
through small wrapper scripts that drop to the unprivileged ``postgres`` OS user with ``setpriv``
(which execs, so the signals testing.postgresql sends reach postgres itself).
"""

from __future__ import annotations

import os
import pwd
import re
import secrets
import shlex
import shutil
import stat
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

try:
    import testing.postgresql
except ModuleNotFoundError as exc:  # an extra (pyproject.toml): an application's install need not carry it
    raise ModuleNotFoundError("the embedded throwaway PostgreSQL needs the package's extra: pip install "
                              f"'teams_obs[embedded]' (no module {exc.name})", name=exc.name) from exc

SERVER_USER = "postgres"


def pg_bindir() -> Path:
    """The newest PostgreSQL server bin directory, or ``TEAMS_OBS_PG_BINDIR``."""
    if env := os.environ.get("TEAMS_OBS_PG_BINDIR"):
        return Path(env)
    candidates = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if (p / "postgres").exists()]
    if candidates:
        return max(candidates, key=lambda p: int(re.sub(r"\D", "", p.parent.name) or 0))
    found = shutil.which("postgres")
    if not found:
        raise RuntimeError("no PostgreSQL server found: install postgresql or set TEAMS_OBS_PG_BINDIR")
    return Path(found).parent


def _server_wrapper(directory: Path, binary: Path, environment: Mapping[str, str]) -> str:
    """A script that runs ``binary`` with ``environment`` added, as SERVER_USER when we are root. The
    variables are set after setpriv, so that they reach the server alone (a preloaded library would
    otherwise start in root's setpriv first)."""
    wrapper = directory / binary.name
    as_server_user = (f"setpriv --reuid={SERVER_USER} --regid={SERVER_USER} --init-groups -- "
                      if os.geteuid() == 0 else "")
    with_environment = "".join(f"{shlex.quote(f'{name}={value}')} " for name, value in environment.items())
    if with_environment:
        with_environment = "env " + with_environment
    wrapper.write_text(f'#!/bin/sh\ncd /\nexec {as_server_user}{with_environment}"{binary}" "$@"\n')
    wrapper.chmod(stat.S_IRWXU)
    return str(wrapper)


class _PasswordServer(testing.postgresql.Postgresql):
    """testing.postgresql, whose own connections (readiness, its ``test`` database) give the password."""

    def dsn(self, **kwargs):
        return {"password": self.settings["password"], **super().dsn(**kwargs)}


class EmbeddedPostgres:
    """One throwaway cluster; ``url`` points at its ``postgres`` database.

    Every connection, local TCP included, needs the superuser's password, a random one that only ``url``
    carries: with trust, any local user could connect as superuser while the cluster runs.
    """

    def __init__(self, *, fsync: bool = False, settings: dict[str, str] | None = None,
                 server_environment: Mapping[str, str] | None = None):
        """``settings`` are server parameters (``-c``); ``server_environment`` holds variables for the
        server's processes alone, such as a library to preload into them."""
        self.base_dir = Path(tempfile.mkdtemp(prefix="teams_obs_pg_"))
        self._password = secrets.token_urlsafe(24)  # URL-safe: the URL needs no escaping
        password_file = self.base_dir / "password"
        password_file.write_text(self._password + "\n")
        password_file.chmod(stat.S_IRUSR | stat.S_IWUSR)
        bindir = pg_bindir()
        initdb, postgres = str(bindir / "initdb"), str(bindir / "postgres")
        if os.geteuid() == 0:
            pw = pwd.getpwnam(SERVER_USER)
            for sub in ("data", "tmp"):
                (self.base_dir / sub).mkdir(mode=0o700)
                os.chown(self.base_dir / sub, pw.pw_uid, pw.pw_gid)
            os.chown(password_file, pw.pw_uid, pw.pw_gid)
            self.base_dir.chmod(0o755)
        if os.geteuid() == 0 or server_environment:
            wrappers = self.base_dir / "bin"
            wrappers.mkdir()
            initdb = _server_wrapper(wrappers, bindir / "initdb", {})
            postgres = _server_wrapper(wrappers, bindir / "postgres", server_environment or {})
        options = {"logging_collector": "off", "max_connections": "200", **(settings or {})}
        args = "-h 127.0.0.1 " + " ".join(f"-c {k}={v}" for k, v in options.items())
        if not fsync:
            args += " -F"
        try:
            self._server = _PasswordServer(
                base_dir=str(self.base_dir),
                initdb=initdb,
                initdb_args=f"-U postgres -A scram-sha-256 --pwfile={password_file} -E UTF8 --locale=C.UTF-8",
                postgres=postgres,
                postgres_args=args,
                password=self._password,
            )
        except BaseException:  # a signal's SystemExit during start-up too: no cluster directory left behind
            shutil.rmtree(self.base_dir, ignore_errors=True)
            raise
        finally:
            password_file.unlink(missing_ok=True)
        self.port: int = self._server.settings["port"]

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://postgres:{self._password}@127.0.0.1:{self.port}/{dbname}"

    def stop(self) -> None:
        try:
            self._server.stop()
        finally:
            shutil.rmtree(self.base_dir, ignore_errors=True)


@contextmanager
def embedded_postgres(**kwargs) -> Iterator[EmbeddedPostgres]:
    server = EmbeddedPostgres(**kwargs)
    try:
        yield server
    finally:
        server.stop()
