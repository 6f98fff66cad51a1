"""Reading a CSV file and writing it in canonical form: cells typed as the lexical rules say, rows
numbered as the csv module numbers them, the one CSV writer equal to csv.writer, and the canonical
judgement of validate equal to comparing the file with what the writer makes of it."""

from __future__ import annotations

import csv
import datetime
import io
import random
import re

import pyarrow as pa
import pytest

from conftest import read_rows, write_rows
from karabakh_data.check.table import is_canonical
from karabakh_data.io.csvfile import parse_column, read_table
from karabakh_data.io.spelling import csv_pieces
from karabakh_data.model.schemas import load_package

CELLS = [
    "",
    "0",
    "7",
    "-3",
    "007",
    "+1",
    "1.5",
    "-0.25",
    "1e3",
    "1E-2",
    "1e999",
    "nan",
    "inf",
    "9" * 18,
    "9" * 19,
    "true",
    "false",
    "TRUE",
    "yes",
    "2023-09-19",
    "2023-9-19",
    "2021-02-30",
    "2024-02-29",
    "2023-02-29",
    "0000-01-01",
    "9999-12-31",
    " 2023-09-19",
    "2023-09-19 ",
    "x",
    "²",
    "١٢",
]


def oracle(cell: str, kind: str):
    """(valid, value) of a cell, as the lexical rules of the codebook state them."""
    if kind == "integer":
        return (True, int(cell)) if re.fullmatch(r"-?[0-9]{1,18}", cell) else (False, None)
    if kind == "number":
        if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?", cell) and float(cell) not in (
            float("inf"),
            float("-inf"),
        ):
            return True, float(cell)
        return False, None
    if kind == "boolean":
        return (True, cell == "true") if cell in ("true", "false") else (False, None)
    try:
        value = datetime.date.fromisoformat(cell) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", cell) else None
    except ValueError:
        value = None
    return (value is not None, value)


@pytest.mark.parametrize("kind", ["integer", "number", "boolean", "date"])
def test_cells_are_typed_as_the_lexical_rules_say(kind):
    cells = [c or None for c in CELLS]
    values, bad = parse_column(pa.chunked_array([cells[:9], cells[9:]], pa.string()), kind)
    expected = [oracle(c, kind) if c is not None else (True, None) for c in cells]
    assert [not b for b in bad.to_pylist()] == [ok for ok, _ in expected]
    assert values.to_pylist() == [value for _, value in expected]


def test_rows_are_numbered_as_the_csv_module_numbers_them(scratch):
    package = load_package(scratch.schemas_dir)
    header, rows = read_rows(scratch, "actors")
    rows[1][header.index("coder_note")] = "a note\nover two lines"  # a record that spans lines
    write_rows(scratch, "actors", header, rows)
    for table in package.coded:
        path = scratch.csv_path(table.name)
        lines = path.read_bytes().split(b"\n")
        if len(lines) > 3:  # blank lines inside and at the end: the reader skips them, the numbering must too
            path.write_bytes(b"\n".join(lines[:2] + [b"", b""] + lines[2:]) + b"\n")
        data, _ = read_table(scratch, table)
        reader = csv.reader(io.StringIO(path.read_text(), newline=""))
        expected, previous = [], 0
        for record in reader:
            if record:
                expected.append(previous + 1)
            previous = reader.line_num
        assert [data.line(row) for row in range(data.num_rows)] == expected[1:], table.name


ALPHABET = ["a", "b", " ", ",", '"', "\n", "é", "1"]


def test_the_writer_writes_what_csv_writer_writes():
    rng = random.Random(7)
    for _ in range(300):
        width, rows = rng.randint(1, 7), rng.randint(0, 12)
        columns = [
            [None] * rows
            if rng.random() < 0.3
            else [
                None if rng.random() < 0.2 else "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 4)))
                for _ in range(rows)
            ]
            for _ in range(width)
        ]
        header = [f"c{k}" for k in range(width)]
        written = b"".join(csv_pieces(header, [pa.array(c, pa.string()) for c in columns], [True] * width))
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(
            [header, *[["" if c[i] is None else c[i] for c in columns] for i in range(rows)]]
        )
        assert written == buffer.getvalue().encode(), (header, columns)


EDITS = {"newline": b"\n", "comma": b",", "quote": b'"', "quote-pair": b'""', "space": b" ", "zero": b"0"}


def _line_starts(raw: bytearray) -> list[int]:
    return [0] + [i + 1 for i, b in enumerate(raw) if b == 0x0A and i + 1 < len(raw)]


def randomly_edited(raw: bytes, rng: random.Random) -> bytes:
    """raw with one to three random edits: a byte deleted or duplicated, one of EDITS inserted, or one
    that keeps the cells and changes how they are written (a cell quoted, a blank line, rows swapped)."""
    raw = bytearray(raw)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(raw))
        edit = rng.choice(["delete", "duplicate", "quote-cell", "blank-line", "swap-rows", "no-final-newline", *EDITS])
        if edit == "delete":
            del raw[at]
        elif edit == "duplicate":
            raw.insert(at, raw[at])
        elif edit == "quote-cell":  # a cell after a comma, put between quotes it does not need
            start = raw.find(b",", at) + 1
            end = min(x for x in (raw.find(b",", start), raw.find(b"\n", start), len(raw)) if x >= 0)
            if start and b'"' not in raw[start:end]:
                raw[start:end] = b'"' + raw[start:end] + b'"'
        elif edit == "no-final-newline":
            raw = raw.rstrip(b"\n")
        elif edit == "blank-line":
            at = rng.choice(_line_starts(raw))
            raw[at:at] = b"\n"
        elif edit == "swap-rows":
            starts = _line_starts(raw)
            if len(starts) > 3:
                k = rng.randrange(1, len(starts) - 2)
                a, b, c = starts[k], starts[k + 1], starts[k + 2]
                raw[a:c] = raw[b:c] + raw[a:b]
        else:
            raw[at:at] = EDITS[edit]
    return bytes(raw)


@pytest.mark.parametrize("table", ["events", "locations", "vocab_date_precision"])
def test_the_canonical_judgement_is_the_writers_form_compared_with_the_file(scratch, table):
    schema = load_package(scratch.schemas_dir)[table]
    path = scratch.csv_path(table)
    original, rng, judged = path.read_bytes(), random.Random(table), {True: 0, False: 0}
    for _ in range(300):
        raw = randomly_edited(original, rng)
        path.write_bytes(raw)
        data, _ = read_table(scratch, schema)
        if data is None or b"\r" in raw:
            continue
        written = b"".join(csv_pieces(schema.field_names, data.canonical_columns(), data.quotable(), data.key_order))
        assert is_canonical(data) == (written == raw), raw
        judged[written == raw] += 1
    path.write_bytes(original)
    assert is_canonical(read_table(scratch, schema)[0])
    assert judged[False] > 20 and judged[True] > 20, judged
