"""Reports stay small and safe whatever the input (issue 19, "Why" items 4 and 5): at most a few
problems of each rule in each file are listed and the others counted, the output is capped, and no
field reaches a terminal or a log raw."""

from __future__ import annotations

import json
import unicodedata

import pytest

from conftest import read_rows, run_cli, set_cell, write_rows
from karabakh_data.check.validate import validate
from karabakh_data.model.characters import printable
from karabakh_data.model.problems import (
    LISTED_IN_ALL,
    LISTED_PER_RULE_AND_FILE,
    Omitted,
    Problem,
    Report,
    format_problems,
)
from karabakh_data.model.schemas import load_package

JUNK_ROWS = 5_000


def write_junk(repo, rows: int = JUNK_ROWS) -> None:
    """events.csv of the issue: its header, then rows of `=x` in every column."""
    path = repo.csv_path("events")
    header = path.read_text().split("\n", 1)[0]
    path.write_text(header + "\n" + (",".join(["=x"] * len(header.split(","))) + "\n") * rows)


def unsafe(text: str) -> set[str]:
    """The characters of an output that a terminal could act on or a reader could not see."""
    return {
        c
        for c in text
        if c != "\n" and (unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Co", "Cn") or not c.isprintable())
    }


def test_the_junk_file_is_reported_in_full_count_and_short_list(scratch):
    write_junk(scratch)
    events = load_package(scratch.schemas_dir)["events"]
    result = validate(scratch)
    found = {}
    for p in result.problems:
        found[(p.file, p.rule)] = found.get((p.file, p.rule), 0) + 1
    assert max(found.values()) <= LISTED_PER_RULE_AND_FILE and len(result.problems) <= LISTED_IN_ALL

    def total(rule: str) -> int:
        key = ("data/csv/events.csv", rule)
        return found.get(key, 0) + result.omitted.get(key, 0)

    text_fields = sum(f.type == "string" for f in events.fields)
    assert total("formula") == JUNK_ROWS * text_fields  # every text cell, counted
    assert total("type") == JUNK_ROWS * (len(events.fields) - text_fields)
    assert total("primary-key") == JUNK_ROWS
    assert result.report.count == len(result.problems) + sum(result.omitted.values())


@pytest.mark.parametrize(
    "fmt", ["text", pytest.param("json", marks=pytest.mark.slow), pytest.param("github", marks=pytest.mark.slow)]
)
def test_the_junk_file_s_report_is_small(scratch, fmt):
    write_junk(scratch)
    result = validate(scratch)
    output = format_problems(result.problems, fmt, result.omitted, result.baseline)
    assert len(output.encode()) < 100_000
    if fmt == "json":
        report = json.loads(output)
        assert report["count"] == result.report.count > len(report["problems"])
        assert {(o["file"], o["rule"]) for o in report["omitted"]} == set(result.omitted)


def test_many_files_with_problems_are_listed_up_to_the_cap(scratch):
    for number in range(600):
        (scratch.root / "seeds" / f"{number + 100:03d}_{'0' * 16}.txt").write_text("x\n")
    result = validate(scratch)
    assert len(result.problems) == LISTED_IN_ALL
    output = format_problems(result.problems, "text", result.omitted, result.baseline)
    assert len(output.splitlines()) < LISTED_IN_ALL + 150 and len(output.encode()) < 200_000
    assert result.report.count >= 1_200  # seed-name and source-unlisted for each


def test_a_report_keeps_the_first_problems_and_counts_the_others():
    def problem(line: int, rule: str = "formula") -> Problem:
        return Problem("data/csv/events.csv", line, None, "summary", rule, "=x", "m")

    report = Report().extend(problem(line) for line in range(1, 101))
    report.extend([Omitted("data/csv/events.csv", "formula", 1_000), problem(5, "type")])
    report.finish()
    listed = [p.line for p in report.problems if p.rule == "formula"]
    assert listed == list(range(1, LISTED_PER_RULE_AND_FILE + 1)) and report.count == 1_101
    assert report.omitted == {("data/csv/events.csv", "formula"): 1_080}
    # which problems are listed does not depend on the order in which the checks finished
    jobs = [[problem(x) for x in range(50, 101)], [problem(x) for x in range(1, 50)], [problem(5, "type")]]
    forward, backward = Report(), Report()
    for job in jobs:
        forward.merge(Report().extend(job))
    for job in reversed(jobs):
        backward.merge(Report().extend(job))
    assert forward.finish().problems == backward.finish().problems and forward.omitted == backward.omitted


FORGED = "\x1b[2J\x1b[Hvalid: 25 tables, 281 rows"


@pytest.mark.parametrize(
    "fmt", ["text", pytest.param("github", marks=pytest.mark.slow), pytest.param("json", marks=pytest.mark.slow)]
)
def test_a_seed_name_that_would_forge_the_terminal_is_printed_escaped(scratch, fmt):
    (scratch.root / "seeds" / f"{FORGED}.txt").write_text("x\n")
    done = run_cli("--root", str(scratch.root), "validate", "--format", fmt)
    assert done.returncode == 1
    assert not unsafe(done.stdout + done.stderr), unsafe(done.stdout + done.stderr)
    assert "\\x1b[2J" in done.stdout or "\\u001b[2J" in done.stdout
    assert not done.stdout.startswith("valid")


def test_every_printed_field_is_escaped(scratch):
    """A record, a field, a value and a message made of the characters a terminal acts on."""
    evil = "evt-\x1b]0;title\x07\u202e\u009b31m\u2028x"
    set_cell(scratch, "events", "evt-0003", "event_id", evil)
    set_cell(scratch, "actors", "act-0010", "coder_note", "note\u009b2J\u202e")
    result = validate(scratch)
    assert any(p.record == evil for p in result.problems)
    for fmt in ("text", "github", "json"):
        output = format_problems(result.problems, fmt, result.omitted, result.baseline)
        assert not unsafe(output), (fmt, unsafe(output))


def test_printable_escapes_what_a_reader_cannot_see_and_keeps_the_rest():
    assert printable("Xankəndi “quoted”, café") == "Xankəndi “quoted”, café"
    assert printable("a\x1b[2J") == "a\\x1b[2J"
    assert printable("\u202e\u034f\u3164\U000e0041\u2028") == "\\u202e\\u034f\\u3164\\U000e0041\\u2028"


def test_a_header_of_many_columns_is_reported_in_full_count_and_short_list(scratch):
    scratch.csv_path("events").write_text(",".join(["x"] * 100_000) + "\n")
    result = validate(scratch)
    key = ("data/csv/events.csv", "header-duplicate")
    listed = sum((p.file, p.rule) == key for p in result.problems)
    assert listed == LISTED_PER_RULE_AND_FILE and listed + result.omitted[key] == 99_999


def test_a_cross_table_rule_is_reported_in_full_count_and_short_list(scratch):
    """Emptying event_accounts leaves every event without an account: each counted, a few listed."""
    header, _ = read_rows(scratch, "event_accounts")
    write_rows(scratch, "event_accounts", header, [])
    events = len(read_rows(scratch, "events")[1])
    result = validate(scratch)
    key = ("data/csv/events.csv", "event-no-account")
    listed = sum((p.file, p.rule) == key for p in result.problems)
    assert listed == min(events, LISTED_PER_RULE_AND_FILE) and listed + result.omitted.get(key, 0) == events
