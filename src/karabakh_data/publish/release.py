"""`karabakh-data release` (maintainers): record the released identifiers, table hashes, what each
vocabulary decides and the hash of every seed."""

from __future__ import annotations

import csv
import io
import json
import re

from ..check.identifiers import current_ids
from ..check.record import RELEASE_FILE, RELEASED_IDS_FILE, Record
from ..check.release import snapshot
from ..io.csvfile import TableData
from ..io.seeds import read_seeds
from ..model.repository import Repository
from ..model.schemas import Package, Table


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


ID_FORM = re.compile(r"([a-z]{3}-)\[0-9\]\{(\d+),\}")  # an identifier pattern: a prefix, then at least N digits


def next_ids(repo: Repository, table: Table, count: int = 1) -> list[str]:
    """The next `count` free identifiers of a table: after every one in its CSV file, released or retired
    (an identifier is never reused). Needs no valid package: a contributor asks for one mid-edit."""
    key = table.field(table.primary_key[0])
    form = ID_FORM.search(str(key.constraint("pattern") or ""))
    if form is None or len(table.primary_key) != 1:
        raise ValueError(f"{table.name} has no numbered identifiers")
    prefix, width = form.group(1), int(form.group(2))
    used = set()
    with open(repo.csv_path(table.name), newline="", encoding="utf-8", errors="replace") as handle:
        used.update(row[0] for row in csv.reader(handle) if row)
    for path, column in ((repo.root / RELEASED_IDS_FILE, 1), (repo.csv_path("retired_ids"), 0)):
        if path.is_file():
            with open(path, newline="", encoding="utf-8", errors="replace") as handle:
                used.update(row[column] for row in csv.reader(handle) if len(row) > column)
    numbers = [value[len(prefix) :] for value in used if value.startswith(prefix)]
    numbers = [n for n in numbers if n.isdigit()]
    width = max([width, *map(len, numbers)])
    last = max(map(int, numbers), default=0)
    return [f"{prefix}{last + k:0{width}d}" for k in range(1, count + 1)]
