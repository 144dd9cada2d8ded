"""Reading and writing sqitch's registry (schema ``sqitch``) row for row as sqitch 1.3 does.

Every ``committed_at`` is ``clock_timestamp()``: sqitch orders changes by it, and ``now()`` would give
the changes of one transaction equal timestamps (anchor-notes §1.6).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg import sql

from teams_obs.sqitch.plan import Change, Depend, Plan

REGISTRY_RELEASE = 1.1
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


class Registry:
    def __init__(self, conn: psycopg.Connection, plan: Plan, schema: str = "sqitch"):
        self.conn = conn
        self.plan = plan
        self.schema = schema

    def _q(self, query: str) -> sql.Composed:
        return sql.SQL(query).format(r=sql.Identifier(self.schema))

    def execute(self, query: str, params=None) -> psycopg.Cursor:
        return self.conn.execute(self._q(query), params)

    def scalar(self, query: str, params=None):
        row = self.execute(query, params).fetchone()
        return None if row is None else row[0]

    # -- set-up ----------------------------------------------------------------------------------
    def initialized(self) -> bool:
        return self.scalar("SELECT to_regclass(format('%%I.changes', %s::text)) IS NOT NULL", (self.schema,))

    def initialize(self, installer: Identity) -> None:
        script = resources.files("teams_obs").joinpath("sql/sqitch_registry.sql").read_text()
        script = script.replace(':"registry"', sql.Identifier(self.schema).as_string(self.conn))
        script = script.replace(":tableopts", "")
        self.conn.commit()
        autocommit = self.conn.autocommit
        self.conn.autocommit = True
        try:
            self.conn.execute(script.encode())
        finally:
            self.conn.autocommit = autocommit
        self.execute(
            "INSERT INTO {r}.releases (version, installer_name, installer_email) VALUES (%s, %s, %s)",
            (REGISTRY_RELEASE, installer.name, installer.email),
        )
        self.conn.commit()

    def check_release(self) -> None:
        release = self.scalar("SELECT max(version) FROM {r}.releases")
        if release is None or abs(release - REGISTRY_RELEASE) > 1e-6:
            raise EngineError(
                f"Registry {self.schema} is at release {release}; run `sqitch upgrade` to bring it to "
                f"{REGISTRY_RELEASE}"
            )

    def register_project(self, creator: Identity) -> None:
        row = self.execute("SELECT uri FROM {r}.projects WHERE project = %s", (self.plan.project,)).fetchone()
        if row is None:
            self.execute(
                "INSERT INTO {r}.projects (project, uri, creator_name, creator_email) VALUES (%s, %s, %s, %s)",
                (self.plan.project, self.plan.uri, creator.name, creator.email),
            )
        elif row[0] != self.plan.uri:
            raise EngineError(
                f'Cannot register "{self.plan.project}" with URI {self.plan.uri or "(none)"}: '
                f"already exists with URI {row[0] or '(none)'}"
            )
        self.conn.commit()

    # -- reading ---------------------------------------------------------------------------------
    def deployed(self) -> list[DeployedChange]:
        rows = self.execute(
            """SELECT c.change_id, c.change, c.committed_at, c.committer_name, c.committer_email,
                      coalesce(array_agg(t.tag ORDER BY t.committed_at) FILTER (WHERE t.tag IS NOT NULL),
                               '{{}}')
                 FROM {r}.changes c LEFT JOIN {r}.tags t ON t.change_id = c.change_id
                WHERE c.project = %s
                GROUP BY c.change_id ORDER BY c.committed_at""",
            (self.plan.project,),
        ).fetchall()
        return [DeployedChange(*row) for row in rows]

    def change_id_for(self, dep: Depend) -> str | None:
        """The deployed change a dependency resolves to (sqitch's change_id_for)."""
        if dep.id:
            return self.scalar("SELECT change_id FROM {r}.changes WHERE change_id = %s", (dep.id,))
        project = dep.project or self.plan.project
        if dep.change and dep.tag:
            return self.scalar(
                """SELECT c.change_id FROM {r}.changes c
                     JOIN {r}.tags t ON c.committed_at <= t.committed_at AND c.project = t.project
                    WHERE c.project = %s AND c.change = %s AND t.tag = %s
                    ORDER BY c.committed_at DESC LIMIT 1""",
                (project, dep.change, f"@{dep.tag}"),
            )
        if dep.change:
            return self.scalar(
                """SELECT change_id FROM {r}.changes WHERE project = %s AND change = %s
                    ORDER BY committed_at DESC LIMIT 1""",
                (project, dep.change),
            )
        return self.scalar(
            "SELECT change_id FROM {r}.tags WHERE project = %s AND tag = %s", (project, f"@{dep.tag}")
        )

    def dependents(self, change_id: str) -> list[tuple[str, str, str]]:
        return self.execute(
            """SELECT c.change_id, c.project, c.change FROM {r}.dependencies d
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
