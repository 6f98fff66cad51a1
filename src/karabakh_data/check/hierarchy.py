"""Parents: a foreign key from a table into itself (an actor's parent actor, a location's parent
location) never leads from a row back to the row, however many steps it takes."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .. import kernels
from ..io.csvfile import TableData
from ..model.problems import Omitted, Problem
from .context import Context

SHOWN_STEPS = 6  # a message shows this many steps of a cycle


def _chain(keys: list, parents: np.ndarray, row: int) -> str:
    steps, seen, current = [], set(), row
    while current >= 0 and current not in seen and len(steps) < SHOWN_STEPS:
        seen.add(current)
        steps.append(str(keys[current]))
        current = int(parents[current])
    return " -> ".join(steps) + (f" -> {keys[current]}" if current >= 0 else "")


def _cycles(data: TableData, field: str, key: str) -> Iterator[Problem | Omitted]:
    keys = data.column(key)
    parents = kernels.row_of(data.column(field), keys)
    on_cycle = kernels.cycle_members(parents)
    if not on_cycle.any():
        return
    listed = keys.to_pylist()
    yield from data.problems_at(
        np.flatnonzero(on_cycle),
        field,
        "parent-cycle",
        lambda row: (
            f"following {field} from this row leads back to it ({_chain(listed, parents, row)}); "
            "a parent is a different row, above it"
        ),
    )


def check_parents(ctx: Context) -> Iterator[Problem | Omitted]:
    for data in ctx.data.values():
        for fk in data.table.foreign_keys:
            if fk.resource == data.table.name and len(fk.fields) == 1:
                yield from _cycles(data, fk.fields[0], fk.reference_fields[0])
