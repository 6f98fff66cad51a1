"""Read the hand-coded CSV files: raw bytes -> header -> string cells -> typed Arrow columns.

Each step reports what it cannot accept as Problems instead of raising, so that validate can
report every problem at once. Cells that fail to parse become null in the typed table (their
problem is already reported), so later checks run on whatever is readable.
"""

from __future__ import annotations

import csv
import io
import mmap
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from .problems import Problem
from . import repository
from .repository import Repository, holds, is_ascii, mapped_bytes
from .schemas import Table, arrow_type_of

MAX_INTEGER = 10**18 - 1  # the largest integer of 18 digits (LEXICAL)
CONTROL_BYTES = re.compile(rb"[\x01-\x09\x0b\x0c\x0e-\x1f]")  # C0 except NUL (own rule), LF and CR (line-ending)
# Canonical lexical forms: what fmt writes and what validate accepts.
LEXICAL = {
    "integer": r"^-?[0-9]{1,18}$",  # 18 digits always fit in int64
    "number": r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$",
    "boolean": r"^(true|false)$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
}


class PublishedColumns:
    """Columns of a table read from its Parquet twin, each made on first use: controlled values are
    decoded from their dictionaries (`typed`), or spelled as canonical CSV cells (`strings`). Most
    checks need only a few columns in either form; constraints run on the dictionaries themselves."""

    def __init__(self, table: Table, parquet: pa.Table, typed: "PublishedColumns | None" = None):
        # with `typed`, these are the spelled (string) columns, made from those typed ones
        self._table, self._parquet, self._typed, self._columns = table, parquet, typed, {}

    @property
    def num_rows(self) -> int:
        return self._parquet.num_rows

    @property
    def column_names(self) -> list[str]:
        return self._parquet.column_names

    def encoded(self, name: str) -> pa.ChunkedArray | None:
        column = self._parquet.column(name)
        return column if pa.types.is_dictionary(column.type) else None

    def column(self, name: str) -> pa.ChunkedArray:
        if name not in self._columns:
            kind = self._table.field(name).type
            if self._typed is not None:
                column = self._typed.column(name)
                if kind != "string":  # spelled as fmt spells it, which is how a CSV cell has it
                    from .fmt import canonical_column

                    column = pa.chunked_array([canonical_column(column, kind)], pa.string())
            else:
                column = self._parquet.column(name)
                if pa.types.is_dictionary(column.type):
                    column = column.cast(column.type.value_type)
            self._columns[name] = column
        return self._columns[name]

    def select(self, names: list[str]) -> pa.Table:
        return pa.table([self.column(n) for n in names], names=names)


@dataclass
class TableData:
    """One table as read from its CSV file, or from the Parquet twin of an unchanged CSV file."""

    table: Table
    file: str  # repository-relative path of the CSV file (what problems name)
    text_source: bytes | mmap.mmap | Path  # the file's bytes (mapped: mapped_bytes), or the path to map them from when needed
    strings: pa.Table | PublishedColumns  # every column as written (null = empty cell), in schema order
    typed: pa.Table | PublishedColumns  # schema types; cells that failed to parse are null
    bad_cells: dict[str, set[int]] = field(default_factory=dict)  # column -> rows whose cell did not parse
    from_parquet: bool = False
    canonical_cells: bool = False  # every cell of a typed (non-string) column that parsed is spelled as fmt spells it
    record_lines: list[int] | None = None  # line of each row, when the strict parse already counted them
    records: Records | None = None  # where the records end, for a file whose quotes are all structural
    dictionaries: dict[str, pa.ChunkedArray] = field(default_factory=dict)  # CSV path: encoded(), as Parquet stores them
    _byte_ranges: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)
    _byte_lengths: dict[str, tuple[int, int]] = field(default_factory=dict, repr=False)

    def byte_range(self, name: str) -> tuple[int, int]:
        """Smallest and largest byte of a string column's values (of its dictionaries when encoded),
        computed once: the length constraint and three content checks each ask (four passes over
        the 152 MB of quotes at 2M events)."""
        if name not in self._byte_ranges:
            encoded = self.encoded(name)
            ranges = [byte_range(c.dictionary) for c in encoded.chunks] if encoded is not None else [byte_range(self.typed.column(name))]
            self._byte_ranges[name] = (min((r[0] for r in ranges), default=255), max((r[1] for r in ranges), default=0))
        return self._byte_ranges[name]

    def byte_lengths(self, name: str) -> tuple[int, int]:
        """Shortest and longest value of a string column in bytes (of its dictionaries when encoded),
        from the offsets, computed once: a column whose lengths are within a limit needs no length
        test row by row. A null slot counts as long as its offsets say, which can only widen the bounds."""
        if name not in self._byte_lengths:
            encoded = self.encoded(name)
            chunks = [c.dictionary for c in encoded.chunks] if encoded is not None else self.typed.column(name).chunks
            lengths = [np.diff(string_buffers(chunk)[0]) for chunk in chunks if len(chunk)]
            self._byte_lengths[name] = (min((int(n.min()) for n in lengths), default=0), max((int(n.max()) for n in lengths), default=0))
        return self._byte_lengths[name]

    @property
    def raw_bytes(self) -> bytes | mmap.mmap:
        source = self.text_source
        return mapped_bytes(source, repository.MAP_MIN_BYTES) if isinstance(source, Path) else source

    @cached_property
    def text(self) -> str:
        return str(self.raw_bytes, "utf-8")  # only decoded when a report or fmt needs the text

    @property
    def num_rows(self) -> int:
        return self.strings.num_rows

    def encoded(self, name: str) -> pa.ChunkedArray | None:
        """The column dictionary-encoded, for controlled values and repeated identifiers (as the
        Parquet twin stores them, and as the CSV path encodes them); None for other columns."""
        return self.typed.encoded(name) if self.from_parquet else self.dictionaries.get(name)

    def rows_where(self, name: str, predicate) -> list[int]:
        """Rows where predicate(values) is true for a typed column. On a dictionary-encoded column it
        runs once per distinct value, and rows are looked up only for values it flags."""
        encoded = self.encoded(name)
        if encoded is None:
            return pc.indices_nonzero(pc.fill_null(predicate(self.typed.column(name)), False)).to_pylist()
        rows, start = [], 0
        for chunk in encoded.chunks:
            flagged = pc.indices_nonzero(pc.fill_null(predicate(chunk.dictionary), False))
            if len(flagged):
                hits = pc.indices_nonzero(pc.fill_null(pc.is_in(chunk.indices, value_set=flagged.cast(chunk.indices.type)), False))
                rows += [start + row for row in hits.to_pylist()]
            start += len(chunk)
        return rows

    def raw(self, name: str) -> pa.ChunkedArray:
        """The typed column, dictionary-encoded where it is (for null tests)."""
        return self.encoded(name) or self.typed.column(name)

    def present(self, name: str) -> pa.ChunkedArray:
        """Where the cell is not empty (whether or not it parsed)."""
        return pc.is_valid(self.raw(name) if self.from_parquet else self.strings.column(name))

    def cells(self, name: str, rows: pa.Array) -> pa.Array:
        """The given rows of a column as written in the CSV file (without spelling a whole Parquet column)."""
        if self.from_parquet:
            from .fmt import canonical_column

            column = self.raw(name)  # taken before decoding: a dictionary column is not decoded whole
            picked = pc.take(column, rows)
            if pa.types.is_dictionary(picked.type):
                picked = picked.cast(picked.type.value_type)
            return canonical_column(picked, self.table.field(name).type)
        return pc.take(self.strings.column(name), rows)

    @cached_property
    def _record_lines(self) -> list[int] | np.ndarray:
        # Only computed when a problem needs a line number (or given by the strict parse that ran):
        # a cell may span several lines, and pyarrow skips blank lines, so must the numbering.
        if self.record_lines is not None:
            return self.record_lines
        if self.records is not None:
            return self.records.row_lines()
        raw = self.raw_bytes
        if not holds(raw, b'"') and not holds(raw, b"\r"):  # every LF ends a line and a record: numbered by NumPy
            return _nonblank_lines(raw)[1:]
        return _csv_records(self.text, strict=False)[1][1:]

    def line(self, row: int) -> int | None:
        lines = self._record_lines
        return int(lines[row]) if 0 <= row < len(lines) else None

    def record(self, row: int) -> str:
        values = [self.strings.column(k)[row].as_py() for k in self.table.primary_key]
        return "/".join("" if v is None else v for v in values)

    def problem(self, row: int, field: str | None, rule: str, message: str, value=None) -> Problem:
        if value is None and field is not None and field in self.table.field_names:
            value = self.strings.column(field)[row].as_py()
        return Problem(self.file, self.line(row), self.record(row), field, rule, None if value is None else str(value), message)


def line_of_offset(data: bytes, offset: int) -> int:
    return int(np.count_nonzero(np.frombuffer(data, dtype=np.uint8, count=offset) == 0x0A)) + 1


def _check_bytes(file: str, data: bytes) -> list[Problem]:
    """The whole-file byte checks that cost a memchr each (control characters: _control_chars)."""
    problems = []
    if len(data) > repository.MAX_FILE_BYTES:
        problems.append(Problem(file, None, None, None, "file-size", str(len(data)), f"the file is larger than {repository.MAX_FILE_BYTES} bytes"))
    if data[:3] == b"\xef\xbb\xbf":
        problems.append(Problem(file, 1, None, None, "bom", None, "the file starts with a UTF-8 byte order mark; save it as UTF-8 without BOM"))
    try:
        # ASCII is UTF-8; other bytes are checked by Arrow in place (Python's decoding took 2 s and a
        # copy of twice the file's size for 590 MB with some accents); Python decodes only to say where
        is_ascii(data) or utf8_chars(data) is not None or str(data, "utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(file, line_of_offset(data, exc.start), None, None, "encoding", repr(data[exc.start:exc.start + 4]),
                                f"the file is not valid UTF-8 (byte offset {exc.start})"))
    if holds(data, b"\r"):
        problems.append(Problem(file, line_of_offset(data, data.find(b"\r")), None, None, "line-ending", None,
                                "the file contains a carriage return; lines must end with LF (\\n) only"))
    if holds(data, b"\x00"):
        problems.append(Problem(file, line_of_offset(data, data.find(b"\x00")), None, None, "nul-byte", None, "the file contains a NUL byte"))
    return problems


def _control_chars(file: str, data: bytes) -> list[Problem]:
    control = CONTROL_BYTES.search(data)  # a regular expression over the whole file: run only when needed
    if control:
        return [Problem(file, line_of_offset(data, control.start()), None, None, "control-char", repr(control.group()),
                        "the file contains a control character (tab, form feed, escape, ...); only LF may appear")]
    return []


def one_chunk(column) -> pa.Array:
    """The column as one Array: its only chunk itself when it has one (combine_chunks copies the
    buffers even then: 0.25 s for 20M integers), the chunks concatenated otherwise."""
    if isinstance(column, pa.ChunkedArray):
        return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    return column


def string_buffers(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """(offsets of the chunk's own rows, its whole data buffer as bytes) of a string or binary array,
    without copying: row i is data[offsets[i]:offsets[i + 1]]."""
    buffers = chunk.buffers()
    width = np.int64 if pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type) else np.int32
    if len(chunk) == 0 or buffers[1] is None:
        return np.zeros(len(chunk) + 1, dtype=width), np.zeros(0, dtype=np.uint8)
    offsets = np.frombuffer(buffers[1], dtype=width)[chunk.offset:chunk.offset + len(chunk) + 1]
    data = np.frombuffer(buffers[2], dtype=np.uint8) if buffers[2] is not None else np.zeros(0, dtype=np.uint8)
    return offsets, data


def fixed_width_bytes(values: pa.Array) -> np.ndarray | None:
    """The strings as a NumPy array of fixed-width bytes, without copying, when every one is present
    and has the same length (identifiers like evt-0000001); None otherwise."""
    if values.null_count or not len(values) or not pa.types.is_string(values.type):
        return None
    offsets = np.frombuffer(values.buffers()[1], dtype=np.int32)[values.offset:values.offset + len(values) + 1]
    width = int(offsets[1] - offsets[0])
    if width == 0 or int(offsets[-1] - offsets[0]) != width * len(values):
        return None
    lengths = np.diff(offsets)
    if lengths.min() != width or lengths.max() != width:
        return None
    return np.frombuffer(values.buffers()[2], dtype=f"S{width}", count=len(values), offset=int(offsets[0]))


def value_buffer(chunk: pa.Array) -> memoryview:
    """The bytes of a string array's values (of its own rows only, when it is a slice of a larger one)."""
    offsets, data = string_buffers(chunk)
    return memoryview(data)[int(offsets[0]):int(offsets[-1])] if len(data) else memoryview(b"")


def byte_range(values) -> tuple[int, int]:
    """Smallest and largest byte of the values (a SIMD reduction: a few milliseconds for a 2M-row
    column), which can clear a whole column at once."""
    low, high = 255, 0
    for chunk in (values.chunks if isinstance(values, pa.ChunkedArray) else [values]):
        data = value_buffer(chunk)
        if len(data):
            array = np.frombuffer(data, dtype=np.uint8)
            low, high = min(low, int(array.min())), max(high, int(array.max()))
    return low, high


def holds_any_byte(values, chars: bytes) -> bool:
    """Whether any value holds one of the given (ASCII) bytes: the byte range clears most columns at
    once, a memchr per byte (on a copy of the values) settles the rest."""
    if byte_range(values)[0] > max(chars):
        return False
    for chunk in (values.chunks if isinstance(values, pa.ChunkedArray) else [values]):
        raw = bytes(value_buffer(chunk))
        if any(bytes([c]) in raw for c in chars):
            return True
    return False


def value_bytes(column) -> int:
    """The bytes the values of a string column take (nulls take none)."""
    return sum(len(value_buffer(chunk)) for chunk in column.chunks)


def _check_header(file: str, header: list[str], table: Table) -> list[Problem]:
    expected = table.field_names
    problems = []
    seen = set()
    for position, name in enumerate(header, 1):
        if not name.strip():
            problems.append(Problem(file, 1, None, None, "header-blank", name, f"column {position} has no name"))
        elif name in seen:
            problems.append(Problem(file, 1, None, name, "header-duplicate", name, f"column {name!r} appears more than once"))
        seen.add(name)
    for name in sorted(set(header) - set(expected)):
        if name.strip():
            problems.append(Problem(file, 1, None, name, "header-unknown", name, f"column {name!r} is not in schemas/{table.name}.json"))
    for name in [n for n in expected if n not in header]:
        problems.append(Problem(file, 1, None, name, "header-missing", None, f"column {name!r} of schemas/{table.name}.json is missing"))
    if not problems and header != expected:
        problems.append(Problem(file, 1, None, None, "header-order", ",".join(header),
                                "columns are not in schema order; run `karabakh-data fmt` to reorder them"))
    return problems


def _csv_records(text: str, file: str = "", width: int | None = None, strict: bool = True) -> tuple[list[Problem], list[int]]:
    """One pass of the stdlib's csv reader (strict by default): malformed records (with `width`, also rows whose cell
    count differs from the header's), and the line on which each non-blank record starts (the header's
    first)."""
    problems, lines = [], []
    reader = csv.reader(io.StringIO(text, newline=""), strict=strict)
    previous = 0
    try:
        for record in reader:
            if record:
                lines.append(previous + 1)
            if width is not None and previous and len(record) != width:
                problems.append(Problem(file, previous + 1, None, None, "csv-ragged-row", ",".join(record)[:200],
                                        f"the row has {len(record)} cells, the header has {width}"))
            previous = reader.line_num
    except csv.Error as exc:
        problems.append(Problem(file, reader.line_num, None, None, "csv-syntax", None, f"malformed CSV: {exc}"))
    return problems, lines


def _syntax_problems(file: str, text: str, width: int) -> list[Problem]:
    """Locate malformed records with the stdlib reader (only run once pyarrow has refused the file)."""
    return _csv_records(text, file, width)[0]


def _byte_positions(array: np.ndarray, byte: int, block: int = 1 << 26) -> np.ndarray:
    """Offsets of every occurrence of one byte, found block by block (a mask of the whole file would
    be fresh memory the size of the file)."""
    return np.concatenate([start + np.flatnonzero(array[start:start + block] == byte) for start in range(0, len(array), block)]
                          or [np.zeros(0, np.int64)])


def _nonblank_lines(data: bytes) -> np.ndarray:
    """1-based numbers of the lines that are not empty, for a file in which every LF ends a line (no
    CR): NumPy finds the line breaks block by block."""
    array = np.frombuffer(data, dtype=np.uint8)
    breaks = _byte_positions(array, 0x0A)
    starts, ends = np.r_[0, breaks + 1], np.r_[breaks, len(array)]
    return np.flatnonzero(ends > starts) + 1


@dataclass(frozen=True)
class Records:
    """The records of a CSV file whose every quote is structural (see quoted_records)."""

    ends: np.ndarray  # offset of the LF that ends each record, the header's first; a blank line is a record of no bytes
    lines: np.ndarray  # 1-based line on which each record starts
    quoted_cells: int  # cells written between quotes

    @property
    def blank(self) -> np.ndarray:
        return np.diff(np.r_[-1, self.ends]) == 1

    def row_lines(self) -> np.ndarray:
        """The line of each row, as pyarrow and the csv module count rows (blank lines are skipped)."""
        return self.lines[~self.blank][1:]


def quoted_records(data) -> Records | None:
    """Where the records of a file with quote characters end, found by NumPy instead of a parse: an LF
    ends a record unless an odd number of quotes precede it. That holds when every quote is
    structural: each opening quote (an even one, counting from 0) starts a field (follows a comma,
    an LF or nothing) or follows its closing quote directly (a doubled quote), and each closing
    quote is followed by a comma, an LF or a doubled quote. Then the csv module (strict or not) and
    pyarrow read exactly these records, and no quote can be malformed. None otherwise, or when the
    file does not end with an LF outside quotes, or holds a CR: the csv module must judge it."""
    array = np.frombuffer(data, dtype=np.uint8)
    if not len(array) or array[-1] != 0x0A or holds(data, b"\r"):
        return None
    quotes = _byte_positions(array, 0x22)
    if len(quotes) % 2:
        return None
    openers, closers = quotes[0::2], quotes[1::2]
    doubled = np.zeros(len(openers), dtype=bool)
    doubled[1:] = openers[1:] == closers[:-1] + 1
    before = array[np.maximum(openers - 1, 0)]
    starts_field = (openers == 0) | (before == 0x2C) | (before == 0x0A) | doubled
    after = array[closers + 1]  # the last byte is an LF outside quotes: no closing quote is last
    ends_field = (after == 0x2C) | (after == 0x0A) | np.r_[doubled[1:], False]
    if not (starts_field.all() and ends_field.all()):
        return None
    breaks = _byte_positions(array, 0x0A)
    outside = np.flatnonzero(np.searchsorted(quotes, breaks) % 2 == 0)  # indices of the LFs that end records
    return Records(breaks[outside], np.r_[1, outside[:-1] + 2], int(np.count_nonzero(~doubled)))


def arrow_array(values: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """A NumPy array of booleans or integers as an Arrow array (null where `missing`), built from its
    buffers: pa.array on a NumPy array imports pandas on first use, a quarter of validate's budget."""
    validity = None if missing is None else pa.py_buffer(np.packbits(~missing, bitorder="little"))
    if values.dtype == np.bool_:
        return pa.Array.from_buffers(pa.bool_(), len(values), [validity, pa.py_buffer(np.packbits(values, bitorder="little"))])
    kind = {np.dtype(np.int32): pa.int32()}.get(values.dtype, pa.int64())
    values = np.ascontiguousarray(values, dtype=kind.to_pandas_dtype())
    return pa.Array.from_buffers(kind, len(values), [validity, pa.py_buffer(values)])


def small_ints(values: np.ndarray) -> np.ndarray:
    """The values as 16-bit integers when they fit (years, source numbers), for which NumPy's stable
    sort is a radix sort; unchanged otherwise."""
    if len(values) and -(1 << 15) <= values.min() and values.max() < (1 << 15):
        return values.astype(np.int16)
    return values


def constant_mask(value: bool, length: int) -> pa.Array:
    """A boolean array of one value (pa.repeat takes a tenth of a second for 2M booleans)."""
    return arrow_array(np.full(length, value, dtype=bool))


def _canonical_values(column: pa.Array, field_type: str) -> pa.Array | None:
    """The typed values when every present cell parses and is already spelled as fmt spells it (the
    state of every published file): one cast and one comparison. None otherwise: parse_column then
    works out cell by cell what is wrong."""
    from .fmt import canonical_column

    try:
        values = pc.cast(column, pa.date32() if field_type == "date" else arrow_type_of(field_type), safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if field_type == "number" and not pc.all(pc.fill_null(pc.is_finite(values), True)).as_py():
        return None  # "inf" and "nan" spell themselves, but are no measured number
    if field_type == "integer" and values.null_count < len(values):
        extremes = pc.min_max(values)  # at most 18 digits, as LEXICAL says
        if extremes["min"].as_py() < -MAX_INTEGER or extremes["max"].as_py() > MAX_INTEGER:
            return None
    same = pc.equal(canonical_column(values, field_type), column)  # a finite number, a real date, true/false
    return values if pc.all(pc.fill_null(same, True)).as_py() and values.null_count == column.null_count else None


def parse_column(column: pa.ChunkedArray, field_type: str) -> tuple[pa.Array, pa.Array, bool]:
    """Typed values, a boolean mask of the cells that are present but not valid for the type, and
    whether every cell that is valid is spelled canonically."""
    column = one_chunk(column)
    if field_type == "string":
        return column, constant_mask(False, len(column)), True
    values = _canonical_values(column, field_type)
    if values is not None:
        return values, constant_mask(False, len(column)), True
    present = pc.is_valid(column)
    ok = pc.fill_null(pc.match_substring_regex(column, LEXICAL[field_type]), False)
    if field_type == "date":
        parsed = pc.cast(pc.strptime(pc.if_else(ok, column, None), format="%Y-%m-%d", unit="s", error_is_null=True), pa.date32())
        # strptime rolls 2021-02-30 over to 2021-03-02: only a value that is spelled back as itself is
        # a date (spelled by the cast, as fmt spells dates: strftime took 1.3 s for 2M dates, the cast 0.06 s)
        ok = pc.and_(ok, pc.fill_null(pc.equal(pc.cast(parsed, pa.string()), column), False))
        values = pc.if_else(ok, parsed, None)
    elif field_type == "boolean":
        values = pc.if_else(ok, pc.equal(column, "true"), None)
    else:
        values = pc.cast(pc.if_else(ok, column, None), arrow_type_of(field_type), safe=True)
        if field_type == "number":  # 1e999 parses as inf: not a number anyone measured
            ok = pc.and_(ok, pc.fill_null(pc.is_finite(values), True))
            values = pc.if_else(ok, values, None)
    bad = pc.and_(present, pc.invert(ok))
    from .fmt import canonical_column

    # fmt keeps a cell that does not parse as it is written: only the others can be misspelled
    spelled = pc.all(pc.fill_null(pc.equal(canonical_column(values, field_type), column), True)).as_py()
    return values, bad, spelled


ASCII_SPACE = re.compile(rb"[ \t\n\x0b\x0c\r]*")  # what bytes.strip() strips
TEXT_SPACE = re.compile(rb"[ \t\n\x0b\x0c\r\x1c-\x1f]*")  # the ASCII part of what str.strip() strips


def _is_blank(data: bytes) -> bool:
    """Whether the file holds only whitespace (bytes.strip() of an ASCII file, str.strip() of the text
    otherwise), without copying it: the first byte that is no ASCII space settles it, unless it starts
    a non-ASCII character, which may be a Unicode space."""
    first = (ASCII_SPACE if is_ascii(data) else TEXT_SPACE).match(data).end()
    return first == len(data) or (data[first] >= 0x80 and not str(data, "utf-8").strip())


def _header(data: bytes) -> list[str]:
    """The header's cells, parsed from the first line alone unless a quote could make it span lines."""
    end = data.find(b"\n")
    first = data if end < 0 else data[:end + 1]
    text = str(data if b'"' in first else first, "utf-8")
    return next(csv.reader(io.StringIO(text, newline="")))


def _cells_clear(strings: pa.Table) -> bool:
    """No cell holds a byte below 0x20 (a SIMD reduction per column): then the file holds no control
    character either, since every other byte is a delimiter, a quote or a line break."""
    return all(byte_range(strings.column(name))[0] >= 0x20 for name in strings.column_names)


def read_table(repo: Repository, table: Table, run=map) -> tuple[TableData | None, list[Problem]]:
    """`run` maps the per-column parsing over the columns: validate passes its pool's map, so the
    columns of one large table are typed on both cores (each is a few Arrow kernels that release
    the GIL); the built-in map types them one after the other."""
    path = repo.csv_path(table.name)
    file = repo.relative(path)
    if path.is_symlink() or not path.is_file():
        return None, [Problem(file, None, None, None, "file-missing", None, "the table's CSV file is missing (or is a symlink)")]
    data = mapped_bytes(path, repository.MAP_MIN_BYTES)
    problems = _check_bytes(file, data)
    if any(p.rule in ("encoding", "file-size") for p in problems):
        return None, problems + _control_chars(file, data)
    result, more = _parse(file, data, table, run)
    header_end = data.find(b"\n")
    if result is None or CONTROL_BYTES.search(data, 0, header_end if header_end >= 0 else len(data)) or not _cells_clear(result.strings):
        problems += _control_chars(file, data)
    return result, problems + more


def _typed_column(strings: pa.Table, encoded: set[str], f) -> tuple[pa.Array, list[int], bool, pa.ChunkedArray | None]:
    """One column's typed values, the rows whose cell did not parse, whether every cell is spelled
    canonically, and (for a string column checked per distinct value) its dictionary encoding."""
    values, bad, spelled = parse_column(strings.column(f.name), f.type)
    dictionary = pa.chunked_array([pc.dictionary_encode(values)]) if f.name in encoded and f.type == "string" else None
    return values, pc.indices_nonzero(bad).to_pylist(), spelled, dictionary


def _parse(file: str, data: bytes, table: Table, run=map) -> tuple[TableData | None, list[Problem]]:
    """The table from the bytes of its (UTF-8) CSV file, or None with the problems that prevent it."""
    if _is_blank(data):
        return None, [Problem(file, 1, None, None, "header-missing", None, "the file is empty: it needs at least the header line")]
    try:
        header = _header(data)
    except csv.Error as exc:
        return None, [Problem(file, 1, None, None, "csv-syntax", None, f"malformed header: {exc}")]
    problems = _check_header(file, header, table)
    if any(p.rule != "header-order" for p in problems):
        return None, problems

    invalid_rows = []
    try:
        strings = pa_csv.read_csv(
            pa.BufferReader(pa.py_buffer(bytes(data).replace(b"\r", b"") if holds(data, b"\r") else data)),  # no copy of a mapped file
            read_options=pa_csv.ReadOptions(column_names=header, skip_rows=1),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=lambda row: invalid_rows.append(row) or "skip"),
            convert_options=pa_csv.ConvertOptions(column_types={name: pa.string() for name in header},
                                                  # only an empty cell is missing: "NA" (Namibia) or "null" is text
                                                  null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, ValueError) as exc:
        found = _syntax_problems(file, str(data, "utf-8"), len(header))
        return None, problems + (found or [Problem(file, None, None, None, "csv-syntax", None, f"malformed CSV: {exc}")])
    if invalid_rows:
        return None, problems + _syntax_problems(file, str(data, "utf-8"), len(header))
    # without a quote character in the file no cell can hold a quote or a line break, and where every
    # quote is structural the records are those NumPy finds; otherwise a stray or unclosed quote may
    # have made pyarrow fold rows into one cell (which then holds a quote or a line break): the strict
    # parser judges, at Python's pace (10 s for 571 MB)
    record_lines, records = None, None
    if holds(data, b'"'):
        records = quoted_records(data)
        if records is not None and int(np.count_nonzero(~records.blank)) != strings.num_rows + 1:
            records = None  # cannot happen when the quotes are structural; if it did, the csv module decides
        if records is None and any(holds_any_byte(strings.column(name), b'"\n') for name in header):
            found, record_lines = _csv_records(str(data, "utf-8"), file, len(header))
            if found:
                return None, problems + found
            record_lines = record_lines[1:]
    if strings.num_rows == 0:
        strings = pa.table({name: pa.array([], pa.string()) for name in header})
    strings = strings.select(table.field_names)

    encoded = set(encoded_fields(table))
    typed_columns, bad_cells, canonical, dictionaries = [], {}, True, {}
    for f, (values, rows, spelled, dictionary) in zip(table.fields, run(partial(_typed_column, strings, encoded), table.fields)):
        typed_columns.append(values)
        canonical &= spelled
        if rows:
            bad_cells[f.name] = set(rows)
        if dictionary is not None:
            dictionaries[f.name] = dictionary
    typed = pa.table(typed_columns, names=table.field_names)
    # a string column's typed values are its cells, combined into one chunk: the strings share them,
    # and the CSV reader's chunks of those columns (the quotes: 152 MB at 2M events) are let go
    strings = pa.table([typed.column(f.name) if f.type == "string" else strings.column(f.name) for f in table.fields],
                       names=table.field_names)
    result = TableData(table, file, data, strings, typed, bad_cells, canonical_cells=canonical, record_lines=record_lines,
                       records=records, dictionaries=dictionaries)
    for name, rows in bad_cells.items():
        kind = table.field(name).type
        for row in sorted(rows):
            problems.append(result.problem(row, name, "type", f"not a valid {kind}" + {
                "date": " (write YYYY-MM-DD, a real calendar date)", "boolean": " (write true or false)",
                "integer": " (write at most 18 digits, no sign but '-', no point)",
                "number": " (write a finite decimal number with a point)"}.get(kind, "")))
    return result, problems


SOURCE_ID = re.compile(r"[0-9]{3}_[0-9a-f]{16}")


def seed_path(repo: Repository, source_id) -> Path | None:
    """The seed file of a source id, or None when the id is malformed or the file is not a regular
    file directly inside seeds/ (a crafted id must never read a file elsewhere)."""
    if not isinstance(source_id, str) or not SOURCE_ID.fullmatch(source_id):
        return None
    path = repo.root / "seeds" / f"{source_id}.txt"  # the pattern admits no separator and no '..'
    try:
        return path if stat.S_ISREG(os.lstat(path).st_mode) else None  # lstat: a symlink is not a regular file
    except OSError:
        return None


def utf8_chars(data) -> int | None:
    """How many characters the bytes hold as UTF-8, None when they are not valid UTF-8: Arrow checks
    and counts them in place, without decoding a Python string (two or four bytes a character once
    one character is outside Latin-1 or the BMP)."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    array = pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)])
    try:
        return pc.utf8_length(array.cast(pa.large_string()))[0].as_py()
    except pa.ArrowInvalid:
        return None


class SourceTexts(Mapping):
    """source_id -> decoded text, for every source whose seed file is valid UTF-8, with the raw bytes
    kept. No text is decoded unless it is asked for: validity and the length in characters come from
    the bytes (for an ASCII file, the usual case, its length in bytes)."""

    def __init__(self, raw: dict[str, bytes]):
        self.raw = raw
        self._texts: dict[str, str] = {}
        self._ascii: dict[str, bool] = {}
        self._chars: dict[str, int] = {}
        for source_id, data in list(raw.items()):
            self._ascii[source_id] = is_ascii(data)
            chars = len(data) if self._ascii[source_id] else utf8_chars(data)
            if chars is None:  # not UTF-8: check_sources reports it
                del self.raw[source_id], self._ascii[source_id]
            else:
                self._chars[source_id] = chars

    def only(self, source_ids) -> SourceTexts:
        """The texts of these sources alone, sharing what was already learnt about them."""
        kept = SourceTexts({})
        kept.raw = {i: self.raw[i] for i in source_ids if i in self.raw}
        kept._ascii = {i: self._ascii[i] for i in kept.raw}
        kept._chars = {i: self._chars[i] for i in kept.raw}
        kept._texts = {i: self._texts[i] for i in kept.raw if i in self._texts}
        return kept

    def __getitem__(self, source_id: str) -> str:
        if source_id not in self._texts:
            self._texts[source_id] = str(self.raw[source_id], "utf-8")
        return self._texts[source_id]

    def __contains__(self, source_id) -> bool:  # Mapping's own would decode the text to answer
        return source_id in self.raw

    def __iter__(self):
        return iter(self.raw)

    def __len__(self) -> int:
        return len(self.raw)

    def chars(self, source_id: str) -> int:
        return self._chars[source_id]

    def is_ascii(self, source_id: str) -> bool:
        return self._ascii[source_id]


def read_seeds(repo: Repository) -> SourceTexts:
    """The seed files named like a source (regular files only), by source id; independent of the
    tables, so validate reads them (and learns which are ASCII and valid UTF-8, 0.1 s for 145 MB)
    while it reads the tables."""
    return SourceTexts({path.stem: mapped_bytes(path) for path in sorted((repo.root / "seeds").glob("*.txt"))
                        if seed_path(repo, path.stem) == path})


def source_texts(repo: Repository, sources: TableData | None, seeds: SourceTexts | None = None) -> SourceTexts:
    """The texts of every source whose seed file can be read (check_sources reports the rest)."""
    seeds = read_seeds(repo) if seeds is None else seeds
    return seeds.only(sources.strings.column("source_id").to_pylist() if sources is not None else [])


def encoded_fields(table: Table) -> list[str]:
    """The columns checked per distinct value: controlled values (dictionary-encoded in Parquet) and
    identifiers that point into another table, which repeat across rows."""
    repeated = [fk.fields[0] for fk in table.foreign_keys
                if len(fk.fields) == 1 and fk.fields[0] not in table.primary_key and fk.fields[0] not in table.categorical]
    return [f.name for f in table.fields if f.name in table.categorical] + repeated


def read_published(repo: Repository, table: Table) -> TableData | None:
    """The table from its Parquet twin, when that twin was written for this very Table Schema
    (the schema is embedded in the file's metadata); None otherwise. The caller decides whether the
    twin may stand for the CSV file (validate: only when both match datapackage.json's hashes)."""
    import pyarrow.parquet as pq

    from .schemas import arrow_schema

    path = repo.parquet_path(table.name)
    if path.is_symlink() or not path.is_file():
        return None
    repeated = [name for name in encoded_fields(table) if name not in table.categorical]  # the rest are stored so
    try:
        # mapped: the compressed pages are read where the page cache holds them (see mapped_bytes)
        parquet_file = pq.ParquetFile(path, read_dictionary=repeated, memory_map=True)
        expected = arrow_schema(table)
        for name in repeated:  # the schema as read, with those columns as dictionaries
            index = expected.get_field_index(name)
            expected = expected.set(index, expected.field(index).with_type(pa.dictionary(pa.int32(), pa.string())))
        if not parquet_file.schema_arrow.equals(expected, check_metadata=True):
            return None
        parquet = parquet_file.read(use_threads=False)
    except (pa.ArrowException, OSError):
        return None
    csv, typed = repo.csv_path(table.name), PublishedColumns(table, parquet)
    return TableData(table, repo.relative(csv), csv, PublishedColumns(table, parquet, typed), typed, from_parquet=True)
