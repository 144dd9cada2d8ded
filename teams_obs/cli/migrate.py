"""deploy, revert, verify, check, status, log and plan: sqitch's commands over the same plan and registry."""

from __future__ import annotations

import click
from rich.table import Table
from rich.text import Text

from teams_obs.cli.context import Session, pass_session, printable
from teams_obs.deploy import deploy_and_maintain
from teams_obs.sqitch import Engine, EngineError, load_plan, project_root
from teams_obs.sqitch.config import SqitchConfig
from teams_obs.sqitch.engine import DEFAULT_LOCK_TIMEOUT_S, DEPLOY_MODES
from teams_obs.sqitch.plan import Change
from teams_obs.sqitch.registry import Notice

# sqitch's change specs, and where each command reads them as sqitch does.
_SPEC = ("a name, @tag, name@tag, change id, @HEAD or @ROOT, each optionally followed by ^, ^^ or ^N for that "
         "many changes earlier, or ~, ~~ or ~N for later")
_IN_THE_PLAN = "read in sqitch.plan, where @HEAD is its last change"
_IN_THE_DATABASE = "read in the database, where @HEAD is the latest change deployed and ^ and ~ count deployed changes"


def _change_option(flag: str, lead: str, where: str):
    return click.option(flag, flag.lstrip("-") + "_change", metavar="CHANGE", help=f"{lead}: {_SPEC}; {where}.")


# sqitch's option: at least a second, as 0 would make PostgreSQL's lock_timeout wait forever.
_lock_timeout_option = click.option(
    "--lock-timeout", "lock_timeout_s", type=click.IntRange(min=1), default=DEFAULT_LOCK_TIMEOUT_S, show_default=True,
    metavar="SECONDS",
    help="How long to wait while another instance of sqitch or teams-obs works on the database.")


def _config(session: Session) -> SqitchConfig:
    """sqitch.conf, whose settings are the defaults of the options not given."""
    config = SqitchConfig(project_root())
    if session.embedded and not session.throwaway and (named := config.default_target()):
        # where sqitch, given no target either, would work on that one, not on a throwaway cluster
        raise EngineError(f"{named}: teams-obs does not read sqitch's default target; pass the database with --db")
    return config


def _engine(session: Session, lock_timeout_s: int = DEFAULT_LOCK_TIMEOUT_S) -> Engine:
    config = _config(session)  # before the URL: a refused default target starts no throwaway cluster
    return Engine(session.url(deployed=False), echo=session.echo, lock_timeout_s=lock_timeout_s, config=config,
                  target=session.target)


@click.command()
@_change_option("--to", "Deploy through this change", _IN_THE_PLAN)
@click.option("--verify/--no-verify", default=None,
              help="Run each change's verify script after deploying it [default: deploy.verify in sqitch.conf, "
                   "else no].")
@click.option("--mode", type=click.Choice(DEPLOY_MODES),
              help="On failure revert all changes of this run, back to the last tag, or only the failed one "
                   "[default: deploy.mode in sqitch.conf, else all].")
@_lock_timeout_option
@pass_session
def deploy(session: Session, to_change: str | None, verify: bool | None, mode: str | None,
           lock_timeout_s: int) -> None:
    """Deploy the changes of sqitch.plan not yet in the database."""
    config = _config(session)
    if verify is None:
        verify = bool(config.get_bool("deploy.verify"))
    deploy_and_maintain(session.url(deployed=False), echo=session.echo, to=to_change, verify=verify,
                        mode=mode or config.get("deploy.mode") or "all", lock_timeout_s=lock_timeout_s,
                        config=config, target=session.target)


@click.command()
@_change_option("--to", "Revert the changes deployed after this one", _IN_THE_DATABASE)
@click.option("-y", "yes", is_flag=True, default=None,
              help="Do not ask for confirmation [default: revert.no_prompt in sqitch.conf, else ask].")
@_lock_timeout_option
@pass_session
def revert(session: Session, to_change: str | None, yes: bool | None, lock_timeout_s: int) -> None:
    """Revert deployed changes (all of them, or those after --to)."""
    engine = _engine(session, lock_timeout_s)
    if yes is None:
        yes = engine.config.get_bool("revert.no_prompt")
    confirm = None if yes else (lambda question: click.confirm(question, default=False))
    engine.revert(to_change, confirm=confirm)


def _print_undeployed(session: Session, pending: list[Change]) -> None:
    """The plan's changes not in the database, headed as sqitch heads them."""
    if pending:
        session.console.print("Undeployed change:" if len(pending) == 1 else "Undeployed changes:")
    for change in pending:
        session.console.print(f"  * {change.format_name_with_tags}")


@click.command()
@_change_option("--from", "Start at this deployed change", _IN_THE_DATABASE)
@_change_option("--to", "Stop at this deployed change", _IN_THE_DATABASE)
@pass_session
def verify(session: Session, from_change: str | None, to_change: str | None) -> None:
    """Run the verify script of every deployed change (or of those --from, --to) and check the deployed order."""
    engine = _engine(session)
    report = engine.verify(from_change, to_change)
    if not report.checked:
        session.echo("No changes deployed" if engine.plan.changes
                     else "Nothing to verify (no planned or deployed changes)")
        return
    for error in report.errors:
        session.echo(f"  # {error}")
    _print_undeployed(session, report.pending)
    if report.errors:
        session.echo(f"\nVerify Summary Report\n---------------------\n"
                     f"Changes: {report.checked}\nErrors:  {len(report.errors)}")
        raise EngineError("Verify failed")
    session.echo("Verify successful")


@click.command()
@pass_session
def check(session: Session) -> None:
    """Check that the deployed changes were deployed from the deploy scripts of this plan (sqitch's check)."""
    engine = _engine(session)
    deployed, divergent = engine.check()
    if not deployed:
        session.echo("No changes deployed" if engine.plan.changes
                     else "Nothing to check (no planned or deployed changes)")
        return
    if divergent is not None:
        session.echo(f"Script signatures diverge at change {divergent}")
        raise Notice("Failed one check")
    session.echo("Check successful")


@click.command()
@pass_session
def status(session: Session) -> None:
    """Show the latest deployed change and what remains to deploy."""
    engine = _engine(session)
    echo = session.echo  # the registry's words (names, notes) as written
    echo(f"# On database {engine.destination}")
    deployed, pending = engine.status()
    if not deployed:
        raise Notice("No changes deployed")
    latest = deployed[-1]
    echo(f"# Project:  {engine.plan.project}\n# Change:   {latest.change_id}\n# Name:     {latest.change}")
    if latest.tags:
        echo(f"# {'Tag: ' if len(latest.tags) == 1 else 'Tags:'}     {', '.join(latest.tags)}")
    echo(f"# Deployed: {latest.committed_at:%Y-%m-%d %H:%M:%S %z}\n"
                  f"# By:       {latest.committer_name} <{latest.committer_email}>\n# ")
    _print_undeployed(session, pending)
    if not pending:
        echo("Nothing to deploy (up-to-date)")


@click.command()
@pass_session
def log(session: Session) -> None:
    """Show the deploy, revert and fail events, newest first."""
    table = Table("event", "change", "tags", "by", "at")
    for event, _cid, change, tags, name, _email, at, *_ in _engine(session).log():
        # The plan's words (names, tags, the planner) as written, not rich markup.
        table.add_row(event, Text(printable(change)), Text(printable(" ".join(tags))), Text(printable(name)),
                      f"{at:%Y-%m-%d %H:%M:%S.%f %z}")
    session.console.print(table)


@click.command()
def plan() -> None:
    """Print every change and tag of sqitch.plan with the id sqitch gives it (no database needed)."""
    SqitchConfig(project_root()).refuse_unsupported()
    for change in load_plan(project_root() / "sqitch.plan").changes:
        click.echo(f"{change.id} {change.name}")
        for tag in change.tags:
            click.echo(f"{tag.id} {tag.format_name}")
