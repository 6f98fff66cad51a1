"""The researcher's API: published tables as typed pandas DataFrames.

Reads only the generated Parquet files and datapackage.json, with pyarrow and pandas: it never
imports the validation stack (pandera, frictionless), so loading stays as fast as a bare Parquet read.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

ROOT_ENV = "KARABAKH_DATA_ROOT"
_PACKAGED = Path(__file__).resolve().parent / "_data"  # filled when the wheel is built
_CHECKOUT = Path(__file__).resolve().parents[2]  # src/karabakh_data -> repository root
_TYPES = {pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype(), pa.bool_(): pd.BooleanDtype()}


def data_root(root: str | Path | None = None) -> Path:
    """Where the published package lives: `root`, $KARABAKH_DATA_ROOT, the checkout this module
    runs from (a clone or an editable install), or the copy packaged inside the wheel."""
    for candidate in (root, os.environ.get(ROOT_ENV)):
        if candidate:
            return Path(candidate)
    if (_CHECKOUT / "schemas" / "_package.json").is_file():
        return _CHECKOUT
    return _PACKAGED


@lru_cache(maxsize=8)
def _groups(root: Path) -> dict[str, str]:
    """Table name -> its group (coded, vocabulary, view, ...), from datapackage.json."""
    desc = json.loads((root / "datapackage.json").read_text(encoding="utf-8"))
    return {r["name"]: r["x-group"] for r in desc["resources"]}


def table_names(root: str | Path | None = None) -> list[str]:
    """Names of the published tables, sorted."""
    return sorted(_groups(data_root(root)))


def _categories(root: Path, schema: dict, name: str) -> list[str] | None:
    """The whole vocabulary of a controlled column, in the vocabulary's order: its enum, or the
    values of the vocabulary table it points to; None for a column that is not controlled."""
    field = next(f for f in schema["fields"] if f["name"] == name)
    if "enum" in field.get("constraints", {}):
        return list(field["constraints"]["enum"])
    for fk in schema.get("foreignKeys", []):
        target = fk["reference"]["resource"]
        if name in fk["fields"] and _groups(root).get(target) == "vocabulary":
            column = fk["reference"]["fields"][fk["fields"].index(name)]
            values = pq.read_table(root / "data" / "parquet" / f"{target}.parquet", columns=[column]).column(column)
            return pc.unique(values).to_pylist()
    return None


def load(name: str, root: str | Path | None = None) -> pd.DataFrame:
    """One published table as a DataFrame, typed per its Table Schema:

    - string -> pandas `str` (a literal "NA" stays "NA"; only empty cells are missing);
    - integer -> nullable `Int64` (missing = <NA>; e.g. fatalities: <NA> = not reported, 0 = none);
    - number -> nullable `Float64`; boolean -> nullable `boolean`;
    - date -> `datetime64[ms]` (missing = NaT);
    - controlled values (an enum, or a column pointing to a vocab_* table) -> `category`, whose
      categories are the whole vocabulary in the vocabulary's order (unused values included).
    Rows come sorted by primary key, with a plain RangeIndex.
    """
    base = data_root(root)
    names = table_names(base)
    if name not in names:
        raise KeyError(f"no published table {name!r}; tables: {', '.join(names)}")
    table = pq.read_table(base / "data" / "parquet" / f"{name}.parquet")
    schema = json.loads(table.schema.metadata[b"table_schema"])
    controlled = {c: v for c in table.column_names if (v := _categories(base, schema, c)) is not None}
    frame = table.drop_columns(list(controlled)).to_pandas(types_mapper=_TYPES.get, date_as_object=False)
    for column, categories in controlled.items():
        # codes straight from Arrow: a pandas detour through millions of Python-level strings costs more than the read
        codes = pc.fill_null(pc.index_in(table.column(column), value_set=pa.array(categories, pa.string())), -1)
        frame.insert(
            table.column_names.index(column),
            column,
            pd.Categorical.from_codes(codes.to_numpy(), categories=categories),
        )
    return frame


def load_all(root: str | Path | None = None) -> dict[str, pd.DataFrame]:
    """Every published table, by name."""
    return {name: load(name, root) for name in table_names(root)}
