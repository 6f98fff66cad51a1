"""Releases: identifiers are never reused, and the data version follows the Data Package rules.

`karabakh-data release` records the state of a release in two generated files:
- data/released_ids.csv: every identifier ever released (append-only);
- data/release.json: the version, and per table the SHA-256 of its CSV file, its fields and rows.
validate compares the working tree with that record: changed data needs a new version, and the
new version must be at least the bump the change requires (column renamed/removed/reordered or a
table removed = major; rows or tables added = minor; values corrected = patch).
"""

from __future__ import annotations

import hashlib
import json
import re

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ..io.csvfile import TableData
from ..kernels import one_chunk
from ..model.problems import Problem
from ..model.repository import Repository
from ..model.schemas import Package

RELEASE_FILE = "data/release.json"
RELEASED_IDS_FILE = "data/released_ids.csv"
PACKAGE_METADATA = "schemas/_package.json"
LEVELS = ("patch", "minor", "major")
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")


def current_ids(data: dict[str, TableData]) -> dict[str, pa.Array]:
    """table -> the identifiers of its rows, for the tables whose rows carry one (coded and enrichment)."""
    ids = {}
    for name, table_data in data.items():
        if table_data.table.group in ("coded", "enrichment"):
            ids[name] = pc.drop_null(table_data.column(table_data.table.primary_key[0]))
    return ids


class ReleaseRecordError(Exception):
    pass


def read_released_ids(repo: Repository) -> dict[str, pa.Array]:
    """table -> every identifier of it ever released."""
    path = repo.root / RELEASED_IDS_FILE
    if not path.is_file():
        return {}
    try:
        released = pa_csv.read_csv(
            path,
            convert_options=pa_csv.ConvertOptions(
                column_types={"table_name": pa.string(), "record_id": pa.string()},
                include_columns=["table_name", "record_id"],
            ),
        )
    except (pa.ArrowException, OSError) as exc:
        raise ReleaseRecordError(f"{RELEASED_IDS_FILE} is not a table_name,record_id CSV file ({exc})") from None
    tables = released.column("table_name")
    return {
        name: one_chunk(pc.filter(released.column("record_id"), pc.equal(tables, name)))
        for name in pc.unique(tables).to_pylist()
        if name is not None
    }


def _absent(values: pa.Array, present: pa.Array | None) -> pa.Array:
    """The values that are not in `present`."""
    return values if present is None else pc.filter(values, pc.invert(pc.is_in(values, value_set=present)))


def read_release(repo: Repository) -> dict | None:
    path = repo.root / RELEASE_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if not (
            isinstance(record, dict)
            and SEMVER.match(str(record.get("version")))
            and isinstance(record.get("tables"), dict)
        ):
            raise ValueError("needs a MAJOR.MINOR.PATCH version and a tables object")
        return record
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReleaseRecordError(f"{RELEASE_FILE} is not a release record ({exc})") from None


def snapshot(package: Package, data: dict[str, TableData]) -> dict:
    return {
        "version": package.meta["version"],
        "tables": {
            name: {
                "sha256": data[name].sha256,
                "fields": table.field_names,
                "rows": data[name].num_rows,
                "schema_sha256": _schema_digest(table.descriptor),
                "constraints_sha256": _schema_digest(_constraints(table.descriptor)),
            }
            for name, table in ((t.name, t) for t in package.coded)
        },
    }


def _schema_digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _constraints(descriptor: dict) -> dict:
    """The schema without its descriptions: what a change of meaning would change."""
    return {
        **{k: v for k, v in descriptor.items() if k != "description"},
        "fields": [{k: v for k, v in f.items() if k != "description"} for f in descriptor.get("fields", [])],
    }


def required_bump(old: dict, new: dict, released: dict[str, pa.Array], ids: dict[str, pa.Array]) -> str | None:
    """The smallest version bump the change from `old` to `new` needs; None when nothing changed."""
    if old["tables"] == new["tables"]:
        return None
    if any(
        name not in new["tables"]
        or new["tables"][name]["fields"] != t["fields"]
        or new["tables"][name].get("constraints_sha256") != t.get("constraints_sha256")
        for name, t in old["tables"].items()
    ):
        return "major"  # a table removed, a column renamed, removed, added or reordered, a type or constraint changed
    if (
        set(new["tables"]) - set(old["tables"])
        or any(len(_absent(values, released.get(name))) for name, values in ids.items())
        or any(new["tables"][name]["rows"] > t["rows"] for name, t in old["tables"].items())
    ):
        return "minor"
    return "patch"


def bump_level(old: str, new: str) -> str | None:
    """The level by which `new` is ahead of `old`; None when it is not ahead."""
    a, b = (tuple(map(int, SEMVER.match(v).groups())) for v in (old, new))
    if b <= a:
        return None
    return "major" if b[0] > a[0] else "minor" if b[1] > a[1] else "patch"


def _version_problem(rule: str, version: str, message: str) -> Problem:
    return Problem(PACKAGE_METADATA, None, None, "version", rule, version, message)


def check_release(repo: Repository, package: Package, data: dict[str, TableData]) -> list[Problem]:
    """Identifiers are never removed nor reused, and changed data has a version bump as large as the
    change needs, against the release record."""
    version = package.meta.get("version", "")
    version = version if isinstance(version, str) else repr(version)
    if not SEMVER.match(version):
        return [_version_problem("version", version, "the version must be MAJOR.MINOR.PATCH")]
    try:
        released, old = read_released_ids(repo), read_release(repo)
    except ReleaseRecordError as exc:
        return [Problem(RELEASE_FILE, None, None, None, "release-record", None, str(exc))]
    ids = current_ids(data)
    problems = _identifier_problems(data, released, ids)
    if old is None or len(data) != len(package.coded):
        return problems  # no release yet, or tables unreadable (their problems are reported)
    now = snapshot(package, data)
    needed = required_bump(old, now, released, ids)
    have = bump_level(old["version"], version) if needed else None
    if needed and have is None:
        changed = ", ".join(sorted(n for n, t in now["tables"].items() if old["tables"].get(n) != t))
        problems.append(
            _version_problem(
                "version-not-bumped",
                version,
                f"the data changed since release {old['version']} ({changed}) but the version did "
                f"not: set a {needed} version in {PACKAGE_METADATA} and add it to CHANGELOG.md",
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
    return problems


def _identifier_problems(
    data: dict[str, TableData], released: dict[str, pa.Array], ids: dict[str, pa.Array]
) -> list[Problem]:
    """A retired identifier used again; a released one gone without being retired."""
    problems, retired_ids = [], {}
    retired = data.get("retired_ids")
    if retired is not None:
        pairs = zip(retired.column("retired_id").to_pylist(), retired.column("table_name").to_pylist())
        for row, (rid, table) in enumerate(pairs):
            retired_ids.setdefault(table, []).append(rid)
            if table in ids and rid in ids[table].to_pylist():
                problems.append(
                    retired.problem(
                        row,
                        "retired_id",
                        "id-reused",
                        f"{rid} is retired but {table} uses it "
                        "again: identifiers are never reused; give the row a new one",
                    )
                )
    for table, values in sorted(released.items()):
        if table not in data:
            continue  # an unreadable table reports its own problems
        gone = _absent(_absent(values, ids.get(table)), pa.array(retired_ids.get(table, []), pa.string()))
        for rid in sorted(gone.to_pylist()):
            problems.append(
                Problem(
                    f"data/csv/{table}.csv",
                    None,
                    rid,
                    data[table].table.primary_key[0],
                    "id-removed",
                    rid,
                    f"{rid} was released and is gone: restore the row, or list it in retired_ids.csv with the reason",
                )
            )
    return problems
