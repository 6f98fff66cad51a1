"""Other published forms of the same tables: a SQLite database that enforces the Table Schemas a
second time with a real database engine, and a GeoJSON file of the locations."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pyarrow as pa

from ..model.generate import create_table_sql
from ..model.schemas import Package, Table


def _insert_order(tables: list[Table]) -> list[Table]:
    """Referenced tables first, so that every insert satisfies its foreign keys."""
    by_name, done, order = {t.name: t for t in tables}, set(), []

    def visit(table: Table, stack: tuple = ()):
        if table.name in done:
            return
        for fk in table.foreign_keys:
            if fk.resource != table.name and fk.resource in by_name and fk.resource not in stack:
                visit(by_name[fk.resource], stack + (table.name,))
        done.add(table.name)
        order.append(table)

    for table in tables:
        visit(table)
    return order


def _rows(table: Table, arrow: pa.Table) -> list[tuple]:
    columns = []
    for f in table.fields:
        column = arrow.column(f.name)
        if f.type == "date":  # SQLite stores dates as ISO text, booleans as 0/1: converted in Arrow, not per value
            column = column.cast(pa.string())
        elif f.type == "boolean":
            column = column.cast(pa.int64())
        columns.append(column.to_pylist())
    # self-references (a parent actor) must be inserted before their children
    rows = list(zip(*columns)) if columns else []
    self_fks = [fk for fk in table.foreign_keys if fk.resource == table.name]
    if self_fks:
        names = table.field_names
        key = [names.index(k) for k in table.primary_key]
        parent_cols = [names.index(f) for fk in self_fks for f in fk.fields]
        placed, ordered, pending = set(), [], rows
        while pending:
            ready = [r for r in pending if all(r[c] is None or (r[c],) in placed for c in parent_cols)]
            if not ready:  # a cycle: the engine will report it
                ordered += pending
                break
            ordered += ready
            placed |= {tuple(r[k] for k in key) for r in ready}
            pending = [r for r in pending if tuple(r[k] for k in key) not in placed]
        rows = ordered
    return rows


def write_sqlite(package: Package, tables: dict[str, pa.Table], path: Path) -> None:
    """Create the database with every constraint, then insert with foreign keys enforced."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA foreign_keys = ON")
        connection.execute("PRAGMA journal_mode = OFF")
        ordered = _insert_order([package[name] for name in tables])
        for table in ordered:
            connection.execute(create_table_sql(table))
        for table in ordered:
            placeholders = ", ".join("?" for _ in table.fields)
            connection.executemany(
                f'INSERT INTO "{table.name}" VALUES ({placeholders})', _rows(table, tables[table.name])
            )
        connection.commit()
        connection.execute("VACUUM")
    finally:
        connection.close()


def locations_geojson(locations: pa.Table) -> str:
    """A FeatureCollection with one feature per location; geometry null where no point is verified."""
    features = []
    for row in locations.to_pylist():
        geometry = None
        if row["latitude"] is not None and row["longitude"] is not None:
            geometry = {"type": "Point", "coordinates": [row["longitude"], row["latitude"]]}
        features.append({"type": "Feature", "id": row["location_id"], "geometry": geometry, "properties": row})
    return json.dumps({"type": "FeatureCollection", "features": features}, indent=2, ensure_ascii=False) + "\n"
