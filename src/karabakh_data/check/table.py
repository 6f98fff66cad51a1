"""The checks of one table on its own: its Table Schema's constraints and keys, the safety of its text,
and its canonical form."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import kernels
from ..io.csvfile import TableData
from ..io.spelling import canonical_length, csv_pieces, header_line
from ..model.characters import RULE_PATTERNS, describe, first_refused, refused_among
from ..model.keywords import CONSTRAINTS, TYPES
from ..model.problems import Omitted, Problem
from .context import all_of

MAX_CELL_CHARS = 10_000
# A cell a spreadsheet may run as a formula: =, +, -, @, tab or CR, or a compatibility form of =, +, -
# or @ (fullwidth, small, superscript, subscript: the characters whose NFKC form is one of them, which
# tests/test_characters.py derives from unicodedata), at the start of the cell or of any line in it,
# also after any Unicode space (Zs: spaces, no-break spaces, U+3000). A cell that is a plain decimal
# number (-39.8) is a number, which no spreadsheet runs.
WIDE_TRIGGERS = "\u207a\u207c\u208a\u208c\ufb29\ufe62\ufe63\ufe66\ufe6b\uff0b\uff0d\uff1d\uff20"
_TRIGGER = r"[=+\-@\t\r" + "".join(rf"\x{{{ord(c):04X}}}" for c in WIDE_TRIGGERS) + "]"
FORMULA_AT_START = rf"^\p{{Zs}}*{_TRIGGER}"
FORMULA_TRIGGERS = (b"=", b"+", b"-", b"@", b"\t", b"\r")
FORMULA_AFTER_BREAK = rf"\n\p{{Zs}}*{_TRIGGER}"
NUMBER = TYPES["number"].lexical


def required_hint(field: str) -> str:
    return " (run `karabakh-data fmt` to fill it from the quote)" if field in ("char_start", "char_end") else ""


def repeated_rows(columns: list, order: pa.Array | None) -> np.ndarray:
    """The rows, in order, whose key (the columns together, every part present) occurs in more than
    one row; `order` sorts the rows by that key (None: they are in order)."""
    ordered = [kernels.one_chunk(c if order is None else c.take(order)) for c in columns]
    n = len(ordered[0])
    if n < 2:
        return np.zeros(0, dtype=np.int64)
    same = all_of([pc.fill_null(pc.equal(c.slice(0, n - 1), c.slice(1)), False) for c in ordered])
    same = same.to_numpy(zero_copy_only=False)
    repeated = np.zeros(n, dtype=bool)
    repeated[:-1] |= same
    repeated[1:] |= same
    positions = np.flatnonzero(repeated)
    return positions if order is None else np.sort(order.to_numpy()[positions])


def check_constraints(data: TableData) -> list[Problem | Omitted]:
    """Every failure of the table's field constraints and keys."""
    table, problems = data.table, []
    for f in table.fields:
        column, unparsed = data.typed.column(f.name), data.bad_cells.get(f.name)

        def flag(
            mask: kernels.Column,
            rule: str,
            message: str,
            name: str = f.name,
            skip: object = unparsed,
            out: list = problems,
        ) -> None:
            mask = mask if skip is None else pc.and_(mask, pc.invert(skip))  # a cell that did not parse: a type problem
            out.extend(data.problems_at(mask, name, rule, message))

        if table.is_required(f.name):
            flag(pc.is_null(column), "required", "a value is required" + required_hint(f.name))
        for keyword, value in f.constraints:
            constraint = CONSTRAINTS[keyword]
            violations = constraint.violates(column, value)
            if violations is not None:
                flag(pc.and_(pc.is_valid(column), violations), constraint.rule, constraint.message(value))
        if f.unique and (f.name,) != table.primary_key:
            rows = repeated_rows([column], pc.sort_indices(column))
            problems += data.problems_at(rows, f.name, "unique", "the value occurs in more than one row")
    key = ",".join(table.primary_key)
    rows = repeated_rows([data.typed.column(k) for k in table.primary_key], data.key_order)
    if len(table.primary_key) == 1:
        problems += data.problems_at(rows, key, "primary-key", "the value occurs in more than one row")
    else:
        problems += data.problems_at(
            rows, key, "primary-key", f"the primary key ({key}) is not unique", value=data.record
        )
    return problems


CELL_SIZE = ("cell-size", f"the cell is longer than {MAX_CELL_CHARS} characters")
FORMULA = (
    "formula",
    "the cell (or a line in it) starts with =, +, -, @, tab or CR (or a fullwidth or other form of one, also after "
    "spaces), which a spreadsheet may run as a formula; reword it",
)
NFC = ("unicode-nfc", "the text is not in Unicode NFC form; normalise it (e.g. composed accents)")
CHARACTER_MESSAGES = {
    "control-char": "a control character",
    "invisible-char": "an invisible character that a reviewer cannot see",
    "unusable-char": "a private-use, unassigned or line/paragraph separator character",
}


def _spread(mask: pa.Array, rows: pa.Array, n: int) -> pa.Array:
    """A mask over n rows, true at rows[i] where mask[i] holds."""
    full = np.zeros(n, dtype=bool)
    full[rows.to_numpy()] = pc.fill_null(mask, False).to_numpy(zero_copy_only=False)
    return pa.array(full)


def _chunk_flags(values: pa.Array, is_text: bool) -> dict[str, pa.Array]:
    """Rule -> mask of the cells of one chunk that break it: a cell that is too large to review, and
    in text a cell that a spreadsheet would execute, that is not NFC, or that holds a character the
    text policy refuses. Each test runs only where the chunk's bytes say it can find something: a
    formula trigger, a line break, a character outside ASCII, a long cell."""
    flags = {}
    if kernels.longest_value_bytes(values) > MAX_CELL_CHARS:  # a character is one byte or more
        flags["cell-size"] = pc.greater(pc.utf8_length(values), MAX_CELL_CHARS)
    if not is_text:
        return flags
    raw = kernels.value_bytes(values)
    if not raw.isascii() or any(trigger in raw for trigger in FORMULA_TRIGGERS):
        starts = pc.match_substring_regex(values, FORMULA_AT_START)
        if pc.any(starts).as_py():  # a plain number starts with a minus: looked for only where one may be
            starts = pc.and_(starts, pc.invert(pc.match_substring_regex(values, NUMBER)))
        flags["formula"] = (
            pc.or_(starts, pc.match_substring_regex(values, FORMULA_AFTER_BREAK)) if b"\n" in raw else starts
        )
    if not raw.isascii():  # NFC and the character policy concern characters outside ASCII only
        non_ascii = pc.fill_null(pc.invert(pc.string_is_ascii(values)), False)
        rows, text = pc.indices_nonzero(non_ascii), pc.filter(values, non_ascii)
        flags["unicode-nfc"] = _spread(pc.not_equal(pc.utf8_normalize(text, "NFC"), text), rows, len(values))
        # the cells are searched only for a kind of character the chunk holds at all
        for rule in refused_among(kernels.distinct_characters(raw)):
            flags[rule] = _spread(pc.match_substring_regex(text, dict(RULE_PATTERNS)[rule]), rows, len(values))
    return flags


def check_content(data: TableData) -> list[Problem | Omitted]:
    """Every text cell is checked, and every cell of a typed column for its size (a typed cell that
    parses is a few characters). Chunk by chunk: a table's column is hundreds of MB."""
    problems = []
    for f in data.table.fields:
        chunks = data.strings.column(f.name).chunks
        flags = [_chunk_flags(values, f.type == "string") for values in chunks]
        for rule in sorted({rule for found in flags for rule in found}):
            mask = pa.chunked_array(
                [found.get(rule, pa.nulls(len(values), pa.bool_())) for found, values in zip(flags, chunks)],
                pa.bool_(),
            )
            problems += data.problems_at(mask, f.name, rule, _message(data, f.name, rule))
    return problems


def _message(data: TableData, field: str, rule: str) -> object:
    fixed = {"cell-size": CELL_SIZE[1], "formula": FORMULA[1], "unicode-nfc": NFC[1]}
    if rule in fixed:
        return fixed[rule]

    def message(row: int) -> str:
        found = first_refused(data.strings.column(field)[row].as_py() or "", rule)
        what = describe(found[1]) if found else CHARACTER_MESSAGES[rule]
        return f"the text holds {what} at character {found[0] if found else '?'}: {CHARACTER_MESSAGES[rule]}"

    return message


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
