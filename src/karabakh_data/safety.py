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
# Bidirectional overrides and isolates (Trojan Source), zero-width characters, BOM, LRM/RLM/ALM.
INVISIBLE = r"[\x{202A}-\x{202E}\x{2066}-\x{2069}\x{200B}-\x{200F}\x{2060}\x{FEFF}\x{061C}]"


def check_content(data: TableData) -> list[Problem]:
    problems = []

    def flag(mask, field, rule, message):
        for row in pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist():
            problems.append(data.problem(row, field, rule, message))

    for f in data.table.fields:
        column = data.strings.column(f.name)
        flag(pc.greater(pc.utf8_length(column), MAX_CELL_CHARS), f.name, "cell-size", f"the cell is longer than {MAX_CELL_CHARS} characters")
        if f.type != "string":
            continue
        flag(pc.match_substring_regex(column, FORMULA), f.name, "formula",
             "the cell (or a line in it) starts with =, +, -, @, tab or CR, which a spreadsheet may run as a formula; reword it")
        flag(pc.not_equal(pc.utf8_normalize(column, "NFC"), column), f.name, "unicode-nfc",
             "the text is not in Unicode NFC form; normalise it (e.g. composed accents)")
        flag(pc.match_substring_regex(column, INVISIBLE), f.name, "invisible-char",
             "the text contains a bidirectional control or zero-width character that a reviewer cannot see")
    return problems
