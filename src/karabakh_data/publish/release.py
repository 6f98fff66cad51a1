"""Identifiers for contributors: the next free one of a table (`karabakh-data next-id`). The release
record itself is written from check/release.release_files, the same function the gate compares with."""

from __future__ import annotations

import csv
import re

from ..check.record import RELEASED_IDS_FILE
from ..model.repository import Repository
from ..model.schemas import Table

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
