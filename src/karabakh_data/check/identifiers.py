"""Identifiers are never removed nor reused: judged against the baseline's released and retired
identifiers (check/record.py), and retired_ids.csv says what replaced each."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pyarrow as pa
import pyarrow.compute as pc

from ..io.csvfile import TableData
from ..model.problems import LISTED_PER_RULE_AND_FILE, Omitted, Problem
from .record import Record

RETIRED = "retired_ids"


def current_ids(data: dict[str, TableData]) -> dict[str, pa.Array]:
    """table -> the identifiers of its rows, for the tables whose rows carry one (coded and enrichment)."""
    ids = {}
    for name, table_data in data.items():
        if table_data.table.group in ("coded", "enrichment"):
            ids[name] = pc.drop_null(table_data.column(table_data.table.primary_key[0]))
    return ids


def absent(values: pa.Array, present: pa.Array | None) -> pa.Array:
    """The values that are not in `present`."""
    return values if present is None else pc.filter(values, pc.invert(pc.is_in(values, value_set=present)))


def _each(file: str, rule: str, values: pa.Array, make: Callable[[str], Problem]) -> Iterator[Problem | Omitted]:
    """make(value) for the first values, in order; the others counted."""
    ordered = pc.sort_indices(values)
    for value in pc.take(values, ordered.slice(0, LISTED_PER_RULE_AND_FILE)).to_pylist():
        yield make(value)
    if len(values) > LISTED_PER_RULE_AND_FILE:
        yield Omitted(file, rule, len(values) - LISTED_PER_RULE_AND_FILE)


def identifier_problems(
    data: dict[str, TableData], record: Record, ids: dict[str, pa.Array]
) -> Iterator[Problem | Omitted]:
    retired = data.get(RETIRED)
    if retired is None:
        return  # retired_ids.csv is unreadable: its problems are reported, nothing can be judged without it
    rid, table_name = retired.column("retired_id"), retired.column("table_name")
    now = {name: pc.filter(rid, pc.equal(table_name, name)) for name in (*ids, *(record.retired or {}))}
    for name, values in ids.items():
        yield from retired.problems_at(
            pc.and_(pc.equal(table_name, name), pc.is_in(rid, value_set=values)),
            "retired_id",
            "id-reused",
            lambda row, name=name: (
                f"{rid[row]} is retired but {name} uses it again: identifiers are never reused; give the row a new one"
            ),
        )
    for name, values in (record.retired or {}).items():
        gone = absent(values, now[name])
        yield from _each(
            retired.file,
            "retired-removed",
            gone,
            lambda value: Problem(
                retired.file,
                None,
                value,
                "retired_id",
                "retired-removed",
                value,
                f"{value} was retired at the baseline ({record.baseline.description}) and is no longer listed: "
                "a retired identifier stays retired",
            ),
        )
        if name in data and name in ids:
            table = data[name]
            key = table.table.primary_key[0]
            yield from table.problems_at(
                pc.is_in(table.column(key), value_set=gone),
                key,
                "id-reused",
                "the identifier was retired at the baseline: identifiers are never reused; give the row a new one",
            )
    yield from _replacements(retired, ids)
    for name, values in sorted(record.released.items()):
        if name not in data:
            continue  # an unreadable table reports its own problems
        key = data[name].table.primary_key[0]
        yield from _each(
            data[name].file,
            "id-removed",
            absent(absent(values, ids.get(name)), now.get(name)),
            lambda value, key=key, file=data[name].file: Problem(
                file,
                None,
                value,
                key,
                "id-removed",
                value,
                f"{value} was released and is gone: restore the row, or list it in retired_ids.csv with the reason",
            ),
        )


def _replacements(retired: TableData, ids: dict[str, pa.Array]) -> Iterator[Problem | Omitted]:
    """replaced_by names a row of the retired identifier's own table."""
    replaced_by, table_name = retired.column("replaced_by"), retired.column("table_name")
    for name in pc.unique(pc.drop_null(table_name)).to_pylist():
        exists = pc.is_in(replaced_by, value_set=ids.get(name, pa.array([], pa.string())))
        yield from retired.problems_at(
            pc.and_(pc.and_(pc.equal(table_name, name), pc.is_valid(replaced_by)), pc.invert(exists)),
            "replaced_by",
            "retired-replacement",
            f"replaced_by must name an existing row of {name}",
        )
