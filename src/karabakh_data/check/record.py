"""The release record of the baseline (io/baseline.py): what was released, which identifiers were
retired and which version the baseline has, read from the baseline's own files.

`karabakh-data release` writes two files:
- data/release.json: the version; per table the SHA-256 of its CSV file, its fields, rows and schema
  digests, and for a vocabulary what it decides (check/vocabulary.py); the SHA-256 of every seed;
- data/released_ids.csv: every identifier ever released (append-only).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from ..io.baseline import Baseline, BaselineFileError
from ..kernels import one_chunk
from ..model.jsonfile import COUNT, HEX64, TEXT, TEXTS, JsonFileError, mapping, parse_json, record
from ..model.problems import Problem
from ..model.repository import MAX_FILE_BYTES
from ..model.schemas import MAX_SCHEMA_BYTES
from ..model.shapes import PACKAGE_SHAPE

RELEASE_FILE = "data/release.json"
RELEASED_IDS_FILE = "data/released_ids.csv"
RETIRED_FILE = "data/csv/retired_ids.csv"
PACKAGE_METADATA = "schemas/_package.json"
SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
MAX_RECORD_BYTES = 16 << 20  # a table is a few hundred bytes of it, a seed about a hundred

_CELLS = {"type": "array", "items": {"type": ["string", "null"]}}
_TABLE = record(
    {
        "sha256": HEX64,
        "fields": TEXTS,
        "rows": COUNT,
        "schema_sha256": HEX64,
        "constraints_sha256": HEX64,
        "rules": record({"fields": TEXTS, "rows": {"type": "array", "items": _CELLS}}, ("fields", "rows")),
    },
    ("sha256", "fields", "rows"),
)
RELEASE_SHAPE = record(
    {"version": {**TEXT, "pattern": SEMVER.pattern}, "tables": mapping(_TABLE), "seeds": mapping(HEX64)},
    ("version", "tables"),
)


class ReleaseRecordError(Exception):
    pass


@dataclass
class Record:
    """What the baseline says. Each part is empty (or None) when the baseline has no such file."""

    baseline: Baseline
    release: dict | None = None  # data/release.json
    released: dict[str, pa.Array] = field(default_factory=dict)  # table -> every identifier released
    retired: dict[str, pa.Array] | None = None  # table -> identifiers retired at a git baseline
    version: str | None = None  # the version of a git baseline
    seed_blobs: dict[str, str] | None = None  # path -> git blob id of each seed of a git baseline
    files: dict[str, bytes | None] = field(default_factory=dict)  # RELEASE_FILE, RELEASED_IDS_FILE as read

    @property
    def seeds(self) -> dict[str, str]:
        """Repository-relative path -> SHA-256 of each seed of the release."""
        return (self.release or {}).get("seeds", {})


def _read(baseline: Baseline, path: str, max_bytes: int) -> bytes | None:
    try:
        return baseline.read(path, max_bytes)
    except BaselineFileError as exc:
        raise ReleaseRecordError(str(exc)) from None


def _csv_columns(data: bytes, columns: tuple[str, ...], path: str) -> pa.Table:
    try:
        return pa_csv.read_csv(
            pa.BufferReader(data),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(columns, pa.string()), include_columns=list(columns)
            ),
        )
    except (pa.ArrowException, OSError) as exc:
        raise ReleaseRecordError(f"{path} is not a CSV file with the columns {', '.join(columns)} ({exc})") from None


def by_table(table: pa.Table, key: str, value: str) -> dict[str, pa.Array]:
    """`value` of the rows, by their `key` (a table name)."""
    keys = table.column(key)
    return {
        name: one_chunk(pc.filter(table.column(value), pc.equal(keys, name)))
        for name in pc.unique(keys).to_pylist()
        if name is not None
    }


def read_record(baseline: Baseline) -> Record:
    """The baseline's release record, identifiers and version; ReleaseRecordError when a file of them
    cannot be used."""
    found = Record(baseline)
    data = found.files[RELEASE_FILE] = _read(baseline, RELEASE_FILE, MAX_RECORD_BYTES)
    if data is not None:
        try:
            found.release = parse_json(data, RELEASE_SHAPE, MAX_RECORD_BYTES)
        except JsonFileError as exc:
            raise ReleaseRecordError(f"{RELEASE_FILE} is not a release record: {exc.message}") from None
    data = found.files[RELEASED_IDS_FILE] = _read(baseline, RELEASED_IDS_FILE, MAX_FILE_BYTES)
    if data is not None:
        found.released = by_table(
            _csv_columns(data, ("table_name", "record_id"), RELEASED_IDS_FILE), "table_name", "record_id"
        )
    if not baseline.trusted:
        return found  # the working tree's retired identifiers, version and seeds are the ones validated
    found.seed_blobs = baseline.blobs("seeds")
    data = _read(baseline, RETIRED_FILE, MAX_FILE_BYTES)
    if data is not None:
        found.retired = by_table(
            _csv_columns(data, ("retired_id", "table_name"), RETIRED_FILE), "table_name", "retired_id"
        )
    data = _read(baseline, PACKAGE_METADATA, MAX_SCHEMA_BYTES)
    if data is not None:
        try:
            found.version = parse_json(data, PACKAGE_SHAPE, MAX_SCHEMA_BYTES)["version"]
        except JsonFileError as exc:
            raise ReleaseRecordError(f"{PACKAGE_METADATA} of the baseline is unusable: {exc.message}") from None
    return found


def record_problem(exc: ReleaseRecordError, baseline: Baseline) -> Problem:
    return Problem.of_file(RELEASE_FILE, "release-record", f"{exc} (baseline: {baseline.description})")
