"""Validate a repository: schemas, every CSV file, every table against its generated pandera schema,
and every cross-table rule. Reports every problem at once; writes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from .pandera_schemas import check_table
from .problems import Problem
from .read import TableData, read_table
from .repository import Repository
from .rules import RULES, Context
from .schemas import Package, SchemaError, load_package


@dataclass
class Validation:
    repo: Repository
    package: Package | None
    data: dict[str, TableData] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(repo: Repository) -> Validation:
    try:
        package = load_package(repo.schemas_dir)
    except SchemaError as exc:
        file = exc.path
        try:
            file = repo.relative(repo.root / exc.path) if not exc.path.startswith(str(repo.root)) else repo.relative(type(repo.root)(exc.path))
        except ValueError:
            pass
        return Validation(repo, None, problems=[Problem(file, None, None, None, "schema", None, exc.message)])
    result = Validation(repo, package)
    for table in package.tables.values():
        data, problems = read_table(repo, table)
        result.problems += problems
        if data is not None:
            result.data[table.name] = data
            result.problems += check_table(data)
    ctx = Context(repo, package, result.data)
    for rule in RULES:
        result.problems += list(rule(ctx))
    result.texts = ctx.texts
    result.problems.sort(key=lambda p: (p.file, p.line or 0, p.rule, p.field or "", p.message))
    return result
