"""validate reads a table from its Parquet twin only when datapackage.json vouches for both files,
and then finds the same problems, with the same messages, as it does in the CSV file. The Arrow
constraint kernels agree with the generated pandera schema on the bad-input corpus."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from conftest import get_cell, set_cell
from karabakh_data.constraints import check_constraints
from karabakh_data.pandera_schemas import check_table
from karabakh_data.publish import write_parquet
from karabakh_data.read import read_table
from karabakh_data.schemas import SchemaError, load_package
from karabakh_data.validate import validate
from test_bad_input import CASES, MORE_CASES


def _problems(problems):
    return sorted((p.file, p.line, p.record, p.field, p.rule, p.value, p.message) for p in problems)


def test_unchanged_tables_are_read_from_their_parquet_twins(scratch):
    fast, full = validate(scratch), validate(scratch, from_csv=True)
    assert fast.ok and full.ok
    assert all(d.from_parquet for d in fast.data.values())
    assert not any(d.from_parquet for d in full.data.values())
    assert {n: d.num_rows for n, d in fast.data.items()} == {n: d.num_rows for n, d in full.data.items()}


def test_an_edited_csv_file_is_read_as_csv(scratch):
    set_cell(scratch, "events", "evt-0003", "coder_note", "A note added after the build.")
    result = validate(scratch)
    assert not result.data["events"].from_parquet
    assert result.data["actors"].from_parquet


def test_an_edit_that_keeps_the_file_size_is_validated_from_csv(scratch, monkeypatch):
    # files of their recorded sizes let the rules start on the twins before the hashes are known; the
    # hash then shows the edit, and the rules must run again on the CSV file
    from karabakh_data import validate as validating

    path = scratch.csv_path("events")
    size = path.stat().st_size
    assert get_cell(scratch, "events", "evt-0002", "location_id") == "loc-0002"
    set_cell(scratch, "events", "evt-0002", "location_id", "loc-0999")
    assert path.stat().st_size == size
    original, started = validating._start_rules, []

    def spy(repo, package, data, seeds, pool):
        started.append(data)
        return original(repo, package, data, seeds, pool)

    monkeypatch.setattr(validating, "_start_rules", spy)
    result = validate(scratch)
    assert not result.data["events"].from_parquet
    assert [(p.rule, p.record, p.field) for p in result.problems if p.rule == "foreign-key"] == [("foreign-key", "evt-0002", "location_id")]
    assert len(started) == 2 and started[0]["events"].from_parquet and not started[1]["events"].from_parquet


def _tamper(repo, table, record, field, value):
    """Change one cell of a Parquet twin and re-record its hash, as a forged or corrupted release would."""
    path = repo.parquet_path(table)
    arrow = pq.read_table(path)
    key = arrow.schema.names[0]
    row = arrow.column(key).to_pylist().index(record)
    index = arrow.schema.get_field_index(field)
    target = arrow.schema.field(index)
    values = arrow.column(field).to_pylist()
    values[row] = value
    plain = target.type.value_type if pa.types.is_dictionary(target.type) else target.type
    column = pa.array(values, plain)
    if pa.types.is_dictionary(target.type):
        column = column.dictionary_encode().cast(target.type)
    write_parquet(arrow.set_column(index, target, column), path)
    desc = json.loads(repo.descriptor_path.read_text())
    resource = next(r for r in desc["resources"] if r["name"] == table)
    resource["x-parquet"]["hash"] = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    resource["x-parquet"]["bytes"] = path.stat().st_size
    repo.descriptor_path.write_text(json.dumps(desc, indent=2, ensure_ascii=False) + "\n")


TAMPERED = [  # (table, record, field, value in Parquet, the same value as a CSV cell, rule)
    ("events", "evt-0002", "fatalities_best", -1, "-1", "minimum"),
    ("events", "evt-0002", "location_id", "loc-0999", "loc-0999", "foreign-key"),
    ("events", "evt-0002", "factuality", "certain", "certain", "foreign-key"),  # a dictionary-encoded column
    ("events", "evt-0002", "summary", "=1+1", "=1+1", "formula"),
    ("events", "evt-0002", "quote", "Words the article never printed.", "Words the article never printed.", "quote-not-in-source"),
    ("events", "evt-0002", "char_start", 401, "401", "span"),
    ("events", "evt-0003", "event_id", "evt-0002", "evt-0002", "primary-key"),
    ("actors", "act-0002", "country_code", "AZ", "AZ", "pattern"),
]


@pytest.mark.parametrize("case", TAMPERED, ids=[f"{c[0]}.{c[2]}" for c in TAMPERED])
def test_a_tampered_parquet_twin_gives_the_messages_the_csv_file_would(scratch, tmp_path_factory, case):
    table, record, field, value, cell, rule = case
    _tamper(scratch, table, record, field, value)
    from_parquet = validate(scratch)
    assert from_parquet.data[table].from_parquet
    found = [p for p in from_parquet.problems if p.rule == rule]
    assert found, "\n".join(map(str, from_parquet.problems))
    assert all(p.line for p in found), "row problems point at the CSV line"
    # the same value written in the CSV file (read as CSV, since its hash no longer matches)
    set_cell(scratch, table, record, field, cell)
    from_csv = validate(scratch, from_csv=True)
    assert _problems(found) == _problems(p for p in from_csv.problems if p.rule == rule)


def test_a_key_of_only_empty_cells_repeats_nothing():
    # found by tests/test_fuzz.py: with no value present the dictionary is empty, and looking up the
    # count of each row's (filled-in) index raised IndexError
    from karabakh_data.constraints import _repeated

    assert _repeated([pa.array([None], pa.string())]).tolist() == []
    assert _repeated([pa.array([None, None], pa.string()), pa.array(["a", "a"], pa.string())]).tolist() == []
    assert _repeated([pa.array(["x", None, "x"], pa.string())]).tolist() == [0, 2]


def test_an_empty_string_in_a_twin_breaks_min_length(scratch):
    # a CSV file cannot hold an empty string (an empty cell is null), a Parquet twin can: the bounds
    # of the column's byte lengths must not clear it
    _tamper(scratch, "events", "evt-0002", "summary", "")
    result = validate(scratch)
    assert result.data["events"].from_parquet
    assert [(p.record, p.field) for p in result.problems if p.rule == "length"] == [("evt-0002", "summary")]


CONSTRAINT_CASES = [c for c in CASES + MORE_CASES if c[3] in ("required", "unique", "primary-key", "enum", "pattern",
                                                                "length", "minimum", "maximum", "type")]


@pytest.mark.parametrize("case", CONSTRAINT_CASES, ids=[c[0] for c in CONSTRAINT_CASES])
def test_arrow_constraints_agree_with_the_pandera_schema(scratch, case):
    case[1](scratch)
    try:
        package = load_package(scratch.schemas_dir)
    except SchemaError:
        pytest.skip("the case breaks a schema")
    compared = 0
    for table in package.coded:
        data, _ = read_table(scratch, table)
        if data is not None:
            assert _problems(check_constraints(data)) == _problems(check_table(data)), table.name
            compared += bool(check_table(data))
    assert compared or case[3] == "type", "the case breaks a constraint that pandera reports"  # type: the cell is null


def test_arrow_constraints_agree_with_pandera_on_the_real_tables(real_repo):
    for table in load_package(real_repo.schemas_dir).coded:
        data, problems = read_table(real_repo, table)
        assert not problems and check_constraints(data) == check_table(data) == []


def test_binary_search_membership_agrees_with_is_in(monkeypatch):
    import random

    import pyarrow.compute as pc

    from karabakh_data import rules

    monkeypatch.setattr(rules, "BINARY_SEARCH_MIN", 1)  # take the search path on small inputs
    rng = random.Random(3)
    for _ in range(300):
        reference = sorted({f"id-{rng.randint(0, 500):04d}" for _ in range(rng.randint(1, 60))})
        values = [rng.choice(reference + ["id-9999", "id-0000", "id-0501", "id-01"]) for _ in range(rng.randint(1, 80))]
        if rng.random() < 0.8:
            values.sort()
        if rng.random() < 0.1:
            values[0] = None
        expected = pc.is_in(pa.array(values, pa.string()), value_set=pa.array(reference)).to_pylist()
        assert rules.is_member(pa.array(values, pa.string()), pa.array(reference)).to_pylist() == expected


def test_packed_membership_agrees_with_is_in_whatever_the_prefixes(monkeypatch):
    # identifiers are compared as integers once their common prefix is dropped; a value without that
    # prefix in the middle of an unsorted column must not be mistaken for a member
    import random

    import pyarrow.compute as pc

    from karabakh_data import rules

    monkeypatch.setattr(rules, "BINARY_SEARCH_MIN", 1)
    rng = random.Random(5)
    cases = [(["ab-0001", "ab-0007"], ["ab-0001", "zz-0005", "ab-0007"], [True, False, True]),  # zz-0005 is not ab-0005
             (["ab-0001", "ab-0005", "ab-0007"], ["ab-0001", "zz-0005", "ab-0007"], [True, False, True])]
    for _ in range(300):
        digits = rng.choice([4, 7, 12])  # 12: more than eight bytes after the prefix, left as bytes
        prefixes = rng.choice([["evt-"], ["evt-", "evu-"], ["e"]])
        pool = [f"{rng.choice(prefixes)}{rng.randint(0, 10 ** digits - 1):0{digits}d}" for _ in range(rng.randint(1, 50))]
        reference = sorted(set(pool))
        values = [rng.choice(pool + [f"{prefixes[0]}{0:0{digits}d}"]) for _ in range(rng.randint(1, 60))]
        if rng.random() < 0.8:
            values.sort()
        cases.append((reference, values, pc.is_in(pa.array(values), value_set=pa.array(reference)).to_pylist()))
    for reference, values, expected in cases:
        assert rules.is_member(pa.array(values, pa.string()), pa.array(reference)).to_pylist() == expected, (reference, values)


def test_positions_by_binary_search_agree_with_index_in(monkeypatch):
    # the views find each link's event row by the same search; unsorted values, absent ones and
    # values without the shared prefix must get index_in's answer (-1 where absent)
    import random

    import pyarrow.compute as pc

    from karabakh_data import rules, views

    monkeypatch.setattr(rules, "BINARY_SEARCH_MIN", 1)
    rng = random.Random(11)
    searched = 0
    for _ in range(300):
        digits = rng.choice([4, 7, 12])
        prefixes = rng.choice([["evt-"], ["evt-", "evu-"]])
        pool = [f"{rng.choice(prefixes)}{rng.randint(0, 10 ** digits - 1):0{digits}d}" for _ in range(rng.randint(2, 50))]
        reference = sorted(set(pool))
        values = [rng.choice(pool + [f"{prefixes[-1]}{0:0{digits}d}"]) for _ in range(rng.randint(1, 60))]
        expected = pc.fill_null(pc.index_in(pa.array(values), value_set=pa.array(reference)), -1).to_pylist()
        searched += rules.sorted_positions(pa.array(values), pa.array(reference)) is not None
        assert views._positions(pa.array(values), pa.array(reference)).tolist() == expected, (reference, values)
    assert searched > 250  # the cases went through the search, not the hash-table fallback
    assert rules.sorted_positions(pa.array(["a-2", "a-1"]), pa.array(["a-2", "a-1"])) is None  # an unsorted key: no search


def test_a_dangling_reference_in_a_twin_is_spelled_without_decoding_its_column(scratch):
    # at 2M events decoding a dictionary column whole costs tens of MB; only the reported rows are spelled
    _tamper(scratch, "events", "evt-0003", "location_id", "loc-9999")
    result = validate(scratch)
    events = result.data["events"]
    assert events.from_parquet
    assert [(p.record, p.field, p.value) for p in result.problems if p.rule == "foreign-key"] == [("evt-0003", "location_id", "loc-9999")]
    assert "location_id" not in events.typed._columns


def test_asking_whether_a_source_is_known_does_not_decode_its_text():
    from karabakh_data.read import SourceTexts

    texts = SourceTexts({"src-ascii": b"plain text", "src-utf8": "caf\u00e9".encode(), "src-bad": b"\xff"})
    assert "src-ascii" in texts and "src-utf8" in texts and "src-bad" not in texts and "src-none" not in texts
    assert texts._texts == {}  # validity and lengths come from the bytes: no text is decoded until asked for
    assert texts.chars("src-utf8") == 4 and texts.chars("src-ascii") == 10 and texts._texts == {}
    assert texts["src-ascii"] == "plain text" and texts["src-utf8"] == "caf\u00e9"


def test_scanning_quotes_for_years_agrees_with_a_substring_search(monkeypatch):
    # the scan assigns runs of four digits to rows by offset, block by block: runs across quotes, across
    # blocks, at the ends, in null rows (whose offsets may point at bytes) and in slices must all agree
    import random

    from karabakh_data import rules

    rng = random.Random(11)
    pieces = ["2023", "1994", "0987", "19", "20", "x", " ", "12023", "é", "", "9", "2023-09-19", "23"]
    # a run of digits across two quotes belongs to neither
    assert [hit.tolist() for hit in rules.years_in_quotes(pa.chunked_array([pa.array(["in 20", "23 x"])]),
                                                           [np.array([2023, 2023])])] == [[False, False]]
    for block in (4, 5, 7, 64, 1 << 23):
        monkeypatch.setattr(rules, "SCAN_BLOCK", block)
        for _ in range(40):
            quotes = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))) for _ in range(rng.randint(1, 30))]
            nulls = [rng.random() < 0.1 for _ in quotes]
            whole = pa.array(quotes, pa.string())
            masked = pa.array([None if n else q for q, n in zip(quotes, nulls)], pa.string())
            # a null row keeping its bytes, as Arrow allows, is built from the unmasked buffers
            with_bytes = pa.Array.from_buffers(pa.string(), len(whole), [masked.buffers()[0], *whole.buffers()[1:]])
            cut = rng.randint(0, len(quotes))
            column = pa.chunked_array([with_bytes.slice(0, cut), with_bytes.slice(cut)])
            years = [np.array([rng.choice([-1, 2023, 1994, 987, 19, 9]) for _ in quotes]) for _ in range(2)]
            found = rules.years_in_quotes(column, years)
            for year, hit in zip(years, found):
                expected = [y >= 0 and not n and f"{y:04d}" in q for q, n, y in zip(quotes, nulls, year)]
                assert hit.tolist() == expected, (block, quotes, nulls, year.tolist())


def test_a_mapped_file_hashed_in_pieces_has_its_sha256(tmp_path, monkeypatch):
    # the pieces are pages of the mapping: a file of several pieces, with a short last one, and files
    # of exactly one piece or less, must hash as hashlib hashes their bytes
    import hashlib
    import mmap
    import random

    from karabakh_data import repository

    piece = mmap.ALLOCATIONGRANULARITY
    monkeypatch.setattr(repository, "MAP_MIN_BYTES", 1)
    monkeypatch.setattr(repository, "HASH_PIECE_BYTES", piece)
    rng = random.Random(7)
    for size in (1, piece - 1, piece, piece + 1, 5 * piece + 123):
        path = tmp_path / f"{size}.csv"
        path.write_bytes(rng.randbytes(size))
        assert repository.file_sha256(path) == hashlib.sha256(path.read_bytes()).hexdigest(), size


def test_claimant_links_agree_with_sets_of_pairs():
    # the binary-search path (fixed-width events in key order) and the joined-pairs path must both say
    # what sets of (event, actor) pairs say, with unsorted, ragged, repeated and missing values
    import random

    from karabakh_data import rules

    rng = random.Random(11)
    for case in range(400):
        width = rng.choice([4, 7])
        ragged = case % 5 == 0  # some identifiers one digit shorter: the joined path
        events = sorted(rng.sample(range(60), rng.randint(0, 30)))
        spell = lambda n: f"evt-{n:0{width - (ragged and n % 7 == 0)}d}"  # noqa: E731
        claims = [(spell(e), rng.choice(["act-1", "act-2", "act-3"])) for e in events]
        links = sorted(((spell(rng.choice(events or [0]) if rng.random() < 0.8 else rng.randrange(60)),
                         rng.choice(["act-1", "act-2", "act-3", None])) for _ in range(rng.randint(0, 40))),
                       key=lambda link: (link[0], link[1] or ""))
        if rng.random() < 0.15:
            rng.shuffle(links)
        claim_pairs = set(claims)
        link_pairs = {link for link in links if link[1] is not None}
        linked, stated = rules.claimant_links(pa.array([c[0] for c in claims], pa.string()), pa.array([c[1] for c in claims], pa.string()),
                                              pa.array([k[0] for k in links], pa.string()), pa.array([k[1] for k in links], pa.string()))
        assert linked.to_pylist() == [c in link_pairs for c in claims], (claims, links)
        assert stated.to_pylist() == [k in claim_pairs for k in links], (claims, links)
