"""SQL and Python canonical JSON agree byte for byte, and refuse the same documents with the same message.

Hypothesis writes JSON *texts* (so that duplicate names, escapes, exponent spellings and whitespace vary),
50 to a batch; each batch is canonicalised by teams_obs.canonical_json/payload_hash in one query (a refusal
is caught per document on the server) and by teams_obs.jcs. At least 5,000 documents are compared per run.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import struct
from decimal import Decimal

import psycopg
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from teams_obs import jcs

BATCH = 50
BATCHES = 110
MINIMUM_DOCUMENTS = 5_000

# Per document on the server: the canonical form and hash, or the refusal's SQLSTATE and message.
TRY_CANONICAL = """
CREATE FUNCTION pg_temp.try_canonical(p_doc text, OUT canonical text, OUT hash text, OUT code text,
                                      OUT message text)
LANGUAGE plpgsql AS $$
BEGIN
    canonical := teams_obs.canonical_json(p_doc::json);
    hash := teams_obs.payload_hash(p_doc::json);
EXCEPTION WHEN OTHERS THEN
    code := SQLSTATE;
    message := SQLERRM;
END $$
"""
BATCH_QUERY = ("SELECT t.canonical, t.hash, t.code, t.message "
               "FROM unnest(%s::text[]) WITH ORDINALITY AS d (doc, n), LATERAL pg_temp.try_canonical(d.doc) AS t "
               "ORDER BY d.n")


class Literal(str):
    """A number exactly as written in the JSON text."""


class JsonObject(list):
    """An object as its (name, value) members in document order, duplicates allowed."""


# Names and strings: ASCII, accented, CJK, astral, controls, U+E000..U+FFFF (whose UTF-16 order differs from
# code point order against astral characters), U+2028, DEL.
SPECIAL_CHARACTERS = ["a", "b", "é", "ö", "€", "漢", "字", "😀", "𐀀", "\U0010ffff", "\ue000", "\ufb33", "\uffff",
                      "\x01", "\x1f", "\n", "\t", '"', "\\", "/", "\u2028", "\x7f", "\x80", "1", " "]
characters = st.one_of(st.sampled_from(SPECIAL_CHARACTERS),
                       st.characters(exclude_categories=("Cs",), exclude_characters="\x00"))
names = st.one_of(st.sampled_from(["id", "type", "value", "", "a", "aa", "b", "é", "€", "😀", "\ufb33"]),
                  st.text(characters, max_size=4))
strings = st.text(characters, max_size=8)


def exact_decimal(value: float) -> str:
    return format(Decimal(value), "f") if 1e-30 <= abs(value) < 1e30 else format(Decimal(value), "e")


def midpoint(value: float) -> str:
    """The exact decimal halfway between a double and the next one up (a JSON reader rounds it to even)."""
    above = math.nextafter(value, math.inf)
    return format((Decimal(value) + Decimal(above)) / 2, "e") if math.isfinite(above) else repr(value)


SPELLINGS = (repr, "{:.17e}".format, lambda value: f"{value:.17E}".replace("E+", "E"), "{:.16g}".format,
             exact_decimal, midpoint)


def spell(value: float, form: int) -> str:
    """One of several JSON spellings of a double (each reads back as that double, or as the even neighbour)."""
    return SPELLINGS[form](value)


FORMS = st.integers(0, len(SPELLINGS) - 1)
doubles = st.builds(spell, st.floats(allow_nan=False, allow_infinity=False), FORMS)
bit_patterns = st.integers(0, 2**64 - 1).map(lambda bits: struct.unpack("<d", bits.to_bytes(8, "little"))[0])
any_bits = st.builds(spell, bit_patterns.filter(math.isfinite), FORMS)
# Few significant digits at every magnitude: where the shortest form sits on a rounding boundary (1e23, 5e22),
# plus overflow (refused) and underflow (0) at the ends.
short_digits = st.builds("{2}{0}e{1}".format, st.integers(1, 99_999), st.integers(-330, 310),
                         st.sampled_from(["", "-"]))
integers = st.one_of(st.integers(-(2**53), 2**53), st.integers(-(2**80), 2**80),
                     st.integers(0, 64).map(lambda k: 2**53 + k), st.integers(0, 308).map(lambda k: 10**k))
powers_of_ten = st.builds(str.format, st.sampled_from(["1e{}", "1E{}", "1.0e{}", "10e{}"]), st.integers(-325, 309))
numbers = st.one_of(doubles, any_bits, short_digits, integers.map(str), powers_of_ten).map(Literal)
scalars = st.one_of(st.none(), st.booleans(), strings, numbers)


# Hypothesis favours the ends of an integer range, so a rare event is a value from the middle.
RARELY = 7


def with_duplicate(members: dict, duplicate: int) -> JsonObject:
    """The members, and now and then (1 in 20) the first name once more at the end."""
    pairs = JsonObject(members.items())
    if pairs and duplicate == RARELY:
        pairs.append((pairs[0][0], None))
    return pairs


def objects(children: st.SearchStrategy) -> st.SearchStrategy[JsonObject]:
    return st.builds(with_duplicate, st.dictionaries(names, children, max_size=5), st.integers(0, 19))


values = st.recursive(scalars, lambda children: st.one_of(st.lists(children, max_size=5), objects(children)),
                      max_leaves=10)


def poisoned(document: object, dose: int, bad: str, in_array: bool) -> object:
    """Now and then (1 in 15) a string with \\u0000 or a lone surrogate next to the document (refused)."""
    if dose != RARELY:
        return document
    return [document, bad] if in_array else JsonObject([(bad, document)])


def dump(node: object, *, ascii_only: bool, upper_hex: bool, space: str) -> str:
    """The JSON text of a node, escapes and whitespace as asked."""
    if isinstance(node, Literal):
        return str(node)
    if isinstance(node, str):
        text = json.dumps(node, ensure_ascii=ascii_only or bool(re.search("[\x00\ud800-\udfff]", node)))
        return re.sub(r"\\u([0-9a-f]{4})", lambda m: "\\u" + m[1].upper(), text) if upper_hex else text
    if isinstance(node, JsonObject):
        members = (dump(name, ascii_only=ascii_only, upper_hex=upper_hex, space=space) + ":" + space
                   + dump(value, ascii_only=ascii_only, upper_hex=upper_hex, space=space) for name, value in node)
        return "{" + ("," + space).join(members) + "}"
    if isinstance(node, list):
        return "[" + ("," + space).join(dump(e, ascii_only=ascii_only, upper_hex=upper_hex, space=space)
                                        for e in node) + "]"
    return json.dumps(node)


documents = st.builds(
    dump,
    st.builds(poisoned, values, st.integers(0, 14), st.sampled_from(["\x00", "\ud800", "\udfff", "x\udbffy"]),
              st.booleans()),
    ascii_only=st.booleans(), upper_hex=st.booleans(), space=st.sampled_from(["", " ", "\n  "]))


def python_side(document: str) -> tuple[str, str] | str:
    try:
        return jcs.canonical_json(document), jcs.payload_hash(document)
    except jcs.CanonicalJSONError as exc:
        return str(exc)


def assert_agree(db: psycopg.Connection, batch: list[str], python=python_side) -> None:
    rows = db.execute(BATCH_QUERY, (batch,)).fetchall()
    for document, (canonical, hash_, sqlstate, message) in zip(batch, rows, strict=True):
        expected = python(document)
        if isinstance(expected, str):
            assert (sqlstate, message) == ("22023", expected), document
        else:
            assert (sqlstate, message) == (None, None), document
            assert (canonical, hash_) == expected, document


def test_sql_and_python_agree(db: psycopg.Connection) -> None:
    db.execute(TRY_CANONICAL)
    compared: list[int] = []

    @settings(max_examples=BATCHES)
    @given(st.lists(documents, min_size=BATCH, max_size=BATCH))
    def agree(batch: list[str]) -> None:
        assert_agree(db, batch)
        compared.append(len(batch))

    agree()
    assert sum(compared) >= MINIMUM_DOCUMENTS


def not_jcs(document: str) -> tuple[str, str]:
    """What a naive canonicaliser does: code point order, Python's float repr."""
    text = json.dumps(json.loads(document), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return text, hashlib.sha256(text.encode()).hexdigest()


@pytest.mark.parametrize("document", ["[1e23, 1e-7, 1.0]", r'{"\ufb33": 1, "\ud83d\ude00": 2}', '{"a": 1, "a": 2}'])
def test_the_comparison_catches_a_wrong_python_side(db: psycopg.Connection, document: str) -> None:
    db.execute(TRY_CANONICAL)
    assert_agree(db, [document])
    with pytest.raises(AssertionError):
        assert_agree(db, [document], python=not_jcs)
