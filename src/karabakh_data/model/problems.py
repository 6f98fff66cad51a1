"""One shape for every problem any check finds, and the report formats built from it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

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
    "control-char": "a CSV file contains no C0 control character other than LF",
    "cell-size": "a cell stays under the per-cell size cap",
    "formula": "a text cell (or a line in it) does not start with a spreadsheet formula trigger",
    "unicode-nfc": "text is in Unicode NFC form",
    "invisible-char": "text has no bidirectional control or zero-width character",
    "csv-syntax": "a CSV file parses (quotes closed)",
    "csv-ragged-row": "every row has as many cells as the header",
    "header-blank": "every column has a name",
    "header-duplicate": "no column name appears twice",
    "header-unknown": "every column is in the table's schema",
    "header-missing": "every column of the schema is present",
    "header-order": "columns are in schema order",
    "not-canonical": "the file is exactly what `karabakh-data fmt` writes",
    "descriptor": "datapackage.json is valid JSON",
    "not-built": "export reads only published files that datapackage.json records "
    "(a build made them from the current CSV files)",
    "descriptor-path": "every path in datapackage.json is a relative path to a regular file inside the repository: "
    "no URL, no '..', no symlink",
    "schema": "a Table Schema uses only understood keywords and is consistent with the others",
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
    "date-stated": "a stated date's year appears in the quote (for an event, in one of its accounts' quotes)",
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
    "release-record": "data/release.json and data/released_ids.csv are readable release records",
    "version-not-bumped": "data changed since the last release only with a new version",
    "version-bump": "the version bump is at least what the change requires (Data Package rules)",
    # enrichment
    "enrichment-missing": "a value from outside the text has an enrichments row",
    "enrichment-mismatch": "an enrichments row's value equals the cell it backs",
    "enrichment-target": "an enrichments row names an existing record and an enrichable field",
    "enrichment-duplicate": "a value is backed by one enrichments row only",
    "enrichment-reference": "an enrichment verified in outside sources names them",
    "enrichment-origin": "a date backed by an enrichment has date_origin enriched",
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

    def as_dict(self) -> dict:
        return asdict(self)


def _clip(value: str | None, limit: int = 80) -> str:
    text = repr(value) if value is not None else "(empty)"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _subject(p: Problem) -> str:
    """'record X field Y: ', or '' when the problem concerns the whole file."""
    what = " ".join(x for x in (f"record {p.record}" if p.record else "", f"field {p.field}" if p.field else "") if x)
    return what + ": " if what else ""


def format_text(problems: list[Problem]) -> str:
    lines = []
    for p in problems:
        where = p.file + (f":{p.line}" if p.line else "")
        lines.append(f"{where}: {_subject(p)}[{p.rule}] {p.message} (value: {_clip(p.value)})")
    files = len({p.file for p in problems})
    lines.append(f"{len(problems)} problem(s) in {files} file(s)")
    return "\n".join(lines)


def format_json(problems: list[Problem]) -> str:
    """Stable shape: {"valid": bool, "count": n, "problems": [{file, line, record, field, rule, value, message}]}."""
    return json.dumps(
        {"valid": not problems, "count": len(problems), "problems": [p.as_dict() for p in problems]},
        indent=2,
        ensure_ascii=False,
    )


def _escape_github(text: str, is_property: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if is_property else text


def format_github(problems: list[Problem]) -> str:
    """GitHub Actions workflow commands, so each problem shows on the pull request's diff."""
    lines = []
    for p in problems:
        props = [f"file={_escape_github(p.file, True)}"]
        if p.line:
            props.append(f"line={p.line}")
        props.append(f"title={_escape_github(p.rule, True)}")
        lines.append(
            f"::error {','.join(props)}::{_escape_github(_subject(p) + p.message + ' (value: ' + _clip(p.value) + ')')}"
        )
    lines.append(f"{len(problems)} problem(s)")
    return "\n".join(lines)


def format_problems(problems: list[Problem], fmt: str) -> str:
    return {"text": format_text, "json": format_json, "github": format_github}[fmt](problems)
