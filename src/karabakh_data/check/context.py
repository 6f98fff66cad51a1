"""What the cross-table rules work on: the tables that could be read, the source texts, and the
lookups they share (a vocabulary's meaning of a value, membership of a value in a key)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import kernels
from ..io.csvfile import TableData
from ..io.seeds import SourceTexts
from ..kernels import Column
from ..model.repository import Repository
from ..model.schemas import Package
from .record import Record


@dataclass
class Context:
    repo: Repository
    package: Package
    data: dict[str, TableData]  # the tables that could be read
    texts: SourceTexts = field(default_factory=lambda: SourceTexts({}))
    record: Record | None = None  # the baseline's release record (None when it could not be read)


def rows_in(values: Column, table: TableData) -> np.ndarray:
    """For each value, the row of `table` whose one-column key equals it; -1 when none does."""
    return kernels.row_of(values, table.column(table.table.primary_key[0]))


def rows_where(owners: np.ndarray, mask: Column, rows: int) -> np.ndarray:
    """For each of `rows` rows, whether some entry where mask holds (null = false) has it as its owner."""
    hit = np.zeros(rows, dtype=bool)
    picked = pc.fill_null(mask, False).to_numpy(zero_copy_only=False) & (owners >= 0)
    hit[owners[picked]] = True
    return hit


def lookup(values: Column, table: TableData, key: str, column: str) -> Column:
    """For each value, `column` of the row of `table` whose `key` equals it (null when none does)."""
    return pc.take(table.column(column), pc.index_in(values, value_set=table.column(key)))


def is_any(values: Column, *choices: str) -> Column:
    """Whether each value is one of the choices (false for an empty cell)."""
    return pc.is_in(values, value_set=pa.array(choices, pa.string()))


def any_of(masks: list[Column]) -> Column:
    result = masks[0]
    for mask in masks[1:]:
        result = pc.or_(result, mask)
    return result


def all_of(masks: list[Column]) -> Column:
    result = masks[0]
    for mask in masks[1:]:
        result = pc.and_(result, mask)
    return result
