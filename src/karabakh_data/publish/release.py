"""`karabakh-data release` (maintainers): record the released identifiers, table hashes, what each
vocabulary decides and the hash of every seed."""

from __future__ import annotations

import csv
import io
import json

from ..check.identifiers import current_ids
from ..check.record import RELEASE_FILE, RELEASED_IDS_FILE, Record
from ..check.release import snapshot
from ..io.csvfile import TableData
from ..io.seeds import read_seeds
from ..model.repository import Repository
from ..model.schemas import Package


def release_files(repo: Repository, package: Package, data: dict[str, TableData], record: Record) -> dict[str, str]:
    """The content of the two release records for the current state, `record` being the last release's."""
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
    seeds = {f"seeds/{source_id}.txt": digest for source_id, digest in read_seeds(repo).digests.items()}
    return {
        RELEASE_FILE: json.dumps(snapshot(package, data, seeds), indent=2) + "\n",
        RELEASED_IDS_FILE: buffer.getvalue(),
    }
