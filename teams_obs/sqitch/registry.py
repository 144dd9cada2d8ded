"""Reading and writing sqitch's registry (schema ``sqitch``) row for row as sqitch 1.3 does.

Every ``committed_at`` is ``clock_timestamp()``: sqitch orders changes by it, and ``now()`` would give
the changes of one transaction equal timestamps (anchor-notes §1.6).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg import pq, sql

from teams_obs.sqitch.plan import CHANGE_ID_RE, Change, Depend, Plan, ambiguity, split_offset

REGISTRY_RELEASE = 1.1
# sqitch's default registry schema; its --registry option, which names another, is not offered.
SCHEMA = "sqitch"
ADVISORY_LOCK = 75474063


class EngineError(Exception):
    """A refusal with sqitch's meaning; the CLI prints it on one line and exits 2."""


class Notice(EngineError):
    """An outcome sqitch reports on standard output with exit status 1, as probably not what the user
    wanted: a declined confirmation, nothing deployed, no events logged."""


@dataclass(frozen=True)
class Identity:
    name: str
    email: str


@dataclass(frozen=True)
class DeployedChange:
    change_id: str
    change: str
    committed_at: object
    committer_name: str
    committer_email: str
    tags: list[str]
    script_hash: str | None  # SHA-1 of the deploy script it was deployed from

    @property
    def format_name_with_tags(self) -> str:
        return " ".join([self.change, *self.tags])


# The changes of one project, or one change, with their tags as sqitch lists them: by name.
_CHANGES_WITH_TAGS = """
    SELECT c.change_id, c.change, c.committed_at, c.committer_name, c.committer_email,
           coalesce(array_agg(t.tag ORDER BY t.tag) FILTER (WHERE t.tag IS NOT NULL), '{{}}'), c.script_hash
      FROM {r}.changes c LEFT JOIN {r}.tags t ON t.change_id = c.change_id
     WHERE c.{column} = %s
     GROUP BY c.change_id ORDER BY c.committed_at"""


class Registry:
    def __init__(self, conn: psycopg.Connection, plan: Plan):
        self.conn = conn
        self.plan = plan

    def _q(self, query: str) -> sql.Composed:
        return sql.SQL(query).format(r=sql.Identifier(SCHEMA))

    def execute(self, query: str, params=None) -> psycopg.Cursor:
        return self.conn.execute(self._q(query), params)

    def scalar(self, query: str, params=None):
        row = self.execute(query, params).fetchone()
        return None if row is None else row[0]

    # -- set-up ----------------------------------------------------------------------------------
    def _has_table(self, table: str) -> bool:
        return self.scalar("SELECT to_regclass(format('%%I.%%I', %s::text, %s::text)) IS NOT NULL",
                           (SCHEMA, table))

    def initialized(self) -> bool:
        return self._has_table("changes")

    def initialize(self, installer: Identity) -> None:
        script = resources.files("teams_obs").joinpath("sql/sqitch_registry.sql").read_text()
        script = script.replace(':"registry"', sql.Identifier(SCHEMA).as_string(self.conn))
        script = script.replace(":tableopts", "")
        self.conn.commit()
        autocommit = self.conn.autocommit
        self.conn.autocommit = True
        try:
            self.conn.execute(script.encode())
        finally:
            # A failed script leaves its own BEGIN's transaction aborted, and psycopg would refuse the switch
            # back to autocommit with an error that hides the script's (permission denied for database...).
            if self.conn.info.transaction_status == pq.TransactionStatus.INERROR:
                self.conn.execute("ROLLBACK")
            self.conn.autocommit = autocommit
        self.execute(
            "INSERT INTO {r}.releases (version, installer_name, installer_email) VALUES (%s, %s, %s)",
            (REGISTRY_RELEASE, installer.name, installer.email),
        )
        self.conn.commit()

    def check_release(self) -> None:
        """sqitch's _check_registry: the registry must be at the release this engine writes."""
        # A registry made by sqitch before 1.0 has no releases table: sqitch reads it as release 0.
        release = (self._has_table("releases") and self.scalar("SELECT max(version) FROM {r}.releases")) or 0
        if abs(release - REGISTRY_RELEASE) < 1e-6:
            return
        if release > REGISTRY_RELEASE:
            raise EngineError(f"Registry version is {release:g} but {REGISTRY_RELEASE:g} is the latest known. "
                              "Please upgrade Sqitch")
        raise EngineError(f"Registry is at version {release:g} but latest is {REGISTRY_RELEASE:g}. "
                          'Please run the "upgrade" command')

    def register_project(self, creator: Identity) -> None:
        """sqitch's register_project: a project keeps the URI it was registered with, and a URI names one
        project."""
        project, uri = self.plan.project, self.plan.uri
        row = self.execute("SELECT uri FROM {r}.projects WHERE project = %s", (project,)).fetchone()
        if row is not None:
            registered = row[0]
            if uri is not None and registered is None:
                raise EngineError(f'Cannot register "{project}" with URI {uri}: already exists with NULL URI')
            if uri is None and registered is not None:
                raise EngineError(f'Cannot register "{project}" without URI: already exists with URI {registered}')
            if uri != registered:
                raise EngineError(f'Cannot register "{project}" with URI {uri}: already exists with URI {registered}')
        else:
            user = uri and self.execute("SELECT project FROM {r}.projects WHERE uri = %s", (uri,)).fetchone()
            if user:
                raise EngineError(f'Cannot register "{project}" with URI {uri}: project "{user[0]}" already using '
                                  "that URI")
            self.execute(
                "INSERT INTO {r}.projects (project, uri, creator_name, creator_email) VALUES (%s, %s, %s, %s)",
                (project, uri, creator.name, creator.email),
            )
        self.conn.commit()

    # -- reading ---------------------------------------------------------------------------------
    def _changes_where(self, column: str, value: str) -> list[DeployedChange]:
        query = sql.SQL(_CHANGES_WITH_TAGS).format(r=sql.Identifier(SCHEMA), column=sql.Identifier(column))
        return [DeployedChange(*row) for row in self.conn.execute(query, (value,)).fetchall()]

    def deployed(self) -> list[DeployedChange]:
        return self._changes_where("project", self.plan.project)

    def deployed_change(self, change_id: str) -> DeployedChange | None:
        """A deployed change of any project (sqitch's load_change)."""
        return next(iter(self._changes_where("change_id", change_id)), None)

    def change_id_for(self, *, change_id: str | None = None, change: str | None = None, tag: str | None = None,
                      project: str | None = None, first: bool = False) -> str | None:
        """The deployed change these name, found as sqitch's change_id_for finds it: by id in any project;
        by name as of a tag (as of ``HEAD`` its latest instance, as of ``ROOT`` none); by name alone (its
        earliest instance with ``first``, else a reworked change is refused); by tag, where ``HEAD`` is the
        latest change deployed and ``ROOT`` the earliest."""
        if change_id:
            return self.scalar("SELECT change_id FROM {r}.changes WHERE change_id = %s", (change_id,))
        project = project or self.plan.project
        if change:
            if tag == "ROOT":
                return None
            if tag and tag != "HEAD":
                return self.scalar(
                    """SELECT c.change_id FROM {r}.changes c
                         JOIN {r}.tags t ON c.committed_at <= t.committed_at AND c.project = t.project
                        WHERE c.project = %s AND c.change = %s AND t.tag = %s
                        ORDER BY c.committed_at DESC LIMIT 1""",
                    (project, change, f"@{tag}"),
                )
            ids = [row[0] for row in self.execute(
                "SELECT change_id FROM {r}.changes WHERE project = %s AND change = %s ORDER BY committed_at",
                (project, change)).fetchall()]
            if tag == "HEAD":
                return ids[-1] if ids else None
            if len(ids) > 1 and not first:
                raise EngineError(ambiguity(change, [self._qualified_name(i) for i in reversed(ids)],
                                            "Change Lookup Failed"))
            return ids[0] if ids else None
        if tag in ("HEAD", "ROOT"):
            return self.scalar(
                f"SELECT change_id FROM {{r}}.changes WHERE project = %s "
                f"ORDER BY committed_at {'DESC' if tag == 'HEAD' else 'ASC'} LIMIT 1", (project,))
        if tag:
            return self.scalar("SELECT change_id FROM {r}.tags WHERE project = %s AND tag = %s", (project, f"@{tag}"))
        return None

    def _qualified_name(self, change_id: str) -> str:
        """``name@tag`` of a deployed change, from the plan, else from the registry: the first tag deployed
        with or after it, else ``@HEAD`` (sqitch's name_for_change_id)."""
        planned = self.plan.find(change_id)
        if planned is not None:
            return planned.tag_qualified_name
        return self.scalar(
            """SELECT c.change || coalesce((SELECT t.tag FROM {r}.changes c2 JOIN {r}.tags t USING (change_id)
                                             WHERE c2.committed_at >= c.committed_at AND c2.project = c.project
                                             ORDER BY c2.committed_at LIMIT 1), '@HEAD')
                 FROM {r}.changes c WHERE c.change_id = %s""",
            (change_id,),
        )

    def change_id_for_depend(self, dep: Depend, planned: Change | None) -> str | None:
        """The deployed change a dependency resolves to (sqitch's change_id_for_depend): one of this
        project's by the id of ``planned``, the change the plan names (a reworked one's first instance)."""
        return self.change_id_for(change_id=planned.id if planned else dep.id, change=dep.change, tag=dep.tag,
                                  project=dep.project, first=True)

    def change_id_for_key(self, key: str) -> str | None:
        """The deployed change a ``--to`` names, as sqitch's change_id_for_key reads it: in the registry, so
        ``@HEAD`` is the latest change deployed and ``@ROOT`` the first, and the offset counts deployed changes."""
        key, offset = split_offset(key)
        name, _, tag = key.partition("@")
        if tag:
            found = self.change_id_for(change=name, tag=tag)
        elif CHANGE_ID_RE.fullmatch(name):
            found = self.change_id_for(change_id=name)
        elif name in ("HEAD", "ROOT"):
            found = self.change_id_for(tag=name)
        else:
            found = self.change_id_for(change=name)
        if found is None or not offset:
            return found
        later = offset > 0
        return self.scalar(
            f"""SELECT change_id FROM {{r}}.changes
                 WHERE project = %s AND committed_at {'>' if later else '<'}
                       (SELECT committed_at FROM {{r}}.changes WHERE change_id = %s)
                 ORDER BY committed_at {'ASC' if later else 'DESC'} LIMIT 1 OFFSET %s""",
            (self.plan.project, found, abs(offset) - 1),
        )

    def dependents(self, change_id: str) -> list[tuple[str, str, str, str | None]]:
        """The deployed changes that require ``change_id``: id, project, name and, as sqitch names them, the
        first tag of their project deployed with or after them."""
        return self.execute(
            """SELECT c.change_id, c.project, c.change,
                      (SELECT t.tag FROM {r}.changes c2 JOIN {r}.tags t ON c2.change_id = t.change_id
                        WHERE c2.project = c.project AND c2.committed_at >= c.committed_at
                        ORDER BY c2.committed_at LIMIT 1)
                 FROM {r}.dependencies d
                 JOIN {r}.changes c ON c.change_id = d.change_id
                WHERE d.dependency_id = %s""",
            (change_id,),
        ).fetchall()

    def events(self) -> list[tuple]:
        return self.execute(
            """SELECT event, change_id, change, tags, committer_name, committer_email, committed_at,
                      planner_name, planner_email, planned_at, note
                 FROM {r}.events WHERE project = %s ORDER BY committed_at DESC""",
            (self.plan.project,),
        ).fetchall()

    # -- writing (inside the caller's locked transaction) ----------------------------------------
    def lock_changes(self) -> None:
        self.execute("LOCK TABLE {r}.changes IN EXCLUSIVE MODE")

    def _deps(self, deps: list[Depend]) -> list[str]:
        return [d.as_string(self.plan.project) for d in deps]

    def log_event(self, event: str, change: Change, committer: Identity, *, requires=None, conflicts=None,
                  tags=None) -> None:
        self.execute(
            """INSERT INTO {r}.events (event, change_id, change, project, note, requires, conflicts, tags,
                                       committer_name, committer_email, planned_at, planner_name,
                                       planner_email, committed_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, clock_timestamp())""",
            (
                event, change.id, change.name, self.plan.project, change.note,
                self._deps(change.requires) if requires is None else requires,
                self._deps(change.conflicts) if conflicts is None else conflicts,
                [t.format_name for t in change.tags] if tags is None else tags,
                committer.name, committer.email, change.planned_at, change.planner_name, change.planner_email,
            ),
        )

    def log_deploy(self, change: Change, committer: Identity, resolved: dict[Depend, str]) -> None:
        self.execute(
            """INSERT INTO {r}.changes (change_id, script_hash, change, project, note, committer_name,
                                        committer_email, planned_at, planner_name, planner_email, committed_at)
               VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, clock_timestamp())""",
            (
                change.id, self.plan.script_hash(change), change.name, self.plan.project, change.note,
                committer.name, committer.email, change.planned_at, change.planner_name, change.planner_email,
            ),
        )
        for dep in change.requires + change.conflicts:
            self.execute(
                "INSERT INTO {r}.dependencies (change_id, type, dependency, dependency_id) VALUES (%s, %s, %s, %s)",
                (change.id, "conflict" if dep.conflicts else "require", dep.as_string(self.plan.project),
                 None if dep.conflicts else resolved[dep]),
            )
        self.log_tags(change, committer)
        self.log_event("deploy", change, committer)

    def log_tags(self, change: Change, committer: Identity) -> None:
        """Tags of ``change`` not yet in the registry (sqitch also adds tags planned after a deploy)."""
        for tag in change.tags:
            self.execute(
                """INSERT INTO {r}.tags (tag_id, tag, project, change_id, note, committer_name,
                                         committer_email, planned_at, planner_name, planner_email, committed_at)
                   SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, clock_timestamp()
                    WHERE NOT EXISTS (SELECT 1 FROM {r}.tags WHERE tag_id = %s)""",
                (
                    tag.id, tag.format_name, self.plan.project, change.id, tag.note, committer.name,
                    committer.email, tag.planned_at, tag.planner_name, tag.planner_email, tag.id,
                ),
            )

    def log_revert(self, change: Change, committer: Identity) -> None:
        tags = [r[0] for r in self.execute(
            "DELETE FROM {r}.tags WHERE change_id = %s RETURNING tag", (change.id,)).fetchall()]
        deps = self.execute(
            "DELETE FROM {r}.dependencies WHERE change_id = %s RETURNING type, dependency", (change.id,)
        ).fetchall()
        self.execute("DELETE FROM {r}.changes WHERE change_id = %s", (change.id,))
        self.log_event(
            "revert", change, committer,
            requires=[d for t, d in deps if t == "require"],
            conflicts=[d for t, d in deps if t == "conflict"],
            tags=tags,
        )
