"""What a vocabulary decides, and how a change to it is judged.

A vocabulary's rule columns are all its columns but its key and `description` (whether a factuality
value needs a claimant or allows ACLED codes, whether a basis needs a reference, the disorder type of an
ACLED pair, a precision's span). A vocabulary whose key has several columns lists the combinations of
other vocabularies' values that are valid (ACLED's event and sub-event type pairs): its rows are rules
too. The release record keeps both, and changing them is a schema-level change, which needs a major
version: an edited flag, a removed value or a new combination. A new value of a one-column key (a new
actor type) is a row added, like any other.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..io.csvfile import TableData
from ..model.problems import LISTED_PER_RULE_AND_FILE, Omitted, Problem
from ..model.schemas import VOCABULARY_GROUP, Package, Table

DESCRIPTION = "description"


def rule_fields(table: Table) -> list[str]:
    """The key's columns, then the columns that decide something."""
    return [*table.primary_key, *(f for f in table.field_names if f not in table.primary_key and f != DESCRIPTION)]


def vocabulary_rules(table: Table, data: TableData) -> dict:
    """What the release record keeps of a vocabulary: its rule fields, and their cells as written, row by row."""
    names = rule_fields(table)
    columns = [data.strings.column(n).to_pylist() for n in names]
    return {"fields": names, "rows": sorted(map(list, zip(*columns)), key=lambda row: [c or "" for c in row])}


def rules_of(package: Package, data: dict[str, TableData]) -> dict[str, dict]:
    return {t.name: vocabulary_rules(t, data[t.name]) for t in package.coded if t.group == VOCABULARY_GROUP}


def rule_changes(table: Table, old: dict, data: TableData) -> Iterator[tuple[str, str | None, str]]:
    """(record, field, what changed) of each change to what the vocabulary decides since `old` (none
    when its fields changed: a column renamed, added or removed is schema-level by itself)."""
    now = vocabulary_rules(table, data)
    if now["fields"] != old["fields"]:
        return
    width = len(table.primary_key)
    before = {tuple(row[:width]): row[width:] for row in old["rows"]}
    after = {tuple(row[:width]): row[width:] for row in now["rows"]}
    for key, values in before.items():
        record = "/".join(k or "" for k in key)
        if key not in after:
            yield record, None, "the value was removed"
            continue
        for name, was, is_now in zip(now["fields"][width:], values, after[key]):
            if was != is_now:
                yield record, name, f"{name} was {was!r} and is {is_now!r}"
    if width > 1:  # a new combination allows what was not allowed
        for key in sorted(set(after) - set(before), key=lambda k: [c or "" for c in k]):
            yield "/".join(k or "" for k in key), None, "the combination is new"


def vocabulary_problems(
    package: Package, data: dict[str, TableData], release: dict, version: str
) -> list[Problem | Omitted]:
    """A problem at each change to what a vocabulary decides since the release (the first of each
    vocabulary listed, the others counted): reported when the version is not a major bump of the release's."""
    problems = []
    for name, table_record in release["tables"].items():
        table = package.tables.get(name)
        if table is None or table.group != VOCABULARY_GROUP or "rules" not in table_record or name not in data:
            continue
        changes = list(rule_changes(table, table_record["rules"], data[name]))
        lines = _lines(data[name]) if changes else {}
        for key, field, change in changes[:LISTED_PER_RULE_AND_FILE]:
            problems.append(
                Problem(
                    data[name].file,
                    lines.get(key),
                    key,
                    field or table.primary_key[-1],
                    "vocabulary-rule",
                    version,
                    f"what {name} decides changed since release {release['version']} ({change}): a schema-level "
                    f"change, which needs a major version in schemas/_package.json",
                )
            )
        if len(changes) > LISTED_PER_RULE_AND_FILE:
            problems.append(Omitted(data[name].file, "vocabulary-rule", len(changes) - LISTED_PER_RULE_AND_FILE))
    return problems


def _lines(data: TableData) -> dict[str, int | None]:
    return {data.record(row): data.line(row) for row in range(data.num_rows)}
