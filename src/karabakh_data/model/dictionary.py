"""The data dictionary: one row per column of every published table, generated from the Table Schemas.

build writes it as docs/data_dictionary.csv beside the codebook, `karabakh_data.describe(table)` gives
it as a DataFrame, and the Datasette metadata of `karabakh-data serve` takes its descriptions, units
and facets from the same rows. It is built from a Package, so it works from schemas/ (build) and from
the schemas inside datapackage.json (an installed package) alike.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from .jsonfile import JsonFileError, read_json_file
from .schemas import Package, SchemaError, Table, parse_table

# column -> its type in the dictionary ("boolean" columns hold True/False, "string" ones "" for none)
COLUMNS = {
    "table": "string",
    "column": "string",
    "type": "string",
    "required": "boolean",
    "description": "string",
    "constraints": "string",
    "primary_key": "boolean",
    "unique": "boolean",
    "controlled": "boolean",  # an enum, or a reference to a vocabulary table: a fixed list of values
    "references": "string",  # table.column a foreign key points to
    "unit": "string",
    "enrichment": "string",  # x-enrichment: when a value needs a row in enrichments
    "crosswalk": "string",  # where the concept lives in ACLED, UCDP GED, PLOVER, CAMEO, PA-X
    "derivation": "string",  # views: how the column is derived from the tables
}


def _argument(value: object) -> str:
    return " | ".join(map(str, value)) if isinstance(value, tuple) else str(value)


def is_controlled(package: Package, table: Table, name: str) -> bool:
    """A column whose values come from a fixed list: its enum, or the vocabulary table it references."""
    return bool(table.field(name).constraint("enum")) or package.vocabulary_of(table, name) is not None


def columns(package: Package, table: Table) -> list[dict]:
    """The dictionary rows of one table, in schema order."""
    rows = []
    for f in table.fields:
        references = [
            f"{fk.resource}.{fk.reference_fields[fk.fields.index(f.name)]}"
            for fk in table.foreign_keys
            if f.name in fk.fields
        ]
        rows.append(
            {
                "table": table.name,
                "column": f.name,
                "type": f.type,
                "required": table.is_required(f.name),
                "description": f.description,
                "constraints": "; ".join(f"{keyword} {_argument(value)}" for keyword, value in f.constraints),
                "primary_key": f.name in table.primary_key,
                "unique": f.unique,
                "controlled": is_controlled(package, table, f.name),
                "references": "; ".join(references),
                "unit": f.unit or "",
                "enrichment": f.enrichment or "",
                "crosswalk": "; ".join(f"{k}: {v}" for k, v in f.crosswalk),
                "derivation": f.derivation or "",
            }
        )
    return rows


def dictionary(package: Package) -> list[dict]:
    """The rows of every table, in the package's table order."""
    return [row for table in package.tables.values() for row in columns(package, table)]


def package_from_descriptor(desc: dict, where: str) -> Package:
    """The tables of a published datapackage.json (each resource carries its Table Schema and group),
    parsed as strictly as schemas/ is."""
    try:
        package = Package({key: value for key, value in desc.items() if key != "resources"})
        for resource in desc["resources"]:
            name = resource["name"]
            package.tables[name] = parse_table(name, resource["x-group"], resource["schema"], f"{where}: {name}")
    except (KeyError, TypeError, AttributeError) as exc:  # a part that is missing or not of its JSON type
        raise _not_a_descriptor(where, f"{type(exc).__name__}: {exc}") from None
    return package


MAX_DESCRIPTOR_BYTES = 8 << 20  # the schemas of every table: about 0.1 MB now; more is refused unread


def read_published(path: Path, where: str) -> tuple[dict, Package, dict[str, Published]]:
    """A published datapackage.json, read within its size and nesting limits: the descriptor, its tables
    and their files. Its shape is judged by parsing it, as strictly as schemas/ is, without the JSON Schema
    validator of the [check] extra: load() and describe run in the light install."""
    try:
        desc = read_json_file(path, None, MAX_DESCRIPTOR_BYTES)
    except JsonFileError as exc:
        raise SchemaError(where, exc.message) from None
    return desc, package_from_descriptor(desc, where), published_files(desc, where)


@dataclass(frozen=True)
class Published:
    rows: int
    parquet: str  # the Parquet file's path, relative to the descriptor


def published_files(desc: dict, where: str) -> dict[str, Published]:
    """Each table's row count and Parquet file, as the descriptor gives them to load() and describe."""
    try:
        found = {r["name"]: Published(r["x-rows"], r["x-parquet"]["path"]) for r in desc["resources"]}
    except (KeyError, TypeError, AttributeError) as exc:
        raise _not_a_descriptor(where, f"{type(exc).__name__}: {exc}") from None
    for name, published in found.items():
        if not isinstance(published.rows, int) or not isinstance(published.parquet, str):
            raise _not_a_descriptor(where, f"{name}: x-rows is not a count or x-parquet.path not a path")
    return found


def _not_a_descriptor(where: str, why: str) -> SchemaError:
    return SchemaError(where, f"not a karabakh-data descriptor ({why})")


def did_you_mean(name: str, names: list[str]) -> str:
    """' (did you mean 'x'?)' for the names closest to a misspelled one; '' when none is close."""
    close = difflib.get_close_matches(name, names, n=3)
    return f" (did you mean {' or '.join(map(repr, close))}?)" if close else ""
