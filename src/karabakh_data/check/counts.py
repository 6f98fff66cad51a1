"""Counts: a low, best and high estimate of deaths are ordered (empty = not reported, 0 = none)."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow.compute as pc

from .. import kernels
from ..io.csvfile import TableData
from ..model.problems import Problem
from .context import Context

ORDER = (
    ("fatalities_low", "fatalities_best"),
    ("fatalities_best", "fatalities_high"),
    ("fatalities_low", "fatalities_high"),
)


def check_fatalities(ctx: Context) -> Iterator[Problem]:
    for data in ctx.data.values():
        if all(data.table.has_field(f) for f, _ in ORDER):
            yield from _check_order(data)


def _check_order(data: TableData) -> Iterator[Problem]:
    reported = set()
    for lower, higher in ORDER:
        x, y = data.column(lower), data.column(higher)
        for row in kernels.true_rows(pc.greater(x, y)):
            if row not in reported:  # one problem per row is enough to point at it
                reported.add(row)
                yield data.problem(
                    row,
                    lower,
                    "fatalities-order",
                    f"{lower} ({x[row]}) is greater than {higher} ({y[row]}); need low <= best <= high",
                )
