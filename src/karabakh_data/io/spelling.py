"""The canonical spelling of values and the one CSV writer.

Canonical CSV: UTF-8 without BOM; LF line endings; the header in schema field order; rows sorted by
primary key (code point order); integers, numbers, booleans and dates each in one spelling; minimal
quoting (a cell is quoted when it holds a comma, a quote or a line break, with its quotes doubled).
`karabakh-data fmt` writes it, validate compares every file with it, and build writes the views in it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import kernels

ROWS_PER_PIECE = 1 << 18  # rows serialised at a time: the canonical form of a large file is never held whole
NEEDS_QUOTES = '[,"\r\n]'
QUOTED_CHARACTERS = (b",", b'"', b"\r", b"\n")


def spell(values: pa.Array | pa.ChunkedArray, field_type: str) -> pa.Array | pa.ChunkedArray:
    """Typed values in their canonical CSV spelling (null stays null): integers as digits, numbers in
    Arrow's shortest round-trip form ("2", "39.81528", "1e+16"), dates as YYYY-MM-DD, true/false.
    None of these spellings holds a comma, a quote or a line break: they are never quoted."""
    if field_type == "string":
        return values
    if field_type == "boolean":
        return pc.if_else(values, "true", "false")
    return pc.cast(values, pa.string())


def header_line(names: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(names)
    return buffer.getvalue().encode("utf-8")


def _quoted(text: pa.Array) -> pa.Array:
    """The cells, those holding a comma, a quote or a line break quoted (their quotes doubled)."""
    raw = kernels.value_bytes(text)
    if not any(character in raw for character in QUOTED_CHARACTERS):
        return text
    needs = pc.match_substring_regex(text, NEEDS_QUOTES)
    if not pc.any(needs).as_py():
        return text
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(pc.filter(text, needs), '"', '""'), '"', "")
    return pc.replace_with_mask(text, needs, quoted)


def csv_rows(columns: list[pa.Array], quotable: list[bool]) -> memoryview:
    """The CSV lines of these columns of text (null = empty cell), each ending with LF. A column
    not `quotable` holds canonical spellings of typed values (spell), which need no quotes."""
    rows = len(columns[0])
    if rows == 0:
        return memoryview(b"")
    # 64-bit offsets: the lines of a slice may pass 2 GiB in a crafted file
    text = pa.large_string()
    cells = [(_quoted(c) if may else c).cast(text) for c, may in zip(columns, quotable)]
    if len(cells) == 1:  # a row of one empty cell is written "": an empty line is no row to a reader
        cells[0] = pc.if_else(pc.fill_null(pc.equal(cells[0], ""), True), pa.scalar('""', text), cells[0])
    empty = {"null_handling": "replace", "null_replacement": ""}
    cells[-1] = pc.binary_join_element_wise(cells[-1], pa.scalar("\n", text), pa.scalar("", text), **empty)
    lines = pc.binary_join_element_wise(*cells, pa.scalar(",", text), **empty)
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int64)[lines.offset : lines.offset + rows + 1]
    return memoryview(lines.buffers()[2]).cast("B")[int(offsets[0]) : int(offsets[-1])]


def canonical_length(names: list[str], columns: list[pa.Array | pa.ChunkedArray], quotable: list[bool]) -> int:
    """The size in bytes of the file csv_pieces writes for these columns, computed without writing it:
    every cell's bytes, a comma or LF after each, and two quotes around each cell that needs them
    plus one for each quote it holds (which only such a cell can hold)."""
    rows = len(columns[0]) if columns else 0
    size = len(header_line(names)) + rows * len(columns)
    for column, may in zip(columns, quotable):
        for chunk in column.chunks if isinstance(column, pa.ChunkedArray) else [column]:
            raw = kernels.value_bytes(chunk)
            size += len(raw)
            if may and any(character in raw for character in QUOTED_CHARACTERS):
                size += 2 * (pc.sum(pc.match_substring_regex(chunk, NEEDS_QUOTES)).as_py() or 0) + raw.count(b'"')
    if len(columns) == 1:  # an empty cell alone on its line is written ""
        size += 2 * (columns[0].null_count + (pc.sum(pc.equal(columns[0], "")).as_py() or 0))
    return size


def key_order(typed: pa.Table, key: tuple[str, ...]) -> pa.Array | None:
    """The row order that sorts the table by its primary key; None when the rows are in that order."""
    order = pc.sort_indices(typed.select(list(key)), sort_keys=[(k, "ascending") for k in key])
    return None if np.array_equal(order.to_numpy(), np.arange(len(order))) else order


def csv_pieces(
    names: list[str], columns: list[pa.Array | pa.ChunkedArray], quotable: list[bool], order: pa.Array | None = None
) -> Iterator[bytes | memoryview]:
    """The whole CSV file, piece by piece: the header line, then the rows (in `order` when given) a
    slice at a time."""
    yield header_line(names)
    table = pa.table(columns, names=[str(i) for i in range(len(columns))])  # names may repeat in a broken header
    if order is not None:
        table = table.take(order)
    for batch in table.to_batches(max_chunksize=ROWS_PER_PIECE):
        yield csv_rows(batch.columns, quotable)
