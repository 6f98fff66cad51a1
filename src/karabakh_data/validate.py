"""Validate a repository: schemas, every CSV file, every table against its generated pandera schema,
and every cross-table rule. Reports every problem at once; writes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from .fmt import canonical_form
from .pandera_schemas import check_table
from .problems import Problem
from .publish import check_descriptor
from .read import TableData, read_table, source_texts
from .releases import check_release
from .repository import Repository
from .rules import RULE_CHECKS, Context
from .safety import check_content
from .schemas import Package, SchemaError, load_package


@dataclass
class Validation:
    repo: Repository
    package: Package | None
    data: dict[str, TableData] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check_canonical(data: dict[str, TableData]) -> list[Problem]:
    """Each readable file must already be in the form `karabakh-data fmt` writes."""
    problems = []
    for table in data.values():
        canonical = canonical_form(table)  # offsets are checked by check_spans
        if canonical != table.text:
            old, new = table.text.splitlines(), canonical.splitlines()
            line = next((i for i, (a, b) in enumerate(zip(old, new), 1) if a != b), min(len(old), len(new)) + 1)
            problems.append(Problem(table.file, line, None, None, "not-canonical", old[line - 1][:200] if line <= len(old) else None,
                                    "the file is not in canonical form (column and row order, spelling of numbers, dates and "
                                    "booleans, quoting): run `karabakh-data fmt`"))
    return problems


def validate(repo: Repository) -> Validation:
    try:
        package = load_package(repo.schemas_dir)
    except SchemaError as exc:
        return Validation(repo, None, problems=[Problem(repo.display(exc.path), None, None, exc.field, "schema", None, exc.message)])
    result = Validation(repo, package)
    for table in package.coded:
        data, problems = read_table(repo, table)
        result.problems += problems
        if data is not None:
            result.data[table.name] = data
            result.problems += check_table(data)
            result.problems += check_content(data)
    ctx = Context(repo, package, result.data, source_texts(repo, result.data.get("sources")))
    for rule in RULE_CHECKS:
        result.problems += list(rule(ctx))
    result.problems += check_canonical(result.data)
    result.problems += check_release(repo, package, result.data)
    result.problems += check_descriptor(repo)
    result.problems.sort(key=lambda p: (p.file, p.line or 0, p.rule, p.field or "", p.message))
    return result
