"""The synthetic-package generator behind the benchmarks: valid as generated, deterministic, and
every injected error is caught with the rule and place the manifest names."""

from __future__ import annotations

import hashlib
import json

from benchmarks import checks
from benchmarks.synth import generate

from karabakh_data.check.validate import RULES, TABLE_CHECKS, validate
from karabakh_data.model.repository import Repository
from karabakh_data.model.schemas import load_package
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


def test_the_step_timer_times_every_read_check_and_rule(tmp_path, capsys):
    generate(tmp_path / "pkg", events=300, seed=5)
    steps = checks.step_times(tmp_path / "pkg")
    coded = [t.name for t in load_package(tmp_path / "pkg" / "schemas").coded]
    expected = {f"read {name}" for name in coded} | {rule.__name__ for rule in RULES}
    expected |= {f"{check.__name__} {name}" for check in TABLE_CHECKS for name in coded}
    assert expected <= set(steps) and all(seconds >= 0 for seconds in steps.values())
    checks.main([str(tmp_path / "pkg"), "--over", "0"])
    assert capsys.readouterr().out.splitlines()[-1].endswith(f"all {len(steps)} steps")
