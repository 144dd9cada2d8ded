"""sqitch.conf as sqitch 1.3 reads it: git-config's syntax, the system, user and local files in sqitch's order;
the settings teams-obs honours (user.*, deploy.verify, deploy.mode, revert.no_prompt) compared with the real
sqitch, and those it refuses by name, before anything is written."""

from __future__ import annotations

import os
import pwd
import subprocess
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from teams_obs.cli import main
from teams_obs.sqitch.config import SqitchConfig, config_files
from teams_obs.sqitch.engine import libpq_url
from teams_obs.sqitch.registry import EngineError
from tests.sqitch_projects import SideBySide, sqitch_target, table_scripts, write_project

PLANNED = "2026-01-01T00:00:01Z A <a@b>"


@pytest.fixture(autouse=True)
def _no_user_or_system_config(tmp_path: Path, monkeypatch) -> None:
    """Neither tool reads the machine's own user or system sqitch.conf, nor a committer from the environment."""
    for name in ("SQITCH_FULLNAME", "SQITCH_EMAIL", "SQITCH_ORIG_FULLNAME", "SQITCH_ORIG_EMAIL", "SQITCH_ORIG_SYSUSER",
                 "SQITCH_CONFIG", "SQITCH_USERNAME", "SQITCH_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SQITCH_USER_CONFIG", str(tmp_path / "absent-user.conf"))
    monkeypatch.setenv("SQITCH_SYSTEM_CONFIG", str(tmp_path / "absent-system.conf"))


def project(root: Path, conf: str = "", *names: str, failing: str | None = None) -> Path:
    """Changes ``names`` (default: one) creating their tables, ``failing`` one whose verify script fails; the
    local sqitch.conf extended with ``conf``, or replaced by it where it sets the engine."""
    names = names or ("one",)
    scripts = {name: table_scripts(name) for name in names}
    if failing:
        scripts[failing] = (*table_scripts(failing)[:2], "SELECT 1/0;")
    top = write_project(root, "".join(f"{name} {PLANNED}\n" for name in names), scripts)
    if "\tengine = " in conf:
        (top / "sqitch.conf").write_text(conf)
    else:
        with (top / "sqitch.conf").open("a") as conf_file:
            conf_file.write(conf)
    return top


def sqitch(top: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["sqitch", *args], cwd=top, capture_output=True, text=True, timeout=120)


def sqitch_get(top: Path, key: str, *options: str) -> str | None:
    """``sqitch config --get``: the value, None where sqitch finds none."""
    run = sqitch(top, "config", *options, "--get", key)
    return run.stdout.removesuffix("\n") if run.returncode == 0 else None


def teams_obs(top: Path, *args: str, input: str | None = None):
    return CliRunner(env={"TEAMS_OBS_TOP_DIR": str(top)}).invoke(main, list(args), input=input)


# -- the syntax ---------------------------------------------------------------------------------------
TRICKY = """\
# a comment
[core]
\tengine = pg ; trailing comment
[user]
\tname = "Jane  Doe" ; quoted, two spaces kept
\temail = jane@example.com ; work
[core]
  top_dir = .
[User]
 NICK = 100% Dev
[engine "PG"]
\tRegistry = elsewhere
[deploy]
\tverify
\tmode = "t\\\\a\\tb" x\\
y
[a.B]
\tk = v "q;x" z#
"""
KEYS = ["core.engine", "user.name", "user.email", "core.top_dir", "user.nick", "engine.PG.registry",
        "engine.pg.registry", "deploy.mode", "a.b.k", "a.B.k"]


def test_sqitch_conf_is_read_as_sqitch_reads_it(tmp_path: Path, sqitch_bin: str) -> None:
    """git-config's syntax, which Python's configparser refuses (a section twice, a % sign) or reads otherwise
    (quotes, a comment after a value): subsections keep their case, sections and names do not."""
    (tmp_path / "sqitch.conf").write_text(TRICKY)
    config = SqitchConfig(tmp_path)
    sqitchs = {key: sqitch_get(tmp_path, key) for key in KEYS}
    assert {key: config.get(key) for key in KEYS} == sqitchs
    assert sqitchs["user.name"] == "Jane  Doe" and sqitchs["deploy.mode"] == "t\\a\tb xy"
    assert config.get_bool("deploy.verify") is True


# CRLF line ends, ";" comment lines, blanks and escapes in a value without quotes, an empty value and "-1"
EDGES = ("; before any section\r\n[core]\r\n\tengine = pg\r\n; a comment line\r\n[user]\r\n"
         "\tname = Jane \t Doe\r\n\tnote = a\\nb\\tc\r\n[deploy]\r\n\tverify =\r\n[revert]\r\n\tno_prompt = -1\r\n")
EDGE_KEYS = ["core.engine", "user.name", "user.note", "deploy.verify", "revert.no_prompt"]


def test_line_ends_comments_blanks_escapes_and_booleans_are_read_as_sqitch_reads_them(tmp_path: Path,
                                                                                       sqitch_bin: str) -> None:
    (tmp_path / "sqitch.conf").write_bytes(EDGES.encode())
    config = SqitchConfig(tmp_path)
    sqitchs = {key: sqitch_get(tmp_path, key) for key in EDGE_KEYS}
    assert {key: config.get(key) for key in EDGE_KEYS} == sqitchs
    assert sqitchs["user.name"] == "Jane Doe" and sqitchs["user.note"] == "a\nb\tc"
    bools = {key: sqitch_get(tmp_path, key, "--bool") for key in ("deploy.verify", "revert.no_prompt")}
    assert {key: str(config.get_bool(key)).lower() for key in bools} == bools == {
        "deploy.verify": "false", "revert.no_prompt": "true"}


def test_a_key_set_twice_in_one_file_is_refused_as_sqitch_refuses_it(tmp_path: Path, sqitch_bin: str) -> None:
    top = project(tmp_path / "p", "[user]\n\tname = A\n\tname = B\n")
    assert sqitch(top, "config", "--get", "user.name").returncode == 2
    run = teams_obs(top, "--db", "postgresql:///nowhere", "deploy")
    assert run.exit_code == 2 and 'More than one value for the key "user.name"' in run.output, run.output


@pytest.mark.parametrize("included", ["secrets.conf", "binary.conf", "huge.conf"])
def test_an_included_file_that_is_no_sqitch_conf_is_refused_without_its_contents(included: str,
                                                                                  tmp_path: Path) -> None:
    """include.path may name any file (/proc/self/environ, a key): a deploy job's log must not receive it."""
    (tmp_path / "secrets.conf").write_text("TOKEN=hunter2\n")
    (tmp_path / "binary.conf").write_bytes(b"\x7fELF\xff\xfe hunter2\n")
    (tmp_path / "huge.conf").write_text("[core]\n" + "# hunter2\n" * 200_000)
    top = project(tmp_path / "p", f"[include]\n\tpath = {tmp_path / included}\n")
    run = teams_obs(top, "--db", "postgresql:///nowhere", "deploy")
    assert run.exit_code == 2 and str(tmp_path / included) in run.output, run.output
    assert "hunter2" not in run.output


def test_a_line_sqitch_cannot_parse_is_refused_naming_the_file(tmp_path: Path) -> None:
    top = project(tmp_path / "p", "[user\n")
    run = teams_obs(top, "--db", "postgresql:///nowhere", "deploy")
    assert run.exit_code == 2 and f"Error parsing {top / 'sqitch.conf'} at line 3" in run.output, run.output


# -- the files and their order --------------------------------------------------------------------------
@pytest.mark.parametrize("files", [("system",), ("user",), ("system", "user"), ("user", "local"),
                                   ("system", "user", "local"), ("system", "elsewhere")])
def test_the_system_user_and_local_files_take_precedence_as_in_sqitch(files: tuple[str, ...], tmp_path: Path,
                                                                     monkeypatch, sqitch_bin: str) -> None:
    top = project(tmp_path / "p")
    for where in files:
        path = {"local": top / "sqitch.conf"}.get(where, tmp_path / f"{where}.conf")
        with path.open("a") as conf:
            conf.write(f"[user]\n\tname = From {where}\n")
        variable = {"system": "SQITCH_SYSTEM_CONFIG", "user": "SQITCH_USER_CONFIG", "elsewhere": "SQITCH_CONFIG"}
        if where in variable:
            monkeypatch.setenv(variable[where], str(path))
    assert SqitchConfig(top).get("user.name") == sqitch(top, "config", "--get", "user.name").stdout.strip()
    assert SqitchConfig(top).get("user.name") == f"From {files[-1]}"


def test_an_included_file_is_read(tmp_path: Path, sqitch_bin: str) -> None:
    top = project(tmp_path / "p", "[include]\n\tpath = ../more.conf\n")
    (tmp_path / "more.conf").write_text("[deploy]\n\tmode = tag\n")
    assert SqitchConfig(top).get("deploy.mode") == sqitch(top, "config", "--get", "deploy.mode").stdout.strip()
    assert SqitchConfig(top).get("deploy.mode") == "tag"


def test_an_included_file_is_found_beside_the_file_that_includes_it(tmp_path: Path, monkeypatch,
                                                                    sqitch_bin: str) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "user.conf").write_text("[include]\n\tpath = extra.conf\n")
    (home / "extra.conf").write_text("[user]\n\tname = Beside the user file\n")
    monkeypatch.setenv("SQITCH_USER_CONFIG", str(home / "user.conf"))
    top = project(tmp_path / "p")
    (top / "extra.conf").write_text("[user]\n\tname = In the project\n")
    assert SqitchConfig(top).get("user.name") == sqitch_get(top, "user.name") == "Beside the user file"


@pytest.mark.parametrize("includes", [10, 11, 12])  # Config::GitLike refuses an include from depth > 10
def test_includes_are_followed_as_deep_as_sqitch_follows_them(includes: int, tmp_path: Path,
                                                              sqitch_bin: str) -> None:
    """A chain of include.path, each file including the next, the last one setting user.name."""
    top = project(tmp_path / "p", "[include]\n\tpath = 1.conf\n")
    for number in range(1, includes):
        (top / f"{number}.conf").write_text(f"[include]\n\tpath = {number + 1}.conf\n")
    (top / f"{includes}.conf").write_text("[user]\n\tname = At the end\n")
    try:
        ours = SqitchConfig(top).get("user.name")
    except EngineError as exc:
        ours = str(exc)
    said = sqitch(top, "config", "--get", "user.name")
    assert ours == (said.stdout or said.stderr).partition(" at /")[0].strip()


@pytest.mark.parametrize("spelt", ["sqitch.conf", "./sqitch.conf", "link.conf"])
def test_the_projects_file_named_as_the_user_file_too_is_read_once_as_sqitch_reads_it(spelt: str, tmp_path: Path,
                                                                                      monkeypatch,
                                                                                      sqitch_bin: str) -> None:
    top = project(tmp_path / "p", "[user]\n\tname = Once\n")
    (top / "link.conf").symlink_to(top / "sqitch.conf")
    monkeypatch.setenv("SQITCH_USER_CONFIG", f"{top}/{spelt}")
    assert SqitchConfig(top).get("user.name") == sqitch_get(top, "user.name") == "Once"


# -- the settings honoured, against the real sqitch -------------------------------------------------------
def committers(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute("SELECT DISTINCT committer_name, committer_email FROM sqitch.changes").fetchall()


def test_the_committer_is_read_from_the_user_config_as_sqitch_reads_it(tmp_path: Path, monkeypatch,
                                                                      pg_cluster, sqitch_bin: str) -> None:
    """The user file names the committer, the local file (quotes, a comment) overrides the email."""
    user_conf = tmp_path / "user.conf"
    user_conf.write_text("[user]\n\tname = Home User\n\temail = home@example.com\n")
    monkeypatch.setenv("SQITCH_USER_CONFIG", str(user_conf))
    top = project(tmp_path / "p", '[core]\n\tplan_file = sqitch.plan\n[user]\n\temail = "work@example.com" ; here\n')
    both = SideBySide(pg_cluster)
    assert sqitch(top, "deploy", sqitch_target(both.urls["sqitch"])).returncode == 0
    assert teams_obs(top, "--db", both.urls["teams_obs"], "deploy").exit_code == 0
    assert committers(both.urls["teams_obs"]) == committers(both.urls["sqitch"]) == [
        ("Home User", "work@example.com")]


CONF_COMMITTER = "[user]\n\tname = Conf Name\n\temail = conf@example.com\n"
ORIG = {"SQITCH_ORIG_FULLNAME": "Orig Name", "SQITCH_ORIG_EMAIL": "orig@example.com"}


@pytest.mark.parametrize(("env", "conf", "committer"), [
    ({"SQITCH_FULLNAME": "Env Name", "SQITCH_EMAIL": "env@example.com", **ORIG}, CONF_COMMITTER,
     ("Env Name", "env@example.com")),
    (ORIG, CONF_COMMITTER, ("Conf Name", "conf@example.com")),
    (ORIG, "", ("Orig Name", "orig@example.com")),
], ids=["SQITCH_FULLNAME over user.name", "user.name over SQITCH_ORIG_FULLNAME", "SQITCH_ORIG_FULLNAME"])
def test_the_committer_from_the_environment_and_sqitch_conf_is_chosen_as_sqitch_chooses_it(
        env: dict[str, str], conf: str, committer: tuple[str, str], tmp_path: Path, monkeypatch, pg_cluster,
        sqitch_bin: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    top = project(tmp_path / "p", conf)
    both = SideBySide(pg_cluster)
    assert sqitch(top, "deploy", sqitch_target(both.urls["sqitch"])).returncode == 0
    assert teams_obs(top, "--db", both.urls["teams_obs"], "deploy").exit_code == 0
    assert committers(both.urls["teams_obs"]) == committers(both.urls["sqitch"]) == [committer]


def test_without_a_configured_name_the_committer_is_the_accounts_full_name_as_sqitch_takes_it(
        tmp_path: Path, monkeypatch, pg_cluster, sqitch_bin: str) -> None:
    """The whole GECOS field of the OS user's account, not its login name (Debian's postgres account:
    "PostgreSQL administrator,,,")."""
    monkeypatch.setenv("SQITCH_ORIG_SYSUSER", "postgres")
    top = project(tmp_path / "p")
    both = SideBySide(pg_cluster)
    assert sqitch(top, "deploy", sqitch_target(both.urls["sqitch"])).returncode == 0
    assert teams_obs(top, "--db", both.urls["teams_obs"], "deploy").exit_code == 0
    names = {tool: [name for name, _ in committers(url)] for tool, url in both.urls.items()}
    assert names["teams_obs"] == names["sqitch"] == [pwd.getpwnam("postgres").pw_gecos]
    assert names["sqitch"] != ["postgres"]


@pytest.mark.parametrize("target", ["db:pg://ops:s3cret@db.example:5433/app?sslmode=require", "db:pg:app"])
def test_sqitch_username_and_password_replace_a_targets_own_as_in_sqitch(target: str, monkeypatch) -> None:
    monkeypatch.setenv("SQITCH_USERNAME", "deployer")
    monkeypatch.setenv("SQITCH_PASSWORD", "dpw")
    named = psycopg.conninfo.conninfo_to_dict(libpq_url(target))
    assert (named["user"], named["password"], named["dbname"]) == ("deployer", "dpw", "app")
    assert libpq_url("postgresql://ops@db.example/app") == "postgresql://ops@db.example/app"  # no sqitch target


def test_the_cli_connects_to_a_sqitch_target_as_sqitch_username(db_url: str, monkeypatch) -> None:
    """A CI set up for sqitch must not have teams-obs deploy as another role than sqitch would."""
    monkeypatch.setenv("SQITCH_USERNAME", "no_such_deployer")
    run = CliRunner().invoke(main, ["--db", "db:pg:" + db_url.removeprefix("postgresql:"), "status"])
    assert run.exit_code == 2 and 'for user "no_such_deployer"' in run.output, run.output


def test_deploy_verify_in_sqitch_conf_verifies_each_change_as_sqitch_does(tmp_path: Path, pg_cluster,
                                                                           sqitch_bin: str) -> None:
    """(The tools word a failed verify script differently: exit status and changes deployed are compared.)"""
    top = project(tmp_path / "p", "[deploy]\n\tverify = true\n", "one", "two", failing="two")
    both = SideBySide(pg_cluster)
    said = both.run(top, "deploy")
    assert said["teams_obs"][1::2] == said["sqitch"][1::2] == (2, [])
    said = both.run(top, "deploy", "--no-verify")
    assert said["teams_obs"][1::2] == said["sqitch"][1::2] == (0, [("one", []), ("two", [])])


def test_a_missing_verify_script_is_reported_and_the_change_kept_as_in_sqitch(tmp_path: Path, pg_cluster,
                                                                              sqitch_bin: str) -> None:
    """sqitch warns and counts the change verified; failing it would revert a whole deploy in mode all."""
    top = project(tmp_path / "p", "", "one", "two")
    (top / "verify" / "two.sql").unlink()
    both = SideBySide(pg_cluster)
    said = both.run(top, "deploy", "--verify")
    assert said["teams_obs"][1::2] == said["sqitch"][1::2] == (0, [("one", []), ("two", [])])
    assert all("Verify script verify/two.sql does not exist" in output for _, _, output, _ in said.values()), said
    said = both.run(top, "verify")
    assert said["teams_obs"][1] == said["sqitch"][1] == 0, said


def test_deploy_mode_in_sqitch_conf_is_the_default_mode_as_in_sqitch(tmp_path: Path, pg_cluster,
                                                                      sqitch_bin: str) -> None:
    """mode change keeps the changes deployed before the failed one; --mode all, given, reverts them."""
    top = project(tmp_path / "p", "[deploy]\n\tmode = change\n\tverify = yes\n", "one", "two", failing="two")
    both = SideBySide(pg_cluster)
    said = both.run(top, "deploy", "--mode", "all")
    assert said["teams_obs"][1::2] == said["sqitch"][1::2] == (2, [])
    said = both.run(top, "deploy")
    assert said["teams_obs"][1::2] == said["sqitch"][1::2] == (2, [("one", [])])


def test_revert_no_prompt_in_sqitch_conf_reverts_without_asking_as_sqitch_does(tmp_path: Path, pg_cluster,
                                                                                sqitch_bin: str) -> None:
    top = project(tmp_path / "p", "[revert]\n\tno_prompt = 1\n", "one", "two")
    said = SideBySide(pg_cluster).compare(top, [("deploy",), ("revert",)])
    assert said[1]["sqitch"][1] == 0 and said[1]["sqitch"][3] == []


ACCEPTED = {
    "the repository's own": "[core]\n\tengine = pg\n\tplan_file = sqitch.plan\n\ttop_dir = .\n"
                            '[engine "pg"]\n\tregistry = sqitch\n\tclient = psql\n',
    "directories spelled otherwise": "[core]\n\ttop_dir = ./\n\tdeploy_dir = ./deploy/\n\textension = sql\n",
    "another engine's registry": '[engine "sqlite"]\n\tregistry = meta\n[core]\n\teditor = vi\n',
    "the reworked directories sqitch's": "[core]\n\treworked_dir = .\n\treworked_verify_dir = ./verify\n",
    "the engine quoted with blanks, which sqitch trims": '[core]\n\tengine = " pg "\n',
}


@pytest.mark.parametrize("conf", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_settings_that_change_nothing_are_accepted(conf: str, tmp_path: Path, empty_db_url: str) -> None:
    top = project(tmp_path / "p", conf)
    run = teams_obs(top, "--db", empty_db_url, "deploy")
    assert run.exit_code == 0, run.output


# -- the settings refused ----------------------------------------------------------------------------------
REFUSED = {
    "engine.pg.registry": ('[engine "pg"]\n\tregistry = meta\n', "engine.pg.registry = meta"),
    "core.registry": ("[core]\n\tregistry = meta\n", "core.registry = meta"),
    "engine.pg.registry over core.registry": ('[engine "pg"]\n\tregistry = meta\n[core]\n\tregistry = sqitch\n',
                                              "engine.pg.registry = meta"),
    "core.top_dir": ("[core]\n\ttop_dir = db\n", "core.top_dir = db"),
    "engine.pg.plan_file": ('[engine "pg"]\n\tplan_file = other.plan\n', "engine.pg.plan_file = other.plan"),
    "core.plan_file": ("[core]\n\tplan_file = other.plan\n", "core.plan_file = other.plan"),
    "core.deploy_dir": ("[core]\n\tdeploy_dir = up\n", "core.deploy_dir = up"),
    "core.verify_dir": ("[core]\n\tverify_dir = test\n", "core.verify_dir = test"),
    "core.reworked_verify_dir": ("[core]\n\treworked_verify_dir = test\n", "core.reworked_verify_dir = test"),
    "core.reworked_dir": ("[core]\n\treworked_dir = old\n", "core.reworked_dir = old"),
    "core.extension": ("[core]\n\textension = psql\n", "core.extension = psql"),
    "deploy.variables": ('[deploy "variables"]\n\tschema = app\n', "deploy.variables.schema"),
    "core.variables": ('[core "variables"]\n\tschema = app\n', "core.variables.schema"),
    "engine.pg.variables": ('[engine "pg.variables"]\n\tschema = app\n', "engine.pg.variables.schema"),
    "engine.pg.variables misspelt": ('[engine "pg" "variables"]\n', None),  # (not a subsection: sqitch refuses it)
    "core.engine": ("[core]\n\tengine = mysql\n", "core.engine = mysql"),
    "core.engine twice": ("[core]\n\tengine = pg\n[core]\n\tengine = pg\n",
                          'More than one value for the key "core.engine"'),
}


@pytest.mark.parametrize(("conf", "named"), REFUSED.values(), ids=REFUSED.keys())
def test_settings_teams_obs_does_not_honour_are_refused_by_name(conf: str, named: str | None, tmp_path: Path,
                                                              empty_db_url: str) -> None:
    top = project(tmp_path / "p", conf)
    for command in (("deploy",), ("status",), ("verify",), ("revert", "-y"), ("plan",)):
        run = teams_obs(top, "--db", empty_db_url, *command)
        assert run.exit_code == 2 and f"{named or 'Error parsing'}" in run.output, (command, run.output)
        assert len(run.output.splitlines()) == 1, run.output
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute("SELECT to_regnamespace('sqitch')").fetchone()[0] is None


def test_variables_of_the_users_file_are_other_projects_and_change_nothing(tmp_path: Path,
                                                                           empty_db_url: str) -> None:
    """A sqitch user's own projects' variables: sqitch hands them to psql, and this plan's scripts name none."""
    (tmp_path / "user.conf").write_text('[deploy "variables"]\n\towner = app\n[core "variables"]\n\tfoo = bar\n')
    top = project(tmp_path / "p", "")
    run = CliRunner(env={"TEAMS_OBS_TOP_DIR": str(top), "SQITCH_USER_CONFIG": str(tmp_path / "user.conf")}).invoke(
        main, ["--db", empty_db_url, "deploy"])
    assert run.exit_code == 0, run.output


def test_a_setting_sqitch_cannot_read_as_a_boolean_is_refused(tmp_path: Path, empty_db_url: str) -> None:
    run = teams_obs(project(tmp_path / "p", "[deploy]\n\tverify = maybe\n"), "--db", empty_db_url, "deploy")
    assert run.exit_code == 2 and "Invalid bool 'maybe' for deploy.verify" in run.output, run.output


def test_a_registry_sqitch_wrote_elsewhere_is_not_missed(tmp_path: Path, empty_db_url: str,
                                                         sqitch_bin: str) -> None:
    """sqitch deploys into the registry schema "meta"; teams-obs does not report "No changes deployed" nor
    deploy the plan again into a second registry."""
    top = project(tmp_path / "p", '[engine "pg"]\n\tregistry = meta\n')
    assert sqitch(top, "deploy", sqitch_target(empty_db_url)).returncode == 0
    for command in ("status", "deploy"):
        run = teams_obs(top, "--db", empty_db_url, command)
        assert run.exit_code == 2 and "engine.pg.registry = meta" in run.output, run.output
    with psycopg.connect(empty_db_url) as conn:
        assert conn.execute("SELECT to_regnamespace('sqitch')").fetchone()[0] is None


@pytest.mark.parametrize("key", ["core.target", "engine.pg.target"])
def test_a_default_target_is_refused_when_no_database_is_named(key: str, tmp_path: Path) -> None:
    """sqitch, given no target, works on the one sqitch.conf names, where teams-obs would start a throwaway
    cluster; with --db given, sqitch ignores it as teams-obs does (test_settings_that_change_nothing_...)."""
    section, _, name = key.rpartition(".")
    header = "[core]" if section == "core" else '[engine "pg"]'
    top = project(tmp_path / "p", f"{header}\n\t{name} = db:pg://prod.example/app\n")
    run = CliRunner(env={"TEAMS_OBS_TOP_DIR": str(top), "TEAMS_OBS_DATABASE_URL": None}).invoke(main, ["deploy"])
    assert run.exit_code == 2 and f"sqitch.conf sets {key}" in run.output, run.output
    assert "starting an embedded" not in run.output


def test_sqitchs_target_from_the_environment_is_refused_when_no_database_is_named(tmp_path: Path) -> None:
    run = CliRunner(env={"TEAMS_OBS_TOP_DIR": str(project(tmp_path / "p", "")), "TEAMS_OBS_DATABASE_URL": None,
                         "SQITCH_TARGET": "db:pg://prod.example/app"}).invoke(main, ["status"])
    assert run.exit_code == 2 and "the environment sets SQITCH_TARGET" in run.output, run.output
    assert "starting an embedded" not in run.output


@pytest.mark.parametrize("url", ["postgresql://u:s3cret@[bad/x", "host=h password='s3cret",
                                 "postgresql://u:s3%zzcret@h/db", "postgresql://u:s3 cret@h/db",
                                 'postgresql://u:s3"cret@[::1/db', "host=h password=s3 cret"])
def test_a_database_url_libpq_cannot_read_is_one_line_without_its_password(url: str) -> None:
    for command in (["status"], ["deliveries", "list", "--tenant", "00000000-0000-4000-8000-000000000001"]):
        run = CliRunner().invoke(main, ["--db", url, *command])
        assert run.exit_code == 2 and "neither a URL nor a conninfo string" in run.output, run
        assert "s3" not in run.output and "cret" not in run.output, run.output


def test_a_password_given_as_a_query_parameter_is_not_shown(empty_db_url: str) -> None:
    parts = psycopg.conninfo.conninfo_to_dict(empty_db_url)
    url = (f"postgresql://{parts['user']}@{parts['host']}:{parts['port']}/{parts['dbname']}"
           f"?sslmode=disable&password={parts['password']}")
    run = CliRunner().invoke(main, ["--db", url, "deploy", "--to", "schema"])
    assert run.exit_code == 0, run.output
    assert "?sslmode=disable" in run.output and parts["password"] not in run.output, run.output


# -- target URIs -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("target", "url"), [
    ("db:postgres://ops:s3cret@db.example:5433/app", "postgresql://ops:s3cret@db.example:5433/app"),
    ("db:postgresql:app", "postgresql:///app"),
    ("db:pgsql://db.example/app", "postgresql://db.example/app"),
    ("db:pgxc:app", "postgresql:///app"),
    ("db:postgresxc://db.example/app", "postgresql://db.example/app"),
    ("db:pg:/x", "postgresql:////x"),  # URI::db's dbname "/x"
])
def test_every_postgresql_scheme_sqitch_takes_is_taken(target: str, url: str) -> None:
    assert libpq_url(target) == url


def test_a_target_with_an_empty_uri_is_none(tmp_path: Path) -> None:
    """An empty uri would be libpq's defaults: some database, not the one the target was meant to name."""
    run = teams_obs(project(tmp_path / "p", '[target "prod"]\n\turi =\n'), "--db", "prod", "status")
    assert run.exit_code == 2 and '"prod" names no target of sqitch.conf (no target.prod.uri in ' in run.output


@pytest.mark.parametrize(("db", "said"), [
    ("prod", '"prod" names no target of sqitch.conf (no target.prod.uri in '),
    ("db:sqlite:app.db", "db:sqlite: is not a PostgreSQL target"),
])
def test_an_unknown_target_name_or_another_engine_is_refused(db: str, said: str, tmp_path: Path) -> None:
    run = teams_obs(project(tmp_path / "p"), "--db", db, "status")
    assert run.exit_code == 2 and said in run.output, run.output


def deployed(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        return [name for name, in conn.execute("SELECT change FROM sqitch.changes ORDER BY committed_at")]


def test_a_named_target_is_the_database_its_uri_names_as_in_sqitch(tmp_path: Path, pg_cluster,
                                                                    sqitch_bin: str) -> None:
    both = SideBySide(pg_cluster)
    conf = "".join(f'[target "{tool}"]\n\turi = {sqitch_target(url)}\n\tclient = psql\n'
                   for tool, url in both.urls.items())
    top = project(tmp_path / "p", conf, "one", "two")
    deploying = sqitch(top, "deploy", "sqitch", "--to", "one")
    assert deploying.returncode == 0 and "Deploying changes through one to sqitch" in deploying.stdout
    run = teams_obs(top, "--db", "teams_obs", "deploy", "--to", "one")
    assert run.exit_code == 0 and "Deploying changes through one to teams_obs" in run.output, run.output
    assert deployed(both.urls["teams_obs"]) == deployed(both.urls["sqitch"]) == ["one"]
    assert "# On database teams_obs" in teams_obs(top, "--db", "teams_obs", "status").output


@pytest.mark.parametrize(("conf", "key"), [
    ('[target "prod"]\n\turi = db:pg://127.0.0.1:1/x\n\tregistry = other\n', "target.prod.registry"),
    ('[target "prod"]\n\turi = db:pg://127.0.0.1:1/x\n[target "prod.variables"]\n\tfoo = bar\n',
     "target.prod.variables.foo"),
])
def test_a_named_target_that_sets_more_than_its_uri_is_refused(conf: str, key: str, tmp_path: Path) -> None:
    run = teams_obs(project(tmp_path / "p", conf), "--db", "prod", "status")
    assert run.exit_code == 2 and f"sets {key}: teams-obs reads a named target's uri only" in run.output


def test_a_target_whose_name_extends_anothers_is_not_its_setting(tmp_path: Path) -> None:
    """A target's name may hold dots: "prod.eu" is a target of its own, not a setting of "prod"."""
    top = project(tmp_path / "p", '[target "prod"]\n\turi = db:pg://127.0.0.1:1/x\n'
                                  '[target "prod.eu"]\n\turi = db:pg://127.0.0.1:2/y\n\tregistry = other\n'
                                  '[target "production"]\n\turi = db:pg://127.0.0.1:3/z\n\tregistry = other\n')
    run = teams_obs(top, "--db", "prod", "status")
    assert "cannot reach the database" in run.output and "port 1 failed" in run.output, run.output


@pytest.mark.parametrize("db", ["postgres:/postgres:SECRET@127.0.0.1:1/x",
                                "host=127.0.0.1 password=SECRET dbname x"])
def test_a_password_in_a_string_libpq_cannot_parse_is_not_printed(db: str, tmp_path: Path) -> None:
    run = teams_obs(project(tmp_path / "p"), "--db", db, "status")
    assert run.exit_code == 2 and run.output.startswith("teams-obs: ") and "SECRET" not in run.output, run.output


def test_the_user_configs_location_is_sqitchs(sqitch_bin: str, monkeypatch) -> None:
    """Where sqitch looks with no SQITCH_USER_CONFIG and SQITCH_SYSTEM_CONFIG."""
    monkeypatch.delenv("SQITCH_USER_CONFIG")
    monkeypatch.delenv("SQITCH_SYSTEM_CONFIG")
    perl = "use App::Sqitch::Config; my $c = App::Sqitch::Config->new; print $c->system_file, ' ', $c->user_file"
    sqitchs = subprocess.run(["perl", "-e", perl], capture_output=True, text=True, check=True, env=os.environ).stdout
    assert " ".join(map(str, config_files(Path.cwd())[:2])) == sqitchs


@pytest.mark.parametrize("command", [["plan"], ["hash", "-"]])
def test_a_command_that_needs_no_database_does_not_read_the_target(command: list[str], tmp_path: Path) -> None:
    """A name no sqitch.conf defines (from TEAMS_OBS_DATABASE_URL, say) stops only what would connect."""
    run = CliRunner(env={"TEAMS_OBS_TOP_DIR": str(project(tmp_path / "p"))}).invoke(
        main, ["--db", "nope", *command], input="{}")
    assert run.exit_code == 0, run.output
