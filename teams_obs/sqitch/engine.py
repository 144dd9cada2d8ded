"""deploy, revert, verify, status and log with sqitch 1.3's semantics (App::Sqitch::Engine).

Scripts run on their own autocommit connection, statement by statement as psql runs them for sqitch
(``scripts.ScriptSession``), so each script's BEGIN/COMMIT is its own; registry rows are written on a
second connection inside a transaction that holds ``LOCK TABLE changes IN EXCLUSIVE MODE``, and the
whole run holds sqitch's advisory lock, so sqitch and teams-obs serialise against each other.
"""

from __future__ import annotations

import getpass
import os
import pwd
import socket
import urllib.parse
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from teams_obs.connect import connect
from teams_obs.project_files import project_dir
from teams_obs.sqitch.config import PG_SCHEMES, SqitchConfig
from teams_obs.sqitch.plan import Change, Plan, load_plan
from teams_obs.sqitch.registry import ADVISORY_LOCK, DeployedChange, EngineError, Identity, Notice, Registry
from teams_obs.sqitch.scripts import ScriptSession

Echo = Callable[[str], None]
DEPLOY_MODES = ("all", "tag", "change")
# sqitch's default wait, in seconds, for the advisory lock another sqitch or teams-obs run holds.
DEFAULT_LOCK_TIMEOUT_S = 60


def project_root() -> Path:
    """Where sqitch.plan lives: TEAMS_OBS_TOP_DIR, else the checkout or installed copy (``project_dir``)."""
    if env := os.environ.get("TEAMS_OBS_TOP_DIR"):
        return Path(env)
    return project_dir()


def user_identity(config: SqitchConfig) -> Identity:
    """Like sqitch: SQITCH_FULLNAME/SQITCH_EMAIL, then user.name/user.email in sqitch.conf, then
    SQITCH_ORIG_FULLNAME/SQITCH_ORIG_EMAIL, then the OS user (SQITCH_ORIG_SYSUSER, else the login): its
    account's full name, the whole GECOS field as sqitch takes it, and user@host."""
    user = os.environ.get("SQITCH_ORIG_SYSUSER") or getpass.getuser()
    name = (os.environ.get("SQITCH_FULLNAME") or config.get("user.name") or os.environ.get("SQITCH_ORIG_FULLNAME")
            or _full_name(user))
    email = (os.environ.get("SQITCH_EMAIL") or config.get("user.email") or os.environ.get("SQITCH_ORIG_EMAIL")
             or f"{user}@{socket.gethostname()}")
    return Identity(name, email)


def _full_name(user: str) -> str:
    try:
        return pwd.getpwnam(user).pw_gecos or user
    except KeyError:  # no such account (a SQITCH_ORIG_SYSUSER from elsewhere)
        return user


def sqitch_destination(url: str) -> str:
    """How sqitch names the database in its messages: the target URI (``db:pg:...``) without a password
    (sqitch keeps its ``:``), nor one given as a query parameter."""
    scheme = next((scheme for scheme in ("postgresql://", "postgres://") if url.startswith(scheme)), None)
    if scheme is None:  # a conninfo string
        try:
            given = psycopg.conninfo.conninfo_to_dict(url)
        except psycopg.ProgrammingError as exc:  # not repeated: it may hold a password
            raise EngineError("the database URL is neither a URL nor a conninfo string libpq reads") from exc
        user = f"{given['user']}@" if "user" in given else ""
        port = f":{given['port']}" if "port" in given else ""
        return f"db:pg://{user}{given.get('host', '')}{port}/{given.get('dbname', '')}"
    # Split as libpq splits: the user and password end at the first '@' before any '/' (a password may hold
    # '?', '#' or '[', at which a general URL parser would end them), the query starts at the first '?'.
    rest = url[len(scheme):]
    userinfo, at, rest = rest.partition("@") if "@" in rest.split("/", 1)[0] else ("", "", rest)
    user, colon, _password = userinfo.partition(":")
    place, _, query = rest.partition("?")
    kept = [pair for pair in query.split("&")
            if urllib.parse.unquote(pair.partition("=")[0]) not in ("password", "sslpassword")]
    return f"db:pg://{user}{colon}{at}{place}" + (f"?{'&'.join(kept)}" if any(kept) else "")


def names_target(database: str) -> bool:
    """Whether ``--db`` names a target of sqitch.conf: text without ``:``, which sqitch reads as a URI, and
    without ``=``, which libpq reads as a conninfo string."""
    return not {":", "="} & set(database)


def libpq_url(target: str) -> str:
    """A sqitch target URI (``db:pg://user@host/app``, ``db:postgres:app``) as the libpq URL it names, with
    SQITCH_USERNAME and SQITCH_PASSWORD, when set, in place of its user and password, as sqitch connects;
    anything else (a URL, a conninfo string: no sqitch target) as given."""
    if not target.startswith("db:"):
        return target
    scheme, _, rest = target.removeprefix("db:").partition(":")
    if scheme not in PG_SCHEMES:
        raise EngineError(f"db:{scheme}: is not a PostgreSQL target; teams-obs deploys to PostgreSQL only")
    url = f"postgresql:{rest}" if rest.startswith("//") else f"postgresql:///{rest}"
    given = {key: value for key, variable in (("user", "SQITCH_USERNAME"), ("password", "SQITCH_PASSWORD"))
             if (value := os.environ.get(variable))}
    return psycopg.conninfo.make_conninfo(url, **given) if given else url


def _listed(lead: str, names: list[str]) -> str:
    """sqitch's "<lead>: a" or "<lead>s: a b" (lead ends in the singular noun)."""
    return f"{lead}{'s' if len(names) > 1 else ''}: {' '.join(names)}"


@dataclass(frozen=True)
class VerifyReport:
    checked: int
    errors: list[str]
    pending: list[Change]


class Engine:
    def __init__(self, url: str, top_dir: Path | None = None, *, echo: Echo = print,
                 lock_timeout_s: int = DEFAULT_LOCK_TIMEOUT_S, config: SqitchConfig | None = None,
                 target: str | None = None):
        """``config``: the project's sqitch.conf as the caller already read it (default: read it here).
        ``target``: the name of the sqitch.conf target that ``url`` came from, which messages name as sqitch's
        do (default: the URL, without its password)."""
        self.top_dir = top_dir or project_root()
        self.config = config or SqitchConfig(self.top_dir)
        self.config.refuse_unsupported()  # before the plan: a plan_file set elsewhere is refused, not missed
        self.plan: Plan = load_plan(self.top_dir / "sqitch.plan")
        self.url = url
        self.echo = echo
        self.identity = user_identity(self.config)
        self.lock_timeout_s = lock_timeout_s
        self.destination = target or sqitch_destination(url)
        self._name_width = 0  # sqitch's max_name_length: the dots after each change line up

    # -- connections and locking ------------------------------------------------------------------
    @contextmanager
    def _session(self, *, lock: bool):
        conn = connect(self.url, autocommit=False)
        scripts = ScriptSession(self.url, self.top_dir, self.echo) if lock else None
        try:
            conn.execute("SET client_min_messages = warning")
            if lock:
                self._lock(conn)
            conn.commit()
            yield Registry(conn, self.plan), scripts
        finally:
            conn.close()
            if scripts is not None:
                scripts.close()

    def _lock(self, conn: psycopg.Connection) -> None:
        if conn.execute("SELECT pg_try_advisory_lock(%s)", (ADVISORY_LOCK,)).fetchone()[0]:
            return
        self.echo(f"Blocked by another instance of sqitch or teams-obs working on {self.destination}; "
                  f"waiting {self.lock_timeout_s} seconds...")
        conn.execute("SELECT pg_catalog.set_config('lock_timeout', %s, false)", [f"{int(self.lock_timeout_s)}s"])
        try:
            conn.execute("SELECT pg_advisory_lock(%s)", (ADVISORY_LOCK,))
        except psycopg.errors.LockNotAvailable as exc:
            raise EngineError(
                f"Timed out waiting {self.lock_timeout_s} seconds for another instance to finish work on "
                f"{self.destination}"
            ) from exc
        conn.execute("RESET lock_timeout")

    def _position(self, reg: Registry) -> int:
        """Plan index of the latest deployed change; -1 when nothing is deployed."""
        deployed = reg.deployed() if reg.initialized() else []
        if not deployed:
            return -1
        latest = deployed[-1]
        index = self.plan.index_of(latest.change_id)
        if index is None:
            raise EngineError(
                f"Cannot find change {latest.change_id} ({latest.format_name_with_tags}) in {self.plan.path}")
        return index

    def _align_names(self, names: list[str]) -> None:
        self._name_width = max(map(len, names), default=0)

    def _report(self, sign: str, name: str, outcome: str) -> None:
        """One change's line as sqitch writes it: "  + name ..... ok", the dots padded to the longest name."""
        self.echo(f"  {sign} {name} ..{'.' * (self._name_width - len(name))} {outcome}")

    def _check_registry(self, reg: Registry) -> None:
        """What sqitch checks before revert and verify: a registry exists, at the release it writes."""
        if not reg.initialized():
            raise EngineError(f"No registry found in {self.destination}. Have you ever deployed?")
        reg.check_release()

    def _index(self, spec: str) -> int:
        """Where deploy's ``--to`` points: read in the plan, so ``@HEAD`` is the plan's last change."""
        index = self.plan.index_of(spec)
        if index is None:
            raise EngineError(f'Unknown change: "{spec}"')
        return index

    # -- deploy ----------------------------------------------------------------------------------
    def deploy(self, to: str | None = None, *, verify: bool = False, mode: str = "all") -> list[Change]:
        if mode not in DEPLOY_MODES:
            raise EngineError(f'Unknown deployment mode: "{mode}"')
        if not self.plan.changes:
            raise EngineError("Nothing to deploy (empty plan)")
        with self._session(lock=True) as (reg, scripts):
            position = self._position(reg)
            if position >= 0:  # as sqitch, tags planned after the latest deployed change are logged first
                self._log_new_tags(reg, self.plan.changes[position])
            to_index = len(self.plan.changes) - 1 if to is None else self._index(to)
            if to_index == position:
                self.echo(f'Nothing to deploy (already at "{to}")' if to else "Nothing to deploy (up-to-date)")
                return []
            if to_index < position:
                raise EngineError('Cannot deploy to an earlier change; use "revert" instead')
            # Where sqitch would upgrade a registry of another release, this engine refuses it.
            if position >= 0 or reg.initialized():
                reg.check_release()
            else:
                self.echo(f"Adding registry tables to {self.destination}")
                reg.initialize(self.identity)
            if position == -1:
                reg.register_project(self.identity)
            pending = self.plan.changes[position + 1 : to_index + 1]
            self._align_names([c.format_name_with_tags for c in pending])
            through = f" through {pending[-1].format_name_with_tags}" if to else ""
            self.echo(f"Deploying changes{through} to {self.destination}")
            resolved = self._check_deploy_dependencies(reg, pending)
            done: list[Change] = []
            try:
                for change in pending:
                    self._deploy_change(reg, scripts, change, resolved, verify)
                    done.append(change)
            except EngineError:
                start = self.plan.changes[position] if position >= 0 else None
                self._rollback(reg, scripts, start, done, mode)
                raise
            return done

    def _log_new_tags(self, reg: Registry, change: Change) -> None:
        reg.lock_changes()
        reg.log_tags(change, self.identity)
        reg.conn.commit()

    def _check_deploy_dependencies(self, reg: Registry, pending: list[Change]) -> dict:
        seen: dict[str, Change] = {}
        resolved: dict = {}
        conflicts, missing = [], []
        deployed_ids = {d.change_id for d in reg.deployed()}
        for change in pending:
            for dep in change.conflicts:
                target = self.plan.find(dep.key_name) if not dep.is_external(self.plan.project) else None
                if target is None and not dep.is_external(self.plan.project) and not dep.id:
                    raise EngineError(f'Unable to find change "{dep.key_name}" in plan {self.plan.path}')
                if (target and target.id in seen) or reg.change_id_for_depend(dep, target):
                    conflicts.append(dep.as_string(self.plan.project))
            for dep in change.requires:
                target = self.plan.find(dep.key_name) if not dep.is_external(self.plan.project) else None
                dep_id = target.id if target and target.id in seen else reg.change_id_for_depend(dep, target)
                if dep_id is None:
                    missing.append(dep.as_string(self.plan.project))
                resolved[dep] = dep_id
            seen[change.id] = change
        messages = []
        if conflicts:
            messages.append(_listed("Conflicts with previously deployed change", list(dict.fromkeys(conflicts))))
        if missing:
            messages.append(_listed("Missing required change", list(dict.fromkeys(missing))))
        if messages:
            raise EngineError("\n".join(messages))
        already = [f"{c.format_name_with_tags} ({c.id})" for c in pending if c.id in deployed_ids]
        if len(already) == 1:
            raise EngineError(f'Change "{already[0]}" has already been deployed')
        if already:
            raise EngineError(f"Changes have already been deployed: {', '.join(already)}")
        return resolved

    def _deploy_change(self, reg: Registry, scripts: ScriptSession, change: Change, resolved: dict,
                       verify: bool) -> None:
        conn = reg.conn
        reg.lock_changes()
        try:
            scripts.run(self.plan.script(change, "deploy"))
        except EngineError as exc:
            conn.rollback()
            self._log_fail(reg, change, exc)
            raise
        try:
            if verify:
                self._verify_change(scripts, change)
            reg.log_deploy(change, self.identity, resolved)
            conn.commit()
        except (EngineError, psycopg.Error) as exc:
            conn.rollback()
            self.echo(f"  {exc}")
            try:
                scripts.run(self.plan.script(change, "revert"))
            except EngineError as revert_exc:
                self.echo(f"  {revert_exc}")
            self._log_fail(reg, change, exc)
            raise EngineError("Deploy failed") from exc
        self._report("+", change.format_name_with_tags, "ok")

    def _log_fail(self, reg: Registry, change: Change, exc: Exception) -> None:
        self._report("+", change.format_name_with_tags, f"not ok: {exc}")
        reg.log_event("fail", change, self.identity)
        reg.conn.commit()

    def _rollback(self, reg: Registry, scripts: ScriptSession, start: Change | None, done: list[Change],
                  mode: str) -> None:
        """Reverts this run's changes after ``start``, the change deployed before the run (None: none was),
        or with mode tag after the run's last tagged change; named in the message as sqitch names them."""
        back_to = start and start.name + (start.tags[-1].format_name if start.tags else "")
        if mode == "tag":
            tagged = [i for i, c in enumerate(done) if c.tags]
            if tagged:
                back_to, done = done[tagged[-1]].format_name_with_tags, done[tagged[-1] + 1 :]
        if mode == "change" or not done:
            return
        self.echo(f"Reverting to {back_to}" if back_to else "Reverting all changes")
        for change in reversed(done):
            self._revert_change(reg, scripts, change, change.format_name_with_tags)

    # -- revert ----------------------------------------------------------------------------------
    def revert(self, to: str | None = None, *, confirm: Callable[[str], bool] | None = None) -> list[Change]:
        with self._session(lock=True) as (reg, scripts):
            self._check_registry(reg)
            self._position(reg)  # refuses, like sqitch, when the latest deployed change left the plan
            deployed = reg.deployed()
            if to is not None:
                change_id = reg.change_id_for_key(to)  # read in the registry: @HEAD is the latest deployed
                target = None if change_id is None else reg.deployed_change(change_id)
                if target is None:
                    raise EngineError(f'Change not deployed: "{to}"' if self.plan.find(to)
                                      else f'Unknown change: "{to}"')
                deployed = [d for d in deployed if d.committed_at > target.committed_at]
                if not deployed:
                    self.echo(f'No changes deployed since: "{to}"')
                    return []
                whither = f"changes to {target.format_name_with_tags}"
            elif not deployed:
                self.echo("Nothing to revert (nothing deployed)")
                return []
            else:
                whither = "all changes"
            # As sqitch, nothing held while the operator answers (no snapshot, no lock on sqitch.*, no
            # idle_in_transaction_session_timeout to meet); what was read stays true, as every run that
            # writes the registry first waits for the advisory lock, a session's, which this run keeps.
            reg.conn.commit()
            if confirm is None:
                self.echo(f"Reverting {whither} from {self.destination}")
            elif not confirm(f"Revert {whither} from {self.destination}?"):
                raise Notice("Nothing reverted")
            rows = deployed[::-1]
            changes = [self._planned(row.change_id, row.change) for row in rows]
            # Named as the registry lists them, as sqitch names what it reverts.
            self._align_names([row.format_name_with_tags for row in rows])
            self._check_revert_dependencies(reg, rows)
            for change, row in zip(changes, rows, strict=True):
                self._revert_change(reg, scripts, change, row.format_name_with_tags)
            return changes

    def _planned(self, change_id: str, name: str) -> Change:
        index = self.plan.index_of(change_id)
        if index is None:
            raise EngineError(f"Cannot find change {change_id} ({name}) in {self.plan.path}")
        return self.plan.changes[index]

    def _check_revert_dependencies(self, reg: Registry, rows: list[DeployedChange]) -> None:
        reverting = {row.change_id for row in rows}
        problems = []
        for row in rows:
            requiring = [("" if project == self.plan.project else f"{project}:") + name + (tag or "")
                         for cid, project, name, tag in reg.dependents(row.change_id) if cid not in reverting]
            if requiring:
                problems.append(_listed(f'Change "{row.format_name_with_tags}" required by currently deployed '
                                        "change", requiring))
        if problems:
            raise EngineError("\n".join(problems))

    def _revert_change(self, reg: Registry, scripts: ScriptSession, change: Change, name: str) -> None:
        reg.lock_changes()
        try:
            scripts.run(self.plan.script(change, "revert"))
            reg.log_revert(change, self.identity)
            reg.conn.commit()
        except (EngineError, psycopg.Error) as exc:
            reg.conn.rollback()
            self._report("-", name, f"not ok: {exc}")
            raise EngineError("Revert failed") from exc
        self._report("-", name, "ok")

    # -- verify, status, log ---------------------------------------------------------------------
    def _verify_change(self, scripts: ScriptSession, change: Change) -> None:
        """Runs the change's verify script; a missing one is only reported, as sqitch's verify_change does."""
        script = self.plan.script(change, "verify")
        if script.is_file():
            scripts.run(script)
        else:
            self.echo(f"Verify script {script.relative_to(self.top_dir)} does not exist")

    def verify(self, from_change: str | None = None, to_change: str | None = None) -> VerifyReport:
        """Verify scripts of the deployed changes from ``from_change`` through ``to_change`` (read in the
        registry, as revert reads ``--to``); gaps and disorder are errors; without ``to_change`` the plan's
        changes after the latest deployed one are pending."""
        with self._session(lock=False) as (reg, _):
            self._check_registry(reg)
            self.echo(f"Verifying {self.destination}")
            deployed = reg.deployed()
            if not deployed:
                return VerifyReport(0, [], [])
            if not self.plan.changes:
                raise EngineError("There are deployed changes, but none planned!")
            deployed, from_index, to_index = self._verified_range(reg, deployed, from_change, to_change)
            names = [row.format_name_with_tags for row in deployed]
            self._align_names(names + [c.format_name_with_tags for c in self.plan.changes[from_index : to_index + 1]])
            errors: list[str] = []
            seen: set[int] = set()
            with ScriptSession(self.url, self.top_dir, self.echo) as scripts:
                for position, (row, name) in enumerate(zip(deployed, names, strict=True), from_index):
                    index = self.plan.index_of(row.change_id)
                    problems = []
                    if index is None:
                        problems.append("Not present in the plan")
                    else:
                        seen.add(index)
                        change = self.plan.changes[index]
                        if index != position:
                            problems.append("Out of order")
                        if not change.rework_tags:
                            try:
                                self._verify_change(scripts, change)
                            except EngineError as exc:
                                problems.append(str(exc))
                    self._report("*", name, "not ok" if problems else "ok")
                    errors += [f"{name}: {problem}" for problem in problems]
            for index in range(from_index, to_index + 1):
                if index not in seen:
                    name = self.plan.changes[index].format_name_with_tags
                    self._report("*", name, "not ok")
                    errors.append(f"{name}: Not deployed")
            pending = self.plan.changes[to_index + 1 :] if to_change is None else []
            return VerifyReport(max(to_index + 1 - from_index, len(deployed)), errors, pending)

    def _verified_range(self, reg: Registry, deployed: list[DeployedChange], from_change: str | None,
                        to_change: str | None) -> tuple[list[DeployedChange], int, int]:
        """The deployed changes to verify, and the first and last plan index they should cover: from the
        first change, through the latest deployed (sqitch's _from_idx and _to_idx)."""
        from_index = 0
        if from_change is not None:
            from_index, first = self._verify_bound(reg, from_change)
            deployed = deployed[[row.change_id for row in deployed].index(first) :]
        if to_change is None:
            latest = self.plan.index_of(deployed[-1].change_id)
            return deployed, from_index, len(self.plan.changes) - 1 if latest is None else latest
        to_index, last = self._verify_bound(reg, to_change)
        ids = [row.change_id for row in deployed]
        if last not in ids:  # where sqitch dies without a message of its own
            raise EngineError(f'Change "{to_change}" was deployed before "{from_change}"')
        return deployed[: ids.index(last) + 1], from_index, to_index

    def _verify_bound(self, reg: Registry, spec: str) -> tuple[int, str]:
        """Plan index and id of the deployed change ``--from`` or ``--to`` names (sqitch's _trim_to)."""
        change_id = reg.change_id_for_key(spec)
        if change_id is None:
            raise EngineError(f'Change "{spec}" has not been deployed' if self.plan.find(spec)
                              else f'Cannot find "{spec}" in the database or the plan')
        index = self.plan.index_of(change_id)
        if index is None:
            raise EngineError(f'Change "{spec}" is deployed, but not planned')
        return index, change_id

    def check(self) -> tuple[int, str | None]:
        """sqitch's check: how many changes are deployed, and the first of them whose deploy script differs (by
        SHA-1) from that of the plan's change at its place, edited since it was deployed; sqitch reports only
        the first divergence."""
        with self._session(lock=False) as (reg, _):
            self._check_registry(reg)
            self.echo(f"Checking {self.destination}")
            deployed = reg.deployed()
        planned = [self.plan.script_hash(change) for change in self.plan.changes]
        divergent = next((row.format_name_with_tags for position, row in enumerate(deployed)
                          if position >= len(planned) or row.script_hash != planned[position]), None)
        return len(deployed), divergent

    def status(self) -> tuple[list, list[Change]]:
        """(the deployed changes in deploy order, the plan changes after the latest of them)."""
        with self._session(lock=False) as (reg, _):
            if not reg.initialized():
                return [], list(self.plan.changes)
            position = self._position(reg)
            return reg.deployed(), self.plan.changes[position + 1 :]

    def log(self) -> list[tuple]:
        """The events, newest first; like sqitch, a Notice when there is no registry or no event."""
        with self._session(lock=False) as (reg, _):
            if not reg.initialized():
                raise Notice(f"Database {self.destination} has not been initialized for Sqitch")
            events = reg.events()
        if not events:
            raise Notice(f"No events logged for {self.destination}")
        return events
