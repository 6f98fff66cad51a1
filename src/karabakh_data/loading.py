"""The researcher's API: published tables as typed pandas DataFrames, and what their columns mean.

Reads only datapackage.json and the Parquet files, with pyarrow and pandas: it never imports the
validation stack (pandera, frictionless), so loading stays as fast as a bare Parquet read. Works with
pandas 2.2 and 3 and pyarrow 13 and newer (pyproject.toml; tests/test_install.py installs the oldest).
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .model.dictionary import COLUMNS, Published, columns, did_you_mean, read_published
from .model.repository import installed_root
from .model.schemas import Package, Table

ROOT_ENV = "KARABAKH_DATA_ROOT"
_TYPES = {pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype(), pa.bool_(): pd.BooleanDtype()}


class UnknownTable(KeyError):
    """A name that is not one of the published tables; the message suggests the closest names."""

    def __str__(self) -> str:
        return str(self.args[0])


def data_root(root: str | Path | None = None) -> Path:
    """Where the published package lives: `root`, $KARABAKH_DATA_ROOT, the checkout this module
    runs from (a clone or an editable install), or the copy packaged inside the wheel."""
    for candidate in (root, os.environ.get(ROOT_ENV)):
        if candidate:
            return Path(candidate)
    return installed_root()


@lru_cache(maxsize=8)
def _read_descriptor(path: Path, stamp: tuple[int, int]) -> tuple[dict, Package, dict[str, Published]]:
    return read_published(path, str(path))


def _published(root: Path) -> tuple[dict, Package, dict[str, Published]]:
    """datapackage.json, its tables parsed, and their published files; read again when the file changes
    (a rebuild in the same process)."""
    path = root / "datapackage.json"
    status = path.stat()
    return _read_descriptor(path, (status.st_mtime_ns, status.st_size))


def _table(root: Path, name: str) -> Table:
    tables = _published(root)[1].tables
    if name not in tables:
        names = sorted(tables)
        raise UnknownTable(
            f"no published table {name!r}{did_you_mean(name, names)}; table_names() lists all {len(names)}"
        )
    return tables[name]


def table_names(root: str | Path | None = None) -> list[str]:
    """Names of the published tables, sorted."""
    return sorted(_published(data_root(root))[1].tables)


def _categories(root: Path, table: Table, name: str) -> list[str] | None:
    """The whole vocabulary of a controlled column, in the vocabulary's order: its enum, or the
    values of the vocabulary table it points to; None for a column that is not controlled."""
    enum = table.field(name).constraint("enum")
    if enum:
        return list(enum)
    _, package, files = _published(root)
    vocabulary = package.vocabulary_of(table, name)
    if vocabulary is None:
        return None
    target, column = vocabulary
    values = pq.read_table(root / files[target].parquet, columns=[column]).column(column)
    return pc.unique(values).to_pylist()


def _attrs(root: Path, table: Table) -> dict:
    return {
        "table": table.name,
        "description": table.description,
        "columns": {f.name: f.description for f in table.fields},
        "version": _published(root)[0].get("version"),
    }


def load(name: str, root: str | Path | None = None) -> pd.DataFrame:
    """One published table as a DataFrame, typed per its Table Schema:

    - string -> pandas `str` (`object` on pandas 2; a literal "NA" stays "NA": only empty cells are missing);
    - integer -> nullable `Int64` (missing = <NA>; e.g. fatalities: <NA> = not reported, 0 = none);
    - number -> nullable `Float64`; boolean -> nullable `boolean`;
    - date -> `datetime64[ms]` (missing = NaT);
    - controlled values (an enum, or a column pointing to a vocab_* table) -> `category`, whose
      categories are the whole vocabulary in the vocabulary's order (unused values included).
    Rows come sorted by primary key, with a plain RangeIndex. `frame.attrs` holds the table's
    description, each column's (`attrs["columns"]`) and the data version; `describe(name)` says more.
    An unknown name raises a KeyError that suggests the closest table names.
    """
    base = data_root(root)
    table = _table(base, name)
    arrow = pq.read_table(base / _published(base)[2][name].parquet)
    controlled = {c: v for c in arrow.column_names if (v := _categories(base, table, c)) is not None}
    frame = arrow.drop_columns(list(controlled)).to_pandas(types_mapper=_TYPES.get, date_as_object=False)
    for column, categories in controlled.items():
        # codes straight from Arrow: a pandas detour through millions of Python-level strings costs more than the read
        codes = pc.fill_null(pc.index_in(arrow.column(column), value_set=pa.array(categories, pa.string())), -1)
        frame.insert(
            arrow.column_names.index(column),
            column,
            pd.Categorical.from_codes(codes.to_numpy(), categories=categories),
        )
    frame.attrs = _attrs(base, table)
    return frame


def load_all(root: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Every published table, by name."""
    return {name: load(name, root) for name in table_names(root)}


def describe(name: str | None = None, root: str | Path | None = None) -> pd.DataFrame:
    """What the published tables hold, generated from their Table Schemas.

    - describe(): one row per table: table, group, rows, primary_key, description;
    - describe("events"): one row per column, the data dictionary (docs/data_dictionary.csv): column,
      type, required, description, constraints, primary_key, unique, controlled (a fixed list of
      values: an enum or a vocab_* table), references (the table.column a foreign key points to),
      unit, enrichment, crosswalk (ACLED, UCDP GED, PLOVER, CAMEO, PA-X) and derivation (views).
    """
    base = data_root(root)
    _, package, files = _published(base)
    if name is None:
        return pd.DataFrame(
            [
                {
                    "table": t.name,
                    "group": t.group,
                    "rows": files[t.name].rows,
                    "primary_key": ", ".join(t.primary_key),
                    "description": t.description,
                }
                for t in package.tables.values()
            ]
        )
    table = _table(base, name)
    frame = pd.DataFrame(columns(package, table), columns=list(COLUMNS)).drop(columns="table")
    frame.attrs = _attrs(base, table)
    return frame
