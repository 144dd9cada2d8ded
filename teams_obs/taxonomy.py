"""The taxonomies of SPEC §3, loaded from ``taxonomy.toml``, their one source.

SQL gets the same lists through ``teams-obs render`` (templates/render), so Python, the CHECK
constraints, the record functions' validation, docs/taxonomies.md and the messages docs/bad-input.md
quotes cannot drift apart.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

SOURCE = Path(__file__).with_name("taxonomy.toml")


@dataclass(frozen=True)
class Taxonomy:
    """The allowed values of one CHECK-constrained text column, in spec order."""

    name: str
    table: str
    column: str
    nullable: bool
    values: tuple[str, ...]

    def __contains__(self, value: object) -> bool:
        return value in self.values if value is not None else self.nullable


def load(path: Path = SOURCE) -> MappingProxyType[str, Taxonomy]:
    with path.open("rb") as source:
        raw = tomllib.load(source)
    taxonomies = {
        name: Taxonomy(
            name=name,
            table=entry["table"],
            column=entry["column"],
            nullable=entry["nullable"],
            values=tuple(entry["values"]),
        )
        for name, entry in raw.items()
    }
    for taxonomy in taxonomies.values():
        if len(set(taxonomy.values)) != len(taxonomy.values) or not taxonomy.values:
            raise ValueError(f"{path}: taxonomy {taxonomy.name} must list distinct values")
    return MappingProxyType(taxonomies)


TAXONOMIES = load()

DELIVERY_STATUS = TAXONOMIES["delivery_status"]
DELIVERY_ERROR_CODE = TAXONOMIES["delivery_error_code"]

DELIVERY_STATUSES = DELIVERY_STATUS.values
DELIVERY_ERROR_CODES = DELIVERY_ERROR_CODE.values
DELIVERY_DESTINATION_TYPES = TAXONOMIES["delivery_destination_type"].values
AUDIT_SURFACES = TAXONOMIES["audit_surface"].values
AUDIT_ACTION_IDS = TAXONOMIES["audit_action_id"].values
AUDIT_RESULT_STATUSES = TAXONOMIES["audit_result_status"].values
AUDIT_ERROR_CODES = TAXONOMIES["audit_error_code"].values
CONVERSATION_TYPES = TAXONOMIES["conversation_type"].values
