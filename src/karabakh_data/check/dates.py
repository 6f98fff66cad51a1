"""Dates: where they come from (date_origin) and how precisely they are known (date_precision).

What a precision value requires (whether it has dates, the span of days it allows, the calendar
boundary its dates fall on) is read from vocab_date_precision, not written here.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import kernels
from ..io.csvfile import TableData
from ..kernels import Column
from ..model.problems import Problem
from ..model.schemas import ENRICHMENT_BY_ORIGIN
from .context import Context, all_of, any_of, is_any, lookup

ORIGIN_NONE, ORIGIN_STATED, ORIGIN_INFERRED, ORIGIN_ENRICHED = "none", "stated", "coder_inferred", "enriched"


def _usable_rows(data: TableData, date_fields: list[str]) -> pa.Array:
    """False for a row with a date that does not parse: it is reported as a type problem, and there is
    nothing more to say about its dates."""
    unparsed = set().union(*(data.bad_cells.get(f, set()) for f in date_fields))
    usable = np.ones(data.num_rows, dtype=bool)
    usable[list(unparsed)] = False
    return pa.array(usable)


def check_dates(ctx: Context) -> Iterator[Problem]:
    for data in ctx.data.values():
        date_fields = [f.name for f in data.table.fields if f.enrichment == ENRICHMENT_BY_ORIGIN]
        if date_fields:
            yield from _check_origin(data, date_fields, _evidence_quotes(ctx, data))
            if data.table.has_field("date_precision") and "vocab_date_precision" in ctx.data:
                yield from _check_precision(data, ctx.data["vocab_date_precision"])


def _evidence_quotes(ctx: Context, data: TableData) -> Column | None:
    """Each row's evidence: its own quote, or for a row whose evidence is in another table (an event's, in
    its accounts) the quotes of the rows that point at it, joined by line feeds; None when there is none."""
    if data.table.has_field("quote"):
        return data.column("quote")
    key = data.table.primary_key
    for other in ctx.data.values():
        for fk in other.table.foreign_keys if other.table.has_evidence else ():
            if fk.resource == data.table.name and fk.reference_fields == key and len(key) == 1:
                grouped = (
                    pa.table({"key": other.column(fk.fields[0]), "quote": other.column("quote")})
                    .group_by("key")
                    .aggregate([("quote", "list")])
                )
                joined = pc.binary_join(grouped.column("quote_list"), "\n")
                return pc.take(joined, pc.index_in(data.column(key[0]), value_set=grouped.column("key")))
    return None


def _check_origin(data: TableData, date_fields: list[str], quotes: Column | None) -> Iterator[Problem]:
    ok, origin = _usable_rows(data, date_fields), data.column(ENRICHMENT_BY_ORIGIN)
    dates = [data.column(f) for f in date_fields]
    any_date = any_of([pc.is_valid(d) for d in dates])
    for row in kernels.true_rows(all_of([ok, is_any(origin, ORIGIN_NONE), any_date])):
        first = next(f for f, d in zip(date_fields, dates) if d[row].is_valid)
        yield data.problem(row, first, "date-origin", "date_origin is none, so the dates must be empty")
    for row in kernels.true_rows(
        all_of([ok, is_any(origin, ORIGIN_STATED, ORIGIN_INFERRED, ORIGIN_ENRICHED), pc.invert(any_date)])
    ):
        yield data.problem(
            row, ENRICHMENT_BY_ORIGIN, "date-origin", f"date_origin is {origin[row].as_py()} but no date is set"
        )
    if quotes is not None:
        yield from _check_stated_years(data, date_fields, dates, quotes, pc.and_(ok, is_any(origin, ORIGIN_STATED)))
    if data.table.has_field("coder_note"):
        for row in kernels.true_rows(
            all_of([ok, is_any(origin, ORIGIN_INFERRED), pc.is_null(data.column("coder_note"))])
        ):
            yield data.problem(
                row,
                "coder_note",
                "date-inferred-note",
                "date_origin is coder_inferred: explain the inference in coder_note",
            )


def _check_stated_years(
    data: TableData, date_fields: list[str], dates: list[pa.Array], quotes: Column, stated: Column
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
        missing = pc.and_(pc.is_valid(wanted), pc.invert(pa.array(kernels.contains(quotes, wanted))))
        for row in kernels.true_rows(missing):
            yield data.problem(
                row,
                f,
                "date-stated",
                f"date_origin is stated but the year {year[row]} is not in the quote (of the row or its accounts); "
                "a date from outside the text is enrichment",
            )


def _check_precision(data: TableData, vocab: TableData) -> Iterator[Problem]:
    ok = _usable_rows(data, ["date_start", "date_end"])
    precision, start, end = data.column("date_precision"), data.column("date_start"), data.column("date_end")
    known = pc.and_(ok, pc.is_in(precision, value_set=vocab.column("date_precision")))
    has_dates = lookup(precision, vocab, "date_precision", "has_dates")
    some, both = pc.or_(pc.is_valid(start), pc.is_valid(end)), pc.and_(pc.is_valid(start), pc.is_valid(end))
    for row in kernels.true_rows(all_of([known, pc.invert(has_dates), some])):
        yield data.problem(
            row, "date_precision", "date-precision", f"precision {precision[row]} means no dates, but dates are set"
        )
    for row in kernels.true_rows(all_of([known, has_dates, pc.invert(both)])):
        yield data.problem(
            row,
            "date_start" if not start[row].is_valid else "date_end",
            "date-missing",
            f"precision {precision[row]} needs both date_start and date_end",
        )
    dated = all_of([known, has_dates, both])
    span = pc.subtract(pc.cast(end, pa.int32()), pc.cast(start, pa.int32()))
    for row in kernels.true_rows(pc.and_(dated, pc.less(span, 0))):
        yield data.problem(
            row, "date_end", "date-order", f"date_end {end[row]} is before date_start {start[row]}", str(end[row])
        )
    ordered = pc.and_(dated, pc.greater_equal(span, 0))
    low, high = (lookup(precision, vocab, "date_precision", c) for c in ("min_span_days", "max_span_days"))
    outside = pc.or_(pc.fill_null(pc.less(span, low), False), pc.fill_null(pc.greater(span, high), False))
    for row in kernels.true_rows(pc.and_(ordered, outside)):
        yield data.problem(
            row,
            "date_precision",
            "date-precision",
            f"precision {precision[row]} allows a span of "
            f"{low[row].as_py()}..{high[row].as_py() if high[row].is_valid else 'any'} days; "
            f"the dates span {span[row]}",
        )
    boundary = lookup(precision, vocab, "date_precision", "boundary")
    next_day = pc.cast(pc.add(pc.cast(end, pa.int32()), pa.scalar(1, pa.int32())), pa.date32())
    month_off = pc.or_(pc.not_equal(pc.day(start), 1), pc.not_equal(pc.day(next_day), 1))
    year_off = pc.or_(month_off, pc.or_(pc.not_equal(pc.month(start), 1), pc.not_equal(pc.month(next_day), 1)))
    for row in kernels.true_rows(all_of([ordered, pc.equal(boundary, "month"), month_off])):
        yield data.problem(
            row,
            "date_precision",
            "date-precision",
            "precision month needs date_start on the 1st and date_end on a month's last day",
        )
    for row in kernels.true_rows(all_of([ordered, pc.equal(boundary, "year"), year_off])):
        yield data.problem(
            row,
            "date_precision",
            "date-precision",
            "precision year needs date_start on 1 January and date_end on 31 December",
        )
