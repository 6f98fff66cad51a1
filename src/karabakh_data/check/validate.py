"""Validate a repository: the schemas, every CSV file, every table against its Table Schema, its
content and its canonical form, every cross-table rule, and the change against its baseline (the
release record, retired identifiers, version and seeds of `--base REF`, or of the working tree).
Reports every problem at once, the first of each rule and file listed and the others counted;
writes nothing.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..io.baseline import Baseline, working_tree
from ..io.csvfile import TableData, read_table
from ..io.seeds import read_seeds
from ..model.problems import Problem, Report
from ..model.repository import Repository
from ..model.schemas import Package, SchemaError, load_package
from .accounts import check_accounts, check_attribution
from .claims import check_acled, check_coordinates
from .context import Context
from .counts import check_fatalities
from .dates import check_dates
from .descriptor import check_descriptor
from .enrichments import check_enrichments
from .evidence import check_quotes, check_sources, check_spans
from .files import check_files
from .hierarchy import check_parents
from .record import Record, ReleaseRecordError, read_record, record_problem
from .references import check_foreign_keys
from .relations import check_relations
from .release import check_record_files, check_release
from .seeds import check_seed_files, check_seed_text
from .table import check_canonical, check_constraints, check_content

RULES = (  # the costliest first, so that the two workers finish together
    check_dates,
    check_spans,
    check_foreign_keys,
    check_attribution,
    check_enrichments,
    check_seed_text,
    check_quotes,
    check_parents,
    check_acled,
    check_sources,
    check_seed_files,
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
    report: Report = field(default_factory=Report)
    baseline: str = ""  # what the change was judged against
    seeds: dict[str, str] = field(default_factory=dict)  # path -> SHA-256 of every seed read
    record: Record | None = None  # the baseline's release record, as the change was judged against it

    @property
    def problems(self) -> list[Problem]:
        """The problems listed (report.omitted counts the others)."""
        return self.report.problems

    @property
    def omitted(self) -> dict[tuple[str, str], int]:
        return self.report.omitted

    @property
    def ok(self) -> bool:
        return self.report.count == 0


def _capped(check: object, *args: object) -> Report:
    """A check's problems as a report: what a check finds is never held whole."""
    return Report().extend(check(*args))


def _record(baseline: Baseline, report: Report) -> Record | None:
    try:
        return read_record(baseline)
    except ReleaseRecordError as exc:
        report.merge(Report().extend([record_problem(exc, baseline)]))
        return None


def validate(repo: Repository, baseline: Baseline | None = None) -> Validation:
    baseline = baseline or working_tree(repo)
    try:
        package = load_package(repo.schemas_dir)
    except SchemaError as exc:
        report = Report().extend([Problem(repo.display(exc.path), None, None, exc.field, "schema", None, exc.message)])
        return Validation(repo, None, report=report.finish(), baseline=baseline.description)
    result = Validation(repo, package, baseline=baseline.description)
    record = _record(baseline, result.report)
    # a second pool for the work inside reading a table, which the first pool's workers wait for
    with ThreadPoolExecutor(max_workers=WORKERS) as pool, ThreadPoolExecutor(max_workers=WORKERS) as within:
        seeds = pool.submit(read_seeds, repo)
        # the largest file first, so that the two workers finish together
        tables = sorted(package.coded, key=lambda t: -_size(repo.csv_path(t.name)))
        reads = {pool.submit(read_table, repo, t, within): t.name for t in tables}
        checks = [pool.submit(check_files, repo, package), pool.submit(check_descriptor, repo)]
        for job in as_completed(reads):  # each table's own checks start as soon as it is read
            data, problems = job.result()
            result.report.merge(Report().extend(_derived_named(package, problems)))
            if data is not None:
                result.data[reads[job]] = data
                checks += [pool.submit(_capped, check, data) for check in TABLE_CHECKS]
                checks.append(pool.submit(lambda d: d.sha256 and [], data))  # for the release record, beside the checks
        result.data = {t.name: result.data[t.name] for t in package.coded if t.name in result.data}  # schema order
        ctx = Context(repo, package, result.data, seeds.result(), record)
        checks += [
            pool.submit(_capped, rule, ctx) for rule in RULES if record is not None or rule is not check_seed_files
        ]
        for job in checks:
            found = job.result()
            result.report.merge(found if isinstance(found, Report) else Report().extend(found))
    result.seeds, result.record = ctx.texts.digests_by_path, record
    if record is not None:
        result.report.merge(Report().extend(check_release(package, result.data, record)))
        result.report.merge(Report().extend(check_record_files(repo, package, result.data, record, result.seeds)))
    result.report.finish()
    return result


def _derived_named(package: Package, problems: list) -> list:
    """An unknown column that the build derives (a view's column: an event's status or total deaths) gets
    a message that says so: the value is computed from the accounts, never typed by hand."""
    derived = {f.name: view.name for view in package.views for f in view.fields if f.name not in view.primary_key}
    return [
        replace(
            p,
            message=f"{p.message}: {p.field} is derived by `karabakh-data build` (schemas/views/"
            f"{derived[p.field]}.json) from the accounts, never typed by hand",
        )
        if isinstance(p, Problem) and p.rule == "header-unknown" and p.field in derived
        else p
        for p in problems
    ]


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
