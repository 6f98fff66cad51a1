"""One shape for every problem any check finds, and the report formats built from it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from .characters import printable

REPORT_FORMATS = ("text", "json", "github")

# Every rule a problem can name, with what it checks. The codebook lists them; a test holds every
# rule to a known-bad input that triggers it.
RULES = {
    # files
    "file-missing": "a table's CSV file exists and is a regular file",
    "file-size": "a CSV file stays under the size cap (1 GiB)",
    "bom": "a CSV file has no UTF-8 byte order mark",
    "encoding": "a CSV file is valid UTF-8",
    "line-ending": "lines end with LF only",
    "nul-byte": "a CSV file contains no NUL byte",
    "control-char": "text holds no control character: none but LF in a CSV file (C0, DEL, C1), none but LF and tab in "
    "a seed",
    "cell-size": "a cell stays under the per-cell size cap",
    "formula": "a text cell (or a line in it) does not start with a spreadsheet formula trigger (=, +, -, @, tab, CR, "
    "or their fullwidth and other compatibility forms), also after any Unicode space; a cell that is a plain decimal "
    "number is a number",
    "unicode-nfc": "text is in Unicode NFC form",
    "invisible-char": "text holds no invisible character: no format character (Cf: bidirectional controls, zero-width "
    "characters, tags, the soft hyphen) nor other default-ignorable code point (variation selectors, fillers)",
    "csv-syntax": "a CSV file parses (quotes closed)",
    "csv-ragged-row": "every row has as many cells as the header",
    "header-blank": "every column has a name",
    "header-duplicate": "no column name appears twice",
    "header-unknown": "every column is in the table's schema",
    "header-missing": "every column of the schema is present",
    "header-order": "columns are in schema order",
    "not-canonical": "the file is exactly what `karabakh-data fmt` writes",
    "descriptor": "datapackage.json is JSON of the descriptor's shape, within the size and nesting limits",
    "not-built": "export reads only published files that datapackage.json records "
    "(a build made them from the current CSV files)",
    "descriptor-path": "every path in datapackage.json is a relative path to a regular file inside the repository: "
    "no URL, no '..', no symlink",
    "schema": "a Table Schema (and schemas/_package.json) has the shape of one, within the size and nesting limits, "
    "uses only understood keywords and is consistent with the others",
    "writer-version": "build and figures run with the versions constraints.txt pins (they are in the bytes they write)",
    # schema constraints (generated pandera checks)
    "type": "a cell parses as its field's type (integer, number, boolean, ISO date)",
    "required": "a required cell is not empty",
    "unique": "a unique column has no repeated value",
    "primary-key": "the primary key is unique",
    "enum": "a value is one of the field's enum values",
    "pattern": "a value matches the field's pattern",
    "length": "a value's length is within minLength/maxLength",
    "minimum": "a value is at least the field's minimum",
    "maximum": "a value is at most the field's maximum",
    # references
    "foreign-key": "a reference names an existing row (ACLED pairs included)",
    "foreign-key-partial": "a composite reference is set completely or not at all",
    # evidence
    "quote-not-in-source": "the quote occurs in the source text",
    "quote-ambiguous": "a quote without offsets occurs exactly once",
    "span": "source text[char_start:char_end] equals the quote",
    "span-missing": "a quote from a shipped source has its offsets (fmt fills them)",
    "excerpt-offsets": "a quote from a cited source has no offsets: there is no text to count them in",
    "excerpt-length": "a quote from a cited source is a short excerpt: one line, at most 600 characters",
    "source-path": "a shipped source's path is seeds/<source_id>.txt",
    "source-kind": "a shipped source has its file, hash and length; a cited source has a cit- id and none of them",
    "source-cited": "a cited source has its publisher, URL and date retrieved",
    "source-provenance": "a cited source without a title or a publication date says why in provenance_note",
    "source-missing": "a source's document exists in seeds/",
    "source-encoding": "a source document is valid UTF-8",
    "source-hash": "a source document's SHA-256 matches its row (seeds are never edited)",
    "source-length": "text_chars matches the document",
    "source-title": "the title is the document's first line",
    "source-unlisted": "every document in seeds/ has a sources row",
    # dates and counts
    "date-order": "date_start <= date_end",
    "date-missing": "a dated precision has both dates",
    "date-precision": "the dates fit the span or calendar alignment their precision requires",
    "date-origin": "date_origin none has no dates; any other origin has some",
    "date-stated": "a stated date is in the quote (for an event, one of its accounts' quotes) at its precision: its "
    "year, and its month and day unless the precision is coarser",
    "date-inferred-note": "an inferred date is explained in coder_note",
    "fatalities-order": "fatalities_low <= fatalities_best <= fatalities_high",
    # attribution and codes
    "claimant-missing": "an account whose factuality requires a claimant names it",
    "claimant-unexpected": "an account in the source's own voice names no claimant",
    "claimant-link": "an account's claimant is linked in event_actors with role claimant and the account's source, "
    "and only an account's claimant is",
    "event-no-account": "every event has at least one account",
    "role-not-affirmed": "a role that says the act happened (vocab_event_role.requires_affirmed) is on an event "
    "some account affirms",
    "relation-self": "an event relation joins two different events",
    "relation-cycle": "parts never form a cycle",
    "acled-incomplete": "the three ACLED fields are set together",
    "acled-disorder": "the disorder type is the one ACLED files the sub-event type under (where verified)",
    "acled-not-allowed": "an event with ACLED codes has an account whose factuality allows them "
    "(not only denied, negated, hypothetical or future accounts)",
    "coordinates-pair": "latitude and longitude are set together",
    "coordinates-precision": "coordinates are present exactly when the geo precision has coordinates",
    # identifiers and versions
    "id-reused": "a retired identifier is not used again",
    "id-removed": "a released identifier is still present or listed in retired_ids",
    "version": "the package version is MAJOR.MINOR.PATCH",
    "release-record": "data/release.json and data/released_ids.csv (of the baseline) are release records of the right "
    "shape",
    "version-not-bumped": "data changed since the last release only with a new version",
    "version-bump": "the version bump is at least what the change requires (Data Package rules)",
    # enrichment
    "enrichment-missing": "a value from outside the text has an enrichments row",
    "enrichment-mismatch": "an enrichments row's value equals the cell it backs",
    "enrichment-target": "an enrichments row names an existing record and an enrichable field",
    "enrichment-duplicate": "a value is backed by one enrichments row only",
    "enrichment-reference": "an enrichment verified in outside sources names them",
    "enrichment-origin": "a date backed by an enrichment has date_origin enriched",
    # the gate (issue 19): what a change may not do to the files it is judged against
    "file-unknown": "data/csv/, schemas/ and seeds/ hold only the files the package lists (no stray, symlinked or "
    "case-colliding file)",
    "unusable-char": "text holds no private-use, surrogate or unassigned code point, nor a line or paragraph separator",
    "quote-blank": "a quote holds a letter or a digit",
    "parent-cycle": "following a row's parent (a foreign key into its own table) never leads back to the row",
    "seed-name": "a seed added since the baseline is named NNN_<the first 16 hex digits of its SHA-256>.txt",
    "seed-changed": "a seed of the baseline is unchanged, byte for byte",
    "vocabulary-rule": "what a vocabulary decides (its columns but the key and description, and the combinations a "
    "composite key allows) changes only with a major version",
    "version-downgrade": "the version is not lower than the baseline's",
    "record-edited": "against a committed baseline, the release record is the baseline's, or the record of the "
    "working tree that `karabakh-data release` writes",
    "retired-removed": "a retired identifier stays in retired_ids.csv",
    "retired-replacement": "replaced_by names an existing row of the retired identifier's table",
}


@dataclass(frozen=True, order=True)
class Problem:
    file: str  # repository-relative path of the file at fault
    line: int | None  # 1-based line in that file (the CSV header is line 1), when known
    record: str | None  # primary key of the row at fault ("evt-0001", or "evt-0001/act-0002/victim")
    field: str | None  # column at fault
    rule: str  # stable rule name, documented in the codebook
    value: str | None  # the offending value, as written
    message: str  # what is wrong and how to fix it

    def __post_init__(self):
        if self.rule not in RULES:
            raise ValueError(f"unregistered rule {self.rule!r}")  # a programming error, caught by the tests

    @classmethod
    def of_file(cls, file: str, rule: str, message: str, value: str | None = None) -> Problem:
        """A problem of a whole file: no line, record or field."""
        return cls(file, None, None, None, rule, value, message)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Omitted:
    """`count` problems of `rule` in `file` that were found and counted, not listed."""

    file: str
    rule: str
    count: int


# A report lists this many problems of one rule in one file, and this many in all; it counts the others.
# Each field is clipped when printed, so that a report stays small whatever the input (docs/scaling.md).
LISTED_PER_RULE_AND_FILE = 20
LISTED_IN_ALL = 400
PRINTED_OMISSIONS = 100
CLIPS = {"file": 200, "record": 120, "field": 120, "value": 80, "message": 600, "baseline": 300}


class Report:
    """The problems found, as they are found: at most LISTED_PER_RULE_AND_FILE of each rule and file
    are kept, the others only counted, so that memory follows the data, not the number of problems."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.omitted: dict[tuple[str, str], int] = {}

    def _omit(self, file: str, rule: str, count: int) -> None:
        if count:
            self.omitted[(file, rule)] = self.omitted.get((file, rule), 0) + count

    def extend(self, items: Iterable[Problem | Omitted]) -> Report:
        listed: dict[tuple[str, str], int] = {}
        for p in self.problems:
            listed[(p.file, p.rule)] = listed.get((p.file, p.rule), 0) + 1
        for item in items:
            key = (item.file, item.rule)
            if isinstance(item, Omitted):
                self._omit(*key, item.count)
            elif listed.get(key, 0) < LISTED_PER_RULE_AND_FILE:
                self.problems.append(item)
                listed[key] = listed.get(key, 0) + 1
            else:
                self._omit(*key, 1)
        return self

    def merge(self, other: Report) -> Report:
        """Take another report's problems as they are (each report lists a few of each rule and file);
        finish() keeps the first in order, whichever report came first."""
        self.problems += other.problems
        for key, count in other.omitted.items():
            self._omit(*key, count)
        return self

    def finish(self) -> Report:
        """Sort; keep the first problems of each rule and file in that order (whatever order the checks
        finished in), and LISTED_IN_ALL in all."""
        found, self.problems = sorted(self.problems, key=sort_key), []
        self.extend(found)
        for p in self.problems[LISTED_IN_ALL:]:
            self._omit(p.file, p.rule, 1)
        del self.problems[LISTED_IN_ALL:]
        return self

    @property
    def count(self) -> int:
        """Every problem found, listed or not."""
        return len(self.problems) + sum(self.omitted.values())


def sort_key(p: Problem) -> tuple:
    return (p.file, p.line or 0, p.rule, p.field or "", p.message)


def _clip(text: str, what: str) -> str:
    """The text as reports print it: escaped (characters.printable), then clipped."""
    text, limit = printable(text), CLIPS[what]
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _value(value: str | None) -> str:
    return _clip(repr(value), "value") if value is not None else "(empty)"


def _subject(p: Problem) -> str:
    """'record X field Y: ', or '' when the problem concerns the whole file."""
    what = " ".join(
        x
        for x in (
            f"record {_clip(p.record, 'record')}" if p.record else "",
            f"field {_clip(p.field, 'field')}" if p.field else "",
        )
        if x
    )
    return what + ": " if what else ""


def _omissions(omitted: dict[tuple[str, str], int]) -> list[tuple[str, str, int]]:
    return [(file, rule, count) for (file, rule), count in sorted(omitted.items())]


def _omission_text(count: int, rule: str) -> str:
    return (
        f"{count} more [{rule}] problem(s) not listed (a report lists {LISTED_PER_RULE_AND_FILE} of a rule in a file)"
    )


def format_text(problems: list[Problem], omitted: dict | None = None, baseline: str | None = None) -> str:
    lines = []
    for p in problems:
        where = _clip(p.file, "file") + (f":{p.line}" if p.line else "")
        lines.append(f"{where}: {_subject(p)}[{p.rule}] {_clip(p.message, 'message')} (value: {_value(p.value)})")
    omissions = _omissions(omitted or {})
    for file, rule, count in omissions[:PRINTED_OMISSIONS]:
        lines.append(f"{_clip(file, 'file')}: {_omission_text(count, rule)}")
    if len(omissions) > PRINTED_OMISSIONS:
        rest = sum(c for _, _, c in omissions[PRINTED_OMISSIONS:])
        lines.append(f"{rest} more problem(s) of {len(omissions) - PRINTED_OMISSIONS} more rule(s) and file(s)")
    total = len(problems) + sum(c for _, _, c in omissions)
    files = len({p.file for p in problems} | {file for file, _, _ in omissions})
    lines.append(f"{total} problem(s) in {files} file(s)")
    if baseline:
        lines.append(f"baseline: {_clip(baseline, 'baseline')}")
    return "\n".join(lines)


def format_json(problems: list[Problem], omitted: dict | None = None, baseline: str | None = None) -> str:
    """Stable shape: {"valid": bool, "count": n, "problems": [{file, line, record, field, rule, value,
    message}], "omitted": [{file, rule, count}], "baseline": text}. `count` is every problem found;
    `problems` lists the first of each rule and file. ASCII only: no character reaches a terminal raw."""
    omissions = _omissions(omitted or {})
    return json.dumps(
        {
            "valid": not problems and not omissions,
            "count": len(problems) + sum(c for _, _, c in omissions),
            "problems": [p.as_dict() for p in problems],
            "omitted": [{"file": f, "rule": r, "count": c} for f, r, c in omissions],
            "baseline": baseline,
        },
        indent=2,
        ensure_ascii=True,
    )


def _escape_github(text: str, is_property: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if is_property else text


def format_github(problems: list[Problem], omitted: dict | None = None, baseline: str | None = None) -> str:
    """GitHub Actions workflow commands, so each problem shows on the pull request's diff."""
    lines = []
    for p in problems:
        props = [f"file={_escape_github(_clip(p.file, 'file'), True)}"]
        if p.line:
            props.append(f"line={p.line}")
        props.append(f"title={_escape_github(p.rule, True)}")
        text = _subject(p) + _clip(p.message, "message") + " (value: " + _value(p.value) + ")"
        lines.append(f"::error {','.join(props)}::{_escape_github(text)}")
    omissions = _omissions(omitted or {})
    for file, rule, count in omissions[:PRINTED_OMISSIONS]:
        props = f"file={_escape_github(_clip(file, 'file'), True)},title={rule}"
        lines.append(f"::error {props}::{_escape_github(_omission_text(count, rule))}")
    lines.append(f"{len(problems) + sum(c for _, _, c in omissions)} problem(s)")
    if baseline:
        lines.append(f"::notice title=baseline::{_escape_github(_clip(baseline, 'baseline'))}")
    return "\n".join(lines)


def format_problems(problems: list[Problem], fmt: str, omitted: dict | None = None, baseline: str | None = None) -> str:
    return {"text": format_text, "json": format_json, "github": format_github}[fmt](problems, omitted, baseline)
