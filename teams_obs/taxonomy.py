"""The taxonomies of SPEC §3, loaded from ``taxonomy.toml``, their one source.

SQL gets the same lists through ``teams-obs render`` (templates/render), so Python, the CHECK
constraints, the record functions' validation and docs/taxonomies.md cannot drift apart.
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

    def expected(self) -> str:
        """The list as error messages show it: ``a, b, c``."""
        return ", ".join(self.values)


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
DELIVERY_DESTINATION_TYPE = TAXONOMIES["delivery_destination_type"]
AUDIT_SURFACE = TAXONOMIES["audit_surface"]
AUDIT_ACTION_ID = TAXONOMIES["audit_action_id"]
AUDIT_RESULT_STATUS = TAXONOMIES["audit_result_status"]
AUDIT_ERROR_CODE = TAXONOMIES["audit_error_code"]
CONVERSATION_TYPE = TAXONOMIES["conversation_type"]

DELIVERY_STATUSES = DELIVERY_STATUS.values
DELIVERY_ERROR_CODES = DELIVERY_ERROR_CODE.values
DELIVERY_DESTINATION_TYPES = DELIVERY_DESTINATION_TYPE.values
AUDIT_SURFACES = AUDIT_SURFACE.values
AUDIT_ACTION_IDS = AUDIT_ACTION_ID.values
AUDIT_RESULT_STATUSES = AUDIT_RESULT_STATUS.values
AUDIT_ERROR_CODES = AUDIT_ERROR_CODE.values
CONVERSATION_TYPES = CONVERSATION_TYPE.values
