"""The software the commands run with: build refuses writer versions other than constraints.txt's
pins (and writes nothing), the pins are the versions the committed files were written with, and the
commands that check the coded tables say which requirement of the check extra is not met."""

from __future__ import annotations

import json
import re

import pyarrow.parquet as pq
import pytest

from conftest import ROOT, published_digest, run_cli
from karabakh_data.model.repository import Repository
from karabakh_data.publish import environment
from karabakh_data.publish.build import build


def test_the_pin_is_the_writer_of_the_committed_parquet_files(real_repo):
    """constraints.txt pins the pyarrow whose version string every committed Parquet file carries."""
    line, version = environment.pins(real_repo.root)["pyarrow"]
    desc = json.loads(real_repo.descriptor_path.read_text())
    writers = {pq.read_metadata(real_repo.root / r["x-parquet"]["path"]).created_by for r in desc["resources"]}
    assert writers == {f"parquet-cpp-arrow version {version}"}
    assert environment.installed_version("pyarrow") == version, "the tests run with the pinned writer"


def test_every_writer_is_pinned(real_repo):
    pinned = environment.pins(real_repo.root)
    assert {name for names in environment.WRITERS.values() for name in names} <= set(pinned)


def test_build_refuses_another_writer_version_and_writes_nothing(scratch, monkeypatch):
    real = environment.installed_version
    monkeypatch.setattr(environment, "installed_version", lambda name: "25.0.0" if name == "pyarrow" else real(name))
    before = published_digest(scratch)
    result = build(scratch)
    line, version = environment.pins(scratch.root)["pyarrow"]
    assert [(p.file, p.line, p.field, p.rule, p.value) for p in result.problems] == [
        ("constraints.txt", line, "pyarrow", "writer-version", "25.0.0")
    ]
    assert version in result.problems[0].message and "-c constraints.txt" in result.problems[0].message
    assert published_digest(scratch) == before


def test_build_names_a_missing_writer(scratch, monkeypatch):
    monkeypatch.setattr(environment, "installed_version", lambda name: None)
    problems = build(scratch).problems
    assert [(p.rule, p.field, p.value) for p in problems] == [("writer-version", "pyarrow", None)]


def test_the_command_reports_the_writer_version_without_a_traceback(scratch):
    path = scratch.root / environment.CONSTRAINTS_FILE
    path.write_text(re.sub(r"pyarrow==\S+", "pyarrow==1.0.0", path.read_text()))
    before = published_digest(scratch)
    proc = run_cli("--root", str(scratch.root), "build")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert "constraints.txt:" in proc.stdout and "[writer-version]" in proc.stdout and "1.0.0 is pinned" in proc.stdout
    assert published_digest(scratch) == before


def test_a_repository_without_pins_is_not_checked(tmp_path, monkeypatch):
    monkeypatch.setattr(environment, "installed_version", lambda name: "0.0.1")
    assert environment.writer_problems(Repository(tmp_path), "build") == []


def test_pins_are_read_with_their_lines(tmp_path):
    (tmp_path / "constraints.txt").write_text(
        "# comment\npyarrow==26.0.1  # trailing\nPillow == 13.0.0\nnumpy>=2\n\nsome_pkg==1.2 ; python_version>'3'\n"
    )
    assert environment.pins(tmp_path) == {"pyarrow": (2, "26.0.1"), "pillow": (3, "13.0.0"), "some-pkg": (6, "1.2")}


@pytest.mark.parametrize(
    "version, specifiers, expected",
    [
        ("26.0.1", ">=26,<27", True),
        ("26.0", ">=26.0.0", True),
        ("25.9.9", ">=26,<27", False),
        ("27.0.0", ">=26,<27", False),
        ("0.35.2", ">=0.35,<0.36", True),
        ("0.36.0", ">=0.35,<0.36", False),
        ("13.0.0", "==13", True),
        ("13.0.1", "!=13.0.1", False),
        ("2.2.0", "", True),
    ],
)
def test_specifiers(version, specifiers, expected):
    assert environment.satisfies(version, specifiers) is expected


def test_a_check_command_names_the_unmet_requirements(monkeypatch):
    requirements = ["pandas>=2.2", 'pyarrow<27,>=26; extra == "check"', 'nosuchpkg-xyz>=1; extra == "check"']
    requirements.append('pytest>=8; extra == "test"')
    monkeypatch.setattr(environment.metadata, "requires", lambda name: requirements)
    assert environment.unmet_extra("check") == ["nosuchpkg-xyz>=1 (installed: none)"]
    monkeypatch.setattr(environment, "installed_version", lambda name: "13.0.0")
    assert environment.unmet_extra("check") == ["pyarrow<27,>=26 (installed: 13.0.0)"]


def test_the_development_install_meets_the_check_extra():
    assert environment.unmet_extra("check") == []
    assert environment.unmet_extra("test") == []


def test_the_wheel_requires_only_what_load_needs():
    """The user's install: pandas and pyarrow, in ranges; every exact pin is in constraints.txt."""
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert sorted(re.match(r"[A-Za-z0-9_.-]+", r).group(0) for r in project["dependencies"]) == ["pandas", "pyarrow"]
    requirements = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    pinned = set(environment.pins(ROOT))
    for requirement in requirements:
        name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower()
        assert "==" not in requirement or name not in pinned, f"{requirement}: pinned in constraints.txt, not here"
