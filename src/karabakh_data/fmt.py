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
from dataclasses import dataclass, field
from pathlib import Path

from .problems import Problem
from .read import TableData, read_table, source_texts
from .repository import Repository, write_text_atomically
from .schemas import SchemaError, load_package
from .spans import SpanError, locate


def spell(value, field_type: str) -> str:
    """The one canonical spelling of a typed value in CSV."""
    if value is None:
        return ""
    if field_type == "boolean":
        return "true" if value else "false"
    if field_type == "date":
        return value.isoformat()
    if field_type == "number":
        return repr(float(value))
    return str(value)


def canonical_text(data: TableData, texts: dict[str, str]) -> tuple[str, list[Problem]]:
    """The canonical file content for a readable table, and the offsets it could not fill."""
    table, problems = data.table, []
    columns = []
    for f in table.fields:
        raw = data.strings.column(f.name).to_pylist()
        typed = data.typed.column(f.name).to_pylist()
        bad = data.bad_cells.get(f.name, set())
        # a cell that did not parse keeps its spelling, so fmt never destroys what a coder wrote
        columns.append([raw[i] if (i in bad or f.type == "string") else spell(typed[i], f.type) for i in range(data.num_rows)])
    rows = [list(r) for r in zip(*columns)] if columns and data.num_rows else []
    names = table.field_names
    if table.has_evidence:
        s, q, cs, ce = (names.index(n) for n in ("source_id", "quote", "char_start", "char_end"))
        for i, row in enumerate(rows):
            text = texts.get(row[s])
            if text is None or not row[q]:
                continue
            hint = int(row[cs]) if row[cs] and row[cs].isdigit() else None
            try:
                start, end = locate(text, row[q], hint)
            except SpanError as exc:
                problems.append(data.problem(i, "quote", exc.rule, exc.message))
                continue
            row[cs], row[ce] = str(start), str(end)
    key_types = [(names.index(k), table.field(k).type) for k in table.primary_key]

    def sort_key(row):
        out = []
        for index, kind in key_types:
            v = row[index]
            out.append((0, int(v), "") if kind == "integer" and v and v.lstrip("-").isdigit() else (1, 0, v or ""))
        return out

    rows.sort(key=sort_key)
    return csv_lines(names, rows), problems


def csv_lines(header: list[str], rows: list[list[str]]) -> str:
    """CSV text with LF line endings and minimal quoting."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


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
