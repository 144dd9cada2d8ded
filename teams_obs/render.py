"""Render the Jinja templates under ``templates/render`` into committed files.

``templates/render/<path>.j2`` becomes ``<path>`` at the repository root (``deploy/x.sql``,
``docs/taxonomies.md``, ``teams_obs/client_methods.pyi``...). Rendered files are committed so that sqitch,
psql, type checkers and readers see plain files; :func:`stale` reports those whose committed content
differs from a fresh rendering.
Templates elsewhere under ``templates/`` (macros, runtime templates such as the partition DDL) use the
same :func:`environment` but are not rendered to files.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import jinja2

from teams_obs.project_files import project_dir
from teams_obs.taxonomy import TAXONOMIES

REPO_ROOT = project_dir()
TEMPLATES = REPO_ROOT / "templates"
RENDERED_TREE = "render"
SUFFIX = ".j2"


def sql_literal(value: str) -> str:
    """A standard-conforming SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def sql_text_array(values: list[str] | tuple[str, ...]) -> str:
    """A text[] constant written as one literal, ``'{"a","b"}'::text[]``."""
    elements = ",".join('"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"' for value in values)
    return sql_literal("{" + elements + "}") + "::text[]"


def statements(script: str) -> list[str]:
    """A rendered script's statements, without their ';': templates end each with ';' and a newline,
    which none of their names or literals holds."""
    return [statement.strip().removesuffix(";") for statement in f"{script}\n".split(";\n") if statement.strip()]


def function_roles(templates: Path = TEMPLATES) -> dict[str, list[str]]:
    """Who may execute each function (templates/function_roles.toml), by name, as sorted role names."""
    declared = tomllib.loads((templates / "function_roles.toml").read_text(encoding="utf-8"))["functions"]
    return {name: sorted(f"teams_obs_{role}" for role in roles) for name, roles in declared.items()}


def environment(templates: Path = TEMPLATES) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(templates),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["sql_literal"] = sql_literal
    env.filters["sql_text_array"] = sql_text_array
    env.filters["statements"] = statements
    env.globals["taxonomies"] = TAXONOMIES
    return env


@dataclass(frozen=True)
class Target:
    template: str  # name relative to the templates directory, as Jinja loads it
    output: Path  # relative to the repository root


def targets(templates: Path = TEMPLATES) -> list[Target]:
    tree = templates / RENDERED_TREE
    return [
        Target(path.relative_to(templates).as_posix(), path.relative_to(tree).with_suffix(""))
        for path in sorted(tree.rglob(f"*{SUFFIX}"))
    ]


def render_all(templates: Path = TEMPLATES) -> dict[Path, str]:
    # Here, not in environment(): `maintain` renders the partition DDL with it, and needs neither the
    # client's declarations nor the checkout's function_roles.toml.
    from teams_obs.client_stub import client_imports, client_methods

    env = environment(templates)
    env.globals.update(client_methods=client_methods, client_imports=client_imports, function_roles=function_roles)
    return {target.output: env.get_template(target.template).render() for target in targets(templates)}


def stale(root: Path = REPO_ROOT, templates: Path = TEMPLATES) -> list[Path]:
    """Rendered files (relative to ``root``) that are missing or differ from their template."""
    return [
        output
        for output, text in render_all(templates).items()
        if not (root / output).is_file() or (root / output).read_text(encoding="utf-8") != text
    ]


def write(root: Path = REPO_ROOT, templates: Path = TEMPLATES) -> list[Path]:
    """Write every stale rendered file; returns the ones written."""
    rendered = render_all(templates)
    written = stale(root, templates)
    for output in written:
        (root / output).parent.mkdir(parents=True, exist_ok=True)
        (root / output).write_text(rendered[output], encoding="utf-8")
    return written
