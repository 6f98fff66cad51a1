"""The artifacts generated from a table's schema: its Arrow schema, its pandera contract, its SQLite
table and the codebook's constraints column, each assembled from what keywords.py says of every
type and constraint keyword of its fields."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pyarrow as pa

from .keywords import CONSTRAINTS, TYPES, pandera_module
from .schemas import Field, Table

if TYPE_CHECKING:
    import pandera.pandas as pandera


def arrow_schema(table: Table) -> pa.Schema:
    """The Arrow schema of a published table: types, nullability and descriptions from the Table
    Schema, and the Table Schema itself in the metadata. Controlled values are plain strings: a
    vocabulary's values join with the columns that use them in every engine."""
    fields = [
        pa.field(
            f.name, TYPES[f.type].arrow, nullable=not table.is_required(f.name), metadata={"description": f.description}
        )
        for f in table.fields
    ]
    table_schema = json.dumps(table.descriptor, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return pa.schema(fields, metadata={"table_schema": table_schema, "description": table.description})


def pandera_schema(table: Table) -> pandera.DataFrameSchema:
    """The published pandera contract of a table (pandas dtypes of load(), every constraint)."""
    pandera = pandera_module()
    columns = {}
    single_key = table.primary_key[0] if len(table.primary_key) == 1 else None
    for f in table.fields:
        checks = [CONSTRAINTS[keyword].pandera(value) for keyword, value in f.constraints]
        columns[f.name] = pandera.Column(
            TYPES[f.type].pandas,
            checks,
            nullable=not table.is_required(f.name),
            unique=f.unique or f.name == single_key,
            coerce=False,
            description=f.description,
        )
    return pandera.DataFrameSchema(
        columns,
        strict=True,
        ordered=True,
        name=table.name,
        unique=list(table.primary_key) if single_key is None else None,
        report_duplicates="all",
    )


def _sql_name(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def create_table_sql(table: Table) -> str:
    """CREATE TABLE for SQLite: types, NOT NULL, UNIQUE, CHECK constraints, primary and foreign keys."""
    lines = [
        f"  {_sql_name(f.name)} {TYPES[f.type].sql}"
        f"{' NOT NULL' if table.is_required(f.name) else ''}{' UNIQUE' if f.unique else ''}"
        for f in table.fields
    ]
    for f in table.fields:
        c = _sql_name(f.name)
        checks = [TYPES[f.type].sql_check.format(c=c)] + [CONSTRAINTS[k].sql(c, v) for k, v in f.constraints]
        lines += [f"  CHECK ({c} IS NULL OR ({check}))" for check in checks if check]
    lines.append(f"  PRIMARY KEY ({', '.join(map(_sql_name, table.primary_key))})")
    for fk in table.foreign_keys:
        lines.append(
            f"  FOREIGN KEY ({', '.join(map(_sql_name, fk.fields))}) REFERENCES {_sql_name(fk.resource)} "
            f"({', '.join(map(_sql_name, fk.reference_fields))})"
        )
    return f"CREATE TABLE {_sql_name(table.name)} (\n" + ",\n".join(lines) + "\n) STRICT"


def codebook_constraints(table: Table, f: Field) -> str:
    """The constraints of a column as the codebook states them."""
    parts = ["primary key"] if f.name in table.primary_key else []
    parts += ["unique"] if f.unique else []
    parts += [CONSTRAINTS[keyword].codebook(value) for keyword, value in f.constraints]
    parts += [f"→ `{fk.resource}.{', '.join(fk.reference_fields)}`" for fk in table.foreign_keys if f.name in fk.fields]
    if f.enrichment:
        parts.append("enrichment" + (" (always)" if f.enrichment == "always" else " (when date_origin is enriched)"))
    return "; ".join(parts)
