"""The folders a contribution edits hold only what the package lists: in data/csv/ a CSV file per
table, in schemas/ a schema per table (views in schemas/views/), in seeds/ the seeds; each folder
also its README.md. Anything else (a stray evil.csv, an Events.csv that shadows events.csv on a
case-insensitive file system, a symlink, a subfolder) is refused rather than ignored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from ..io.seeds import SOURCE_ID
from ..model.problems import Problem
from ..model.repository import Repository
from ..model.schemas import PACKAGE_FILE, VIEW_GROUP, Package

README = "README.md"


def _expected(package: Package) -> dict[str, set[str]]:
    """Folder -> the names it may hold."""
    tables = [t for t in package.tables.values() if t.group != VIEW_GROUP]
    return {
        "data/csv": {README, *(f"{t.name}.csv" for t in tables)},
        "schemas": {README, PACKAGE_FILE, "views", *(f"{t.name}.json" for t in tables)},
        "schemas/views": {README, *(f"{t.name}.json" for t in package.views)},
    }


def _unexpected(repo: Repository, folder: str, allowed: set[str], is_allowed: object = None) -> Iterator[Problem]:
    path = repo.root / folder
    if path.is_symlink() or not path.is_dir():
        return  # a missing or symlinked folder makes its files missing or unreadable, reported as such
    for entry in sorted(path.iterdir()):
        expected_kind = entry.name == "views" and folder == "schemas"
        if (
            (entry.name in allowed or (is_allowed and is_allowed(entry.name)))
            and (entry.is_dir() if expected_kind else repo.is_regular_inside(entry))
            and not entry.is_symlink()
        ):
            continue
        yield Problem.of_file(
            f"{folder}/{entry.name}",
            "file-unknown",
            f"{folder}/ holds only {_what(folder)}: remove this "
            + ("symlink" if entry.is_symlink() else "folder" if entry.is_dir() else "file")
            + " (names are compared exactly: an Events.csv is not events.csv)",
            value=entry.name,
        )


def _what(folder: str) -> str:
    return {
        "data/csv": "the CSV file of each table listed in schemas/_package.json and README.md",
        "schemas": "the schema of each table listed in _package.json, _package.json, views/ and README.md",
        "schemas/views": "the schema of each view listed in schemas/_package.json and README.md",
        "seeds": "seed files named NNN_<16 hex digits>.txt and README.md",
    }[folder]


def check_files(repo: Repository, package: Package) -> list[Problem]:
    problems = []
    for folder, allowed in _expected(package).items():
        problems += _unexpected(repo, folder, allowed)
    problems += _unexpected(
        repo, "seeds", {README}, lambda name: name.endswith(".txt") and bool(SOURCE_ID.fullmatch(Path(name).stem))
    )
    return problems
