"""The synthetic-package generator behind the benchmarks: valid as generated, deterministic, and
every injected error is caught with the rule and place the manifest names."""

from __future__ import annotations

import hashlib
import json

from benchmarks.synth import generate

from karabakh_data.check.validate import validate
from karabakh_data.model.repository import Repository
from karabakh_data.publish.build import build


def digest(root):
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_a_small_synthetic_package_is_valid_and_builds(tmp_path):
    generate(tmp_path / "pkg", events=2_000, seed=7)
    repo = Repository(tmp_path / "pkg")
    assert validate(repo).problems == []
    assert build(repo).ok


def test_generation_is_deterministic(tmp_path):
    generate(tmp_path / "a", events=500, seed=3)
    generate(tmp_path / "b", events=500, seed=3)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    generate(tmp_path / "c", events=500, seed=4)
    assert digest(tmp_path / "a") != digest(tmp_path / "c")


def test_every_injected_error_is_caught_where_planted(tmp_path):
    generate(tmp_path / "bad", events=2_000, seed=7, inject_errors=True)
    planted = json.loads((tmp_path / "bad" / "injected_errors.json").read_text())
    assert len({p["rule"] for p in planted}) >= 10
    problems = validate(Repository(tmp_path / "bad")).problems
    for p in planted:
        assert any(
            q.rule == p["rule"] and q.file == p["file"] and q.record == p["record"] and q.field == p["field"]
            for q in problems
        ), p
