"""taxonomy.toml is the one source: the deployed CHECK constraints list exactly its values, in its order."""

from __future__ import annotations

import re

import psycopg
import pytest

from teams_obs import taxonomy
from teams_obs.taxonomy import TAXONOMIES, Taxonomy

CHECKS_ON_COLUMN = """
SELECT pg_catalog.pg_get_constraintdef(c.oid)
  FROM pg_catalog.pg_constraint c
  JOIN pg_catalog.pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)
 WHERE c.conrelid = pg_catalog.to_regclass('teams_obs.' || %s) AND c.contype = 'c' AND a.attname = %s
"""


@pytest.mark.parametrize("entry", TAXONOMIES.values(), ids=list(TAXONOMIES))
def test_deployed_check_lists_the_taxonomy(db: psycopg.Connection, entry: Taxonomy) -> None:
    definitions = [row[0] for row in db.execute(CHECKS_ON_COLUMN, (entry.table, entry.column))]
    listing = [d for d in definitions if "::text[]" in d]
    assert len(listing) == 1, f"one CHECK lists the values of {entry.table}.{entry.column}: {definitions}"
    array_literal = re.search(r"'(\{[^']*\})'::text\[\]", listing[0]).group(1)
    assert tuple(db.execute("SELECT %s::text[]", (array_literal,)).fetchone()[0]) == entry.values
    assert ("IS NULL" in listing[0]) == entry.nullable
    nullable_column = db.execute(
        "SELECT NOT attnotnull FROM pg_catalog.pg_attribute"
        " WHERE attrelid = ('teams_obs.' || %s)::regclass AND attname = %s", (entry.table, entry.column)).fetchone()[0]
    assert nullable_column == entry.nullable


def test_python_constants_follow_the_toml():
    assert taxonomy.DELIVERY_STATUSES == ("skipped", "sent", "delivered", "failed")
    assert taxonomy.CONVERSATION_TYPES == ("personal", "groupChat", "channel")
    assert set(TAXONOMIES) == {"delivery_status", "delivery_error_code", "delivery_destination_type", "audit_surface",
                               "audit_action_id", "audit_result_status", "audit_error_code", "conversation_type"}
    assert None in taxonomy.DELIVERY_ERROR_CODE and None not in taxonomy.DELIVERY_STATUS
    assert "sent" in taxonomy.DELIVERY_STATUS and "Sent" not in taxonomy.DELIVERY_STATUS


def test_a_duplicate_value_in_the_toml_is_refused(tmp_path):
    source = tmp_path / "taxonomy.toml"
    source.write_text('[x]\ntable = "t"\ncolumn = "c"\nnullable = false\nvalues = ["a", "a"]\n')
    with pytest.raises(ValueError, match="distinct values"):
        taxonomy.load(source)
