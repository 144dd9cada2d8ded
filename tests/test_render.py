"""Rendered files (deploy scripts, docs/taxonomies.md, docs/bad-input.md) must equal a fresh rendering of their
templates."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import psycopg
from click.testing import CliRunner

from teams_obs import render, taxonomy
from teams_obs.cli import main
from teams_obs.taxonomy import DELIVERY_ERROR_CODE, DELIVERY_STATUS


def test_committed_rendered_files_match_their_templates():
    assert render.stale() == []


def test_every_template_under_render_has_a_target():
    outputs = {target.output for target in render.targets()}
    assert Path("docs/taxonomies.md") in outputs
    assert Path("docs/bad-input.md") in outputs
    assert Path("deploy/notification_deliveries.sql") in outputs
    assert all(not str(output).endswith(".j2") for output in outputs)


def test_a_changed_template_makes_its_file_stale(tmp_path: Path):
    templates = tmp_path / "templates"
    shutil.copytree(render.TEMPLATES, templates)
    for target in render.targets(templates):
        (tmp_path / target.output).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(render.REPO_ROOT / target.output, tmp_path / target.output)
    assert render.stale(tmp_path, templates) == []

    template = templates / "render/docs/taxonomies.md.j2"
    template.write_text(template.read_text() + "\nextra line\n")
    assert render.stale(tmp_path, templates) == [Path("docs/taxonomies.md")]

    assert render.write(tmp_path, templates) == [Path("docs/taxonomies.md")]
    assert (tmp_path / "docs/taxonomies.md").read_text().endswith("extra line\n")
    assert render.stale(tmp_path, templates) == []


def test_a_changed_taxonomy_makes_the_docs_quoting_it_stale(tmp_path: Path, monkeypatch):
    """docs/bad-input.md quotes the refusal messages, lists included: editing taxonomy.toml must flag it."""
    source = tmp_path / "taxonomy.toml"
    source.write_text(taxonomy.SOURCE.read_text().replace('"delivered", "failed"', '"delivered", "bounced", "failed"'))
    monkeypatch.setattr(render, "TAXONOMIES", taxonomy.load(source))
    assert "bounced" in render.TAXONOMIES["delivery_status"].values
    assert {Path("docs/taxonomies.md"), Path("docs/bad-input.md")} <= set(render.stale())


def test_a_missing_rendered_file_is_stale(tmp_path: Path):
    assert Path("docs/taxonomies.md") in render.stale(tmp_path)


def test_deploy_scripts_keep_their_sqitch_header():
    for target in render.targets():
        if target.output.parts[0] == "deploy":
            first_line = (render.REPO_ROOT / target.output).read_text().splitlines()[0]
            assert first_line == f"-- Deploy teams_obs:{target.output.stem} to pg"


def test_check_in_macro_follows_the_taxonomy():
    env = render.environment()
    macro = env.from_string('{% import "macros.sql.j2" as sql %}{{ sql.check_in("c", t) }}')
    assert macro.render(t=DELIVERY_STATUS) == """CHECK (c = ANY ('{"skipped","sent","delivered","failed"}'::text[]))"""
    assert macro.render(t=DELIVERY_ERROR_CODE).startswith("""CHECK (c IS NULL OR c = ANY ('{"graph_throttled",""")


def test_sql_literal_doubles_quotes():
    assert render.sql_literal("it's") == "'it''s'"


def test_sql_text_array_reads_back_as_the_same_values(pg_cluster):
    values = ["plain", "it's", 'quo"te', "back\\slash", "comma,{brace}", " padded ", "NULL", ""]
    with psycopg.connect(pg_cluster.url()) as conn:
        assert conn.execute(f"SELECT {render.sql_text_array(values)}").fetchone()[0] == values


def test_cli_check_reports_clean_tree():
    result = CliRunner().invoke(main, ["render", "--check"])
    assert result.exit_code == 0, result.output
    assert "match their templates" in result.output


def test_cli_check_fails_on_a_stale_file(tmp_path: Path):
    """CI relies on the exit status, so a stale rendered file must fail it."""
    shutil.copytree(render.REPO_ROOT / "teams_obs", tmp_path / "teams_obs",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(render.TEMPLATES, tmp_path / "templates")
    shutil.copyfile(render.REPO_ROOT / "sqitch.plan", tmp_path / "sqitch.plan")
    for target in render.targets():
        (tmp_path / target.output).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(render.REPO_ROOT / target.output, tmp_path / target.output)
    stale = tmp_path / "docs/taxonomies.md"
    stale.write_text(stale.read_text() + "edited by hand\n")
    run = subprocess.run([sys.executable, "-m", "teams_obs", "render", "--check"], cwd=tmp_path,
                         capture_output=True, text=True, check=False)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "stale: docs/taxonomies.md" in run.stdout
