"""teams_obs.jcs (the Python side of RFC 8785 hashing) and `teams-obs hash`, which needs no database."""

from __future__ import annotations

import hashlib

import psycopg
import pytest
from click.testing import CliRunner

from teams_obs import jcs
from teams_obs.cli import main

# A Teams activity as a bot receives it: nested objects, an array, non-ASCII text, an emoji, numbers.
ACTIVITY = ('{"type": "message", "id": "1732787423117", "timestamp": "2026-11-29T10:48:56.123Z", '
            '"from": {"id": "29:1f728b", "name": "Zo\\u00eb M\\u00fcller", "aadObjectId": "eb1167b3"}, '
            '"conversation": {"conversationType": "personal", "id": "a:1e443d"}, '
            '"text": "Drucker im 3. OG \\ud83d\\udda8 \\u2014 bitte pr\\u00fcfen", '
            '"value": {"ticketId": 146535, "estimate": 4.95, "big": 1e23, "tags": ["printer", "3OG"], "note": null}}')


def test_payload_hash_is_the_sha256_of_the_canonical_utf8_bytes() -> None:
    canonical = jcs.canonical_json(ACTIVITY)
    assert canonical.startswith('{"conversation":{"conversationType":"personal","id":"a:1e443d"},"from":{"aadObjectId"')
    assert '"value":{"big":1e+23,"estimate":4.95,"note":null,"tags":["printer","3OG"],"ticketId":146535}' in canonical
    assert jcs.payload_hash(ACTIVITY) == hashlib.sha256(canonical.encode()).hexdigest()
    assert jcs.payload_hash(ACTIVITY.encode()) == jcs.payload_hash(ACTIVITY)


def test_the_database_gives_the_same_hash(db: psycopg.Connection) -> None:
    in_sql = db.execute("SELECT teams_obs.payload_hash(%s::json)", (ACTIVITY,)).fetchone()[0]
    assert in_sql == jcs.payload_hash(ACTIVITY)


@pytest.mark.parametrize(("document", "path", "message"), [
    ('{"a": {"b": [0, {"x": 1, "x": 2}]}}', "$.a.b[1]", '$.a.b[1]: duplicate key "x"'),
    ('{"a b": ["\\u0000"]}', '$."a b"[0]', '$."a b"[0]: string contains \\u0000, which PostgreSQL cannot store'),
    ('{"k": "\\udc00"}', "$.k", "$.k: string contains a lone surrogate"),
    ("[1, -1e309]", "$[1]", "$[1]: number is outside the IEEE 754 double range"),
    ("[NaN]", "$", "$: invalid JSON: NaN is not a JSON value"),
    ('{"a": 1', "$", "$: invalid JSON: Expecting ',' delimiter (line 1 column 8)"),
])
def test_refusals_name_the_path(document: str, path: str, message: str) -> None:
    with pytest.raises(jcs.CanonicalJSONError) as refused:
        jcs.payload_hash(document)
    assert (refused.value.path, str(refused.value)) == (path, message)
    assert isinstance(refused.value, ValueError)


def test_bytes_must_be_utf8() -> None:
    with pytest.raises(jcs.CanonicalJSONError, match=r"^\$: invalid JSON: not UTF-8 \(byte 7\)$"):
        jcs.canonical_json(b'{"a": "\xff"}')


def test_integers_are_doubles_like_in_javascript() -> None:
    assert jcs.canonical_json("[9007199254740993, 1000000000000000000000, 1e-400, -0]") == \
        "[9007199254740992,1e+21,0,0]"


def test_cli_prints_canonical_form_and_hash_without_a_database(tmp_path, monkeypatch) -> None:
    monkeypatch.delenv("TEAMS_OBS_DATABASE_URL", raising=False)
    source = tmp_path / "activity.json"
    source.write_text(ACTIVITY)
    result = CliRunner().invoke(main, ["hash", str(source)])
    assert result.exit_code == 0, result.output
    assert result.output == f"{jcs.canonical_json(ACTIVITY)}\n{jcs.payload_hash(ACTIVITY)}\n"


def test_cli_reads_stdin_and_exits_2_on_a_refusal() -> None:
    result = CliRunner().invoke(main, ["hash", "-"], input='{"a": 1, "b": {"c": 1, "c": 2}}')
    assert result.exit_code == 2
    assert result.output == 'teams-obs: -: $.b: duplicate key "c"\n'


def test_a_document_nested_deeper_than_python_walks_is_a_refusal_not_a_crash(db: psycopg.Connection) -> None:
    """The database hashes it (one recursive query); the Python side refuses it like any other document it
    cannot take, so that the CLI exits 2 and the client's never_raise covers it."""
    deep = "[" * 5000 + "]" * 5000
    assert len(db.execute("SELECT teams_obs.payload_hash(%s::json)", [deep]).fetchone()[0]) == 64
    with pytest.raises(jcs.CanonicalJSONError, match=r"^\$: nested deeper than the Python side can walk"):
        jcs.payload_hash(deep)
    result = CliRunner().invoke(main, ["hash", "-"], input=deep)
    assert result.exit_code == 2 and "nested deeper than the Python side can walk" in result.output


LONG = "k" * 150  # a name the messages cut to its first 100 characters, on both sides


@pytest.mark.parametrize("document", [
    f'{{"{LONG}": 1, "{LONG}": 2}}',
    f'{{"a": {{"{"x y" * 50}": 1, "{"x y" * 50}": 2}}}}',
    f'{{"{LONG}": {{"x": 1, "x": 2}}}}',
    f'{{"{"k" * 100}": {{"{"k" * 101}": [0, "\\u0000"]}}}}',
    f'{{"{LONG}": ["\\ud800"]}}',
], ids=["duplicate-long-identifier", "duplicate-long-name", "path-long-identifier", "path-100-and-101",
        "path-long-surrogate"])
def test_refusals_of_long_names_read_as_the_database_words_them(db: psycopg.Connection, document: str) -> None:
    """Names in messages are cut to 100 characters and a name of up to 100 identifier characters is written
    bare in a path, as deploy/canonical_json.sql writes them."""
    with pytest.raises(psycopg.errors.InvalidParameterValue) as in_sql:
        db.execute("SELECT teams_obs.canonical_json(%s::json)", [document])
    with pytest.raises(jcs.CanonicalJSONError) as in_python:
        jcs.payload_hash(document)
    assert in_sql.value.sqlstate == "22023"
    assert str(in_python.value) == in_sql.value.diag.message_primary
    assert "k" * 101 not in str(in_python.value)
