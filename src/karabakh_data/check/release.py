"""Releases: changed data needs a new version, at least the bump the change requires, judged against
the baseline's release record (check/record.py).

Data Package rules: a column renamed, removed, added or reordered, a type or constraint changed, a table
removed, or what a vocabulary decides changed (check/vocabulary.py) = major; rows or tables added =
minor; values corrected = patch. The version never goes below the baseline's.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pyarrow as pa

from ..io.baseline import BaselineFileError, working_tree
from ..io.csvfile import TableData
from ..model.problems import Omitted, Problem
from ..model.repository import MAX_FILE_BYTES, Repository
from ..model.schemas import Package
from .identifiers import absent, current_ids, identifier_problems
from .record import MAX_RECORD_BYTES, PACKAGE_METADATA, RELEASE_FILE, RELEASED_IDS_FILE, SEMVER, Record
from .vocabulary import rule_changes, rules_of, vocabulary_problems

LEVELS = ("patch", "minor", "major")


def snapshot(package: Package, data: dict[str, TableData], seeds: dict[str, str]) -> dict:
    """The release record of the current state; `seeds`: path -> SHA-256 of every seed."""
    rules = rules_of(package, data)
    tables = {}
    for table in package.coded:
        tables[table.name] = {
            "sha256": data[table.name].sha256,
            "fields": table.field_names,
            "rows": data[table.name].num_rows,
            "schema_sha256": _schema_digest(table.descriptor),
            "constraints_sha256": _schema_digest(_constraints(table.descriptor)),
        }
        if table.name in rules:
            tables[table.name]["rules"] = rules[table.name]
    return {"version": package.meta["version"], "tables": tables, "seeds": dict(sorted(seeds.items()))}


def _schema_digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _constraints(descriptor: dict) -> dict:
    """The schema without its descriptions: what a change of meaning would change."""
    return {
        **{k: v for k, v in descriptor.items() if k != "description"},
        "fields": [{k: v for k, v in f.items() if k != "description"} for f in descriptor.get("fields", [])],
    }


def _same(old: dict, new: dict) -> bool:
    """Whether a table is as recorded, by what the record holds of it (an older record holds less)."""
    return all(new.get(k) == v for k, v in old.items() if k != "rules")


def required_bump(
    old: dict, new: dict, released: dict[str, pa.Array], ids: dict[str, pa.Array], rules_changed: bool = False
) -> str | None:
    """The smallest version bump the change from `old` to `new` needs; None when nothing changed."""
    unchanged = set(old["tables"]) == set(new["tables"]) and all(
        _same(t, new["tables"][name]) for name, t in old["tables"].items()
    )
    if unchanged and not rules_changed:
        return None
    if rules_changed or any(
        name not in new["tables"]
        or new["tables"][name]["fields"] != t["fields"]
        or ("constraints_sha256" in t and new["tables"][name]["constraints_sha256"] != t["constraints_sha256"])
        for name, t in old["tables"].items()
    ):
        return "major"  # a table removed, a column renamed, removed, added or reordered, a type or constraint changed
    if (
        set(new["tables"]) - set(old["tables"])
        or any(len(absent(values, released.get(name))) for name, values in ids.items())
        or any(new["tables"][name]["rows"] > t["rows"] for name, t in old["tables"].items())
    ):
        return "minor"
    return "patch"


def version_key(version: str) -> tuple[int, ...]:
    return tuple(map(int, SEMVER.match(version).groups()))


def bump_level(old: str, new: str) -> str | None:
    """The level by which `new` is ahead of `old`; None when it is not ahead."""
    a, b = version_key(old), version_key(new)
    if b <= a:
        return None
    return "major" if b[0] > a[0] else "minor" if b[1] > a[1] else "patch"


def _version_problem(rule: str, version: str, message: str) -> Problem:
    return Problem(PACKAGE_METADATA, None, None, "version", rule, version, message)


def _rules_changed(package: Package, data: dict[str, TableData], release: dict) -> bool:
    return any(
        next(rule_changes(package.tables[name], t["rules"], data[name]), None) is not None
        for name, t in release["tables"].items()
        if "rules" in t and name in data and name in package.tables
    )


def check_release(package: Package, data: dict[str, TableData], record: Record) -> list[Problem | Omitted]:
    """Identifiers are never removed nor reused, the version never goes down, and changed data has a
    version bump as large as the change needs, against the baseline's record."""
    version = package.meta.get("version", "")
    if not SEMVER.match(version):
        return [_version_problem("version", version, "the version must be MAJOR.MINOR.PATCH")]
    ids = current_ids(data)
    problems = list(identifier_problems(data, record, ids))
    old = record.release
    for floor, what in ((record.version, "the baseline's version"), (old and old["version"], "the released version")):
        if floor and SEMVER.match(floor) and version_key(version) < version_key(floor):
            problems.append(
                _version_problem("version-downgrade", version, f"the version is lower than {what}, {floor}")
            )
    if old is None or len(data) != len(package.coded):
        return problems  # no release yet, or tables unreadable (their problems are reported)
    now = snapshot(package, data, {})
    rules_changed = _rules_changed(package, data, old)
    needed = required_bump(old, now, record.released, ids, rules_changed)
    have = bump_level(old["version"], version) if needed else None
    if needed and have is None:
        changed = ", ".join(
            sorted(
                n for n, t in now["tables"].items() if not _same(old["tables"].get(n, {}), t) or n not in old["tables"]
            )
        )
        problems.append(
            _version_problem(
                "version-not-bumped",
                version,
                f"the data changed since release {old['version']} ({changed or 'vocabulary rules'}) but the "
                f"version did not: set a {needed} version in {PACKAGE_METADATA} and add it to CHANGELOG.md",
            )
        )
    elif needed and LEVELS.index(have) < LEVELS.index(needed):
        problems.append(
            _version_problem(
                "version-bump",
                version,
                f"the change since release {old['version']} needs a {needed} version bump, not a {have} one",
            )
        )
    if rules_changed and have != "major":
        problems += vocabulary_problems(package, data, old, version)
    return problems


def release_files(
    package: Package, data: dict[str, TableData], record: Record, seeds: dict[str, str]
) -> dict[str, str]:
    """The content of the two release records for the current state, `record` being the last release's
    and `seeds` the SHA-256 of each seed by its path."""
    ids = sorted(
        {
            (table, v)
            for source in (record.released, current_ids(data))
            for table, values in source.items()
            for v in values.to_pylist()
        }
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["table_name", "record_id"])
    writer.writerows(ids)
    return {
        RELEASE_FILE: json.dumps(snapshot(package, data, seeds), indent=2) + "\n",
        RELEASED_IDS_FILE: buffer.getvalue(),
    }


def check_record_files(
    repo: Repository, package: Package, data: dict[str, TableData], record: Record, seeds: dict[str, str]
) -> list[Problem]:
    """Against a committed baseline, each release record file of the working tree is the baseline's, or
    the record of this very tree that `karabakh-data release` writes: a change cannot edit the record
    (drop released identifiers, pin other hashes) so that the next change is judged against its edit."""
    if not record.baseline.trusted or len(data) != len(package.coded):
        return []  # the working tree is no baseline of its own record; unreadable tables are reported
    problems, expected = [], None
    for name, limit in ((RELEASE_FILE, MAX_RECORD_BYTES), (RELEASED_IDS_FILE, MAX_FILE_BYTES)):
        try:
            now = working_tree(repo).read(name, limit)
        except BaselineFileError as exc:
            problems.append(Problem.of_file(name, "record-edited", str(exc)))
            continue
        if now == record.files.get(name):
            continue
        expected = expected or release_files(package, data, record, seeds)
        if now is None or now != expected[name].encode():
            problems.append(
                Problem.of_file(
                    name,
                    "record-edited",
                    f"{'deleted' if now is None else 'edited'}: it differs from the baseline's "
                    f"({record.baseline.description}) and is not the record of this tree that `karabakh-data "
                    "release` writes; a change never edits the release record, a maintainer records a release",
                )
            )
    return problems
