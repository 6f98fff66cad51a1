"""Parquet files of the published tables: written from Arrow with the schema generated from the Table
Schema, rows sorted by primary key, and pinned writer settings, so that the same inputs give the same
bytes (with the same pyarrow version, whose version string is in every file footer)."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..model.generate import arrow_schema
from ..model.schemas import Table

PARQUET_SETTINGS = dict(
    compression="zstd",
    compression_level=3,
    use_dictionary=True,
    write_statistics=True,
    row_group_size=1 << 20,
    data_page_version="1.0",
    version="2.6",
    store_schema=True,
)
PARQUET_MEDIATYPE = "application/vnd.apache.parquet"


def published_table(table: Table, typed: pa.Table) -> pa.Table:
    """The typed columns with the table's published Arrow schema, in one chunk per column: the chunk
    layout is part of what the bytes depend on."""
    schema = arrow_schema(table)
    return pa.Table.from_arrays([typed.column(f.name).cast(f.type) for f in schema], schema=schema).combine_chunks()


def write_parquet(table: pa.Table, path: Path) -> None:
    pq.write_table(table, path, **PARQUET_SETTINGS)
