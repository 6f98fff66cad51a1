"""The shortcuts the CSV path takes at scale decide exactly what the full checks decide: typed
columns by one cast, the canonical form without re-serialising, control bytes without a regular
expression over the file."""

from __future__ import annotations

import random

import pyarrow as pa
import pytest

from conftest import read_rows, write_rows
from karabakh_data import fmt, read
from karabakh_data.read import parse_column, read_table
from karabakh_data.schemas import load_package
from karabakh_data.validate import validate

SPELLINGS = {
    "integer": ["0", "7", "-3", "007", "-0", "+5", " 5", "5 ", "1.0", "1e3", "999999999999999999", "1000000000000000000",
                "-999999999999999999", "9223372036854775807", "twelve", ""],
    "number": ["0", "1.5", "-2.25", "40", "40.0", "1e+16", "1e16", "1E5", "0.0001", "1e-05", ".5", "5.", "inf", "nan",
               "1e999", "-0", "+1", "39.81528", ""],
    "boolean": ["true", "false", "True", "FALSE", "1", "0", "yes", ""],
    "date": ["2023-09-19", "2021-02-30", "2023-9-19", "20230919", "0999-01-01", "2023-09-19T00:00", "9999-12-31",
             "2024-02-29", "2023-02-29", "+2023-09-19", ""],
}


def slow_parse(column, kind):
    """parse_column with the one-cast shortcut switched off: the cell-by-cell path."""
    original = read._canonical_values
    read._canonical_values = lambda column, kind: None
    try:
        return parse_column(column, kind)
    finally:
        read._canonical_values = original


@pytest.mark.parametrize("kind", sorted(SPELLINGS))
def test_one_cast_parse_agrees_with_the_cell_by_cell_parse(kind):
    rng = random.Random(kind)
    spellings = SPELLINGS[kind]
    columns = [[value] for value in spellings] + [rng.choices(spellings, k=rng.randint(1, 6)) for _ in range(300)]
    shortcut_taken = 0
    for cells in columns:
        column = pa.array([None if c == "" else c for c in cells], pa.string())
        fast_values, fast_bad, canonical = parse_column(column, kind)
        slow_values, slow_bad, _ = slow_parse(column, kind)
        assert fast_values.to_pylist() == slow_values.to_pylist(), cells
        assert fast_bad.to_pylist() == slow_bad.to_pylist(), cells
        # canonical: fmt would write every cell as it is (a cell that does not parse, it keeps)
        assert canonical == (fmt.canonical_column(fast_values, kind, fast_bad, column).to_pylist() == column.to_pylist()), cells
        shortcut_taken += canonical and not any(fast_bad.to_pylist())
    assert shortcut_taken > 0


def quote_free_table(repo, package, with_integers=False):
    """A hand-coded table with no quote character in its file (the fast canonical check applies)."""
    for table in package.coded:
        raw = repo.csv_path(table.name).read_bytes()
        if b'"' not in raw and raw.count(b"\n") > 3 and (not with_integers or any(f.type == "integer" for f in table.fields)):
            return table
    raise AssertionError("no quote-free table to test with")


def test_a_quote_free_canonical_file_is_judged_without_reserialising(scratch, monkeypatch):
    package = load_package(scratch.schemas_dir)
    table = quote_free_table(scratch, package)
    data, problems = read_table(scratch, table)
    assert problems == [] and data.canonical_cells

    def no_serialising(_):
        raise AssertionError("the canonical form was serialised")

    monkeypatch.setattr(fmt, "canonical_form", no_serialising)
    assert fmt.is_canonical(data)


@pytest.mark.parametrize("damage", ["blank-line-inside-no-final-newline", "blank-line-at-end", "no-final-newline",
                                    "rows-swapped", "number-respelled", "header-respaced"])
def test_quote_free_files_that_are_not_canonical_are_refused(scratch, damage):
    package = load_package(scratch.schemas_dir)
    table = quote_free_table(scratch, package, with_integers=True)
    path = scratch.csv_path(table.name)
    raw = path.read_bytes()
    lines = raw.split(b"\n")  # the last element is empty: the file ends with LF
    if damage == "blank-line-inside-no-final-newline":  # the same length as the canonical file
        raw = b"\n".join(lines[:2] + [b""] + lines[2:-1])
    elif damage == "blank-line-at-end":
        raw += b"\n"
    elif damage == "no-final-newline":
        raw = raw[:-1]
    elif damage == "rows-swapped":
        raw = b"\n".join([lines[0], lines[2], lines[1], *lines[3:]])
    elif damage == "number-respelled":
        header, rows = read_rows(scratch, table.name)
        column = next(i for i, f in enumerate(table.fields) if f.type == "integer" and rows[0][i])
        rows[0][column] = "0" + rows[0][column]
        write_rows(scratch, table.name, header, rows)
        raw = path.read_bytes()
    elif damage == "header-respaced":
        raw = raw.replace(b",", b", ", 1)
    path.write_bytes(raw)
    rules = {p.rule for p in validate(scratch, from_csv=True).problems if p.file == scratch.relative(path)}
    assert "not-canonical" in rules or "header-unknown" in rules, rules


EDITS = {"newline": b"\n", "comma": b",", "quote": b'"', "quote-pair": b'""', "blank": b"\n\n"}


def randomly_edited(raw: bytes, rng: random.Random, edits: list[str]) -> bytes:
    """raw with one to three random edits: a byte deleted or duplicated, or one of EDITS inserted."""
    raw = bytearray(raw)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(raw))
        edit = rng.choice(edits)
        if edit == "delete":
            del raw[at]
        elif edit == "duplicate":
            raw.insert(at, raw[at])
        else:
            raw[at:at] = EDITS[edit]
    return bytes(raw)


@pytest.mark.parametrize("quoted", [False, True])
def test_fast_and_full_canonical_checks_agree_on_random_edits(scratch, quoted):
    package = load_package(scratch.schemas_dir)
    table = (quoted_table if quoted else quote_free_table)(scratch, package)
    path = scratch.csv_path(table.name)
    original = path.read_bytes()
    rng = random.Random(7 if quoted else 5)
    edits = ["delete", "duplicate", "newline", "comma"] + (["quote", "quote-pair"] if quoted else [])
    agreed = fast = 0
    for _ in range(120 if quoted else 60):
        raw = randomly_edited(original, rng, edits)
        path.write_bytes(raw)
        data, _ = read_table(scratch, table)
        if data is None:
            continue
        head, body = fmt.canonical_form(data)
        assert fmt.is_canonical(data) == (raw == head + bytes(body)), raw
        agreed += 1
        fast += data.records is not None
    assert agreed > (30 if quoted else 10) and fast >= (10 if quoted else 0)


def test_a_control_character_in_a_cell_is_still_found(scratch):
    package = load_package(scratch.schemas_dir)
    table = quote_free_table(scratch, package)
    header, rows = read_rows(scratch, table.name)
    text_column = next(i for i, f in enumerate(table.fields) if f.type == "string" and rows[1][i])
    rows[1][text_column] = rows[1][text_column][:2] + "\x0b" + rows[1][text_column][2:]
    write_rows(scratch, table.name, header, rows)
    problems = [p for p in validate(scratch, from_csv=True).problems if p.rule == "control-char"]
    assert [(p.file, p.line) for p in problems] == [(scratch.relative(scratch.csv_path(table.name)), 3)]


def test_rows_are_numbered_as_the_csv_module_numbers_them(scratch):
    """Line numbers of rows: NumPy's for files without quotes, the strict parse's when it ran, the
    csv module's otherwise; all agree with the csv module on every table, blank lines included."""
    import csv
    import io

    package = load_package(scratch.schemas_dir)
    for table in package.coded:
        path = scratch.csv_path(table.name)
        raw = path.read_bytes()
        lines = raw.split(b"\n")
        if len(lines) > 3:  # blank lines inside and at the end: pyarrow skips them, the numbering must too
            path.write_bytes(b"\n".join(lines[:2] + [b"", b""] + lines[2:]) + b"\n")
        data, _ = read_table(scratch, table)
        reader = csv.reader(io.StringIO(path.read_text(), newline=""))
        expected, previous = [], 0
        for record in reader:
            if record:
                expected.append(previous + 1)
            previous = reader.line_num
        assert [data.line(row) for row in range(data.num_rows)] == expected[1:], table.name


def test_mapped_files_read_as_their_bytes_and_survive_a_replacement(tmp_path):
    import os

    from karabakh_data.repository import is_ascii, mapped_bytes

    empty, plain, accented = tmp_path / "empty.txt", tmp_path / "plain.txt", tmp_path / "accented.txt"
    empty.write_bytes(b"")
    plain.write_bytes(b"plain text\n")
    accented.write_bytes("Xank\u0259ndi\n".encode())
    assert mapped_bytes(empty) == b"" and is_ascii(mapped_bytes(empty))
    mapped = mapped_bytes(plain)
    assert mapped[:] == b"plain text\n" and is_ascii(mapped) and not is_ascii(mapped_bytes(accented))
    replacement = tmp_path / "new.txt"
    replacement.write_bytes(b"other")
    os.replace(replacement, plain)  # how this project rewrites files: the mapping keeps the old pages
    assert mapped[:] == b"plain text\n" and plain.read_bytes() == b"other"


@pytest.mark.parametrize("data", [b"", b"a", b"abcdefgh", b"abcdefgh\x80", b"\x80abcdefghijklmnop", "Xank\u0259ndi".encode(),
                                  b"\x7f" * 17, b"x" * 15 + b"\xff"])
def test_is_ascii_and_holds_on_a_mapped_file_agree_with_bytes(tmp_path, data):
    from karabakh_data.repository import holds, is_ascii, mapped_bytes

    path = tmp_path / "file.txt"
    path.write_bytes(data)
    mapped = mapped_bytes(path)
    assert is_ascii(mapped) == data.isascii() and is_ascii(memoryview(data)) == data.isascii()
    for sub in (b"\x80", b"a", b"\x7f", b"h\x80", b"\xff"):
        assert holds(mapped, sub) == holds(data, sub) == (sub in data)


def quoted_table(repo, package):
    """The hand-coded table with the most quoted cells, one of which is given a doubled quote (written
    by csv.writer: the file stays canonical)."""
    table = max(package.coded, key=lambda t: repo.csv_path(t.name).read_bytes().count(b'"'))
    header, rows = read_rows(repo, table.name)
    column = next(i for i, f in enumerate(table.fields) if f.type == "string" and f.name not in table.primary_key and rows[0][i])
    rows[0][column] += ' "quoted", too'
    write_rows(repo, table.name, header, rows)
    assert b'""' in repo.csv_path(table.name).read_bytes()
    return table


def csv_records_lines(raw: bytes) -> list[int] | None:
    """What the strict csv module makes of the file: the line each non-blank record starts on, or
    None when it refuses the file."""
    import csv
    import io

    reader = csv.reader(io.StringIO(raw.decode("utf-8"), newline=""), strict=True)
    lines, previous = [], 0
    try:
        for record in reader:
            if record:
                lines.append(previous + 1)
            previous = reader.line_num
    except csv.Error:
        return None
    return lines


QUOTED_CELLS = ["plain", "a, comma", 'a "quote"', "two\nlines", '"', '""', ",", "", "x", 'end"', "\n", 'say ""hi""']


def test_records_found_by_numpy_are_the_csv_module_records():
    """quoted_records vouches for a file only when every quote is structural: then the strict csv
    module accepts the file and its records start on the very lines NumPy found; random edits (stray
    quotes, lost quotes, line breaks, commas) must never make it vouch for a file the module refuses."""
    import csv
    import io

    rng = random.Random(11)
    vouched = refused = 0
    for _ in range(400):
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for _ in range(rng.randint(1, 6)):
            writer.writerow(rng.choices(QUOTED_CELLS, k=3))
        raw = buffer.getvalue().encode()
        if rng.random() < 0.6:
            raw = randomly_edited(raw, rng, ["quote", "delete", "newline", "comma", "blank"])
        records = read.quoted_records(raw)
        expected = csv_records_lines(raw)
        if records is None:
            refused += 1
            continue
        vouched += 1
        assert expected is not None, raw
        assert records.row_lines().tolist() == expected[1:] and records.lines[~records.blank][0] == expected[0], raw
    assert vouched > 100 and refused > 20


def test_a_quoted_canonical_file_is_read_and_judged_without_python_parsing(scratch, monkeypatch):
    package = load_package(scratch.schemas_dir)
    table = quoted_table(scratch, package)

    def refused(*args, **kwargs):
        raise AssertionError("the csv module parsed the file")

    monkeypatch.setattr(read, "_csv_records", refused)
    monkeypatch.setattr(fmt, "canonical_form", refused)
    data, problems = read_table(scratch, table)
    assert problems == [] and data.records is not None
    assert fmt.is_canonical(data)


@pytest.mark.parametrize("damage", ["needless-quotes", "quoted-empty-cell", "quoted-number", "blank-line"])
def test_quoted_files_that_are_not_canonical_are_refused(scratch, damage):
    package = load_package(scratch.schemas_dir)
    table = quoted_table(scratch, package)
    path = scratch.csv_path(table.name)
    header, rows = read_rows(scratch, table.name)
    text = path.read_text()
    first = rows[0]
    if damage == "needless-quotes":  # a cell that needs no quotes, quoted
        cell = next(c for c in first if c and not any(ch in c for ch in ',"\n'))
        line = text.split("\n")[1]
        text = text.replace(line, line.replace(cell, f'"{cell}"', 1), 1)
    elif damage == "quoted-empty-cell":
        table = next(t for t in package.coded if b",," in scratch.csv_path(t.name).read_bytes()
                     and b'"' in scratch.csv_path(t.name).read_bytes())
        path = scratch.csv_path(table.name)
        text = path.read_text()
        line = next(line for line in text.split("\n")[1:] if ",," in line)
        text = text.replace(line, line.replace(",,", ',"",', 1), 1)
    elif damage == "quoted-number":
        table = next(t for t in package.coded if any(f.type == "integer" for f in t.fields) and b'"' in scratch.csv_path(t.name).read_bytes())
        path = scratch.csv_path(table.name)
        header, rows = read_rows(scratch, table.name)
        column = next(i for i, f in enumerate(table.fields) if f.type == "integer" and rows[0][i])
        text = path.read_text()
        line = text.split("\n")[1]
        text = text.replace(line, line.replace(f",{rows[0][column]},", f',"{rows[0][column]}",', 1), 1)
    elif damage == "blank-line":
        text = text.replace("\n", "\n\n", 2).replace("\n\n", "\n", 1)
    assert text != path.read_text()
    path.write_text(text)
    data, _ = read_table(scratch, table)
    assert data.records is not None  # the quotes are still structural: the fast check is the one that decides
    rules = {p.rule for p in validate(scratch, from_csv=True).problems if p.file == scratch.relative(path)}
    assert "not-canonical" in rules, rules


@pytest.mark.parametrize("value", ["2021-02-30", "19 Sept, 2023"])
def test_a_cell_that_does_not_parse_leaves_a_file_canonical_without_reserialising(scratch, monkeypatch, value):
    """fmt keeps a cell that does not parse as it is written (quoted when it holds a comma): the file is
    still canonical, and the shortcut says so without serialising."""
    from conftest import set_cell

    set_cell(scratch, "events", "evt-0002", "date_start", value)
    package = load_package(scratch.schemas_dir)
    data, problems = read_table(scratch, package.tables["events"])
    assert [p.rule for p in problems] == ["type"] and data.records is not None and data.canonical_cells

    def refused(*args, **kwargs):
        raise AssertionError("the canonical form was serialised")

    monkeypatch.setattr(fmt, "serialize_bytes", refused)
    assert fmt.is_canonical(data)


def first_differing_line(raw: bytes, data) -> tuple[int, str | None]:
    """The reference: the line of the file that holds the first byte where it differs from fmt's
    canonical form (whole, in one piece), and its text (None when the file ends before it)."""
    import os

    head, body = fmt.canonical_form(data)
    canonical = head + bytes(body)
    assert raw != canonical
    start = raw.rfind(b"\n", 0, len(os.path.commonprefix([raw, canonical]))) + 1
    return raw.count(b"\n", 0, start) + 1, raw[start:].split(b"\n")[0].decode()[:200] if start < len(raw) else None


@pytest.mark.parametrize("slice_rows", [3, fmt.SLICE_ROWS])  # compared in many slices, and in one
@pytest.mark.parametrize("damage", ["respelled", "respelled-after-a-line-separator", "needless-quotes", "swapped", "blank",
                                    "no-final-newline", "extra-final-newline"])
def test_not_canonical_names_the_first_line_that_differs(scratch, monkeypatch, damage, slice_rows):
    monkeypatch.setattr(fmt, "SLICE_ROWS", slice_rows)
    package = load_package(scratch.schemas_dir)
    table = package.tables["events"]
    path = scratch.csv_path(table.name)
    lines = path.read_bytes().split(b"\n")
    if damage.startswith("respelled"):
        header, rows = read_rows(scratch, table.name)
        rows[5][header.index("char_start")] = "0" + rows[5][header.index("char_start")]
        if damage.endswith("separator"):  # a line break to str.splitlines, not to a CSV file
            rows[2][header.index("summary")] += "\u2028and more"
        write_rows(scratch, table.name, header, rows)
    else:
        if damage == "needless-quotes":
            lines[7] = b'"' + lines[7].replace(b",", b'",', 1)
        elif damage == "swapped":
            lines[4], lines[6] = lines[6], lines[4]
        elif damage == "blank":
            lines.insert(9, b"")
        elif damage == "no-final-newline":
            lines = lines[:-1]
        else:
            lines.append(b"")
        path.write_bytes(b"\n".join(lines))
    raw = path.read_bytes()
    data, _ = read_table(scratch, table)
    problems = [p for p in validate(scratch, from_csv=True).problems if p.rule == "not-canonical"]
    assert [(p.file, p.line, p.value) for p in problems] == [(scratch.relative(path), *first_differing_line(raw, data))]
