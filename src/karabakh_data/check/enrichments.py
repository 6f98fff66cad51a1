"""Enrichment: every value from outside the text is backed by an enrichments row, and every row
backs a value, which it holds exactly."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import kernels
from ..io.csvfile import TableData, parse_column
from ..model.problems import LISTED_PER_RULE_AND_FILE, Problem
from ..model.schemas import ENRICHMENT_BY_ORIGIN, ORIGIN_ENRICHED
from .context import Context, all_of, is_any, lookup
from .references import SEPARATOR, key_values


def check_enrichments(ctx: Context) -> Iterator[Problem]:
    enrichments = ctx.data.get("enrichments")
    backed: dict[tuple[str, str], pa.Array] = {}  # (table, field) -> the records the enrichments back
    if enrichments is not None:
        yield from _check_rows(ctx, enrichments, backed)
    for name, data in ctx.data.items():
        if name == "enrichments":
            continue
        for f in (f for f in data.table.fields if f.enrichment is not None):
            yield from _check_backed(data, f.name, f.enrichment, backed.get((name, f.name), pa.array([], pa.string())))


def _check_backed(data: TableData, field: str, kind: str, records: pa.Array) -> Iterator[Problem]:
    is_backed = pc.is_in(data.column(data.table.primary_key[0]), value_set=records)
    needs = pc.is_valid(kernels.one_chunk(data.strings.column(field)))  # a cell that does not parse needs its basis too
    if kind == ENRICHMENT_BY_ORIGIN:
        enriched_origin = is_any(data.column(ENRICHMENT_BY_ORIGIN), ORIGIN_ENRICHED)
        needs = pc.and_(needs, enriched_origin)
        yield from data.problems_at(
            pc.and_(is_backed, pc.invert(enriched_origin)),
            ENRICHMENT_BY_ORIGIN,
            "enrichment-origin",
            f"{field} is backed by an enrichment, so date_origin must be enriched",
        )
    yield from data.problems_at(
        pc.and_(needs, pc.invert(is_backed)),
        field,
        "enrichment-missing",
        "a value from outside the text needs a row in enrichments.csv with its basis (or leave the cell empty)",
    )


def _check_rows(ctx: Context, enrichments: TableData, backed: dict) -> Iterator[Problem]:
    table, record, column, value = (enrichments.column(c) for c in ("table_name", "record_id", "field_name", "value"))
    # a (table, record, field) backed twice: the first row backs it, the later ones are duplicates
    target_keys = key_values(enrichments, ("table_name", "record_id", "field_name"))
    codes = pc.fill_null(pc.dictionary_encode(kernels.one_chunk(target_keys)).indices, -1).to_numpy(
        zero_copy_only=False
    )
    _, first = np.unique(codes, return_index=True)
    original = np.zeros(len(codes), dtype=bool)
    original[first] = True
    original &= codes >= 0
    first_row = dict(zip(codes[first].tolist(), first.tolist()))
    yield from enrichments.problems_at(
        np.flatnonzero(~original & (codes >= 0)),
        "field_name",
        "enrichment-duplicate",
        lambda row: (
            f"{table[row]}.{column[row]} of {record[row]} is already backed by "
            f"{enrichments.column('enrichment_id')[first_row[codes[row]]]}"
        ),
    )
    vocab = ctx.data.get("vocab_basis_type")
    if vocab is not None:
        basis = enrichments.column("basis_type")
        needs_reference = pc.fill_null(lookup(basis, vocab, "basis_type", "requires_reference"), False)
        yield from enrichments.problems_at(
            all_of([pa.array(original), needs_reference, pc.is_null(enrichments.column("reference"))]),
            "reference",
            "enrichment-reference",
            lambda row: f"basis type {basis[row]} needs a reference: where was it verified?",
        )
    pairs = pc.binary_join_element_wise(table, column, SEPARATOR)
    # the (table, field) pairs that can be backed: a few, whatever the enrichments name
    enrichable = [
        f"{name}{SEPARATOR}{f.name}" for name, data in ctx.data.items() for f in data.table.fields if f.enrichment
    ]
    yield from enrichments.problems_at(
        all_of(
            [
                pa.array(original),
                pc.is_in(table, value_set=pa.array(list(ctx.data), pa.string())),  # an unreadable table: no judgement
                pc.invert(pc.is_in(pairs, value_set=pa.array(enrichable, pa.string()))),
            ]
        ),
        "field_name",
        "enrichment-target",
        lambda row: f"{table[row]}.{column[row]} is not an enrichable field (x-enrichment in its schema)",
    )
    for pair in sorted(set(enrichable) & set(pc.unique(pc.filter(pairs, pa.array(original))).to_pylist())):
        rows = pc.indices_nonzero(pc.and_(pa.array(original), pc.fill_null(pc.equal(pairs, pair), False)))
        yield from _check_targets(ctx, enrichments, pair.split(SEPARATOR), rows, backed)


def _check_targets(
    ctx: Context, enrichments: TableData, pair: list[str], rows: pa.Array, backed: dict
) -> Iterator[Problem]:
    """The enrichments rows (`rows`) that back one enrichable field of one table: each names an existing
    record, and holds the value of its cell."""
    name, field = pair
    record, value = enrichments.column("record_id"), enrichments.column("value")
    backed[(name, field)] = pc.take(record, rows)
    target = ctx.data[name]
    target_rows = pc.index_in(pc.take(record, rows), value_set=target.column(target.table.primary_key[0]))
    yield from enrichments.problems_at(
        pc.filter(rows, pc.is_null(target_rows)).to_numpy(),
        "record_id",
        "enrichment-target",
        lambda row: f"{name} has no row {record[row].as_py()!r}",
    )
    found = pc.is_valid(target_rows)
    rows, target_rows = pc.filter(rows, found), pc.filter(target_rows, found)
    parsed, bad = parse_column(pc.take(value, rows), target.table.field(field).type)
    cells = pc.take(target.column(field), target_rows)
    wrong = pc.indices_nonzero(pc.or_(bad, pc.invert(pc.fill_null(pc.equal(parsed, cells), False))))
    first = wrong.slice(0, LISTED_PER_RULE_AND_FILE)  # what the listed problems say the cells hold
    held = dict(zip(pc.take(rows, first).to_pylist(), pc.take(cells, first).to_pylist()))
    yield from enrichments.problems_at(
        pc.take(rows, wrong).to_numpy(),
        "value",
        "enrichment-mismatch",
        lambda row: f"{name}.{field} of {record[row]} holds {held[row]!r}, not this value",
    )
