"""`karabakh-data release` (maintainers): record the released identifiers and table hashes."""

from __future__ import annotations

import csv
import io
import json

from ..check.release import RELEASE_FILE, RELEASED_IDS_FILE, current_ids, read_released_ids, snapshot
from ..io.csvfile import TableData
from ..model.repository import Repository
from ..model.schemas import Package


def release_files(repo: Repository, package: Package, data: dict[str, TableData]) -> dict[str, str]:
    """The content of the two release records for the current state."""
    ids = sorted(
        {
            (table, v)
            for source in (read_released_ids(repo), current_ids(data))
            for table, values in source.items()
            for v in values.to_pylist()
        }
    )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["table_name", "record_id"])
    writer.writerows(ids)
    return {RELEASE_FILE: json.dumps(snapshot(package, data), indent=2) + "\n", RELEASED_IDS_FILE: buffer.getvalue()}
