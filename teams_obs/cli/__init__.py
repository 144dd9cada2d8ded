"""The ``teams-obs`` command line."""

from __future__ import annotations

import sys

import click
import psycopg

from teams_obs.cli.context import NoDatabase, Session, exit_when_signalled, printable
from teams_obs.partitions import MaintenanceError, NotDeployed
from teams_obs.sqitch import EngineError, PlanError
from teams_obs.sqitch.registry import Notice


class _Group(click.Group):
    """Turns the expected failures into one clear line and exit status 2; sqitch's notices (nothing
    deployed, a declined confirmation) into a line on standard output and exit status 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except Notice as notice:
            click.echo(str(notice))
            raise SystemExit(1) from notice
        except click.NoSuchOption as exc:
            if exc.option_name == "--db":  # where sqitch takes its target, after the command
                exc.message, exc.possibilities = "--db goes before the command, as in: teams-obs --db URL deploy", None
            raise
        except (EngineError, PlanError, MaintenanceError, NotDeployed, NoDatabase) as exc:
            raise _Failure(str(exc)) from exc
        except psycopg.Error as exc:
            if _connection_lost(exc):
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise _Failure(f"cannot reach the database: {first}") from exc
            # The primary message names the field; PL/pgSQL CONTEXT lines are noise on a terminal.
            message = exc.diag.message_primary or str(exc).strip()
            code = f" [{exc.sqlstate}]" if exc.sqlstate else ""
            raise _Failure(f"{message}{code}{_advice(exc, message, ctx.invoked_subcommand)}") from exc


def _connection_lost(exc: psycopg.Error) -> bool:
    """No connection, or one the server ended; psycopg's OperationalError also covers the lock and statement
    timeouts, deadlocks and serialization failures of a statement, which are reported as SQL errors."""
    if not isinstance(exc, psycopg.OperationalError):
        return False
    return exc.sqlstate is None or exc.sqlstate.startswith("08") or exc.sqlstate in ("57P01", "57P02", "57P03")


# The role a login needs for each data command (README, Operating it); a denial names the function the command
# calls, which the operator never named.
_ROLE_NEEDED = {
    "deliveries": "teams_obs_reader", "audit": "teams_obs_reader", "conversations": "teams_obs_reader",
    "health": "teams_obs_reader (teams_obs_maintainer without --tenant)",
    "maintain": "teams_obs_maintainer", "cleanup": "teams_obs_maintainer", "purge-tenant": "teams_obs_maintainer",
}


def _advice(exc: psycopg.Error, message: str, command: str | None) -> str:
    """What to do when the cause is the database's set-up, not the input: a plan deployed only in part (or
    not at all), or a login without the role ``command`` needs."""
    if isinstance(exc, psycopg.errors.UndefinedFunction | psycopg.errors.UndefinedTable
                  | psycopg.errors.InvalidSchemaName) and "teams_obs" in message:
        return "; the plan is not deployed here up to its last change: see teams-obs status, run teams-obs deploy"
    if not isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return ""
    if "schema sqitch" in message:
        return ("; the registry (schema sqitch) is the deploying role's: run deploy, revert, verify, check, status "
                "and log as it")
    if command in _ROLE_NEEDED:
        return f"; grant this login {_ROLE_NEEDED[command]}, the role teams-obs {command} needs"
    # The migration commands: no function role helps.
    return ("; deploy as the role that owns schema teams_obs (or is to own it), which needs CREATE on the database "
            "(docs/security.md)")


class _Failure(click.ClickException):
    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"teams-obs: {printable(self.message)}", err=True, file=file or sys.stderr)


def _named_database(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """An empty --db is most often a shell variable that was never set (`--db "$PROD_URL"`): refused, where
    libpq would connect to whatever its defaults and PG* variables name (click already ignores an empty
    TEAMS_OBS_DATABASE_URL)."""
    if value is not None and not value.strip():
        raise click.BadParameter("empty; name a URL, a conninfo string or a sqitch target (postgresql:// is libpq's "
                                 "defaults and PG* variables)")
    return value


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", "db_url", envvar="TEAMS_OBS_DATABASE_URL", metavar="URL", callback=_named_database,
              help="PostgreSQL URL, sqitch target URI (db:pg:...) or name of a target in sqitch.conf (default: "
                   "$TEAMS_OBS_DATABASE_URL; with neither, an embedded throwaway cluster that is stopped when the "
                   "command exits).")
@click.pass_context
def main(ctx: click.Context, db_url: str | None) -> None:
    """Observability store of a Microsoft Teams integration, in PostgreSQL."""
    exit_when_signalled(ctx)
    ctx.obj = Session(db_url)


from teams_obs.cli.audit import audit  # noqa: E402
from teams_obs.cli.conversations import conversations  # noqa: E402
from teams_obs.cli.deliveries import deliveries  # noqa: E402
from teams_obs.cli.demo import demo  # noqa: E402
from teams_obs.cli.hash import hash_command  # noqa: E402
from teams_obs.cli.health import health_command  # noqa: E402
from teams_obs.cli.maintain import cleanup, maintain  # noqa: E402
from teams_obs.cli.migrate import check, deploy, log, plan, revert, status, verify  # noqa: E402
from teams_obs.cli.purge import purge_tenant  # noqa: E402
from teams_obs.cli.render import render_command  # noqa: E402

COMMANDS = (deploy, revert, verify, check, status, log, plan, demo, audit, conversations, health_command, purge_tenant,
            deliveries, maintain, cleanup, render_command, hash_command)
for _command in COMMANDS:
    main.add_command(_command)
