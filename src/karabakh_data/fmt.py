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

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .problems import Problem
from .read import TableData, holds_any_byte, one_chunk, read_table, source_texts, value_bytes
from .repository import Repository, holds, write_text_atomically
from .schemas import SchemaError, load_package
from .spans import SpanError, locate

QUOTED_BYTES = b',"\r\n'  # a cell holding one of these is what csv.QUOTE_MINIMAL quotes
NEEDS_QUOTES = "[" + QUOTED_BYTES.decode() + "]"
DIGITS = re.compile(r"[0-9]{1,18}")


def canonical_column(column: pa.Array, field_type: str, bad: pa.Array | None = None, raw: pa.Array | None = None) -> pa.Array:
    """A typed column in its one canonical CSV spelling (null stays null). Cells flagged `bad` did not
    parse and keep their `raw` spelling, so fmt never destroys what a coder wrote."""
    column = one_chunk(column)
    if field_type == "string":
        spelled = column
    elif field_type == "boolean":
        spelled = pc.if_else(column, "true", "false")
    elif field_type == "date":  # the cast spells YYYY-MM-DD like strftime, twenty times faster
        spelled = pc.cast(column, pa.string())
    else:  # integers as digits; numbers in Arrow's shortest round-trip form ("2", "39.81528", "1e+16")
        spelled = pc.cast(column, pa.string())
    if bad is not None:
        spelled = pc.if_else(bad, one_chunk(raw), spelled)
    return spelled


def _merged_constants(cells: list, separator: str = ",") -> list:
    """Adjacent constant cells (empty columns) joined into one constant, separators included: the same
    lines, and fewer columns for the join kernel, whose cost goes by cells (16 of the ACLED view's 34
    columns are empty)."""
    merged = []
    for cell in cells:
        if isinstance(cell, pa.Scalar) and merged and isinstance(merged[-1], pa.Scalar):
            merged[-1] = pa.scalar(merged[-1].as_py() + separator + cell.as_py(), cell.type)
        else:
            merged.append(cell)
    return merged


def serialize_bytes(header: list[str], columns: list[pa.Array]) -> tuple[bytes, memoryview]:
    """CSV bytes with LF line endings and minimal quoting, built column-wise in Arrow (the same bytes
    as csv.writer with QUOTE_MINIMAL, at a fraction of the cost on large tables): the header line, and
    the body as a view into the Arrow buffer (no copy of a file-sized string)."""
    head = csv_lines(header, []).encode("utf-8")
    if not columns or len(columns[0]) == 0:
        return head, memoryview(b"")
    cells = []
    # a row of one empty cell is written "" (as csv.writer does): an empty line is no row to a reader
    empty = '""' if len(columns) == 1 else ""
    for column in columns:
        if column.null_count == len(column):  # an empty column (a view's not-derivable ones): a constant
            cells.append(pa.scalar(empty))
            continue
        text = column.cast(pa.string())
        text = pc.fill_null(text, "") if text.null_count else text
        text = one_chunk(text)
        if holds_any_byte(text, QUOTED_BYTES):
            quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
            text = pc.if_else(pc.match_substring_regex(text, NEEDS_QUOTES), quoted, text)
        if empty:
            text = pc.if_else(pc.equal(text, ""), empty, text)
        cells.append(text)
    # each line ends with its LF (appended to the last cell): the values buffer of the joined lines is
    # then the file body itself; 64-bit offsets only when the body may pass 2 GiB
    rows = len(columns[0])
    last = cells[-1]
    cells[-1] = pa.scalar(last.as_py() + "\n") if isinstance(last, pa.Scalar) else pc.binary_join_element_wise(last, "\n", "")
    size = sum(int(pc.sum(pc.binary_length(c)).as_py() or 0) for c in cells if not isinstance(c, pa.Scalar))
    wide = size + (len(cells) + 1) * rows >= 1 << 31
    if wide:
        cells = [c.cast(pa.large_string()) for c in cells]
    cells = _merged_constants(cells)
    if all(isinstance(c, pa.Scalar) for c in cells):  # every column empty: the join would give one row
        cells[0] = pa.array([cells[0].as_py()] * rows, cells[0].type)
    lines = pc.binary_join_element_wise(*cells, pa.scalar(",", cells[0].type))
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64 if wide else np.int32)[lines.offset:lines.offset + len(lines) + 1]
    return head, memoryview(lines.buffers()[2]).cast("B")[int(offsets[0]):int(offsets[-1])]  # bytes, not signed chars


def serialize(header: list[str], columns: list[pa.Array]) -> str:
    """serialize_bytes as text (for fmt, which compares and rewrites small files)."""
    head, body = serialize_bytes(header, columns)
    return (head + body).decode("utf-8")


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


def _in_canonical_order(data: TableData, columns: list[pa.Array]) -> list[pa.Array]:
    """The columns in primary-key order; as they are when the keys never decrease (the stable sort
    would leave every row in place: 2.7 s of gathering at 2M events spared)."""
    from .constraints import strictly_increasing

    if strictly_increasing([data.typed.column(k) for k in data.table.primary_key], strict=False):
        return columns
    order = _sorted_order(data)
    return [c.take(order) for c in columns]


def canonical_form(data: TableData) -> tuple[bytes, memoryview]:
    """The file as fmt would write it, offsets as they are (validate compares against this): its
    header line and its body."""
    return serialize_bytes(data.table.field_names, _in_canonical_order(data, canonical_columns(data)))


def _mismatch(raw, offset: int, expected) -> int | None:
    """The offset of the first byte from `offset` on where raw differs from `expected` (or ends
    before it); None when raw holds `expected` there. Compared as NumPy arrays: a memoryview
    comparison goes element by element (1.3 s for 586 MB)."""
    wanted = np.frombuffer(expected, dtype=np.uint8)
    actual = np.frombuffer(raw, dtype=np.uint8, count=min(len(wanted), len(raw) - offset), offset=offset)
    if len(actual) == len(wanted) and np.array_equal(actual, wanted):
        return None
    differ = np.flatnonzero(actual != wanted[:len(actual)])
    return offset + (int(differ[0]) if len(differ) else len(actual))


SLICE_ROWS = 1 << 18  # rows serialised at a time when a file is compared with its canonical form


def first_difference(data: TableData) -> int | None:
    """The byte offset at which the file first differs from what fmt writes (offsets as they are),
    None when it is canonical. The shortcuts (_judged_canonical) first; otherwise the canonical form
    is serialised a slice of rows at a time and compared as it goes, which stops at the first
    difference and never holds a second copy of the file."""
    if _judged_canonical(data):
        return None
    raw, names = data.raw_bytes, data.table.field_names
    columns = _in_canonical_order(data, canonical_columns(data))
    head = csv_lines(names, []).encode("utf-8")
    found, offset = _mismatch(raw, 0, head), len(head)
    for start in range(0, data.num_rows, SLICE_ROWS):
        if found is not None:
            return found
        _, body = serialize_bytes(names, [c.slice(start, SLICE_ROWS) for c in columns])
        found, offset = _mismatch(raw, offset, body), offset + len(body)
    return found if found is not None or offset == len(raw) else offset


def cells_needing_quotes(data: TableData) -> int:
    """How many cells csv.writer quotes in the canonical form: text holding a comma, a quote, a CR or
    an LF. A typed cell is spelled without any, unless it did not parse (fmt keeps it as written). A
    column whose smallest byte comes after the comma needs no look at its cells (identifiers); a
    dictionary-encoded one is looked at once per distinct value."""
    count = 0
    for f in data.table.fields:
        if f.type != "string":
            rows = sorted(data.bad_cells.get(f.name, ()))
            if rows:
                cells = data.strings.column(f.name).take(pa.array(rows, pa.int64())).to_pylist()
                count += sum(bool(re.search(NEEDS_QUOTES, cell)) for cell in cells)
            continue
        if data.byte_range(f.name)[0] > max(QUOTED_BYTES):
            continue
        encoded = data.encoded(f.name)
        for chunk in (encoded.chunks if encoded is not None else data.typed.column(f.name).chunks):
            if encoded is None:
                count += pc.sum(pc.match_substring_regex(chunk, NEEDS_QUOTES)).as_py() or 0
                continue
            quoted = pc.match_substring_regex(chunk.dictionary, NEEDS_QUOTES)
            if pc.any(quoted).as_py():
                count += pc.sum(pc.take(quoted, chunk.indices)).as_py() or 0
    return count


def _quoted_as_written(data: TableData, header_bytes: int) -> bool:
    """For a file with quote characters whose canonical header, typed cells, final LF and row order are
    already established: whether the rest is canonical too, without serialising. When every quote is
    structural (data.records), each cell is written either as its value or between quotes with its
    quotes doubled, which is how csv.writer quotes; a value holding a comma or an LF cannot be
    written unquoted (the record would split), nor one holding a quote (that quote would not be
    structural), nor one holding a CR (no such file gets here). So every cell that needs quotes has
    them, and the file is canonical exactly when no other cell is quoted and no line is blank (pyarrow
    skips a blank line, so the file then has more records than the table has rows)."""
    records = data.records
    return (records is not None and len(records.ends) == data.num_rows + 1 and int(records.ends[0]) == header_bytes - 1
            and records.quoted_cells == cells_needing_quotes(data))


def is_canonical(data: TableData) -> bool:
    """Whether the file is byte for byte what fmt writes (offsets as they are)."""
    return first_difference(data) is None


def _judged_canonical(data: TableData) -> bool:
    """Whether the file is settled to be canonical without re-serialising it (False: not settled).

    In a file without a quote character no cell needs quoting (a cell with a comma, a quote or a
    line break would have to be quoted), so the file is canonical when its header line is, every
    typed cell is spelled canonically (learnt while parsing), the keys grow from row to row, and the
    file is as long as those cells with one comma or LF after each, which leaves no room for a blank
    line. A file whose quotes are all structural: _quoted_as_written."""
    from .constraints import strictly_increasing

    raw, names = data.raw_bytes, data.table.field_names
    head = csv_lines(names, []).encode("utf-8")
    if data.canonical_cells and not holds(raw, b"\r") and raw[:len(head)] == head and raw[-1:] == b"\n" \
            and strictly_increasing([data.typed.column(k) for k in data.table.primary_key]):
        if not holds(raw, b'"'):
            if len(raw) == len(head) + sum(value_bytes(data.strings.column(n)) for n in names) + data.num_rows * len(names):
                return True
        elif _quoted_as_written(data, len(head)):
            return True
    return False


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
