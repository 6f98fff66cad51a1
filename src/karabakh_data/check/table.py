"""The checks of one table on its own: its Table Schema's constraints and keys, the safety of its text,
and its canonical form."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from .. import kernels
from ..io.csvfile import TableData
from ..io.spelling import canonical_length, csv_pieces, header_line
from ..model.keywords import CONSTRAINTS
from ..model.problems import Problem
from .context import all_of

MAX_CELL_CHARS = 10_000
# A cell a spreadsheet may run as a formula: =, +, -, @, tab or CR at the start of the cell or of
# any line in it, also after leading spaces or no-break spaces (the usual bypasses).
FORMULA_AT_START = r"^[ \x{00A0}]*[=+\-@\t\r]"
FORMULA_TRIGGERS = (b"=", b"+", b"-", b"@", b"\t", b"\r")
FORMULA_AFTER_BREAK = r"\n[ \x{00A0}]*[=+\-@\t\r]"
# Bidirectional overrides and isolates (Trojan Source), zero-width characters, BOM, LRM/RLM/ALM.
INVISIBLE = r"[\x{202A}-\x{202E}\x{2066}-\x{2069}\x{200B}-\x{200F}\x{2060}\x{FEFF}\x{061C}]"


def required_hint(field: str) -> str:
    return " (run `karabakh-data fmt` to fill it from the quote)" if field in ("char_start", "char_end") else ""


def repeated_rows(columns: list, order: pa.Array | None) -> list[int]:
    """The rows whose key (the columns together, every part present) occurs in more than one row;
    `order` sorts the rows by that key (None: they are in order)."""
    ordered = [kernels.one_chunk(c if order is None else c.take(order)) for c in columns]
    n = len(ordered[0])
    if n < 2:
        return []
    same = all_of([pc.fill_null(pc.equal(c.slice(0, n - 1), c.slice(1)), False) for c in ordered])
    pairs = pc.indices_nonzero(same)
    positions = sorted(set(pairs.to_pylist()) | {i + 1 for i in pairs.to_pylist()})
    return sorted(positions if order is None else order.take(pa.array(positions, pa.int64())).to_pylist())


def check_constraints(data: TableData) -> list[Problem]:
    """Every failure of the table's field constraints and keys."""
    table, problems = data.table, []
    for f in table.fields:
        column, unparsed = data.typed.column(f.name), data.bad_cells.get(f.name, set())

        def flag(mask: kernels.Column, rule: str, message: str, name: str = f.name, skip: set = unparsed) -> None:
            rows = [row for row in kernels.true_rows(mask) if row not in skip]
            problems.extend(data.problem(row, name, rule, message) for row in rows)  # noqa: B023 (used before the loop goes on)

        if table.is_required(f.name):
            flag(pc.is_null(column), "required", "a value is required" + required_hint(f.name))
        for keyword, value in f.constraints:
            constraint = CONSTRAINTS[keyword]
            violations = constraint.violates(column, value)
            if violations is not None:
                flag(pc.and_(pc.is_valid(column), violations), constraint.rule, constraint.message(value))
        if f.unique and (f.name,) != table.primary_key:
            order = pc.sort_indices(column)
            problems += [
                data.problem(row, f.name, "unique", "the value occurs in more than one row")
                for row in repeated_rows([column], order)
            ]
    key = ",".join(table.primary_key)
    for row in repeated_rows([data.typed.column(k) for k in table.primary_key], data.key_order):
        if len(table.primary_key) == 1:
            problems.append(data.problem(row, key, "primary-key", "the value occurs in more than one row"))
        else:
            problems.append(
                data.problem(row, key, "primary-key", f"the primary key ({key}) is not unique", data.record(row))
            )
    return problems


def _rows(mask: kernels.Column) -> list[int]:
    return kernels.true_rows(mask)


def _oversized(values: pa.Array) -> list[tuple[int, str, str]]:
    if kernels.longest_value_bytes(values) <= MAX_CELL_CHARS:  # a character is one byte or more
        return []
    return [(row, *CELL_SIZE) for row in _rows(pc.greater(pc.utf8_length(values), MAX_CELL_CHARS))]


def _text_problems(values: pa.Array) -> list[tuple[int, str, str]]:
    """(row, rule, message) of each cell of a column of text that a spreadsheet would execute, that a
    reviewer cannot see, or that is too large to review. Each test runs only where the column's bytes
    say it can hold: a formula trigger, a line break, a character outside ASCII, a long cell."""
    raw, found = kernels.value_bytes(values), _oversized(values)
    if any(trigger in raw for trigger in FORMULA_TRIGGERS):
        starts = pc.match_substring_regex(values, FORMULA_AT_START)
        breaks = pc.match_substring_regex(values, FORMULA_AFTER_BREAK) if b"\n" in raw else starts
        found += [(row, *FORMULA) for row in _rows(pc.or_(starts, breaks))]
    if not raw.isascii():  # NFC and the invisible characters concern characters outside ASCII only
        non_ascii = pc.fill_null(pc.invert(pc.string_is_ascii(values)), False)
        rows, text = pc.indices_nonzero(non_ascii), pc.filter(values, non_ascii)
        for rule, test in (
            (NFC, pc.not_equal(pc.utf8_normalize(text, "NFC"), text)),
            (INVISIBLE_CHAR, pc.match_substring_regex(text, INVISIBLE)),
        ):
            found += [(row, *rule) for row in pc.take(rows, pc.indices_nonzero(pc.fill_null(test, False))).to_pylist()]
    return found


CELL_SIZE = ("cell-size", f"the cell is longer than {MAX_CELL_CHARS} characters")
FORMULA = (
    "formula",
    "the cell (or a line in it) starts with =, +, -, @, tab or CR, which a spreadsheet may run as a formula; reword it",
)
NFC = ("unicode-nfc", "the text is not in Unicode NFC form; normalise it (e.g. composed accents)")
INVISIBLE_CHAR = (
    "invisible-char",
    "the text contains a bidirectional control or zero-width character that a reviewer cannot see",
)


def check_content(data: TableData) -> list[Problem]:
    """Every text cell is checked, and every cell of a typed column for its size (a typed cell that
    parses is a few characters)."""
    problems = []
    for f in data.table.fields:
        first = 0
        for values in data.strings.column(f.name).chunks:  # chunk by chunk: a table's column is hundreds of MB
            found = _text_problems(values) if f.type == "string" else _oversized(values)
            problems += [data.problem(first + row, f.name, rule, message) for row, rule, message in found]
            first += len(values)
    return problems


def is_canonical(data: TableData) -> bool:
    """Whether the file is what fmt writes (offsets as they are), judged without writing it: the
    file's cells are the ones read, so it differs from fmt's only in what the reader cannot see (the
    header's spelling, row order, the spelling of typed values, quotes around cells that need none,
    blank lines, a final LF), and all but the first three make it longer."""
    names, raw = data.table.field_names, data.raw
    if not raw.startswith(header_line(names)) or not raw.endswith(b"\n") or data.key_order is not None:
        return False
    columns = data.canonical_columns()
    for f, spelled in zip(data.table.fields, columns):
        if (
            f.type != "string"
            and not pc.all(pc.fill_null(pc.equal(spelled, data.strings.column(f.name)), True), min_count=0).as_py()
        ):
            return False
    return len(raw) == canonical_length(names, columns, data.quotable())


def check_canonical(data: TableData) -> list[Problem]:
    """The file must already be in the form `karabakh-data fmt` writes (offsets as they are); a file
    that is not is compared with fmt's form to say where it first differs."""
    if is_canonical(data):
        return []
    raw, offset, differ = pa.py_buffer(data.raw), 0, None
    for piece in csv_pieces(data.table.field_names, data.canonical_columns(), data.quotable(), data.key_order):
        piece, written = pa.py_buffer(piece), raw.slice(offset, max(0, min(len(piece), raw.size - offset)))
        if not written.equals(piece):
            differ = kernels.first_difference(written, piece)
            break
        offset += piece.size
    at = offset + (differ or 0)
    text = data.raw
    start = text.rfind(b"\n", 0, at) + 1  # the line that holds the first difference
    end = text.find(b"\n", start)
    value = text[start : end if end >= 0 else len(text)].decode("utf-8", "replace")[:200] or None
    return [
        Problem(
            data.file,
            kernels.line_of_offset(text, start),
            None,
            None,
            "not-canonical",
            value,
            "the file is not in canonical form (column and row order, spelling of numbers, dates and booleans, "
            "quoting): run `karabakh-data fmt`",
        )
    ]
