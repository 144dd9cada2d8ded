"""`teams-obs render`: regenerate the committed files rendered from templates/render (no database)."""

from __future__ import annotations

import click

from teams_obs import render as renderer


@click.command("render")
@click.option("--check", is_flag=True,
              help="Write nothing; list the rendered files that differ from their template and exit 1 if any.")
def render_command(check: bool) -> None:
    """Render templates/render/** into the committed files made from them: deploy and verify scripts, the client's
    method stubs (teams_obs/client_methods.pyi) and docs (docs/taxonomies.md, docs/bad-input.md)."""
    if not renderer.targets():  # an installed package carries the rendered files, not their templates
        click.echo(f"teams-obs: no templates to render under {renderer.TEMPLATES / renderer.RENDERED_TREE}:"
                   " render works in a source checkout", err=True)
        raise SystemExit(2)
    if check:
        stale = renderer.stale()
        for path in stale:
            click.echo(f"stale: {path} (run `teams-obs render`)")
        if stale:
            raise SystemExit(1)
        click.echo(f"{len(renderer.targets())} rendered files match their templates")
        return
    written = renderer.write()
    for path in written:
        click.echo(f"wrote {path}")
    click.echo(f"{len(written)} of {len(renderer.targets())} rendered files changed")
