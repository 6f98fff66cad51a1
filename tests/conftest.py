"""Shared fixtures: the real repository, scratch copies of it to break, small inline packages, and
CSV editing helpers. Nothing here assumes the current version, row counts or which sources exist:
versions are derived from the release record, so a correct contribution leaves the suite green."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from karabakh_data.model.repository import Repository
from karabakh_data.model.schemas import load_package

ROOT = Path(__file__).resolve().parents[1]
COPIED = ("schemas", "seeds", "data", "docs", "datapackage.json", "README.md", "constraints.txt")
SEED_ID = "000_bbb370cb1e115a94"  # the first seed: later sources only add to it


def seed_file(repo: Repository) -> Path:
    """The first seed's file (a contribution may ship more seeds)."""
    return repo.root / "seeds" / f"{SEED_ID}.txt"


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: the slow tier (`python -m pytest -m slow`), which CI also runs")


@pytest.fixture(scope="session")
def real_repo() -> Repository:
    return Repository(ROOT)


@pytest.fixture(scope="module")
def package(real_repo):
    """The real package's schemas."""
    return load_package(real_repo.schemas_dir)


def copy_repository(target: Path) -> Repository:
    for name in COPIED:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, target / name)
    return Repository(target)


@pytest.fixture
def scratch(tmp_path) -> Repository:
    """A copy of the repository's data, schemas and seeds that a test may break."""
    return copy_repository(tmp_path)


def controlled(package, table, field) -> bool:
    """A column of controlled values: an enum, or a reference to a vocabulary table (held here
    independently of the library)."""
    return bool(field.constraint("enum")) or any(
        field.name in fk.fields and package[fk.resource].group == "vocabulary" for fk in table.foreign_keys
    )


def read_rows(repo: Repository, table: str) -> tuple[list[str], list[list[str]]]:
    with open(repo.csv_path(table), newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def write_rows(repo: Repository, table: str, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows([header, *rows])
    repo.csv_path(table).write_text(buffer.getvalue(), encoding="utf-8")


def set_cell(repo: Repository, table: str, record: str, field: str, value: str) -> None:
    """Set one cell of the row whose first column is `record` (or, with '/', whose key columns match)."""
    header, rows = read_rows(repo, table)
    parts = record.split("/")
    hits = [r for r in rows if r[: len(parts)] == parts]
    assert len(hits) == 1, f"{table}: {record} matches {len(hits)} rows"
    hits[0][header.index(field)] = value
    write_rows(repo, table, header, rows)


def get_cell(repo: Repository, table: str, record: str, field: str) -> str:
    header, rows = read_rows(repo, table)
    parts = record.split("/")
    return next(r for r in rows if r[: len(parts)] == parts)[header.index(field)]


def published_digest(repo: Repository) -> dict[str, str]:
    """sha256 of every published file: everything under data/, datapackage.json, README.md, the codebook
    and the data dictionary."""
    files = [p for p in (repo.root / "data").rglob("*") if p.is_file()]
    files += [repo.descriptor_path, repo.root / "README.md"]
    files += [repo.root / "docs" / name for name in ("codebook.md", "data_dictionary.csv")]
    return {str(p.relative_to(repo.root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "karabakh_data.cli", *args], cwd=cwd, capture_output=True, text=True, timeout=300
    )


def set_version(repo: Repository, version: str) -> None:
    """Set the data version, as a contributor does when changing data."""
    path = repo.schemas_dir / "_package.json"
    meta = json.loads(path.read_text())
    meta["version"] = version
    path.write_text(json.dumps(meta, indent=2) + "\n")


def released_version(repo: Repository) -> str:
    return json.loads((repo.root / "data" / "release.json").read_text())["version"]


def bumped(version: str, level: str) -> str:
    major, minor, patch = map(int, version.split("."))
    return {"major": f"{major + 1}.0.0", "minor": f"{major}.{minor + 1}.0", "patch": f"{major}.{minor}.{patch + 1}"}[
        level
    ]


def bump_version(repo: Repository, level: str = "major") -> str:
    """Set the version to the release's next at this level, whatever the working tree says now (a
    major bump covers any change, the working tree's own included)."""
    version = bumped(released_version(repo), level)
    set_version(repo, version)
    return version


def name_seeds_by_hash(repo: Repository) -> None:
    """Rename every seed whose name does not carry its hash (a seed released before that rule) and its
    source id everywhere, as a package that was never released must name them."""
    for seed in sorted((repo.root / "seeds").glob("*.txt")):
        old = seed.stem
        new = f"{old[:3]}_{hashlib.sha256(seed.read_bytes()).hexdigest()[:16]}"
        if new == old:
            continue
        seed.rename(seed.with_name(f"{new}.txt"))
        for path in [*repo.csv_dir.glob("*.csv"), repo.descriptor_path]:
            path.write_bytes(path.read_bytes().replace(old.encode(), new.encode()))


def unbump_version(repo: Repository) -> None:
    """Set the version back to the released one, as a contributor who forgot to bump it."""
    set_version(repo, released_version(repo))
