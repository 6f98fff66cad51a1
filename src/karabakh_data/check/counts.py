"""Counts: a low, best and high estimate of deaths are ordered (empty = not reported, 0 = none)."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow.compute as pc

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
    reported = None  # one problem per row is enough to point at it
    for lower, higher in ORDER:
        x, y = data.column(lower), data.column(higher)
        wrong = pc.fill_null(pc.greater(x, y), False)
        yield from data.problems_at(
            wrong if reported is None else pc.and_(wrong, pc.invert(reported)),
            lower,
            "fatalities-order",
            lambda row, lower=lower, higher=higher, x=x, y=y: (
                f"{lower} ({x[row]}) is greater than {higher} ({y[row]}); need low <= best <= high"
            ),
        )
        reported = wrong if reported is None else pc.or_(reported, wrong)
