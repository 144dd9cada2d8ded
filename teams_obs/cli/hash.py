"""`teams-obs hash`: the RFC 8785 canonical form of a JSON file and its payload hash (no database)."""

from __future__ import annotations

import hashlib
import sys

import click

from teams_obs import jcs


@click.command("hash")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, allow_dash=True), metavar="FILE.json")
def hash_command(path: str) -> None:
    """Print the canonical form of FILE.json (- for stdin), then its payload hash.

    The first line is the canonical form as UTF-8 bytes, the second the lowercase hex SHA-256 of those bytes:
    what teams_obs.canonical_json and teams_obs.payload_hash return in the database. A document they
    refuse (duplicate keys, \\u0000, lone surrogates, numbers outside the double range, invalid JSON) exits
    with status 2 and the JSON path of the problem.
    """
    with click.open_file(path, "rb") as source:
        text = source.read()
    try:
        canonical = jcs.canonical_bytes(text)
    except jcs.CanonicalJSONError as exc:
        click.echo(f"teams-obs: {path}: {exc}", err=True)
        sys.exit(2)
    with click.open_file("-", "wb") as stdout:
        stdout.write(canonical + b"\n")
        stdout.write(hashlib.sha256(canonical).hexdigest().encode() + b"\n")
