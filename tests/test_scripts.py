"""scripts/: the maintainers' entry points run from anywhere, and the release helper stops at the
first failing check, before anything is written."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT, bump_version, read_rows, write_rows
from karabakh_data.publish.build import build, export

SCRIPTS = {"benchmark.py": "benchmarks.run", "synthetic_package.py": "benchmarks.synth", "release.py": "release.py"}


def run_script(name: str, *args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / name), *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_each_script_runs_from_anywhere(name, tmp_path):
    proc = run_script(name, "--help", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("usage:") and SCRIPTS[name] in proc.stdout
    assert name in (ROOT / "scripts" / "README.md").read_text()


def test_the_release_helper_stops_at_the_first_failing_check(scratch):
    header, rows = read_rows(scratch, "events")
    write_rows(scratch, "events", header, rows[::-1])  # valid rows, not in canonical order
    before = (scratch.root / "data" / "release.json").read_bytes()
    proc = run_script("release.py", "--root", str(scratch.root))
    assert proc.returncode == 1
    assert "release stopped: `karabakh-data fmt --check` exited 1" in proc.stderr
    assert "== karabakh-data validate" not in proc.stdout
    assert (scratch.root / "data" / "release.json").read_bytes() == before


def test_the_release_helper_records_a_release_that_passes_every_check(scratch):
    version = bump_version(scratch, "minor")
    assert build(scratch).ok and export(scratch).ok
    proc = run_script("release.py", "--root", str(scratch.root))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads((scratch.root / "data" / "release.json").read_text())["version"] == version
