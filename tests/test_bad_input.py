"""Known-bad contributions: each must be rejected with the right rule at the right place, and
`build` must then change no published byte. One case per validation rule (and per link table for
foreign keys)."""

from __future__ import annotations

import json

import pytest

from conftest import (
    SEED_ID,
    bumped,
    get_cell,
    published_digest,
    read_rows,
    released_version,
    run_cli,
    seed_file,
    set_cell,
    set_version,
    unbump_version,
    write_rows,
)
from karabakh_data.check.validate import validate
from karabakh_data.publish.build import build


def cell(table, record, field, value):
    return lambda repo: set_cell(repo, table, record, field, value)


def cells(*edits):
    def apply(repo):
        for edit in edits:
            set_cell(repo, *edit)

    return apply


def shift_span(table, record, by):
    def apply(repo):
        start = int(get_cell(repo, table, record, "char_start"))
        end = int(get_cell(repo, table, record, "char_end"))
        set_cell(repo, table, record, "char_start", str(start + by))
        set_cell(repo, table, record, "char_end", str(end + by))

    return apply


def raw_file(table, transform):
    def apply(repo):
        path = repo.csv_path(table)
        path.write_bytes(transform(path.read_bytes()))

    return apply


def field_of(schema, name):
    return next(f for f in schema["fields"] if f["name"] == name)


def add_row(table, row):
    def apply(repo):
        header, rows = read_rows(repo, table)
        write_rows(repo, table, header, rows + [row])

    return apply


def duplicate_row(table, index):
    def apply(repo):
        header, rows = read_rows(repo, table)
        write_rows(repo, table, header, rows + [list(rows[index])])

    return apply


def edit_schema(table, edit):
    def apply(repo):
        path = repo.schemas_dir / f"{table}.json"
        schema = json.loads(path.read_text())
        edit(schema)
        path.write_text(json.dumps(schema))

    return apply


def edit_descriptor(edit):
    def apply(repo):
        desc = json.loads(repo.descriptor_path.read_text())
        edit(desc)
        repo.descriptor_path.write_text(json.dumps(desc))

    return apply


def symlink_outside(locate):
    """Replace a file by a symlink to a copy outside the repository."""

    def apply(repo):
        target = locate(repo)
        outside = repo.root.parent / f"outside-{target.name}"
        outside.write_bytes(target.read_bytes())
        target.unlink()
        target.symlink_to(outside)

    return apply


def add_seed(repo):
    (repo.root / "seeds" / "001_0000000000000000.txt").write_text("An article nobody coded.")


def edit_seed(repo):
    path = seed_file(repo)
    path.write_bytes(path.read_bytes().replace(b"six Azerbaijanis", b"six  Azerbaijanis"))


# (case id, mutation, file, rule, record, field); record/field None = not checked
CASES = [
    # types and schema constraints
    (
        "type-integer",
        cell("event_accounts", "acc-0002", "fatalities_best", "six"),
        "event_accounts",
        "type",
        "acc-0002",
        "fatalities_best",
    ),
    (
        "type-date-impossible",
        cell("events", "evt-0001", "date_end", "2023-09-31"),
        "events",
        "type",
        "evt-0001",
        "date_end",
    ),
    (
        "type-date-format",
        cell("events", "evt-0001", "date_start", "19/09/2023"),
        "events",
        "type",
        "evt-0001",
        "date_start",
    ),
    ("type-number", cell("locations", "loc-0002", "latitude", "39,8"), "locations", "type", "loc-0002", "latitude"),
    (
        "type-boolean",
        cell("vocab_factuality", "asserted", "allows_acled", "yes"),
        "vocab_factuality",
        "type",
        "asserted",
        "allows_acled",
    ),
    ("required", cell("events", "evt-0003", "summary", ""), "events", "required", "evt-0003", "summary"),
    ("span-missing", cell("actors", "act-0004", "char_start", ""), "actors", "span-missing", "act-0004", "char_start"),
    ("enum", cell("enrichments", "enr-0001", "confidence", "certain"), "enrichments", "enum", "enr-0001", "confidence"),
    ("pattern-id", cell("actors", "act-0004", "actor_id", "ACT-4"), "actors", "pattern", "ACT-4", "actor_id"),
    (
        "pattern-country",
        cell("actors", "act-0004", "country_code", "AZ"),
        "actors",
        "pattern",
        "act-0004",
        "country_code",
    ),
    (
        "pattern-wikidata",
        cells(("actors", "act-0001", "wikidata_id", "Q0227"), ("enrichments", "enr-0043", "value", "Q0227")),
        "actors",
        "pattern",
        "act-0001",
        "wikidata_id",
    ),
    ("max-length", cell("events", "evt-0003", "summary", "x" * 501), "events", "length", "evt-0003", "summary"),
    (
        "max-length-non-ascii",
        cell("events", "evt-0003", "summary", "\u00e9" * 501),
        "events",
        "length",
        "evt-0003",
        "summary",
    ),
    (
        "minimum",
        cell("event_accounts", "acc-0002", "fatalities_low", "-1"),
        "event_accounts",
        "minimum",
        "acc-0002",
        "fatalities_low",
    ),
    (
        "maximum-latitude",
        cells(("locations", "loc-0002", "latitude", "123.4"), ("enrichments", "enr-0047", "value", "123.4")),
        "locations",
        "maximum",
        "loc-0002",
        "latitude",
    ),
    (
        "primary-key",
        cell("actors", "act-0002", "actor_id", "act-0001"),
        "actors",
        "primary-key",
        "act-0001",
        "actor_id",
    ),
    (
        "primary-key-composite",
        duplicate_row("event_actors", 0),
        "event_actors",
        "primary-key",
        None,
        "event_id,actor_id,role,source_id",
    ),
    # foreign keys, one per link table and the main references
    (
        "fk-event-location",
        cell("events", "evt-0001", "location_id", "loc-9999"),
        "events",
        "foreign-key",
        "evt-0001",
        "location_id",
    ),
    (
        "fk-event-claimant",
        cell("event_accounts", "acc-0002", "claimed_by_actor_id", "act-9999"),
        "event_accounts",
        "foreign-key",
        "acc-0002",
        "claimed_by_actor_id",
    ),
    (
        "fk-event-vocabulary",
        cell("event_accounts", "acc-0001", "factuality", "certain"),
        "event_accounts",
        "foreign-key",
        "acc-0001",
        "factuality",
    ),
    (
        "fk-event-actors-actor",
        cell("event_actors", f"evt-0001/act-0001/perpetrator/{SEED_ID}", "actor_id", "act-9999"),
        "event_actors",
        "foreign-key",
        None,
        "actor_id",
    ),
    (
        "fk-event-actors-event",
        cell("event_actors", f"evt-0001/act-0001/perpetrator/{SEED_ID}", "event_id", "evt-9999"),
        "event_actors",
        "foreign-key",
        None,
        "event_id",
    ),
    (
        "fk-agreement-parties-agreement",
        cell("agreement_parties", "agr-0002/act-0001", "agreement_id", "agr-9999"),
        "agreement_parties",
        "foreign-key",
        None,
        "agreement_id",
    ),
    (
        "fk-agreement-parties-actor",
        cell("agreement_parties", "agr-0002/act-0005", "actor_id", "act-9999"),
        "agreement_parties",
        "foreign-key",
        None,
        "actor_id",
    ),
    (
        "fk-parent-actor",
        cell("actors", "act-0004", "parent_actor_id", "act-9999"),
        "actors",
        "foreign-key",
        "act-0004",
        "parent_actor_id",
    ),
    (
        "acled-invalid-pair",
        cell("events", "evt-0020", "acled_sub_event_type", "Attack"),
        "events",
        "foreign-key",
        "evt-0020",
        "acled_event_type,acled_sub_event_type",
    ),
    (
        "acled-partial-pair",
        cell("events", "evt-0020", "acled_sub_event_type", ""),
        "events",
        "foreign-key-partial",
        "evt-0020",
        "acled_event_type,acled_sub_event_type",
    ),
    (
        "acled-incomplete",
        cell("events", "evt-0020", "acled_disorder_type", ""),
        "events",
        "acled-incomplete",
        "evt-0020",
        "acled_event_type",
    ),
    (
        "acled-disorder",
        cell("events", "evt-0020", "acled_disorder_type", "Strategic developments"),
        "events",
        "acled-disorder",
        "evt-0020",
        "acled_disorder_type",
    ),
    # evidence spans
    (
        "quote-not-in-source",
        cell("actors", "act-0004", "quote", "Azerbaijani army position"),
        "actors",
        "span",
        "act-0004",
        "char_start",
    ),
    (
        "quote-absent",
        cell("actors", "act-0004", "quote", "Azerbaijani navy positions"),
        "actors",
        "quote-not-in-source",
        "act-0004",
        "quote",
    ),
    (
        "span-off-by-one",
        shift_span("event_accounts", "acc-0004", 1),
        "event_accounts",
        "span",
        "acc-0004",
        "char_start",
    ),
    (
        "quote-ambiguous",
        cells(
            ("locations", "loc-0002", "quote", "Nagorno-Karabakh"),
            ("locations", "loc-0002", "char_start", ""),
            ("locations", "loc-0002", "char_end", ""),
        ),
        "locations",
        "quote-ambiguous",
        "loc-0002",
        "quote",
    ),
    # dates and counts
    (
        "date-order",
        cells(("events", "evt-0016", "date_end", "2020-09-01"), ("enrichments", "enr-0028", "value", "2020-09-01")),
        "events",
        "date-order",
        "evt-0016",
        "date_end",
    ),
    (
        "date-precision-month",
        cells(("events", "evt-0013", "date_start", "2023-09-02"), ("enrichments", "enr-0019", "value", "2023-09-02")),
        "events",
        "date-precision",
        "evt-0013",
        "date_precision",
    ),
    (
        "date-precision-span",
        cell("events", "evt-0002", "date_precision", "week"),
        "events",
        "date-precision",
        "evt-0002",
        "date_precision",
    ),
    (
        "date-precision-year",
        cell("events", "evt-0002", "date_precision", "year"),
        "events",
        "date-precision",
        "evt-0002",
        "date_precision",
    ),
    ("date-missing", cell("events", "evt-0001", "date_start", ""), "events", "date-missing", "evt-0001", "date_start"),
    (
        "date-origin-none",
        cell("events", "evt-0001", "date_origin", "none"),
        "events",
        "date-origin",
        "evt-0001",
        "date_start",
    ),
    (
        "date-stated-year",
        cell("events", "evt-0001", "date_origin", "stated"),
        "events",
        "date-stated",
        "evt-0001",
        "date_start",
    ),
    (
        "date-inferred-note",
        cell("events", "evt-0015", "coder_note", ""),
        "events",
        "date-inferred-note",
        "evt-0015",
        "coder_note",
    ),
    (
        "fatalities-order",
        cell("event_accounts", "acc-0002", "fatalities_low", "7"),
        "event_accounts",
        "fatalities-order",
        "acc-0002",
        "fatalities_low",
    ),
    # attribution
    (
        "claimant-missing",
        cell("event_accounts", "acc-0006", "claimed_by_actor_id", ""),
        "event_accounts",
        "claimant-missing",
        "acc-0006",
        "claimed_by_actor_id",
    ),
    (
        "claimant-unexpected",
        cell("event_accounts", "acc-0001", "claimed_by_actor_id", "act-0003"),
        "event_accounts",
        "claimant-unexpected",
        "acc-0001",
        "claimed_by_actor_id",
    ),
    (
        "claimant-link",
        cell("event_accounts", "acc-0002", "claimed_by_actor_id", "act-0003"),
        "event_accounts",
        "claimant-link",
        "acc-0002",
        "claimed_by_actor_id",
    ),
    (
        "acled-not-allowed",
        cells(
            ("events", "evt-0010", "acled_disorder_type", "Political violence"),
            ("events", "evt-0010", "acled_event_type", "Violence against civilians"),
            ("events", "evt-0010", "acled_sub_event_type", "Attack"),
        ),
        "events",
        "acled-not-allowed",
        "evt-0010",
        "acled_event_type",
    ),
    # places and enrichment
    (
        "coordinates-pair",
        cell("locations", "loc-0002", "longitude", ""),
        "locations",
        "coordinates-pair",
        "loc-0002",
        "longitude",
    ),
    (
        "coordinates-precision",
        cell("locations", "loc-0002", "geo_precision", "unknown"),
        "locations",
        "coordinates-precision",
        "loc-0002",
        "geo_precision",
    ),
    (
        "enrichment-missing-id",
        cell("locations", "loc-0004", "wikidata_id", "Q12345"),
        "locations",
        "enrichment-missing",
        "loc-0004",
        "wikidata_id",
    ),
    (
        "enrichment-missing-coordinate",
        cells(
            ("locations", "loc-0004", "latitude", "41.0"),
            ("locations", "loc-0004", "longitude", "45.0"),
            ("locations", "loc-0004", "geo_precision", "sub_country_region"),
        ),
        "locations",
        "enrichment-missing",
        "loc-0004",
        "latitude",
    ),
    (
        "enrichment-mismatch",
        cell("enrichments", "enr-0044", "value", "Q400"),
        "enrichments",
        "enrichment-mismatch",
        "enr-0044",
        "value",
    ),
    (
        "enrichment-target-record",
        cell("enrichments", "enr-0044", "record_id", "act-9999"),
        "enrichments",
        "enrichment-target",
        "enr-0044",
        "record_id",
    ),
    (
        "enrichment-target-field",
        cell("enrichments", "enr-0044", "field_name", "name"),
        "enrichments",
        "enrichment-target",
        "enr-0044",
        "field_name",
    ),
    (
        "enrichment-reference",
        cell("enrichments", "enr-0044", "reference", ""),
        "enrichments",
        "enrichment-reference",
        "enr-0044",
        "reference",
    ),
    (
        "enrichment-origin",
        cell("events", "evt-0001", "date_origin", "coder_inferred"),
        "events",
        "enrichment-origin",
        "evt-0001",
        "date_origin",
    ),
    # sources
    ("source-hash", edit_seed, "sources", "source-hash", "000_bbb370cb1e115a94", "text_sha256"),
    ("source-unlisted", add_seed, "seeds/001_0000000000000000.txt", "source-unlisted", None, None),
    # file and header level
    (
        "header-unknown",
        raw_file("actors", lambda b: b.replace(b"coder_note\n", b"coder_note,extra\n", 1)),
        "actors",
        "header-unknown",
        None,
        "extra",
    ),
    (
        "header-missing",
        raw_file(
            "vocab_basis_type",
            lambda b: b.replace(b"basis_type,requires_reference,description", b"basis_type,description", 1),
        ),
        "vocab_basis_type",
        "header-missing",
        None,
        "requires_reference",
    ),
    (
        "header-duplicate",
        raw_file("vocab_agreement_status", lambda b: b.replace(b"status,description", b"status,status", 1)),
        "vocab_agreement_status",
        "header-duplicate",
        None,
        "status",
    ),
    (
        "ragged-row",
        raw_file("vocab_agreement_status", lambda b: b + b"extra,row,cells\n"),
        "vocab_agreement_status",
        "csv-ragged-row",
        None,
        None,
    ),
    (
        "stray-quote",
        raw_file("vocab_agreement_status", lambda b: b + b'broken,"unterminated\n'),
        "vocab_agreement_status",
        "csv-syntax",
        None,
        None,
    ),
    (
        "bom",
        raw_file("vocab_agreement_status", lambda b: b"\xef\xbb\xbf" + b),
        "vocab_agreement_status",
        "bom",
        None,
        None,
    ),
    (
        "encoding",
        raw_file("vocab_agreement_status", lambda b: b + b"latin,caf\xe9\n"),
        "vocab_agreement_status",
        "encoding",
        None,
        None,
    ),
    (
        "crlf",
        raw_file("vocab_agreement_status", lambda b: b.replace(b"\n", b"\r\n")),
        "vocab_agreement_status",
        "line-ending",
        None,
        None,
    ),
    (
        "schema-unknown-keyword",
        edit_schema("events", lambda s: s["fields"][0]["constraints"].update(format="email")),
        "schemas/events.json",
        "schema",
        None,
        None,
    ),
]


def _file(name: str) -> str:
    return name if "/" in name or name.endswith(".json") else f"data/csv/{name}.csv"


def test_a_crafted_source_id_reads_no_file_outside_seeds(scratch):
    (scratch.root.parent / "outside.txt").write_text("SECRET-TOKEN the text of a file outside the repository")
    set_cell(scratch, "sources", "000_bbb370cb1e115a94", "path", "seeds/../../outside.txt")
    set_cell(scratch, "sources", "000_bbb370cb1e115a94", "source_id", "../../outside")
    set_cell(scratch, "event_accounts", "acc-0001", "source_id", "../../outside")
    set_cell(scratch, "event_accounts", "acc-0001", "quote", "SECRET")
    proc = run_cli("--root", str(scratch.root), "validate", "--format", "github")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "SECRET-TOKEN the text" not in proc.stdout


def test_blank_lines_do_not_shift_line_numbers(scratch):
    path = scratch.csv_path("event_accounts")
    lines = path.read_text().split("\n")
    path.write_text("\n".join(lines[:4] + [""] + lines[4:]))
    set_cell(scratch, "event_accounts", "acc-0010", "fatalities_low", "-2")
    problem = next(p for p in validate(scratch).problems if p.rule == "minimum")
    assert path.read_text().split("\n")[problem.line - 1].startswith("acc-0010,")


def assert_rejected(repo, case) -> None:
    _, mutate, table, rule, record, field = case
    mutate(repo)
    problems = validate(repo).problems
    matches = [
        p
        for p in problems
        if p.rule == rule
        and p.file == _file(table)
        and (record is None or p.record == record)
        and (field is None or p.field == field)
    ]
    assert matches, f"expected [{rule}] at {table} {record} {field}; got:\n" + "\n".join(map(str, problems))
    if record is not None and rule not in ("id-removed", "vocabulary-rule"):  # a removed row has no line left
        assert all(p.line for p in matches), "row-level problems carry a line number"


def assert_build_writes_nothing(repo) -> None:
    before = published_digest(repo)
    result = build(repo)
    assert not result.ok
    assert published_digest(repo) == before, "a failed build must not change any published file"
    assert not list(repo.root.glob(".staging-*")), "the staging folder is removed"


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_rejected(scratch, case):
    assert_rejected(scratch, case)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=[pytest.mark.slow] if c[0] in ("ragged-row", "encoding") else [])
        for c in CASES
        if c[0] in ("type-integer", "ragged-row", "schema-unknown-keyword", "encoding")
    ],
    ids=lambda c: c.values[0][0] if hasattr(c, "values") else c[0],
)
def test_cli_reports_bad_input_without_traceback(scratch, case):
    case[1](scratch)
    for command in (["validate"], ["build"], ["validate", "--format", "json"]):
        proc = run_cli("--root", str(scratch.root), *command)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "Traceback" not in proc.stdout + proc.stderr
        assert case[3] in proc.stdout


def test_lengths_are_counted_in_characters_not_bytes(scratch):
    # columns whose byte lengths are within a limit skip the row-by-row test; these values are over
    # their maxLength in bytes (two per character) but within it in characters, so the test must run
    # and pass them
    set_cell(scratch, "events", "evt-0003", "summary", "\u00e9" * 300)
    set_cell(scratch, "actors", "act-0010", "coder_note", "\u00e9" * 1_500)
    rules = {p.rule for p in validate(scratch).problems}
    assert "length" not in rules, rules


def test_every_problem_is_reported_at_once(scratch):
    set_cell(scratch, "event_accounts", "acc-0002", "fatalities_best", "six")
    set_cell(scratch, "actors", "act-0004", "country_code", "AZ")
    set_cell(scratch, "enrichments", "enr-0044", "reference", "")
    rules = {p.rule for p in validate(scratch).problems}
    assert {"type", "pattern", "enrichment-reference"} <= rules


def test_line_numbers_point_at_the_row(scratch):
    set_cell(scratch, "event_accounts", "acc-0005", "fatalities_low", "-3")
    problem = next(p for p in validate(scratch).problems if p.rule == "minimum")
    lines = scratch.csv_path("event_accounts").read_text().splitlines()
    assert lines[problem.line - 1].startswith("acc-0005,")


def remove(table):
    return lambda repo: repo.csv_path(table).unlink()


def write_seed_bytes(data):
    def apply(repo):
        seed_file(repo).write_bytes(data)

    return apply


def reorder_columns(table):
    def apply(repo):
        header, rows = read_rows(repo, table)
        write_rows(repo, table, header[::-1], [r[::-1] for r in rows])

    return apply


def reverse_rows(table):
    def apply(repo):
        header, rows = read_rows(repo, table)
        write_rows(repo, table, header, rows[::-1])

    return apply


MORE_CASES = [
    (
        "source-path",
        cell("sources", "000_bbb370cb1e115a94", "path", "seeds/001_0000000000000000.txt"),
        "sources",
        "source-path",
        "000_bbb370cb1e115a94",
        "path",
    ),
    (
        "source-missing",
        lambda repo: seed_file(repo).unlink(),
        "sources",
        "source-missing",
        "000_bbb370cb1e115a94",
        "path",
    ),
    ("source-encoding", write_seed_bytes(b"caf\xe9"), "sources", "source-encoding", "000_bbb370cb1e115a94", "path"),
    (
        "source-length",
        cell("sources", "000_bbb370cb1e115a94", "text_chars", "2560"),
        "sources",
        "source-length",
        "000_bbb370cb1e115a94",
        "text_chars",
    ),
    (
        "source-title",
        cell("sources", "000_bbb370cb1e115a94", "title", "Another headline"),
        "sources",
        "source-title",
        "000_bbb370cb1e115a94",
        "title",
    ),
    (
        "enrichment-duplicate",
        lambda repo: (
            lambda h, r: write_rows(
                repo, "enrichments", h, r + [["enr-0999"] + next(x for x in r if x[0] == "enr-0044")[1:]]
            )
        )(*read_rows(repo, "enrichments")),
        "enrichments",
        "enrichment-duplicate",
        "enr-0999",
        "field_name",
    ),
    ("file-missing", remove("vocab_agreement_status"), "vocab_agreement_status", "file-missing", None, None),
    (
        "nul-byte",
        raw_file("vocab_agreement_status", lambda b: b + b"nul\x00,cell\n"),
        "vocab_agreement_status",
        "nul-byte",
        None,
        None,
    ),
    (
        "header-blank",
        raw_file("vocab_agreement_status", lambda b: b.replace(b"status,description", b"status,description,", 1)),
        "vocab_agreement_status",
        "header-blank",
        None,
        None,
    ),
    ("header-order", reorder_columns("vocab_agreement_status"), "vocab_agreement_status", "header-order", None, None),
    (
        "not-canonical-row-order",
        reverse_rows("vocab_agreement_status"),
        "vocab_agreement_status",
        "not-canonical",
        None,
        None,
    ),
    (
        "not-canonical-number",
        cell("event_accounts", "acc-0002", "fatalities_best", "06"),
        "event_accounts",
        "not-canonical",
        None,
        None,
    ),
    (
        "date-precision-no-dates",
        cell("events", "evt-0001", "date_precision", "unknown"),
        "events",
        "date-precision",
        "evt-0001",
        "date_precision",
    ),
    (
        "unique",
        lambda repo: (
            edit_schema("vocab_agreement_status", lambda sch: sch["fields"][1]["constraints"].update(unique=True))(
                repo
            ),
            set_cell(
                repo,
                "vocab_agreement_status",
                "signed",
                "description",
                get_cell(repo, "vocab_agreement_status", "under_negotiation", "description"),
            ),
        ),
        "vocab_agreement_status",
        "unique",
        None,
        "description",
    ),
    # content safety
    (
        "formula",
        cell("events", "evt-0003", "summary", '=HYPERLINK("http://example.org")'),
        "events",
        "formula",
        "evt-0003",
        "summary",
    ),
    (
        "formula-after-spaces",
        cell("actors", "act-0010", "coder_note", "  +1 and more"),
        "actors",
        "formula",
        "act-0010",
        "coder_note",
    ),
    (
        "formula-later-line",
        cell("actors", "act-0010", "coder_note", "a note\n@SUM(A1)"),
        "actors",
        "formula",
        "act-0010",
        "coder_note",
    ),
    ("formula-minus", cell("events", "evt-0003", "coder_note", "-2+3"), "events", "formula", "evt-0003", "coder_note"),
    (
        "unicode-nfc",
        cell("locations", "loc-0003", "coder_note", "Ag\u0306dam"),
        "locations",
        "unicode-nfc",
        "loc-0003",
        "coder_note",
    ),
    (
        "invisible-bidi",
        cell("actors", "act-0010", "name", "sabotage\u202egroups"),
        "actors",
        "invisible-char",
        "act-0010",
        "name",
    ),
    (
        "invisible-zero-width",
        cell("actors", "act-0010", "name", "sabotage\u200bgroups"),
        "actors",
        "invisible-char",
        "act-0010",
        "name",
    ),
    ("control-char", cell("actors", "act-0010", "coder_note", "tab\there"), "actors", "control-char", None, None),
    (
        "cell-size",
        cell("actors", "act-0010", "coder_note", "x" * 10_001),
        "actors",
        "cell-size",
        "act-0010",
        "coder_note",
    ),
    (
        "cell-size-non-ascii",
        cell("actors", "act-0010", "coder_note", "\u00e9" * 10_001),
        "actors",
        "cell-size",
        "act-0010",
        "coder_note",
    ),
    (
        "schema-string-without-max-length",
        edit_schema("actors", lambda s: s["fields"][1]["constraints"].pop("maxLength")),
        "schemas/actors.json",
        "schema",
        None,
        "name",
    ),
    # the descriptor
    (
        "descriptor-traversal",
        edit_descriptor(lambda d: d["resources"][0].update(path="data/../../etc/passwd")),
        "datapackage.json",
        "descriptor-path",
        "resources[sources].path",
        "path",
    ),
    (
        "descriptor-url",
        edit_descriptor(lambda d: d["resources"][1].update(path="http://169.254.169.254/latest/meta-data")),
        "datapackage.json",
        "descriptor-path",
        "resources[events].path",
        "path",
    ),
    (
        "descriptor-absolute",
        edit_descriptor(lambda d: d["sources"][0].update(path="/etc/passwd")),
        "datapackage.json",
        "descriptor-path",
        "sources[0].path",
        "path",
    ),
    (
        "descriptor-remote-schema",
        edit_descriptor(
            lambda d: next(r for r in d["resources"] if r["name"] == "actors").update(
                schema="https://example.org/schema.json"
            )
        ),
        "datapackage.json",
        "descriptor-path",
        "resources[actors].schema",
        "path",
    ),
    (
        "descriptor-symlink",
        symlink_outside(lambda repo: repo.parquet_path("actors")),
        "datapackage.json",
        "descriptor-path",
        "resources[actors].x-parquet.path",
        "path",
    ),
    (
        "descriptor-json",
        lambda repo: repo.descriptor_path.write_text("{not json"),
        "datapackage.json",
        "descriptor",
        None,
        None,
    ),
    (
        "csv-symlink",
        symlink_outside(lambda repo: repo.csv_path("vocab_agreement_status")),
        "vocab_agreement_status",
        "file-missing",
        None,
        None,
    ),
    # identifiers and versions
    (
        "id-reused",
        lambda repo: write_rows(
            repo, "retired_ids", read_rows(repo, "retired_ids")[0], [["act-0004", "actors", "merged", ""]]
        ),
        "retired_ids",
        "id-reused",
        "act-0004",
        "retired_id",
    ),
    (
        "id-removed",
        lambda repo: (lambda h, r: write_rows(repo, "enrichments", h, [x for x in r if x[0] != "enr-0050"]))(
            *read_rows(repo, "enrichments")
        ),
        "enrichments",
        "id-removed",
        "enr-0050",
        "enrichment_id",
    ),
    (
        "version-not-bumped",
        lambda repo: (unbump_version(repo), set_cell(repo, "events", "evt-0003", "summary", "A corrected summary.")),
        "schemas/_package.json",
        "version-not-bumped",
        None,
        "version",
    ),
    (
        "version-bump-too-small",
        lambda repo: (
            set_version(repo, bumped(released_version(repo), "patch")),
            (lambda h, r: write_rows(repo, "vocab_agreement_status", h, r + [["terminated", "No longer in force."]]))(
                *read_rows(repo, "vocab_agreement_status")
            ),
        ),
        "schemas/_package.json",
        "version-bump",
        None,
        "version",
    ),
    ("version-malformed", lambda repo: set_version(repo, "v1"), "schemas/_package.json", "version", None, "version"),
    # robustness: inputs that once crashed a command
    (
        "date-far-future",
        lambda repo: (
            unbump_version(repo),
            cells(
                ("events", "evt-0013", "date_start", "9999-12-01"),
                ("events", "evt-0013", "date_end", "9999-12-31"),
                ("enrichments", "enr-0019", "value", "9999-12-01"),
                ("enrichments", "enr-0020", "value", "9999-12-31"),
            )(repo),
        ),
        "schemas/_package.json",
        "version-not-bumped",
        None,
        "version",
    ),
    (
        "offset-superscript",
        cell("actors", "act-0004", "char_start", "\u00b2"),
        "actors",
        "type",
        "act-0004",
        "char_start",
    ),
    (
        "number-infinite",
        cells(("locations", "loc-0002", "latitude", "1e999"), ("enrichments", "enr-0047", "value", "1e999")),
        "locations",
        "type",
        "loc-0002",
        "latitude",
    ),
    (
        "source-id-traversal",
        cell("sources", "000_bbb370cb1e115a94", "source_id", "../../outside"),
        "sources",
        "pattern",
        "../../outside",
        "source_id",
    ),
    (
        "stray-quote-pair",
        raw_file(
            "vocab_agreement_status",
            lambda b: b.replace(b"signed,", b'signed",', 1) + b'x,"unterminated, with, commas\n',
        ),
        "vocab_agreement_status",
        "csv-syntax",
        None,
        None,
    ),
    (
        "descriptor-not-an-object",
        lambda repo: repo.descriptor_path.write_text("[]"),
        "datapackage.json",
        "descriptor",
        None,
        None,
    ),
    (
        "descriptor-path-too-long",
        edit_descriptor(lambda d: d["resources"][0].update(path="a" * 300)),
        "datapackage.json",
        "descriptor-path",
        "resources[sources].path",
        "path",
    ),
    (
        "descriptor-path-nul",
        edit_descriptor(lambda d: d["resources"][0].update(path="data/csv/x\u0000.csv")),
        "datapackage.json",
        "descriptor-path",
        "resources[sources].path",
        "path",
    ),
    (
        "release-record-corrupt",
        lambda repo: (repo.root / "data" / "release.json").write_text("{"),
        "data/release.json",
        "release-record",
        None,
        None,
    ),
    (
        "released-ids-corrupt",
        lambda repo: (repo.root / "data" / "released_ids.csv").write_text("x,y\n1,2\n"),
        "data/release.json",
        "release-record",
        None,
        None,
    ),
    (
        "schema-change-without-bump",
        lambda repo: (
            unbump_version(repo),
            edit_schema("events", lambda s: field_of(s, "summary")["constraints"].update(maxLength=400))(repo),
        ),
        "schemas/_package.json",
        "version-not-bumped",
        None,
        "version",
    ),
    (
        "schema-rule-type",
        edit_schema(
            "event_accounts",
            lambda s: next(f for f in s["fields"] if f["name"] == "fatalities_best").update(
                type="string", constraints={"maxLength": 5}
            ),
        ),
        "schemas/_package.json",
        "schema",
        None,
        None,
    ),
    (
        "vocab-factuality-unreadable",
        raw_file("vocab_factuality", lambda b: b"\x00" + b),
        "vocab_factuality",
        "nul-byte",
        None,
        None,
    ),
    (
        "vocab-date-precision-unreadable",
        raw_file("vocab_date_precision", lambda b: b"\xff" + b),
        "vocab_date_precision",
        "encoding",
        None,
        None,
    ),
    (
        "vocab-geo-precision-unreadable",
        raw_file("vocab_geo_precision", lambda b: b[:5]),
        "vocab_geo_precision",
        "header-missing",
        None,
        None,
    ),
    (
        "claimant-link-wrong-actor",
        cell("event_actors", f"evt-0002/act-0002/claimant/{SEED_ID}", "actor_id", "act-0003"),
        "event_actors",
        "claimant-link",
        f"evt-0002/act-0003/claimant/{SEED_ID}",
        "actor_id",
    ),
    # accounts, relations, cited sources
    (
        "event-no-account",
        cell("event_accounts", "acc-0015", "event_id", "evt-0016"),
        "events",
        "event-no-account",
        "evt-0015",
        "event_id",
    ),
    (
        "role-not-affirmed",
        cell("event_actors", f"evt-0010/act-0013/subject/{SEED_ID}", "role", "target"),
        "event_actors",
        "role-not-affirmed",
        f"evt-0010/act-0013/target/{SEED_ID}",
        "role",
    ),
    (
        "relation-self",
        cell("event_relations", "evt-0009/evt-0001/part_of", "related_event_id", "evt-0009"),
        "event_relations",
        "relation-self",
        "evt-0009/evt-0009/part_of",
        "related_event_id",
    ),
    (
        "relation-cycle",
        add_row("event_relations", ["evt-0001", "evt-0009", "part_of", ""]),
        "event_relations",
        "relation-cycle",
        "evt-0001/evt-0009/part_of",
        "related_event_id",
    ),
    (
        "excerpt-offsets",
        cells(("event_accounts", "acc-0027", "char_start", "5"), ("event_accounts", "acc-0027", "char_end", "9")),
        "event_accounts",
        "excerpt-offsets",
        "acc-0027",
        "char_start",
    ),
    (
        "excerpt-length",
        cell("event_accounts", "acc-0027", "quote", "Azerbaijan authorities say. " * 30),
        "event_accounts",
        "excerpt-length",
        "acc-0027",
        "quote",
    ),
    (
        "excerpt-two-lines",
        cell("event_accounts", "acc-0027", "quote", "Azerbaijan authorities say\nfour soldiers"),
        "event_accounts",
        "excerpt-length",
        "acc-0027",
        "quote",
    ),
    (
        "source-kind-cited-with-path",
        cell("sources", "cit-0001", "path", "seeds/000_bbb370cb1e115a94.txt"),
        "sources",
        "source-kind",
        "cit-0001",
        "path",
    ),
    (
        "source-kind-shipped-without-hash",
        cell("sources", SEED_ID, "text_sha256", ""),
        "sources",
        "source-kind",
        SEED_ID,
        "text_sha256",
    ),
    (
        "source-cited-without-url",
        cell("sources", "cit-0001", "url", ""),
        "sources",
        "source-cited",
        "cit-0001",
        "url",
    ),
    (
        "source-provenance",
        cells(("sources", "cit-0001", "published_date", ""), ("sources", "cit-0001", "provenance_note", "")),
        "sources",
        "source-provenance",
        "cit-0001",
        "published_date",
    ),
]


@pytest.mark.parametrize("case", MORE_CASES, ids=[c[0] for c in MORE_CASES])
def test_more_bad_input_is_rejected(scratch, case):
    assert_rejected(scratch, case)


# a build on bad input fails and writes nothing: one case for each kind of failure here, all of them in the slow tier
BUILD_SAMPLE = (
    "type-integer",
    "ragged-row",
    "schema-unknown-keyword",
    "encoding",
    "quote-absent",
    "version-not-bumped",
)


@pytest.mark.parametrize("case", [c for c in CASES + MORE_CASES if c[0] in BUILD_SAMPLE], ids=lambda c: c[0])
def test_a_failed_build_writes_nothing(scratch, case):
    case[1](scratch)
    assert_build_writes_nothing(scratch)


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES + MORE_CASES, ids=[c[0] for c in CASES + MORE_CASES])
def test_every_failed_build_writes_nothing(scratch, case):
    case[1](scratch)
    assert_build_writes_nothing(scratch)


def test_oversized_file_is_rejected(scratch, monkeypatch):
    monkeypatch.setattr("karabakh_data.model.repository.MAX_FILE_BYTES", 100)
    assert any(p.rule == "file-size" and p.file == "data/csv/events.csv" for p in validate(scratch).problems)


# rules with no single-file trigger in the corpus: covered elsewhere, each with its reason
COVERED_ELSEWHERE = {
    "file-size": "test_oversized_file_is_rejected",
    # a retired identifier can only be removed from a baseline the change cannot edit
    "retired-removed": "test_gate.test_a_retired_identifier_brought_back",
    # the release record can only be judged against a baseline the change cannot edit
    "record-edited": "test_gate.test_released_lines_dropped_alone_are_an_edit_of_the_record",
    # a valid edit, refused by export only
    "not-built": "test_publish.test_export_refuses_a_package_edited_since_its_build",
    # not the data: the software build runs with
    "writer-version": "test_environment.test_build_refuses_another_writer_version_and_writes_nothing",
}


def test_every_rule_has_a_known_bad_input():
    from karabakh_data.model.problems import RULES
    from test_attacks import ATTACKS

    covered = {c[3] for c in CASES + MORE_CASES + ATTACKS} | set(COVERED_ELSEWHERE)
    assert set(RULES) - covered == set()
    assert covered - set(RULES) == set()


def test_a_derived_value_typed_by_hand_is_refused_as_derived(scratch):
    header, rows = read_rows(scratch, "events")
    write_rows(scratch, "events", [*header, "fatalities_best"], [[*row, "6"] for row in rows])
    problem = next(p for p in validate(scratch).problems if p.rule == "header-unknown")
    assert problem.file == "data/csv/events.csv" and problem.field == "fatalities_best"
    assert "derived by `karabakh-data build`" in problem.message and "never typed by hand" in problem.message
