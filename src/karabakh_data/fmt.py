"""Canonical form of the hand-coded CSV files, and `karabakh-data fmt` which writes it.

Canonical: UTF-8 without BOM; LF line endings; header in schema field order; rows sorted by primary
key (code point order); integers, numbers, booleans and dates in one spelling; minimal quoting;
char_start/char_end filled from the quote. Text cells are never rewritten: a problem in one is
reported by validate, not silently fixed.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from .problems import Problem
from .read import TableData, read_table, source_texts
from .repository import Repository, write_text_atomically
from .schemas import SchemaError, load_package
from .spans import SpanError, locate

NEEDS_QUOTES = r'[",\r\n]'  # what csv.QUOTE_MINIMAL quotes
DIGITS = re.compile(r"[0-9]{1,18}")


def canonical_column(column: pa.Array, field_type: str, bad: pa.Array | None = None, raw: pa.Array | None = None) -> pa.Array:
    """A typed column in its one canonical CSV spelling (null stays null). Cells flagged `bad` did not
    parse and keep their `raw` spelling, so fmt never destroys what a coder wrote."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if field_type == "string":
        spelled = column
    elif field_type == "boolean":
        spelled = pc.if_else(column, "true", "false")
    elif field_type == "date":
        spelled = pc.strftime(column, format="%Y-%m-%d")
    else:  # integers as digits; numbers in Arrow's shortest round-trip form ("2", "39.81528", "1e+16")
        spelled = pc.cast(column, pa.string())
    if bad is not None:
        spelled = pc.if_else(bad, raw.combine_chunks() if isinstance(raw, pa.ChunkedArray) else raw, spelled)
    return spelled


def serialize(header: list[str], columns: list[pa.Array]) -> str:
    """CSV text with LF line endings and minimal quoting, built column-wise in Arrow (the same bytes
    as csv.writer with QUOTE_MINIMAL, at a fraction of the cost on large tables)."""
    head = csv_lines(header, [])
    if not columns or len(columns[0]) == 0:
        return head
    cells = []
    for column in columns:
        text = pc.fill_null(column.cast(pa.string()), "")
        quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
        cells.append(pc.if_else(pc.match_substring_regex(text, NEEDS_QUOTES), quoted, text))
    lines = pc.binary_join_element_wise(*cells, ",")
    body = pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines), "\n")[0].as_py()
    return head + body + "\n"


def csv_lines(header: list[str], rows: list[list[str]]) -> str:
    """CSV text with LF line endings and minimal quoting (for small outputs and the header)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows([header, *rows])
    return buffer.getvalue()


def _sorted_order(data: TableData) -> pa.Array:
    return pc.sort_indices(data.typed, sort_keys=[(k, "ascending") for k in data.table.primary_key])


def canonical_columns(data: TableData) -> list[pa.Array]:
    columns = []
    for f in data.table.fields:
        rows = data.bad_cells.get(f.name)
        bad = None
        if rows:
            mask = [False] * data.num_rows
            for row in rows:
                mask[row] = True
            bad = pa.array(mask)
        columns.append(canonical_column(data.typed.column(f.name), f.type, bad, data.strings.column(f.name)))
    return columns


def canonical_form(data: TableData) -> str:
    """The file as fmt would write it, offsets as they are (validate compares against this)."""
    order = _sorted_order(data)
    return serialize(data.table.field_names, [c.take(order) for c in canonical_columns(data)])


def canonical_text(data: TableData, texts: dict[str, str]) -> tuple[str, list[Problem]]:
    """The canonical file content for a readable table, with offsets filled from the quotes, and the
    quotes it could not place."""
    table, problems = data.table, []
    columns = canonical_columns(data)
    names = table.field_names
    if table.has_evidence:
        s, q, cs, ce = (names.index(n) for n in ("source_id", "quote", "char_start", "char_end"))
        sources, quotes = columns[s].to_pylist(), columns[q].to_pylist()
        starts, ends = columns[cs].to_pylist(), columns[ce].to_pylist()
        for i, (source, quote, start) in enumerate(zip(sources, quotes, starts)):
            text = texts.get(source)
            if text is None or not quote:
                continue
            hint = int(start) if start and DIGITS.fullmatch(start) else None
            if hint is not None and text.startswith(quote, hint) and ends[i] == str(hint + len(quote)):
                continue  # already right: the common case, kept cheap
            try:
                found_start, found_end = locate(text, quote, hint)
            except SpanError as exc:
                problems.append(data.problem(i, "quote", exc.rule, exc.message))
                continue
            starts[i], ends[i] = str(found_start), str(found_end)
        columns[cs], columns[ce] = pa.array(starts, pa.string()), pa.array(ends, pa.string())
    order = _sorted_order(data)
    return serialize(names, [c.take(order) for c in columns]), problems


@dataclass
class FmtResult:
    changed: dict[str, str] = field(default_factory=dict)  # file -> unified diff
    problems: list[Problem] = field(default_factory=list)


def format_repository(repo: Repository, check: bool = False) -> FmtResult:
    """Rewrite (or with check=True only compare) every hand-coded CSV file in canonical form."""
    result = FmtResult()
    try:
        package = load_package(repo.schemas_dir)
    except SchemaError as exc:
        result.problems.append(Problem(repo.display(exc.path), None, None, exc.field, "schema", None, exc.message))
        return result
    readable = {}
    for table in package.coded:
        data, problems = read_table(repo, table)
        # a file that cannot be parsed cannot be reformatted; type problems leave cells as written
        result.problems += [p for p in problems if p.rule not in ("type", "header-order")]
        if data is not None:
            readable[table.name] = data
    texts = source_texts(repo, readable.get("sources"))
    for name, data in readable.items():
        text, problems = canonical_text(data, texts)
        result.problems += problems
        if text != data.text:
            diff = difflib.unified_diff(data.text.splitlines(keepends=True), text.splitlines(keepends=True),
                                        fromfile=f"a/{data.file}", tofile=f"b/{data.file}")
            result.changed[data.file] = "".join(diff)
            if not check:
                write_text_atomically(repo.csv_path(name), text)
    return result
