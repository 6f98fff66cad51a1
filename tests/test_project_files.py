"""CI, release and citation files stay consistent with each other and with the descriptor (the workflows
themselves are parsed in test_workflows.py)."""

from __future__ import annotations

import json
import re

import yaml

from conftest import ROOT

CHECKS = [
    "karabakh-data fmt --check",
    "karabakh-data validate --format github",
    "python -m pytest",
    "python -m pytest -m slow",
    "ruff check src tests benchmarks scripts",
    "ruff format --check src tests benchmarks scripts",
    "lint-imports",
    "frictionless validate datapackage.json",
    "karabakh-data build --check",
    "karabakh-data export --check",
]
TEST_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -c constraints.txt -e '.[test]' && .venv/bin/python -m pytest"
)


def descriptor():
    return json.loads((ROOT / "datapackage.json").read_text())


def test_ci_run_runs_the_readme_test_command_and_the_same_checks():
    script = (ROOT / ".ci" / "run").read_text()
    readme = (ROOT / "README.md").read_text()
    assert TEST_COMMAND in script and TEST_COMMAND in readme
    for check in CHECKS:
        assert check in script, check


def test_changelog_has_the_current_version_with_schema_changes():
    version = descriptor()["version"]
    text = (ROOT / "CHANGELOG.md").read_text()
    sections = re.split(r"^## ", text, flags=re.M)
    section = next((s for s in sections if s.startswith(f"[{version}]")), None)
    assert section is not None, f"CHANGELOG.md has no section for {version}"
    assert "### Schema changes" in section
    release = json.loads((ROOT / "data" / "release.json").read_text())
    assert any(s.startswith(f"[{release['version']}]") for s in sections), "the recorded release is in the changelog"


def test_citation_matches_the_descriptor():
    citation = yaml.safe_load((ROOT / "CITATION.cff").read_text())
    desc = descriptor()
    assert citation["type"] == "dataset"
    assert citation["version"] == desc["version"]
    assert citation["title"] == desc["title"]
    assert citation["license"] == desc["licenses"][0]["name"] == "CC-BY-4.0"
    assert citation["keywords"] == desc["keywords"]
    assert citation["cff-version"] == "1.2.0" and citation["authors"] and citation["message"]


def test_every_folder_says_whether_it_is_edited_by_hand():
    for folder in ("seeds", "data", "data/csv", "data/parquet", "schemas", "src/karabakh_data", "tests", "scripts"):
        text = (ROOT / folder / "README.md").read_text().lower()
        assert "by hand" in text or "generated" in text or "never edited" in text, folder
