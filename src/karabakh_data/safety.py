"""Content safety of text cells: what a spreadsheet would execute and what a reviewer cannot see.

Flagged, never rewritten: canonical data is changed only by its coder.
"""

from __future__ import annotations

import pyarrow.compute as pc

from .problems import Problem
from .read import TableData

MAX_CELL_CHARS = 10_000
# A cell a spreadsheet may run as a formula: =, +, -, @, tab or CR at the start of the cell or of
# any line in it, also after leading spaces or no-break spaces (the usual bypasses).
FORMULA = r"(^|\n)[ \x{00A0}]*[=+\-@\t\r]"
FORMULA_AT_START = r"^[ \x{00A0}]*[=+\-@\t\r]"
# Bidirectional overrides and isolates (Trojan Source), zero-width characters, BOM, LRM/RLM/ALM.
INVISIBLE = r"[\x{202A}-\x{202E}\x{2066}-\x{2069}\x{200B}-\x{200F}\x{2060}\x{FEFF}\x{061C}]"


def _rows_matching(column, candidates, predicate=None) -> list[int]:
    """Rows among `candidates` (a boolean mask) for which predicate(values) is true (all of them
    without a predicate): the costly predicates run only on the few cells a cheap scan could not clear."""
    rows = pc.indices_nonzero(pc.fill_null(candidates, False))
    if len(rows) == 0 or predicate is None:
        return rows.to_pylist()
    hits = pc.fill_null(predicate(pc.take(column, rows)), False)
    return pc.take(rows, pc.indices_nonzero(hits)).to_pylist()


def check_content(data: TableData) -> list[Problem]:
    problems = []

    def flag(rows, field, rule, message):
        problems.extend(data.problem(row, field, rule, message) for row in rows)

    for f in data.table.fields:
        if f.type != "string" and data.from_parquet:
            continue  # a typed value read from Parquet is spelled in at most a few dozen characters and is no text
        column = data.strings.column(f.name)
        too_long = pc.greater(pc.utf8_length(column), MAX_CELL_CHARS)
        flag(_rows_matching(column, too_long), f.name, "cell-size",
             f"the cell is longer than {MAX_CELL_CHARS} characters")
        if f.type != "string":
            continue
        # a trigger at the start of the cell needs an anchored match only; one after a line break
        # is looked for only in cells that have a line break
        starts = pc.match_substring_regex(column, FORMULA_AT_START)
        multiline = pc.match_substring(column, "\n")
        formula = sorted(set(_rows_matching(column, starts))
                         | set(_rows_matching(column, multiline, lambda v: pc.match_substring_regex(v, FORMULA))))
        flag(formula, f.name, "formula",
             "the cell (or a line in it) starts with =, +, -, @, tab or CR, which a spreadsheet may run as a formula; reword it")
        # NFC changes and invisible characters need a character outside ASCII
        non_ascii = pc.invert(pc.string_is_ascii(column))
        flag(_rows_matching(column, non_ascii, lambda v: pc.not_equal(pc.utf8_normalize(v, "NFC"), v)), f.name, "unicode-nfc",
             "the text is not in Unicode NFC form; normalise it (e.g. composed accents)")
        flag(_rows_matching(column, non_ascii, lambda v: pc.match_substring_regex(v, INVISIBLE)), f.name, "invisible-char",
             "the text contains a bidirectional control or zero-width character that a reviewer cannot see")
    return problems
