"""Dates: where they come from (date_origin) and how precisely they are known (date_precision).

What a precision value requires (whether it has dates, the span of days it allows, the calendar
boundary its dates fall on) is read from vocab_date_precision, not written here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import kernels
from ..io.csvfile import TableData
from ..kernels import Column
from ..model.problems import Problem
from ..model.schemas import ENRICHMENT_BY_ORIGIN, ORIGIN_ENRICHED
from .context import Context, all_of, any_of, is_any, lookup, rows_in

ORIGIN_NONE, ORIGIN_STATED, ORIGIN_INFERRED = "none", "stated", "coder_inferred"


def _usable_rows(data: TableData, date_fields: list[str]) -> pa.Array:
    """False for a row with a date that does not parse: it is reported as a type problem, and there is
    nothing more to say about its dates."""
    unparsed = [data.bad_cells[f] for f in date_fields if f in data.bad_cells]
    return pc.invert(any_of(unparsed)) if unparsed else pa.array(np.ones(data.num_rows, dtype=bool))


def check_dates(ctx: Context) -> Iterator[Problem]:
    for data in ctx.data.values():
        date_fields = [f.name for f in data.table.fields if f.enrichment == ENRICHMENT_BY_ORIGIN]
        if date_fields:
            vocab, quotes = ctx.data.get("vocab_date_precision"), _evidence(ctx, data)
            has_precision = data.table.has_field("date_precision")
            if has_precision and vocab is None:
                # without its vocabulary (reported unreadable) a precision means nothing to check
                yield from _check_origin(data, date_fields, None, quotes, judge_precision=False)
                continue
            # the calendar boundary of each row's precision; a table without one has exact days
            boundary = (
                lookup(data.column("date_precision"), vocab, "date_precision", "boundary") if has_precision else None
            )
            yield from _check_origin(data, date_fields, boundary, quotes)
            if has_precision:
                yield from _check_precision(data, vocab, boundary)


@dataclass(frozen=True)
class Evidence:
    """The quotes that are a table's evidence for its rows: one per row (its own quote), or those of the
    rows of another table that point at it (an event's, in its accounts), with the row each is for."""

    quotes: pa.Array  # one chunk: the checks gather from it many times
    owner: np.ndarray | None  # the row of the table each quote is evidence for; None when quote i is row i's
    rows: int

    def holds(self, needles: pa.Array, regex: bool = False) -> np.ndarray:
        """For each row, whether one of its quotes holds its needle (a regular expression with `regex`);
        False where the needle is null."""
        if self.owner is None:
            return kernels.contains(self.quotes, needles, regex=regex)
        found = kernels.contains(self.quotes, pc.take(needles, pa.array(self.owner)), regex=regex)
        held = np.zeros(self.rows, dtype=bool)
        held[self.owner[found]] = True
        return held


def _evidence(ctx: Context, data: TableData) -> Evidence | None:
    """The table's evidence; None when it has none."""
    if data.table.has_field("quote"):
        return Evidence(kernels.one_chunk(data.column("quote")), None, data.num_rows)
    key = data.table.primary_key
    for other in ctx.data.values():
        for fk in other.table.foreign_keys if other.table.has_evidence else ():
            if fk.resource == data.table.name and fk.reference_fields == key and len(key) == 1:
                owner = rows_in(other.column(fk.fields[0]), data)
                known = owner >= 0  # a quote of a row that points nowhere is a foreign-key problem
                quotes = kernels.one_chunk(pc.filter(other.column("quote"), pa.array(known)))
                return Evidence(quotes, owner[known], data.num_rows)
    return None


def _check_origin(
    data: TableData,
    date_fields: list[str],
    boundary: Column | None,
    quotes: Evidence | None,
    judge_precision: bool = True,
) -> Iterator[Problem]:
    ok, origin = _usable_rows(data, date_fields), data.column(ENRICHMENT_BY_ORIGIN)
    dates = [data.column(f) for f in date_fields]
    any_date = any_of([pc.is_valid(d) for d in dates])
    none_with_dates = all_of([ok, is_any(origin, ORIGIN_NONE)])
    for i, (f, d) in enumerate(zip(date_fields, dates)):  # at the first date set
        earlier = [pc.is_null(e) for e in dates[:i]]
        yield from data.problems_at(
            all_of([none_with_dates, pc.is_valid(d), *earlier]),
            f,
            "date-origin",
            "date_origin is none, so the dates must be empty",
        )
    yield from data.problems_at(
        all_of([ok, is_any(origin, ORIGIN_STATED, ORIGIN_INFERRED, ORIGIN_ENRICHED), pc.invert(any_date)]),
        ENRICHMENT_BY_ORIGIN,
        "date-origin",
        lambda row: f"date_origin is {origin[row].as_py()} but no date is set",
    )
    if quotes is not None:
        stated = pc.and_(ok, is_any(origin, ORIGIN_STATED))
        yield from _check_stated_years(data, date_fields, dates, quotes, stated)
        if judge_precision:
            yield from _check_stated_precision(data, date_fields[0], dates[0], quotes, stated, boundary)
    if data.table.has_field("coder_note"):
        yield from data.problems_at(
            all_of([ok, is_any(origin, ORIGIN_INFERRED), pc.is_null(data.column("coder_note"))]),
            "coder_note",
            "date-inferred-note",
            "date_origin is coder_inferred: explain the inference in coder_note",
        )


def _check_stated_years(
    data: TableData, date_fields: list[str], dates: list[pa.Array], quotes: Evidence, stated: Column
) -> Iterator[Problem]:
    """A stated date's year must be in the quote (of the row, or of one of its accounts), written with four digits."""
    years = [pc.utf8_lpad(pc.cast(pc.year(d), pa.string()), 4, "0") for d in dates]
    stated = pc.fill_null(stated, False)
    for i, (f, year) in enumerate(zip(date_fields, years)):
        # a year already looked for in the row's earlier date field is not looked for again
        again = (
            any_of([pc.fill_null(pc.equal(year, earlier), False) for earlier in years[:i]]) if i else pc.invert(stated)
        )
        wanted = pc.if_else(pc.and_(stated, pc.invert(again)), year, pa.scalar(None, pa.string()))
        missing = pc.and_(pc.is_valid(wanted), pc.invert(pa.array(quotes.holds(wanted))))
        yield from data.problems_at(
            missing,
            f,
            "date-stated",
            lambda row, year=year: (
                f"date_origin is stated but the year {year[row]} is not in the quote (of the row or its accounts); "
                "a date from outside the text is enrichment"
            ),
        )


MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# a month by its English name (or abbreviation) or its number, a day by its number: each a number of its own
# (an English name after an ASCII letter is no name: a class of Unicode letters there is slow in RE2)
MONTH_PATTERNS = [rf"(?i)(^|[^a-z]){name}|(^|[^0-9])0?{m}([^0-9]|$)" for m, name in enumerate(MONTHS, 1)]
DAY_PATTERNS = [rf"(^|[^0-9])0?{d}([^0-9]|$)" for d in range(1, 32)]


def _check_stated_precision(
    data: TableData, field: str, date: Column, quotes: Evidence, stated: Column, boundary: Column | None
) -> Iterator[Problem]:
    """A stated date finer than a year has its month in the quote (by name or number), and one finer
    than a month its day: a quote that gives only the year does not state a day."""
    boundary = pa.nulls(data.num_rows, pa.string()) if boundary is None else boundary
    needs_month = pc.and_(pc.fill_null(stated, False), pc.fill_null(pc.not_equal(boundary, "year"), True))
    needs_day = pc.and_(needs_month, pc.is_null(boundary))
    for what, needed, patterns, part in (
        ("month", needs_month, MONTH_PATTERNS, pc.month(date)),
        ("day", needs_day, DAY_PATTERNS, pc.day(date)),
    ):
        wanted = pc.if_else(needed, pc.take(pa.array(patterns), pc.subtract(part, 1)), pa.scalar(None, pa.string()))
        missing = pc.and_(pc.is_valid(wanted), pc.invert(pa.array(quotes.holds(wanted, regex=True))))
        yield from data.problems_at(
            missing,
            field,
            "date-stated",
            lambda row, what=what: (
                f"date_origin is stated but the quote does not give the {what} of {date[row]}, "
                "which its precision needs; a date from outside the text is enrichment"
            ),
        )


def _check_precision(data: TableData, vocab: TableData, boundary: Column) -> Iterator[Problem]:
    ok = _usable_rows(data, ["date_start", "date_end"])
    precision, start, end = data.column("date_precision"), data.column("date_start"), data.column("date_end")
    known = pc.and_(ok, pc.is_in(precision, value_set=vocab.column("date_precision")))
    has_dates = lookup(precision, vocab, "date_precision", "has_dates")
    some, both = pc.or_(pc.is_valid(start), pc.is_valid(end)), pc.and_(pc.is_valid(start), pc.is_valid(end))
    yield from data.problems_at(
        all_of([known, pc.invert(has_dates), some]),
        "date_precision",
        "date-precision",
        lambda row: f"precision {precision[row]} means no dates, but dates are set",
    )
    for name, missing in (
        ("date_start", pc.is_null(start)),
        ("date_end", pc.and_(pc.is_valid(start), pc.is_null(end))),
    ):
        yield from data.problems_at(
            all_of([known, has_dates, missing]),
            name,
            "date-missing",
            lambda row: f"precision {precision[row]} needs both date_start and date_end",
        )
    dated = all_of([known, has_dates, both])
    span = pc.subtract(pc.cast(end, pa.int32()), pc.cast(start, pa.int32()))
    yield from data.problems_at(
        pc.and_(dated, pc.less(span, 0)),
        "date_end",
        "date-order",
        lambda row: f"date_end {end[row]} is before date_start {start[row]}",
        lambda row: str(end[row]),
    )
    ordered = pc.and_(dated, pc.greater_equal(span, 0))
    low, high = (lookup(precision, vocab, "date_precision", c) for c in ("min_span_days", "max_span_days"))
    outside = pc.or_(pc.fill_null(pc.less(span, low), False), pc.fill_null(pc.greater(span, high), False))
    yield from data.problems_at(
        pc.and_(ordered, outside),
        "date_precision",
        "date-precision",
        lambda row: (
            f"precision {precision[row]} allows a span of "
            f"{low[row].as_py()}..{high[row].as_py() if high[row].is_valid else 'any'} days; "
            f"the dates span {span[row]}"
        ),
    )
    next_day = pc.cast(pc.add(pc.cast(end, pa.int32()), pa.scalar(1, pa.int32())), pa.date32())
    month_off = pc.or_(pc.not_equal(pc.day(start), 1), pc.not_equal(pc.day(next_day), 1))
    year_off = pc.or_(month_off, pc.or_(pc.not_equal(pc.month(start), 1), pc.not_equal(pc.month(next_day), 1)))
    yield from data.problems_at(
        all_of([ordered, pc.equal(boundary, "month"), month_off]),
        "date_precision",
        "date-precision",
        "precision month needs date_start on the 1st and date_end on a month's last day",
    )
    yield from data.problems_at(
        all_of([ordered, pc.equal(boundary, "year"), year_off]),
        "date_precision",
        "date-precision",
        "precision year needs date_start on 1 January and date_end on 31 December",
    )
