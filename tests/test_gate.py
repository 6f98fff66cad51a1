"""The attacks of issue 19 that rewrite the release record, judged against a committed baseline
(`validate --base REF`): the change may rewrite data/release.json, data/released_ids.csv,
retired_ids.csv, the version and the seeds, and is still judged against the base's copies. Each test
also shows the hole: judged against its own working tree, the same change passes."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import pytest

from conftest import (
    COPIED,
    ROOT,
    SEED_ID,
    bumped,
    read_rows,
    released_version,
    run_cli,
    seed_file,
    set_cell,
    set_version,
    write_rows,
)
from karabakh_data.check.release import release_files
from karabakh_data.check.validate import validate
from karabakh_data.io.baseline import BaselineError, from_git
from karabakh_data.model.repository import Repository

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="needs git")


def git(root, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def commit(root, message: str) -> str:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)
    return git(root, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def base_clone(tmp_path_factory):
    root = tmp_path_factory.mktemp("gate") / "repo"
    root.mkdir()
    for name in COPIED:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / name)
    if released_version(Repository(root)) != json.loads((root / "schemas" / "_package.json").read_text())["version"]:
        # a contribution's version is not released yet: the attacks start from a base that has just been released
        done = run_cli("--root", str(root), "release")
        assert done.returncode == 0, done.stdout + done.stderr
    git(root, "init", "-q")
    commit(root, "the base")
    return root


@pytest.fixture
def change(base_clone, tmp_path) -> Repository:
    """A clone of the base that a test may change as a pull request does."""
    root = tmp_path / "repo"
    shutil.copytree(base_clone, root, symlinks=True)
    return Repository(root)


def rewrite_release_record(repo: Repository) -> None:
    """What the attacker did: run the release code on the changed data, so that the working tree's
    record says the change was released."""
    result = validate(repo)
    for name, text in release_files(result.package, result.data, result.record, result.seeds).items():
        (repo.root / name).write_text(text)


def judged(repo: Repository, ref: str = "HEAD") -> set[tuple[str, str | None, str]]:
    """(rule, record, file) of each problem, against the baseline at `ref`."""
    return {(p.rule, p.record, p.file) for p in validate(repo, from_git(repo, ref)).problems}


def rules(problems) -> set[str]:
    return {rule for rule, _, _ in problems}


def make_asserted(repo: Repository) -> None:
    """The article's account of evt-0009 becomes its own claim: the claimant is dropped, and its link."""
    set_cell(repo, "event_accounts", "acc-0009", "factuality", "asserted")
    set_cell(repo, "event_accounts", "acc-0009", "claimed_by_actor_id", "")
    header, rows = read_rows(repo, "event_actors")
    write_rows(
        repo, "event_actors", header, [r for r in rows if r[:4] != ["evt-0009", "act-0003", "claimant", SEED_ID]]
    )


def delete_event(repo: Repository, event_id: str, released_lines_too: bool) -> None:
    for table in ("events", "event_actors", "event_accounts", "event_relations"):
        header, rows = read_rows(repo, table)
        columns = [i for i, name in enumerate(header) if name.endswith("event_id")]
        write_rows(repo, table, header, [r for r in rows if event_id not in [r[i] for i in columns]])
    header, rows = read_rows(repo, "enrichments")
    write_rows(repo, "enrichments", header, [r for r in rows if r[2] != event_id])
    if released_lines_too:
        path = repo.root / "data" / "released_ids.csv"
        kept = [line for line in path.read_text().splitlines(keepends=True) if not line.startswith("events,evt-0022")]
        path.write_text("".join(kept))


def test_a_claim_made_the_article_s_own_with_a_rewritten_record(change):
    make_asserted(change)
    rewrite_release_record(change)
    assert validate(change).ok  # the hole: the record the change wrote vouches for it
    assert rules(judged(change)) == {"version-not-bumped"}


def test_a_released_identifier_deleted_with_its_released_line(change):
    delete_event(change, "evt-0022", released_lines_too=True)
    rewrite_release_record(change)
    assert {p.rule for p in validate(change).problems} <= {"id-removed"}  # only the enrichments' ids were left
    found = judged(change)
    assert ("id-removed", "evt-0022", "data/csv/events.csv") in found
    # the record lost released lines, so it is no record `release` would write
    assert rules(found) == {"id-removed", "version-not-bumped", "record-edited"}


@pytest.mark.slow
def test_a_retired_identifier_brought_back(change):
    """The base retired evt-0022; the change removes the retirement and codes a different evt-0022."""
    delete_event(change, "evt-0022", released_lines_too=False)
    header, rows = read_rows(change, "retired_ids")
    write_rows(change, "retired_ids", header, [*rows, ["evt-0022", "events", "Coded twice.", ""]])
    for enrichment in ("enr-0029", "enr-0030"):
        write_rows(
            change,
            "retired_ids",
            *(lambda h, r: (h, [*r, [enrichment, "enrichments", "Its event.", ""]]))(*read_rows(change, "retired_ids")),
        )
    set_version(change, bumped(released_version(change), "patch"))
    retired = commit(change.root, "retire evt-0022")
    header, rows = read_rows(change, "retired_ids")
    write_rows(change, "retired_ids", header, [r for r in rows if r[0] != "evt-0022"])
    header, rows = read_rows(change, "events")
    other = next(r for r in rows if r[0] == "evt-0021")
    write_rows(change, "events", header, [*rows, ["evt-0022", *other[1:]]])
    assert not {p.rule for p in validate(change).problems} & {"id-reused", "retired-removed"}  # the hole
    found = judged(change, retired)
    assert ("id-reused", "evt-0022", "data/csv/events.csv") in found
    assert ("retired-removed", "evt-0022", "data/csv/retired_ids.csv") in found


def test_a_seed_edited_with_its_row_and_record(change):
    seed = seed_file(change)
    data = seed.read_bytes().replace(b"six Azerbaijanis", b"sixty Azerbaijanis")
    seed.write_bytes(data)
    set_cell(change, "sources", seed.stem, "text_sha256", hashlib.sha256(data).hexdigest())
    set_cell(change, "sources", seed.stem, "text_chars", str(len(data.decode())))
    rewrite_release_record(change)  # pins the new bytes in the working tree's record
    assert "seed-changed" not in {p.rule for p in validate(change).problems}  # the hole
    assert ("seed-changed", None, f"seeds/{seed.name}") in judged(change)


@pytest.mark.parametrize(
    "table, record, field, value",
    [
        ("vocab_factuality", "denied", "allows_acled", "true"),
        pytest.param("vocab_basis_type", "external_source", "requires_reference", "false", marks=pytest.mark.slow),
    ],
)
def test_a_vocabulary_rule_loosened_with_a_rewritten_record(change, table, record, field, value):
    set_cell(change, table, record, field, value)
    set_version(change, bumped(released_version(change), "patch"))
    rewrite_release_record(change)
    assert "vocabulary-rule" not in {p.rule for p in validate(change).problems}  # the hole
    assert ("vocabulary-rule", record, f"data/csv/{table}.csv") in judged(change)


def test_a_made_up_acled_pair_with_a_rewritten_record(change):
    header, rows = read_rows(change, "vocab_acled_sub_event_type")
    pair = ["Battles", "Genocide", "Political violence", "A made-up pair."]
    write_rows(change, "vocab_acled_sub_event_type", header, sorted([*rows, pair], key=lambda r: r[:3]))
    set_version(change, bumped(released_version(change), "minor"))
    rewrite_release_record(change)
    assert validate(change).ok  # the hole: the record the change wrote allows the pair
    assert ("vocabulary-rule", "Battles/Genocide", "data/csv/vocab_acled_sub_event_type.csv") in judged(change)


@pytest.mark.slow
def test_the_version_never_goes_below_the_base_s(change):
    set_version(change, bumped(released_version(change), "minor"))
    base = commit(change.root, "the next version, not released yet")
    set_version(change, bumped(released_version(change), "patch"))
    assert "version-downgrade" not in {p.rule for p in validate(change).problems}
    assert rules(judged(change, base)) == {"version-downgrade"}


@pytest.mark.slow
def test_a_deleted_release_record_changes_nothing(change):
    make_asserted(change)
    for name in ("release.json", "released_ids.csv"):
        (change.root / "data" / name).unlink()
    # judged against itself, nothing was released: only the seed named before the rule stands out
    assert {p.rule for p in validate(change).problems} == {"seed-name"}
    found = judged(change)
    assert rules(found) == {"version-not-bumped", "record-edited"}
    assert {file for rule, _, file in found if rule == "record-edited"} == {
        "data/release.json",
        "data/released_ids.csv",
    }


def test_released_lines_dropped_alone_are_an_edit_of_the_record(change):
    """The first step of two: a change that only drops released lines would make the next change's base
    forget them (a released identifier deleted or reused against it)."""
    path = change.root / "data" / "released_ids.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(line for line in lines if not line.startswith("events,evt-0022")))
    assert validate(change).ok  # the hole: judged against itself
    assert judged(change) == {("record-edited", None, "data/released_ids.csv")}


def test_a_record_of_other_data_is_an_edit_of_the_record(change):
    """The first step of two: a record that pins the data of a later change (acc-0009 asserted) so that
    the later change, judged against it, needs no version."""
    before = {name: (change.root / name).read_bytes() for name in ("data/csv/event_accounts.csv",)}
    make_asserted(change)
    rewrite_release_record(change)
    for name, data in before.items():
        (change.root / name).write_bytes(data)
    git(change.root, "checkout", "--", "data/csv/event_actors.csv")
    assert judged(change) == {("record-edited", None, "data/release.json")}


def test_a_release_recorded_with_its_version_is_no_edit(change):
    """A maintainer's release: the next version and the record `release` writes of it."""
    set_version(change, bumped(released_version(change), "patch"))
    done = run_cli("--root", str(change.root), "release")
    assert done.returncode == 0, done.stdout + done.stderr
    assert judged(change) == set()


def test_the_cli_says_which_baseline_it_used(change):
    done = run_cli("--root", str(change.root), "validate")
    assert done.returncode == 0 and "baseline: the working tree" in done.stdout
    head = git(change.root, "rev-parse", "HEAD")
    done = run_cli("--root", str(change.root), "validate", "--base", "HEAD", "--format", "json")
    assert done.returncode == 0 and f"HEAD (commit {head[:12]})" in done.stdout


@pytest.mark.slow
def test_an_unknown_base_is_a_usage_error(change):
    done = run_cli("--root", str(change.root), "validate", "--base", "no-such-branch")
    assert done.returncode == 2 and "no-such-branch" in done.stderr and "Traceback" not in done.stderr
    leak = change.root.parent / "leak"  # a revision that git would take for an option
    done = run_cli("--root", str(change.root), "validate", f"--base=--output={leak}")
    assert done.returncode == 2 and "Traceback" not in done.stderr and not leak.exists()
    shutil.rmtree(change.root / ".git")
    done = run_cli("--root", str(change.root), "validate", "--base", "HEAD")
    assert done.returncode == 2 and "Traceback" not in done.stderr


def test_base_needs_a_git_repository(scratch):
    with pytest.raises(BaselineError):
        from_git(scratch, "HEAD")


@pytest.mark.slow
def test_a_symlinked_release_record_at_the_base_is_a_problem(change):
    record = change.root / "data" / "release.json"
    record.unlink()
    record.symlink_to(change.root / "README.md")
    base = commit(change.root, "a symlinked record")
    problems = validate(change, from_git(change, base)).problems
    assert [(p.rule, p.file) for p in problems] == [("release-record", "data/release.json")]
    assert "symlink" in problems[0].message or "mode" in problems[0].message


@pytest.mark.slow
def test_a_seed_committed_since_the_release_is_immutable_too(change):
    """A seed at the base is judged by its bytes there, released or not."""
    seed = change.root / "seeds" / "001_placeholder.txt"
    data = b"A second article, coded later.\n"
    named = seed.with_name(f"001_{hashlib.sha256(data).hexdigest()[:16]}.txt")
    named.write_bytes(data)
    base = commit(change.root, "a new seed, not released yet")
    named.write_bytes(data.replace(b"second", b"third"))
    assert ("seed-changed", None, f"seeds/{named.name}") in judged(change, base)
    assert "seed-changed" not in {p.rule for p in validate(change).problems}  # judged alone, it is a new seed
    assert "seed-name" in {p.rule for p in validate(change).problems}  # whose name is not its hash


@pytest.mark.slow
def test_a_seed_at_a_base_whose_record_predates_the_seed_hashes_is_not_new(change):
    record = change.root / "data" / "release.json"
    older = json.loads(record.read_text())
    older.pop("seeds")
    record.write_text(json.dumps(older))
    base = commit(change.root, "a release record of the older form")
    assert judged(change, base) == set()
