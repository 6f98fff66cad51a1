"""Read a hand-coded CSV file: bytes -> header -> cells as written -> typed Arrow columns.

Each step reports what it cannot accept as Problems instead of raising, so that validate can report
every problem at once. A cell that does not parse becomes null in the typed table (its problem is
already reported), so later checks run on whatever is readable.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from .. import kernels
from ..model import repository
from ..model.characters import ASCII_CONTROLS
from ..model.keywords import TYPES
from ..model.problems import LISTED_PER_RULE_AND_FILE, Omitted, Problem
from ..model.repository import Repository
from ..model.schemas import Table
from .spelling import key_order, spell

ALLOWED_BYTES = bytes(b for b in range(0x100) if b not in ASCII_CONTROLS) + b"\n"  # but C0 and DEL (LF aside)
BLOCK_BYTES = 1 << 24  # the CSV reader's unit of work: a table comes in chunks of about this size


@dataclass
class TableData:
    """One table as read from its CSV file: the cells as written, and typed per its Table Schema."""

    table: Table
    file: str  # repository-relative path of the CSV file (what problems name)
    raw: bytes  # the file's bytes (line endings normalised to LF)
    strings: pa.Table  # every column as written (null = empty cell), in schema order
    typed: pa.Table  # schema types; cells that did not parse are null
    bad_cells: dict[str, pa.Array] = field(default_factory=dict)  # column -> mask of the cells that did not parse

    @property
    def num_rows(self) -> int:
        return self.typed.num_rows

    def column(self, name: str) -> pa.ChunkedArray:
        """A typed column (in the chunks the CSV reader made)."""
        return self.typed.column(name)

    def drop_text(self) -> None:
        """Let go of the file's bytes and of the cells as written, keeping the typed columns (and the
        hash): what is published once a table is validated."""
        self.sha256  # noqa: B018 (computed while the bytes are here)
        self.raw, self.strings = b"", self.typed

    @cached_property
    def sha256(self) -> str:
        """Of the file's bytes (as on disk for any file without a carriage return: a valid one)."""
        return repository.sha256_hex(self.raw)

    @cached_property
    def key_order(self) -> pa.Array | None:
        """The order that sorts the rows by primary key (None when they are in it)."""
        return key_order(self.typed, self.table.primary_key)

    def quotable(self) -> list[bool]:
        """For each column of canonical_columns, whether a cell may need quotes: text, or a typed
        column with cells kept as written."""
        return [f.type == "string" or f.name in self.bad_cells for f in self.table.fields]

    def canonical_columns(self) -> list[pa.ChunkedArray]:
        """Every column as fmt writes it: typed values in their canonical spelling, and a cell that
        does not parse as it is written (fmt never destroys what a coder wrote)."""
        columns = []
        for f in self.table.fields:
            spelled = spell(self.typed.column(f.name), f.type)
            if f.name in self.bad_cells:
                spelled = pc.if_else(self.bad_cells[f.name], self.strings.column(f.name), spelled)
            columns.append(spelled)
        return columns

    @cached_property
    def _row_lines(self) -> np.ndarray:
        """The line on which each row starts: records end at the line feeds outside quoted cells, and
        a blank line is no row (as pyarrow reads it)."""
        ends = kernels.record_ends(self.raw)
        starts = np.r_[0, ends + 1]
        nonblank = np.r_[ends, len(self.raw)] > starts
        breaks = kernels.byte_positions(self.raw, 0x0A)
        lines = np.searchsorted(breaks, starts) + 1
        return lines[nonblank][1:]  # the header's record first

    def line(self, row: int) -> int | None:
        lines = self._row_lines
        return int(lines[row]) if 0 <= row < len(lines) else None

    def record(self, row: int) -> str:
        return "/".join(self.strings.column(k)[row].as_py() or "" for k in self.table.primary_key)

    def problem(self, row: int, field: str | None, rule: str, message: str, value: object = None) -> Problem:
        if value is None and field in self.table.field_names:
            value = self.strings.column(field)[row].as_py()
        return Problem(
            self.file, self.line(row), self.record(row), field, rule, None if value is None else str(value), message
        )

    def problems_at(
        self,
        where: pa.Array | pa.ChunkedArray | np.ndarray,
        field: str | None,
        rule: str,
        message: str | Callable[[int], str],
        value: Callable[[int], object] | None = None,
    ) -> Iterator[Problem | Omitted]:
        """A problem at each row `where` names (a mask, null = false; or the rows, in order): the
        first LISTED_PER_RULE_AND_FILE made, the others counted, so that no input makes a problem of
        every row. `message` and `value` may say something of each row."""
        if isinstance(where, np.ndarray) and where.dtype != bool:
            rows, count = where[:LISTED_PER_RULE_AND_FILE].tolist(), len(where)
        else:
            found = pc.indices_nonzero(pc.fill_null(where, False))
            rows, count = found.slice(0, LISTED_PER_RULE_AND_FILE).to_pylist(), len(found)
        for row in rows:
            text = message(row) if callable(message) else message
            yield self.problem(row, field, rule, text, None if value is None else value(row))
        if count > len(rows):
            yield Omitted(self.file, rule, count - len(rows))


def parse_column(cells: pa.ChunkedArray | pa.Array, field_type: str) -> tuple[pa.Array, pa.Array]:
    """The typed values of a column of cells, and a mask of the cells present but not valid for the
    type (their values are null): a cell must be in the type's lexical form (TYPES), a date a real
    calendar date of a year from 1 to 9999 (Python's range), a number finite."""
    if field_type == "string":
        return cells, pc.and_(pc.is_valid(cells), pa.scalar(False))  # every cell is a string
    spec = TYPES[field_type]
    if field_type == "date":  # the one spelling of a real date is the one it is spelled back as
        values = pc.cast(pc.strptime(cells, format="%Y-%m-%d", unit="s", error_is_null=True), pa.date32())
        ok = pc.and_(
            pc.fill_null(pc.equal(pc.cast(values, pa.string()), cells), False),
            pc.fill_null(pc.greater(pc.year(values), 0), False),
        )
    else:
        ok = pc.fill_null(pc.match_substring_regex(cells, spec.lexical), False)
        lexical = pc.if_else(ok, cells, pa.scalar(None, pa.string()))
        values = pc.equal(lexical, "true") if field_type == "boolean" else pc.cast(lexical, spec.arrow)
        if field_type == "number":  # 1e999 parses as inf: not a number anyone measured
            ok = pc.and_(ok, pc.fill_null(pc.is_finite(values), True))
    values = pc.if_else(ok, values, pa.scalar(None, spec.arrow))
    return values, pc.and_(pc.is_valid(cells), pc.invert(ok))


def _byte_problems(file: str, data: bytes) -> list[Problem]:
    problems = []
    if data[:3] == b"\xef\xbb\xbf":
        problems.append(
            Problem(
                file,
                1,
                None,
                None,
                "bom",
                None,
                "the file starts with a UTF-8 byte order mark; save it as UTF-8 without BOM",
            )
        )
    error = kernels.utf8_error(data)
    if error is not None:
        problems.append(
            Problem(
                file,
                kernels.line_of_offset(data, error.start),
                None,
                None,
                "encoding",
                repr(data[error.start : error.start + 4]),
                f"the file is not valid UTF-8 (byte offset {error.start})",
            )
        )
    controls = data.translate(None, ALLOWED_BYTES)  # the control bytes the file holds, in order
    for byte in sorted(set(controls)):
        at = data.find(bytes([byte]))
        rule, message = {
            0x00: ("nul-byte", "the file contains a NUL byte"),
            0x0D: ("line-ending", "the file contains a carriage return; lines must end with LF (\\n) only"),
        }.get(
            byte,
            ("control-char", "the file contains a control character (tab, form feed, escape, ...); only LF may appear"),
        )
        if not any(p.rule == rule for p in problems):
            problems.append(
                Problem(file, kernels.line_of_offset(data, at), None, None, rule, repr(bytes([byte])), message)
            )
    return problems


def _header_problems(file: str, header: list[str], table: Table) -> list[Problem | Omitted]:
    """What is wrong with the header; a header of millions of columns makes a few problems, and counts
    the others."""
    expected, problems, seen, counts = table.field_names, [], set(), {}

    def add(rule: str, name: str | None, value: str | None, message: str) -> None:
        counts[rule] = counts.get(rule, 0) + 1
        if counts[rule] <= LISTED_PER_RULE_AND_FILE:
            problems.append(Problem(file, 1, None, name, rule, value, message))

    for position, name in enumerate(header, 1):
        if not name.strip():
            add("header-blank", None, name, f"column {position} has no name")
        elif name in seen:
            add("header-duplicate", name, name, f"column {name!r} appears more than once")
        seen.add(name)
    for name in sorted(seen - set(expected)):
        if name.strip():
            add("header-unknown", name, name, f"column {name!r} is not in schemas/{table.name}.json")
    for name in [n for n in expected if n not in seen]:
        add("header-missing", name, None, f"column {name!r} of schemas/{table.name}.json is missing")
    if not problems and header != expected:
        add(
            "header-order",
            None,
            ",".join(header),
            "columns are not in schema order; run `karabakh-data fmt` to reorder them",
        )
    return problems + [
        Omitted(file, rule, n - LISTED_PER_RULE_AND_FILE) for rule, n in counts.items() if n > LISTED_PER_RULE_AND_FILE
    ]


def _ragged_problems(file: str, data: bytes, width: int) -> list[Problem | Omitted]:
    """The records whose number of cells differs from the header's, each at its line."""
    ends = kernels.record_ends(data)
    counts = kernels.fields_per_record(data, ends)
    starts = np.r_[0, ends + 1][: len(counts)]
    blank = np.r_[ends, len(data)][: len(counts)] == starts
    problems, ragged = [], np.flatnonzero((counts != width) & ~blank)
    if len(ragged) > LISTED_PER_RULE_AND_FILE:
        problems.append(Omitted(file, "csv-ragged-row", len(ragged) - LISTED_PER_RULE_AND_FILE))
    for record in ragged[:LISTED_PER_RULE_AND_FILE].tolist():
        start = int(starts[record])
        text = data[start : start + 200].split(b"\n")[0].decode("utf-8", "replace")
        problems.append(
            Problem(
                file,
                kernels.line_of_offset(data, start),
                None,
                None,
                "csv-ragged-row",
                text,
                f"the row has {int(counts[record])} cells, the header has {width}",
            )
        )
    return problems


def _read_cells(
    file: str, data: bytes, table: Table, pool: ThreadPoolExecutor
) -> tuple[pa.Table | None, list[Problem | Omitted]]:
    """The cells of the file as written, or None with the problems that prevent reading them. The
    quoting is checked on the pool while the reader parses the file."""
    if not data or data.isspace():
        return None, [
            Problem(file, 1, None, None, "header-missing", None, "the file is empty: it needs at least the header line")
        ]
    quoting = pool.submit(kernels.quoting_error, data)
    end = data.find(b"\n")
    header = next(
        csv.reader(io.StringIO(data[: end if end >= 0 else len(data)].decode("utf-8", "replace"), newline="")), []
    )
    problems = _header_problems(file, header, table)
    if any(p.rule != "header-order" for p in problems):
        return None, problems
    invalid, failure = [], None

    def skip(row: pa_csv.InvalidRow) -> str:
        if not invalid:  # one is enough: _ragged_problems finds them all without keeping every row
            invalid.append(row.number)
        return "skip"

    try:
        cells = pa_csv.read_csv(
            pa.BufferReader(data),
            read_options=pa_csv.ReadOptions(column_names=header, skip_rows=1, block_size=BLOCK_BYTES),
            parse_options=pa_csv.ParseOptions(newlines_in_values=True, invalid_row_handler=skip),
            # only an empty cell is missing: "NA" (Namibia) or "null" is text
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except pa.ArrowInvalid as exc:  # text that is not UTF-8 (reported by the byte checks) or a quote never closed
        failure = exc
    bad_quote = quoting.result()
    if bad_quote is not None:
        return None, [
            Problem(
                file,
                kernels.line_of_offset(data, bad_quote),
                None,
                None,
                "csv-syntax",
                None,
                "a quote character that CSV quoting does not allow: a quoted cell must start and end at the cell's "
                'commas, a quote inside it is written twice (""), and a cell that holds a quote is quoted whole',
            )
        ]
    if failure is not None:
        return None, [Problem.of_file(file, "csv-syntax", f"the file cannot be read as CSV: {failure}")]
    if invalid:
        return None, problems + _ragged_problems(file, data, len(header))
    return cells.select(table.field_names), problems


def read_table(
    repo: Repository, table: Table, pool: ThreadPoolExecutor | None = None
) -> tuple[TableData | None, list[Problem | Omitted]]:
    """The table from its CSV file (None when it cannot be read), and every problem found on the way.
    The byte checks, the quoting check and the parse each read the whole file, and the columns are
    typed one by one: `pool` (two workers of its own when not given) runs them side by side."""
    path = repo.csv_path(table.name)
    file = repo.relative(path)
    if not repo.is_regular_inside(path):
        return None, [
            Problem.of_file(
                file, "file-missing", "the table's CSV file is missing (or is a symlink, or in a symlinked folder)"
            )
        ]
    size = path.stat().st_size
    if size > repository.MAX_FILE_BYTES:
        return None, [
            Problem.of_file(
                file, "file-size", f"the file is larger than {repository.MAX_FILE_BYTES} bytes", value=str(size)
            )
        ]
    original = path.read_bytes()
    # a carriage return is reported by the byte checks; the table is read as LF, so that fmt can rewrite it
    data = original
    if b"\r" in original:
        data = original.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    with nullcontext(pool) if pool is not None else ThreadPoolExecutor(max_workers=2) as pool:
        byte_checks = pool.submit(_byte_problems, file, original)
        cells, more = _read_cells(file, data, table, pool)
        problems = byte_checks.result()
        if any(p.rule == "encoding" for p in problems):
            return None, problems
        if cells is None:
            return None, problems + more
        typed, bad_cells = [], {}
        for f, (values, bad) in zip(
            table.fields, pool.map(lambda f: parse_column(cells.column(f.name), f.type), table.fields)
        ):
            typed.append(values)
            if f.type != "string" and pc.any(bad).as_py():
                bad_cells[f.name] = bad
    data = TableData(table, file, data, cells, pa.table(typed, names=table.field_names), bad_cells)
    for name, bad in bad_cells.items():
        kind = table.field(name).type
        more += data.problems_at(bad, name, "type", f"not a valid {kind}{TYPES[kind].hint}")
    return data, problems + more
