"""Known-bad inputs from the attack on the contribution gate (issue 19, "Why"), each with the rule that
now rejects it: those a single working tree shows. The attacks that need a trusted baseline (a release
record the change rewrote) are in test_gate.py; malformed JSON files in test_json_files.py; the
reports' bounds and escaping in test_reports.py."""

from __future__ import annotations

import hashlib

import pytest

from conftest import bumped, read_rows, released_version, seed_file, set_cell, set_version, write_rows
from karabakh_data.check.validate import validate
from test_bad_input import assert_rejected, cell, cells


def add_rows(table, *rows):
    """Rows added where fmt puts them (in primary-key order), so that the file stays canonical."""

    def apply(repo):
        header, existing = read_rows(repo, table)
        width = len(header) - 1 if table.startswith("vocab_") else 1
        write_rows(repo, table, header, sorted([*existing, *map(list, rows)], key=lambda r: r[:width]))

    return apply


def with_version(level, *edits):
    """The edits, with the release's version bumped at `level` (as a contributor sets it)."""

    def apply(repo):
        set_version(repo, bumped(released_version(repo), level))
        for edit in edits:
            edit(repo)

    return apply


def lowered(version: str) -> str:
    major, minor, patch = map(int, version.split("."))
    return f"{major}.{minor}.{patch - 1}" if patch else f"{major}.{minor - 1}.0" if minor else f"{major - 1}.0.0"


def write_file(relative, data: bytes):
    return lambda repo: (repo.root / relative).write_bytes(data)


def edit_seed_and_its_row(repo):
    """The attack: 'six Azerbaijanis' becomes 'sixty', and the sources row is made to agree."""
    path = seed_file(repo)
    data = path.read_bytes().replace(b"six Azerbaijanis", b"sixty Azerbaijanis")
    path.write_bytes(data)
    set_cell(repo, "sources", path.stem, "text_sha256", hashlib.sha256(data).hexdigest())
    set_cell(repo, "sources", path.stem, "text_chars", str(len(data.decode("utf-8"))))


def seed_with(text: str):
    """A seed that holds `text` after its first line, with its sources row made to agree."""

    def apply(repo):
        path = seed_file(repo)
        data = path.read_bytes().replace(b"\n", ("\n" + text + "\n").encode(), 1)
        path.write_bytes(data)
        set_cell(repo, "sources", path.stem, "text_sha256", hashlib.sha256(data).hexdigest())

    return apply


def own_parent(table, record, field):
    return cell(table, record, field, record)


def parents_in_a_cycle(repo):
    set_cell(repo, "actors", "act-0004", "parent_actor_id", "act-0005")
    set_cell(repo, "actors", "act-0005", "parent_actor_id", "act-0004")


def quote_of_a_space(repo):
    text = seed_file(repo).read_text()
    start = text.index(" ")
    cells(
        ("actors", "act-0004", "quote", " "),
        ("actors", "act-0004", "char_start", str(start)),
        ("actors", "act-0004", "char_end", str(start + 1)),
    )(repo)


# (case id, mutation, file, rule, record, field), as in test_bad_input; each id says the attack of "Why"
ATTACKS = [
    # 2. seeds
    ("2-seed-edited", edit_seed_and_its_row, "seeds/000_bbb370cb1e115a94.txt", "seed-changed", None, None),
    (
        "2-seed-name-not-its-hash",
        write_file("seeds/999_0000000000000000.txt", b"A new article.\n"),
        "seeds/999_0000000000000000.txt",
        "seed-name",
        None,
        None,
    ),
    ("2-seed-bidi", seed_with("a \u202eclaim"), "seeds/000_bbb370cb1e115a94.txt", "invisible-char", None, None),
    ("2-seed-tag", seed_with("a \U000e0041 hidden"), "seeds/000_bbb370cb1e115a94.txt", "invisible-char", None, None),
    ("2-seed-escape", seed_with("a \x1b[2J"), "seeds/000_bbb370cb1e115a94.txt", "control-char", None, None),
    ("2-seed-c1", seed_with("a \u009b2J"), "seeds/000_bbb370cb1e115a94.txt", "control-char", None, None),
    ("2-seed-private", seed_with("a \ue000"), "seeds/000_bbb370cb1e115a94.txt", "unusable-char", None, None),
    # 3. vocabularies carry rules
    (
        "3-denied-allows-acled",
        with_version("patch", cell("vocab_factuality", "denied", "allows_acled", "true")),
        "vocab_factuality",
        "vocabulary-rule",
        "denied",
        "allows_acled",
    ),
    (
        "3-reference-not-required",
        with_version("patch", cell("vocab_basis_type", "external_source", "requires_reference", "false")),
        "vocab_basis_type",
        "vocabulary-rule",
        "external_source",
        "requires_reference",
    ),
    (
        "3-made-up-acled-pair",
        with_version(
            "minor",
            add_rows("vocab_acled_sub_event_type", ["Battles", "Genocide", "Political violence", "A made-up pair."]),
        ),
        "vocab_acled_sub_event_type",
        "vocabulary-rule",
        "Battles/Genocide",
        "acled_sub_event_type",
    ),
    (
        "3-vocabulary-value-removed",
        with_version(
            "minor",
            lambda repo: write_rows(
                repo,
                "vocab_geo_precision",
                *(lambda h, r: (h, [x for x in r if x[0] != "near_25km"]))(*read_rows(repo, "vocab_geo_precision")),
            ),
        ),
        "vocab_geo_precision",
        "vocabulary-rule",
        "near_25km",
        "geo_precision",
    ),
    # 6. invisible characters and control bytes in cells
    *[
        (
            f"6-{name}",
            cell("actors", "act-0010", "coder_note", f"a note{character}with it"),
            "actors",
            rule,
            "act-0010",
            "coder_note",
        )
        for name, character, rule in (
            ("tag-characters", "\U000e0049\U000e0020\U000e0061\U000e006d", "invisible-char"),
            ("invisible-times", "\u2062", "invisible-char"),
            ("function-application", "\u2061", "invisible-char"),
            ("invisible-separator", "\u2063", "invisible-char"),
            ("invisible-plus", "\u2064", "invisible-char"),
            ("soft-hyphen", "\u00ad", "invisible-char"),
            ("grapheme-joiner", "\u034f", "invisible-char"),
            ("mongolian-separator", "\u180e", "invisible-char"),
            ("hangul-filler", "\u3164", "invisible-char"),
            ("halfwidth-hangul-filler", "\uffa0", "invisible-char"),
            ("variation-selector", "\ufe0f", "invisible-char"),
            ("variation-selector-supplement", "\U000e0100", "invisible-char"),
            ("line-separator", "\u2028", "unusable-char"),
            ("paragraph-separator", "\u2029", "unusable-char"),
            ("private-use", "\ue000", "unusable-char"),
            ("unassigned", "\u0378", "unusable-char"),
            ("c1-control", "\u0085", "control-char"),
            ("c1-csi", "\u009b", "control-char"),
        )
    ],
    ("6-del", cell("actors", "act-0010", "coder_note", "a note\x7f"), "actors", "control-char", None, None),
    *[
        (
            f"6-formula-{name}",
            cell("events", "evt-0003", "coder_note", text),
            "events",
            "formula",
            "evt-0003",
            "coder_note",
        )
        for name, text in (
            ("after-ideographic-space", "\u3000=HYPERLINK(1)"),
            ("after-em-space", "\u2003=1+1"),
            ("fullwidth-equals", "\uff1dSUM(A1)"),
            ("fullwidth-plus", "\uff0b1"),
            ("small-commercial-at", "\ufe6bSUM(A1)"),
            ("later-line-after-space", "a note\n\u2003@SUM(A1)"),
        )
    ],
    # 7. exit 3 on bad input: a parent cycle crashed export
    (
        "7-actor-own-parent",
        own_parent("actors", "act-0004", "parent_actor_id"),
        "actors",
        "parent-cycle",
        "act-0004",
        "parent_actor_id",
    ),
    ("7-actors-in-a-cycle", parents_in_a_cycle, "actors", "parent-cycle", "act-0005", "parent_actor_id"),
    (
        "7-location-own-parent",
        own_parent("locations", "loc-0002", "parent_location_id"),
        "locations",
        "parent-cycle",
        "loc-0002",
        "parent_location_id",
    ),
    # 8. smaller holes
    (
        "8-day-stated-from-the-year",
        cell("events", "evt-0016", "date_origin", "stated"),
        "events",
        "date-stated",
        "evt-0016",
        "date_start",
    ),
    ("8-unknown-csv", write_file("data/csv/evil.csv", b"a,b\n1,2\n"), "data/csv/evil.csv", "file-unknown", None, None),
    (
        "8-case-colliding-csv",
        lambda repo: (repo.csv_dir / "Events.csv").write_bytes(repo.csv_path("events").read_bytes()),
        "data/csv/Events.csv",
        "file-unknown",
        None,
        None,
    ),
    ("8-unknown-schema-file", write_file("schemas/evil.txt", b"x"), "schemas/evil.txt", "file-unknown", None, None),
    ("8-unknown-seed-file", write_file("seeds/notes.bin", b"x"), "seeds/notes.bin", "file-unknown", None, None),
    ("8-year-0000", cell("events", "evt-0013", "date_start", "0000-09-01"), "events", "type", "evt-0013", "date_start"),
    (
        "8-version-downgrade",
        lambda repo: set_version(repo, lowered(released_version(repo))),
        "schemas/_package.json",
        "version-downgrade",
        None,
        "version",
    ),
    (
        "8-replaced-by-nowhere",
        add_rows("retired_ids", ["evt-9998", "events", "A duplicate of another event.", "evt-9999"]),
        "retired_ids",
        "retired-replacement",
        "evt-9998",
        "replaced_by",
    ),
    ("8-quote-a-single-space", quote_of_a_space, "actors", "quote-blank", "act-0004", "quote"),
]


# The default tier runs one attack of each rule (test_characters.py holds the character policy to
# unicodedata for every code point); the slow tier runs every one.
SLOW_TIER = {
    *(
        {c[0] for c in ATTACKS if c[0].startswith("6-")}
        - {"6-tag-characters", "6-c1-csi", "6-line-separator", "6-formula-after-ideographic-space"}
    ),
    "2-seed-tag",
    "2-seed-c1",
    "3-reference-not-required",
    "3-vocabulary-value-removed",
    "7-actors-in-a-cycle",
    "8-case-colliding-csv",
    "8-unknown-schema-file",
}


def tiered(cases: list) -> list:
    return [pytest.param(c, marks=[pytest.mark.slow] if c[0] in SLOW_TIER else [], id=c[0]) for c in cases]


@pytest.mark.parametrize("case", tiered(ATTACKS))
def test_the_attack_is_rejected(scratch, case):
    assert_rejected(scratch, case)


def _moved_outside_behind_a_symlink(path):
    outside = path.parent.parent.parent / f"outside-{path.name}"
    path.rename(outside)
    path.symlink_to(outside)


def _nested_deeply(path):
    path.write_text('{"fields": ' + "[" * 40 + "]" * 40 + "}")


@pytest.mark.parametrize(
    "name, edit, words",
    [
        ("views", _moved_outside_behind_a_symlink, "symlink"),  # a folder of schemas
        ("actors.json", _moved_outside_behind_a_symlink, "symlink"),
        ("actors.json", _nested_deeply, "deeper"),
    ],
)
def test_a_schema_that_cannot_be_trusted_is_refused(scratch, name, edit, words):
    edit(scratch.schemas_dir / name)
    problems = validate(scratch).problems
    assert [p.rule for p in problems] == ["schema"], problems
    assert problems[0].file.startswith(f"schemas/{name}") and words in problems[0].message  # named where it is


def test_a_data_folder_symlinked_outside_is_refused(scratch):
    outside = scratch.root.parent / "outside-csv"
    scratch.csv_dir.rename(outside)
    scratch.csv_dir.symlink_to(outside)
    result = validate(scratch)
    missing = {p.file for p in result.problems if p.rule == "file-missing"}
    assert missing == {f"data/csv/{t.name}.csv" for t in result.package.coded}
    assert {p.rule for p in result.problems} <= {"file-missing", "descriptor-path"}  # its paths go through it too


@pytest.mark.parametrize(
    "value", ["-39.8", pytest.param("-12", marks=pytest.mark.slow), pytest.param("-1e-3", marks=pytest.mark.slow)]
)
def test_a_negative_number_is_no_formula(scratch, value):
    """No negative coordinate could be backed while enrichments.value refused a leading minus."""
    set_cell(scratch, "locations", "loc-0002", "longitude", value)
    record = next(r for r in read_rows(scratch, "enrichments")[1] if r[2:4] == ["loc-0002", "longitude"])
    set_cell(scratch, "enrichments", record[0], "value", value)
    rules = {p.rule for p in validate(scratch).problems}
    assert "formula" not in rules and "enrichment-mismatch" not in rules


@pytest.mark.parametrize("case", tiered([c for c in ATTACKS if c[0].startswith("3-")]))
def test_a_vocabulary_rule_changes_with_a_major_version(scratch, case):
    case[1](scratch)
    set_version(scratch, bumped(released_version(scratch), "major"))
    rules = {p.rule for p in validate(scratch).problems}
    assert not rules & {"vocabulary-rule", "version-bump", "version-not-bumped"}, rules


def test_a_new_value_of_a_one_column_vocabulary_is_a_row_added(scratch):
    """Widening a list of values is minor (CONTRIBUTING.md): only combinations and decisions are rules."""
    header, rows = read_rows(scratch, "vocab_actor_type")
    code = "added_type"
    while any(r[0] == code for r in rows):  # a contribution may have added it already
        code += "_x"
    add_rows("vocab_actor_type", [code, *[""] * (len(header) - 2), "A new type."])(scratch)
    set_version(scratch, bumped(released_version(scratch), "minor"))
    assert validate(scratch).ok


@pytest.mark.parametrize(
    "quote, month, day, gives",
    [
        ("on 19 September 2023", 9, 19, (True, True)),
        ("on Sept. 19, 2023", 9, 19, (True, True)),
        ("on 2023-09-19", 9, 19, (True, True)),
        ("on 09/05/2023", 5, 9, (True, True)),
        ("on 9 May", 5, 9, (True, True)),
        ("in September 2023", 9, 19, (True, False)),
        ("in 2023", 9, 19, (False, False)),
        ("in 2019", 9, 19, (False, False)),  # the digits of a year are no day
        ("118 people", 1, 18, (False, False)),
    ],
)
def test_what_a_quote_gives_of_a_date(quote, month, day, gives):
    """A stated date's month and day are looked for as the check does (the synthetic package of
    test_synth.py holds thousands of stated days the check accepts)."""
    import pyarrow as pa

    from karabakh_data.check.dates import DAY_PATTERNS, MONTH_PATTERNS
    from karabakh_data.kernels import contains

    quotes = pa.array([quote, quote])
    found = contains(quotes, pa.array([MONTH_PATTERNS[month - 1], DAY_PATTERNS[day - 1]]), regex=True)
    assert tuple(found.tolist()) == gives
