"""The Datasette metadata of the published SQLite database, for `karabakh-data serve`.

Generated from datapackage.json and the Table Schemas it carries: the package's title, description,
licence and sources; every table's and column's description and unit; facets on the controlled
values (enums and references to vocabulary tables); and, for each table other tables reference, the
column Datasette shows beside a key as its label. Datasette finds the foreign keys in the database
itself, and the datasette-cluster-map plugin draws a map on every table with latitude and longitude
columns.
"""

from __future__ import annotations

from ..model.dictionary import columns
from ..model.schemas import VOCABULARY_GROUP, Package, Table

DATABASE = "karabakh"  # Datasette names a database after its file, data/karabakh.sqlite
SOURCE_GROUP = "source"  # the table of the source documents


def label_column(table: Table) -> str | None:
    """What a reference to this table shows beside the key: its `name` or `title` column, else its first
    required text column outside the keys (an event's summary); None when it has none."""
    keys = set(table.primary_key) | {name for fk in table.foreign_keys for name in fk.fields}
    candidates = [f for f in table.fields if f.name in ("name", "title")]
    candidates += [f for f in table.fields if f.type == "string" and table.is_required(f.name) and f.name not in keys]
    return candidates[0].name if candidates else None


def _table(package: Package, table: Table, referenced: set[str]) -> dict:
    rows = columns(package, table)
    entry: dict = {
        "description": table.description,
        "columns": {row["column"]: row["description"] for row in rows},
        "facets": [row["column"] for row in rows if row["controlled"]],
    }
    units = {row["column"]: row["unit"] for row in rows if row["unit"]}
    if units:
        entry["units"] = units
    # a vocabulary's key is its own label; its long description would crowd every cell that uses it
    label = label_column(table) if table.name in referenced and table.group != VOCABULARY_GROUP else None
    if label:
        entry["label_column"] = label
    return entry


def datasette_metadata(desc: dict, package: Package) -> dict:
    """Datasette's metadata (its format up to version 0.65) for the database built from this package."""
    referenced = {fk.resource for table in package.tables.values() for fk in table.foreign_keys}
    licence, sources = desc["licenses"][0], desc.get("sources", [])
    source_tables = [t.name for t in package.tables.values() if t.group == SOURCE_GROUP]
    metadata = {
        "title": desc["title"],
        "description": desc["description"],
        "license": licence["name"],
        "license_url": licence["path"],
        "source": sources[0]["title"] if len(sources) == 1 else f"{len(sources)} source documents",
        "databases": {
            DATABASE: {
                "description": f"Version {desc['version']} of the package.",
                "tables": {table.name: _table(package, table, referenced) for table in package.tables.values()},
            }
        },
    }
    if source_tables:
        metadata["source_url"] = f"/{DATABASE}/{source_tables[0]}"
    return metadata
