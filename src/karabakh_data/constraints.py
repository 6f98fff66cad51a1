"""Table Schema constraints, stated once and run as Arrow kernels.

`field_constraints` is the one list of what each constraint means (rule name, kind, argument,
message). `pandera_schemas` turns it into the published pandera schema; `check_constraints` runs it
on Arrow columns, which is what validate uses: no pandas conversion, no per-row Python, so it keeps
up with ACLED-size tables. Tests run both on the bad-input corpus and require the same problems.
"""

from __future__ import annotations

from functools import lru_cache, partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .problems import Problem
from .patterns import compile_pattern, fixed_width_matches
from .read import TableData, arrow_array, fixed_width_bytes, one_chunk
from .safety import ascii_only
from .schemas import Field


def field_constraints(field: Field) -> list[tuple[str, str, object, str]]:
    """(rule, kind, argument, message) of each value constraint of the field, in a fixed order;
    kind is one of isin, matches (whole value), length ((min, max)), ge, le."""
    found = []
    if field.enum is not None:
        found.append(("enum", "isin", list(field.enum), f"must be one of {list(field.enum)}"))
    if field.pattern is not None:
        # Table Schema patterns match the whole value (XML Schema semantics)
        found.append(("pattern", "matches", f"^(?:{field.pattern})$", f"must match the pattern {field.pattern}"))
    if field.min_length is not None or field.max_length is not None:
        found.append(("length", "length", (field.min_length, field.max_length),
                      f"length must be between {field.min_length or 0} and {field.max_length or 'any'} characters"))
    if field.minimum is not None:
        found.append(("minimum", "ge", field.minimum, f"must be >= {field.minimum}"))
    if field.maximum is not None:
        found.append(("maximum", "le", field.maximum, f"must be <= {field.maximum}"))
    return found


def required_hint(field: str) -> str:
    return " (run `karabakh-data fmt` to fill it from the quote)" if field in ("char_start", "char_end") else ""


def _violations(column: pa.ChunkedArray, kind: str, argument, span: tuple[int, int] | None = None) -> pa.ChunkedArray:
    """True where a present value breaks the constraint (nulls never do: `required` covers them).
    `span` bounds the bytes of the values (TableData.byte_range), when known."""
    if kind == "isin":  # is_in says false, not null, for a null value
        return pc.and_(pc.is_valid(column), pc.invert(pc.is_in(column, value_set=pa.array(argument, column.type))))
    if kind == "matches":
        return _mismatches(column, argument)
    if kind == "length":
        low, high = argument
        length = pc.binary_length(column) if ascii_only(column, span) else pc.utf8_length(column)
        too_short = pc.less(length, low) if low is not None else None
        too_long = pc.greater(length, high) if high is not None else None
        return too_long if too_short is None else too_short if too_long is None else pc.or_(too_short, too_long)
    return pc.less(column, argument) if kind == "ge" else pc.greater(column, argument)


def _lengths_within(data: TableData, name: str, low: int | None, high: int | None) -> bool:
    """Whether every value's length in characters is certainly within [low, high], from the bytes
    its values take: a character is one to four bytes in UTF-8, exactly one in ASCII."""
    shortest, longest = data.byte_lengths(name)
    per_char = 1 if ascii_only(None, data.byte_range(name)) else 4
    return (low is None or -(-shortest // per_char) >= low) and (high is None or longest <= high)


@lru_cache(maxsize=None)
def _parts(whole: str):
    inner = whole[len("^(?:"):-len(")$")] if whole.startswith("^(?:") and whole.endswith(")$") else None
    return compile_pattern(inner) if inner is not None else None


def _mismatches(column, whole: str):
    """True where a value does not match the whole-value pattern: by a byte lookup on a column of
    fixed-width identifiers (patterns.py), by RE2 otherwise."""
    chunks = column.chunks if isinstance(column, pa.ChunkedArray) else [column]
    parts, found = _parts(whole), []
    for chunk in chunks:
        values = fixed_width_bytes(chunk) if parts is not None else None
        matched = fixed_width_matches(values, parts) if values is not None else None
        found.append(arrow_array(~matched) if matched is not None else pc.invert(pc.match_substring_regex(chunk, whole)))
    return pa.chunked_array(found, pa.bool_()) if isinstance(column, pa.ChunkedArray) else found[0]


def strictly_increasing(columns: list, strict: bool = True) -> bool:
    """Whether the (possibly composite) key grows from row to row: then no value repeats. Canonical
    files are sorted by primary key, so this linear test settles uniqueness without hashing. With
    strict=False: whether it never decreases, so that a stable sort leaves the rows where they are."""
    less = pc.less if strict else pc.less_equal
    if len(columns) == 1 and isinstance(columns[0], pa.ChunkedArray):  # chunk by chunk, and across the seams
        chunks = [c for c in columns[0].chunks if len(c)]
        seams = all(less(a[len(a) - 1], b[0]).as_py() is True for a, b in zip(chunks, chunks[1:]))
        return seams and all(strictly_increasing([c], strict) for c in chunks)
    columns = [one_chunk(c) for c in columns]
    n = len(columns[0])
    if n < 2:
        return not any(c.null_count for c in columns)
    if any(c.null_count for c in columns):
        return False
    before, after = [c.slice(0, n - 1) for c in columns], [c.slice(1) for c in columns]
    increasing = less(before[-1], after[-1])
    for b, a in zip(reversed(before[:-1]), reversed(after[:-1])):
        increasing = pc.or_(pc.less(b, a), pc.and_(pc.equal(b, a), increasing))
    return pc.all(increasing).as_py()


def _repeated(columns: list) -> np.ndarray:
    """Rows whose (fully present) key occurs in more than one row."""
    columns = [one_chunk(c) for c in columns]
    keys = columns[0] if len(columns) == 1 else pc.binary_join_element_wise(*[c.cast(pa.string()) for c in columns], "\x1f")
    encoded = pc.dictionary_encode(keys)
    present = pc.is_valid(encoded).to_numpy(zero_copy_only=False)
    indices = pc.fill_null(encoded.indices, 0).to_numpy().astype(np.int64)  # a null key repeats nothing
    # at least one count: a column of only empty cells has an empty dictionary, and its rows index 0
    counts = np.bincount(indices[present], minlength=max(len(encoded.dictionary), 1))
    return np.flatnonzero(present & (counts[indices] > 1))


def check_constraints(data: TableData) -> list[Problem]:
    """Every failure of the table's field constraints and keys, as Problems."""
    table, problems = data.table, []
    single_key = table.primary_key[0] if len(table.primary_key) == 1 else None
    for field in table.fields:
        column = data.raw(field.name)
        unparsed = data.bad_cells.get(field.name, set())  # reported as type problems; null in the typed table

        def flag(rows, rule: str, message: str) -> None:
            for row in rows:
                if row not in unparsed:
                    problems.append(data.problem(row, field.name, rule, message))

        in_key = field.name in table.primary_key
        if (field.required or in_key) and column.null_count:
            flag(pc.indices_nonzero(pc.is_null(column)).to_pylist(), "required", "a value is required" + required_hint(field.name))
        if field.unique or field.name == single_key:
            if not strictly_increasing([data.typed.column(field.name)]):
                rule = "primary-key" if in_key else "unique"
                for row in _repeated([data.typed.column(field.name)]).tolist():
                    if row not in unparsed:
                        problems.append(data.problem(row, field.name, rule, "the value occurs in more than one row"))
        for rule, kind, argument, message in field_constraints(field):
            if column.null_count < len(column):
                if kind == "length" and _lengths_within(data, field.name, *argument):
                    continue
                span = data.byte_range(field.name) if kind == "length" else None
                flag(data.rows_where(field.name, partial(_violations, kind=kind, argument=argument, span=span)), rule, message)
    if single_key is None:
        key = ",".join(table.primary_key)
        if not strictly_increasing([data.typed.column(name) for name in table.primary_key]):
            for row in _repeated([data.typed.column(name) for name in table.primary_key]).tolist():
                problems.append(data.problem(row, key, "primary-key", f"the primary key ({key}) is not unique", data.record(row)))
    return problems
