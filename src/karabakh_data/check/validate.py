"""Validate a repository: the schemas, every CSV file, every table against its Table Schema, its
content and its canonical form, and every cross-table rule. Reports every problem at once; writes
nothing.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..io.csvfile import TableData, read_table
from ..io.seeds import read_seeds
from ..model.problems import Problem
from ..model.repository import Repository
from ..model.schemas import Package, SchemaError, load_package
from .accounts import check_accounts, check_attribution
from .claims import check_acled, check_coordinates
from .context import Context
from .counts import check_fatalities
from .dates import check_dates
from .descriptor import check_descriptor
from .enrichments import check_enrichments
from .evidence import check_sources, check_spans
from .references import check_foreign_keys
from .relations import check_relations
from .release import check_release
from .table import check_canonical, check_constraints, check_content

RULES = (
    check_spans,
    check_foreign_keys,
    check_dates,
    check_attribution,
    check_acled,
    check_enrichments,
    check_sources,
    check_coordinates,
    check_fatalities,
    check_accounts,
    check_relations,
)
TABLE_CHECKS = (check_canonical, check_constraints, check_content)
WORKERS = 2  # the machines CI runs on have two cores; Arrow kernels and hashlib release the GIL


@dataclass
class Validation:
    repo: Repository
    package: Package | None
    data: dict[str, TableData] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate(repo: Repository) -> Validation:
    try:
        package = load_package(repo.schemas_dir)
    except SchemaError as exc:
        return Validation(
            repo, None, problems=[Problem(repo.display(exc.path), None, None, exc.field, "schema", None, exc.message)]
        )
    result = Validation(repo, package)
    # a second pool for the work inside reading a table, which the first pool's workers wait for
    with ThreadPoolExecutor(max_workers=WORKERS) as pool, ThreadPoolExecutor(max_workers=WORKERS) as within:
        seeds = pool.submit(read_seeds, repo)
        # the largest file first, so that the two workers finish together
        tables = sorted(package.coded, key=lambda t: -_size(repo.csv_path(t.name)))
        reads = {pool.submit(read_table, repo, t, within): t.name for t in tables}
        checks = []
        for job in as_completed(reads):  # each table's own checks start as soon as it is read
            data, problems = job.result()
            result.problems += _derived_named(package, problems)
            if data is not None:
                result.data[reads[job]] = data
                checks += [pool.submit(check, data) for check in TABLE_CHECKS]
                checks.append(pool.submit(lambda d: d.sha256 and [], data))  # for the release record, beside the checks
        result.data = {t.name: result.data[t.name] for t in package.coded if t.name in result.data}  # schema order
        ctx = Context(repo, package, result.data, seeds.result())
        checks += [pool.submit(lambda rule: list(rule(ctx)), rule) for rule in RULES]
        checks.append(pool.submit(check_descriptor, repo))
        for job in checks:
            result.problems += job.result()
    result.problems += check_release(repo, package, result.data)
    result.problems.sort(key=lambda p: (p.file, p.line or 0, p.rule, p.field or "", p.message))
    return result


def _derived_named(package: Package, problems: list[Problem]) -> list[Problem]:
    """An unknown column that the build derives (a view's column: an event's status or total deaths) gets
    a message that says so: the value is computed from the accounts, never typed by hand."""
    derived = {f.name: view.name for view in package.views for f in view.fields if f.name != "event_id"}
    return [
        replace(
            p,
            message=f"{p.message}: {p.field} is derived by `karabakh-data build` (schemas/views/"
            f"{derived[p.field]}.json) from the accounts, never typed by hand",
        )
        if p.rule == "header-unknown" and p.field in derived
        else p
        for p in problems
    ]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
