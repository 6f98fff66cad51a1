"""`karabakh-data fmt`: rewrite the hand-coded CSV files in canonical form (io/spelling.py), with
char_start/char_end filled from each quote. Text cells are never rewritten: a problem in one is
reported by validate, not silently fixed."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

import pyarrow as pa

from ..check.evidence import SpanError, locate
from ..io.csvfile import TableData, read_table
from ..io.seeds import SourceTexts, read_seeds
from ..io.spelling import csv_pieces
from ..model.problems import Problem
from ..model.repository import Repository, write_text_atomically
from ..model.schemas import SchemaError, load_package

DIGITS = re.compile(r"[0-9]{1,18}")


@dataclass
class FmtResult:
    changed: dict[str, str] = field(default_factory=dict)  # file -> unified diff
    problems: list[Problem] = field(default_factory=list)


def _fill_offsets(data: TableData, columns: list[pa.Array], texts: SourceTexts) -> list[Problem]:
    """Set char_start and char_end (as text, in `columns`) from each row's quote."""
    names, problems = data.table.field_names, []
    s, q, cs, ce = (names.index(n) for n in ("source_id", "quote", "char_start", "char_end"))
    sources, quotes, starts, ends = (columns[i].to_pylist() for i in (s, q, cs, ce))
    for row, (source, quote, start) in enumerate(zip(sources, quotes, starts)):
        text = texts.get(source)
        if text is None or not quote:
            continue
        hint = int(start) if start and DIGITS.fullmatch(start) else None
        try:
            starts[row], ends[row] = map(str, locate(text, quote, hint))
        except SpanError as exc:
            problems.append(data.problem(row, "quote", exc.rule, exc.message))
    columns[cs], columns[ce] = pa.array(starts, pa.string()), pa.array(ends, pa.string())
    return problems


def canonical_text(data: TableData, texts: SourceTexts) -> tuple[str, list[Problem]]:
    """The canonical file content of a readable table, offsets filled, and the quotes it could not place."""
    columns = data.canonical_columns()
    problems = _fill_offsets(data, columns, texts) if data.table.has_evidence else []
    return b"".join(csv_pieces(data.table.field_names, columns, data.quotable(), data.key_order)).decode(
        "utf-8"
    ), problems


def format_repository(repo: Repository, check: bool = False) -> FmtResult:
    """Rewrite (or with check=True only compare) every hand-coded CSV file in canonical form."""
    result = FmtResult()
    try:
        package = load_package(repo.schemas_dir)
    except SchemaError as exc:
        result.problems.append(Problem(repo.display(exc.path), None, None, exc.field, "schema", None, exc.message))
        return result
    texts = read_seeds(repo)
    for table in package.coded:
        data, problems = read_table(repo, table)
        # a file that cannot be parsed cannot be reformatted; cells that do not parse are kept as written
        result.problems += [p for p in problems if p.rule not in ("type", "header-order", "line-ending")]
        if data is None:
            continue
        text, problems = canonical_text(data, texts)
        result.problems += problems
        current = repo.csv_path(table.name).read_bytes().decode("utf-8")
        if text != current:
            diff = difflib.unified_diff(
                current.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"a/{data.file}",
                tofile=f"b/{data.file}",
            )
            result.changed[data.file] = "".join(diff)
            if not check:
                write_text_atomically(repo.csv_path(table.name), text)
    return result
