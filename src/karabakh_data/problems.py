"""One shape for every problem any check finds, and the report formats built from it."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass

REPORT_FORMATS = ("text", "json", "github")


@dataclass(frozen=True, order=True)
class Problem:
    file: str  # repository-relative path of the file at fault
    line: int | None  # 1-based line in that file (the CSV header is line 1), when known
    record: str | None  # primary key of the row at fault ("evt-0001", or "evt-0001/act-0002/victim")
    field: str | None  # column at fault
    rule: str  # stable rule name, documented in the codebook
    value: str | None  # the offending value, as written
    message: str  # what is wrong and how to fix it

    def as_dict(self) -> dict:
        return asdict(self)


def _clip(value: str | None, limit: int = 80) -> str:
    text = repr(value) if value is not None else "(empty)"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_text(problems: list[Problem]) -> str:
    lines = []
    for p in problems:
        where = p.file + (f":{p.line}" if p.line else "")
        what = " ".join(x for x in (f"record {p.record}" if p.record else "", f"field {p.field}" if p.field else "") if x)
        lines.append(f"{where}: {what + ': ' if what else ''}[{p.rule}] {p.message} (value: {_clip(p.value)})")
    files = len({p.file for p in problems})
    lines.append(f"{len(problems)} problem(s) in {files} file(s)")
    return "\n".join(lines)


def format_json(problems: list[Problem]) -> str:
    """Stable shape: {"valid": bool, "count": n, "problems": [{file, line, record, field, rule, value, message}]}."""
    return json.dumps({"valid": not problems, "count": len(problems), "problems": [p.as_dict() for p in problems]},
                      indent=2, ensure_ascii=False)


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
        what = " ".join(x for x in (f"record {p.record}" if p.record else "", f"field {p.field}" if p.field else "") if x)
        lines.append(f"::error {','.join(props)}::{_escape_github((what + ': ' if what else '') + p.message + ' (value: ' + _clip(p.value) + ')')}")
    lines.append(f"{len(problems)} problem(s)")
    return "\n".join(lines)


def format_problems(problems: list[Problem], fmt: str) -> str:
    return {"text": format_text, "json": format_json, "github": format_github}[fmt](problems)
