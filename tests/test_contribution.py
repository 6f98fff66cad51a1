"""A realistic contribution, made as CONTRIBUTING.md says, must leave the whole suite green: the suite
may not depend on the current version, row counts or which values exist."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, bumped, read_rows, released_version, run_cli, set_version, write_rows
from karabakh_data.model.repository import Repository

pytestmark = pytest.mark.slow
INNER = "KARABAKH_INNER_SUITE"  # set inside the copy, so that the copy does not run this test again


def _copy_checkout(target: Path) -> None:
    """Every file git knows of (tracked, or new and not ignored), as the working tree has it."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)


def _add_vocabulary_value(repo: Repository) -> str:
    header, rows = read_rows(repo, "vocab_actor_type")
    code = "contributed_type"
    while any(r[0] == code for r in rows):
        code += "_x"
    row = dict.fromkeys(header, "")
    row.update(actor_type=code, description="A type added by a contributor, with its description.")
    write_rows(repo, "vocab_actor_type", header, [*rows, [row[h] for h in header]])
    return code


def _record_in_changelog(root: Path, version: str) -> None:
    path = root / "CHANGELOG.md"
    text = path.read_text()
    entry = f"## [{version}]\n\n### Added\n- One actor type.\n\n### Schema changes\nNone.\n\n"
    at = re.search(r"^## \[(?!Unreleased)", text, flags=re.M).start()
    path.write_text(text[:at] + entry + text[at:])
    citation = root / "CITATION.cff"
    citation.write_text(re.sub(r'^version: ".*"$', f'version: "{version}"', citation.read_text(), flags=re.M))


@pytest.mark.skipif(bool(os.environ.get(INNER)), reason="already inside the contributed copy")
@pytest.mark.skipif(not (ROOT / ".git").exists() or shutil.which("git") is None, reason="needs a git checkout")
def test_a_minor_contribution_leaves_the_whole_suite_green(tmp_path):
    root = tmp_path / "checkout"
    _copy_checkout(root)
    repo = Repository(root)
    _add_vocabulary_value(repo)
    version = bumped(released_version(repo), "minor")
    set_version(repo, version)
    _record_in_changelog(root, version)
    for command in ("fmt", "validate", "build", "export", "figures"):
        done = run_cli(command, cwd=root)
        assert done.returncode == 0, f"karabakh-data {command}: {done.stdout}{done.stderr}"
    # the copy's own code and tests, both tiers
    env = {**os.environ, INNER: "1", "PYTHONPATH": str(root / "src")}
    suite = subprocess.run(
        [sys.executable, "-m", "pytest", "-m", "slow or not slow", "-q", "-p", "no:cacheprovider"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert suite.returncode == 0, suite.stdout[-4000:] + suite.stderr[-2000:]
