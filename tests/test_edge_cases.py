"""Valid edge cases of a package: empty tables, a table of one row, a column with no value at all, a
vocabulary value nobody uses. A valid package validates and builds; any package, valid or not, never
makes a command fail with an internal error (exit 3)."""

from __future__ import annotations

import pytest

from conftest import name_seeds_by_hash, read_rows, run_cli, write_rows
from karabakh_data.check.validate import validate
from karabakh_data.model.schemas import load_package
from karabakh_data.publish.build import build
from karabakh_data.publish.fmt import format_repository

LINKS = {"event_actors": ("event_id", "actor_id"), "agreement_parties": ("agreement_id", "actor_id")}


def without_release(repo) -> None:
    """A package that was never released: no version or identifier is held against it, and every seed is
    named after its hash (no released seed keeps an older name)."""
    for name in ("release.json", "released_ids.csv"):
        (repo.root / "data" / name).unlink()
    name_seeds_by_hash(repo)


def keep_rows(repo, table: str, keep) -> None:
    header, rows = read_rows(repo, table)
    write_rows(repo, table, header, [r for r in rows if keep(dict(zip(header, r)))])


def ids(repo, table: str) -> set[str]:
    return {r[0] for r in read_rows(repo, table)[1]}


def drop_dangling(repo) -> None:
    """Remove the links and enrichments whose records are gone."""
    events, actors, agreements = ids(repo, "events"), ids(repo, "actors"), ids(repo, "agreements")
    keep_rows(repo, "event_actors", lambda r: r["event_id"] in events and r["actor_id"] in actors)
    keep_rows(repo, "agreement_parties", lambda r: r["agreement_id"] in agreements and r["actor_id"] in actors)
    keep_rows(repo, "event_accounts", lambda r: r["event_id"] in events)
    keep_rows(repo, "event_relations", lambda r: r["event_id"] in events and r["related_event_id"] in events)
    records = {name: ids(repo, name) for name in ("events", "actors", "locations", "agreements")}
    keep_rows(repo, "enrichments", lambda r: r["record_id"] in records.get(r["table_name"], set()))


def assert_valid_and_built(repo) -> None:
    result = validate(repo)
    assert result.ok, "\n".join(map(str, result.problems))
    built = build(repo)
    assert built.ok, built.problems
    for command in (["validate"], ["build", "--check"], ["export"]):
        proc = run_cli("--root", str(repo.root), *command)
        assert proc.returncode == 0, (command, proc.stdout, proc.stderr)


def test_a_package_whose_coded_tables_are_all_empty_validates_and_builds(scratch):
    without_release(scratch)
    coded = ("events", "event_accounts", "actors", "locations", "agreements", "event_actors", "agreement_parties")
    for table in (*coded, "event_relations", "enrichments"):
        keep_rows(scratch, table, lambda r: False)
    assert_valid_and_built(scratch)
    for view in load_package(scratch.schemas_dir).views:
        assert (scratch.views_dir / f"{view.name}.csv").read_text().count("\n") == 1  # the header alone


def test_a_package_of_one_event_validates_and_builds(scratch):
    without_release(scratch)
    keep_rows(scratch, "events", lambda r: r["event_id"] == "evt-0001")
    drop_dangling(scratch)
    assert_valid_and_built(scratch)


def test_a_package_in_which_no_event_has_acled_codes_validates_and_builds(scratch):
    # once an internal error: the decoding of ACLED combinations read past the end of an empty dictionary
    without_release(scratch)
    header, rows = read_rows(scratch, "events")
    for row in rows:
        for name in ("acled_disorder_type", "acled_event_type", "acled_sub_event_type"):
            row[header.index(name)] = ""
    write_rows(scratch, "events", header, rows)
    assert_valid_and_built(scratch)


def test_columns_with_no_value_at_all_and_unused_vocabulary_values(scratch):
    without_release(scratch)
    header, rows = read_rows(scratch, "events")
    for row in rows:
        row[header.index("agreement_id")] = ""
    write_rows(scratch, "events", header, rows)
    header, rows = read_rows(scratch, "event_accounts")
    for row in rows:
        for name in ("fatalities_low", "fatalities_best", "fatalities_high"):
            row[header.index(name)] = ""
    write_rows(scratch, "event_accounts", header, rows)
    keep_rows(scratch, "event_relations", lambda r: False)
    header, rows = read_rows(scratch, "vocab_cameo_code")
    write_rows(scratch, "vocab_cameo_code", header, rows + [["0999", "A code no event uses."]])
    assert not format_repository(scratch).problems
    assert_valid_and_built(scratch)


@pytest.mark.parametrize(
    "table",
    [
        "events",
        "event_accounts",
        "event_relations",
        "actors",
        "locations",
        "agreements",
        "event_actors",
        "agreement_parties",
        "enrichments",
        "sources",
        "vocab_event_relation",
        "vocab_event_role",
        "retired_ids",
        "vocab_factuality",
        "vocab_date_precision",
        "vocab_acled_sub_event_type",
    ],
)
@pytest.mark.parametrize("rows", [0, 1])
def test_a_table_of_no_row_or_one_row_never_crashes_a_command(scratch, table, rows):
    keep_rows(scratch, table, lambda r, seen=[]: seen.append(r) or len(seen) <= rows)
    result = validate(scratch)  # problems, maybe (dangling references), but never an exception
    assert all(p.rule for p in result.problems)
    if result.ok:
        assert build(scratch).ok
    else:
        assert build(scratch).problems
