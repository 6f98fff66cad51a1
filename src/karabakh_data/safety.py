"""Content safety of text cells: what a spreadsheet would execute and what a reviewer cannot see.

Flagged, never rewritten: canonical data is changed only by its coder.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .problems import Problem
from .read import TableData, arrow_array, byte_range, constant_mask, string_buffers

MAX_CELL_CHARS = 10_000
# A cell a spreadsheet may run as a formula: =, +, -, @, tab or CR at the start of the cell or of
# any line in it, also after leading spaces or no-break spaces (the usual bypasses).
FORMULA = r"(^|\n)[ \x{00A0}]*[=+\-@\t\r]"
FORMULA_AT_START = r"^[ \x{00A0}]*[=+\-@\t\r]"
# Bidirectional overrides and isolates (Trojan Source), zero-width characters, BOM, LRM/RLM/ALM.
INVISIBLE = r"[\x{202A}-\x{202E}\x{2066}-\x{2069}\x{200B}-\x{200F}\x{2060}\x{FEFF}\x{061C}]"


def _refine(values, candidates, exact) -> pa.Array:
    """The candidates (a mask from a cheap scan) for which the exact, costlier test holds: it runs
    only on the few values the scan could not clear."""
    rows = pc.indices_nonzero(pc.fill_null(candidates, False))
    mask = np.zeros(len(values), dtype=bool)
    if len(rows):
        hits = pc.fill_null(exact(pc.take(values, rows)), False)
        mask[pc.take(rows, pc.indices_nonzero(hits)).to_numpy()] = True
    return arrow_array(mask)


FORMULA_FIRST_BYTE = np.zeros(256, dtype=bool)  # a lookup table: is this byte a possible first byte of a trigger
FORMULA_FIRST_BYTE[np.frombuffer(b"=+-@\t\r \xc2", dtype=np.uint8)] = True  # 0xC2 starts U+00A0 in UTF-8


def _may_start_formula(column) -> np.ndarray:
    """Cells whose first byte could begin a formula trigger, read straight from the Arrow buffers."""
    flags = []
    for chunk in (column.chunks if isinstance(column, pa.ChunkedArray) else [column]):
        offsets, data = string_buffers(chunk)
        if not len(data):
            flags.append(np.zeros(len(chunk), dtype=bool))
            continue
        nonempty = (offsets[1:] > offsets[:-1]) & (offsets[:-1] < len(data))
        first = data[np.minimum(offsets[:-1], len(data) - 1)]
        flags.append(nonempty & FORMULA_FIRST_BYTE[first])
    return np.concatenate(flags) if flags else np.zeros(0, bool)


def ascii_only(values, span: tuple[int, int] | None = None) -> bool:
    """Whether every value is ASCII (then characters are bytes); `span`, when known, bounds their bytes."""
    return (span or byte_range(values))[1] < 0x80


# Each check takes the values and, optionally, bounds of their bytes (TableData.byte_range), which
# settle whole columns: no non-ASCII byte, no line break.
def too_long(values, span=None) -> pa.Array:
    return _refine(values, pc.greater(pc.binary_length(values), MAX_CELL_CHARS),  # never fewer bytes than characters
                   lambda v: pc.greater(pc.utf8_length(v), MAX_CELL_CHARS))


def _rows(mask) -> list[int]:
    return pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()


def formula(values, span=None) -> pa.Array:
    # a trigger at the start of the cell: only cells starting with a trigger byte are matched; after a
    # line break: only cells with a line break
    starts = _may_start_formula(values)
    # most columns have no cell starting with a trigger byte: then nothing is left to refine
    at_start = (_refine(values, arrow_array(starts), lambda v: pc.match_substring_regex(v, FORMULA_AT_START)) if starts.any()
                else constant_mask(False, len(values)))
    if (span or byte_range(values))[0] > ord("\n"):
        return at_start  # no line break anywhere in the column
    after_break = _refine(values, pc.match_substring_regex(values, "\n"), lambda v: pc.match_substring_regex(v, FORMULA))
    return pc.or_(at_start, after_break)


# Characters that NFC leaves as they are wherever they stand: combining class 0, their own NFC, and
# no part of a composition with what precedes them. A text of ASCII and these alone is in NFC, so only a
# text that holds another character is normalised to be compared (Latin with its accents, Cyrillic,
# Armenian, punctuation and currency signs). tests/test_content_safety.py checks every code point
# against unicodedata.
NFC_STABLE = ((0x00A0, 0x02FF), (0x0400, 0x0482), (0x048A, 0x052F), (0x0531, 0x0556), (0x0559, 0x058A),
              (0x2010, 0x205E), (0x20A0, 0x20BF))
MAY_CHANGE_UNDER_NFC = "[^\\x{00}-\\x{7F}" + "".join(f"\\x{{{a:04X}}}-\\x{{{b:04X}}}" for a, b in NFC_STABLE) + "]"


def not_nfc(values, span=None) -> pa.Array:  # normalising changes a character outside ASCII only
    if ascii_only(values, span):
        return constant_mask(False, len(values))
    # three sieves, each on what the one before left: non-ASCII cells (a SIMD test), cells holding a
    # character outside NFC_STABLE (a regular expression), the normalisation itself (0.45 s on the 300,000
    # non-ASCII quotes of a 2M-event package when it ran on all of them)
    return _refine(values, pc.invert(pc.string_is_ascii(values)),
                   lambda v: _refine(v, pc.match_substring_regex(v, MAY_CHANGE_UNDER_NFC),
                                     lambda w: pc.not_equal(pc.utf8_normalize(w, "NFC"), w)))


def invisible(values, span=None) -> pa.Array:
    if ascii_only(values, span):
        return constant_mask(False, len(values))
    return _refine(values, pc.invert(pc.string_is_ascii(values)), lambda v: pc.match_substring_regex(v, INVISIBLE))


CELL_SIZE = (too_long, "cell-size", f"the cell is longer than {MAX_CELL_CHARS} characters")
TEXT_CHECKS = (
    CELL_SIZE,
    (formula, "formula", "the cell (or a line in it) starts with =, +, -, @, tab or CR, which a spreadsheet may run as a formula; reword it"),
    (not_nfc, "unicode-nfc", "the text is not in Unicode NFC form; normalise it (e.g. composed accents)"),
    (invisible, "invisible-char", "the text contains a bidirectional control or zero-width character that a reviewer cannot see"),
)


def check_content(data: TableData) -> list[Problem]:
    problems = []
    for f in data.table.fields:
        if f.type == "string":  # per distinct value when the column came dictionary-encoded from Parquet
            span = data.byte_range(f.name)  # bounds every chunk's bytes
            short = data.byte_lengths(f.name)[1] <= MAX_CELL_CHARS  # no more characters than bytes
            found = [(data.rows_where(f.name, partial(check, span=span)), rule, message) for check, rule, message in TEXT_CHECKS
                     if not (short and (check, rule, message) == CELL_SIZE)]
        elif not data.from_parquet:  # a CSV cell may be any text; a typed Parquet value is a few dozen characters
            check, rule, message = CELL_SIZE
            found = [(_rows(check(data.strings.column(f.name))), rule, message)]
        else:
            continue
        problems += [data.problem(row, f.name, rule, message) for rows, rule, message in found for row in rows]
    return problems
