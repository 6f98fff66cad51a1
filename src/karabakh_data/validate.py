"""Validate a repository: schemas, every CSV file, every table against the constraints of its Table
Schema, and every cross-table rule. Reports every problem at once; writes nothing.

A table whose CSV file and Parquet twin both still have the SHA-256 that datapackage.json records
(the state `build` published, having validated that CSV file) is read from the Parquet twin: typed
columns, no CSV parsing and no re-serialising to compare with the canonical form. Its content still
goes through every constraint and rule. `build --check` is what proves the twins derive from the
CSV files (CI runs it); `validate --from-csv` reads every CSV file whatever the hashes say.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from .constraints import check_constraints
from .fmt import first_difference
from .problems import Problem
from .publish import check_descriptor
from .read import TableData, line_of_offset, read_published, read_seeds, read_table, source_texts
from .releases import check_release
from .repository import Repository
from .rules import RULE_CHECKS, Context
from .safety import check_content
from .schemas import Package, SchemaError, load_package
from .twins import TwinHashes


@dataclass
class Validation:
    repo: Repository
    package: Package | None
    data: dict[str, TableData] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    csv_sha256: dict[str, str] = field(default_factory=dict)  # table -> hex digest of its CSV file, where computed

    @property
    def ok(self) -> bool:
        return not self.problems


def check_canonical(data: dict[str, TableData]) -> list[Problem]:
    """Each readable file must already be in the form `karabakh-data fmt` writes."""
    problems = []
    for table in data.values():
        if table.from_parquet:
            continue  # the CSV file is byte for byte the one build validated (its hash is unchanged)
        offset = first_difference(table)  # offsets are checked by check_spans
        if offset is not None:
            raw = table.raw_bytes
            start = raw.rfind(b"\n", 0, offset) + 1  # the line that holds the first difference
            end = raw.find(b"\n", start)
            value = str(raw[start:end if end >= 0 else len(raw)], "utf-8", "replace")[:200] if start < len(raw) else None
            problems.append(Problem(table.file, line_of_offset(raw, start), None, None, "not-canonical", value,
                                    "the file is not in canonical form (column and row order, spelling of numbers, dates and "
                                    "booleans, quoting): run `karabakh-data fmt`"))
    return problems


def _table_checks(data: TableData) -> list[Problem]:
    return check_constraints(data) + check_content(data)


def _start_reading_twins(repo: Repository, package: Package, twins: TwinHashes | None,
                         pool: ThreadPoolExecutor) -> dict[str, Future]:
    """Start reading every twin on the pool, largest first; each future gives (the table or None,
    the future of its own checks). The events twin decodes on one core while the other reads the
    rest and checks them (read one after another, a core sat idle at 2M events)."""
    def read_twin(name: str) -> tuple[TableData | None, Future | None]:
        # a twin's own checks start as soon as it is read, before its hashes are known; they are
        # dropped if the hashes differ
        data = read_published(repo, package.tables[name])
        return data, (pool.submit(_table_checks, data) if data is not None else None)

    return {name: pool.submit(read_twin, name) for name in (twins.largest_first() if twins is not None else ())}


def _read_tables(repo: Repository, package: Package, result: Validation, twins: TwinHashes | None,
                 reading: dict[str, Future], pool: ThreadPoolExecutor) -> tuple[list[Future], dict[str, Future]]:
    """Settle where every table is read from: its twin (being read in `reading`) where
    datapackage.json vouches for both files, its CSV file otherwise; returns the futures of the
    tables' own checks and those of hashing the CSV files read (by table)."""
    hashed = {}
    checks = []
    for table in package.coded:
        data, check = reading[table.name].result() if table.name in reading else (None, None)
        problems = []
        if twins is not None and table.name in twins.paths:
            result.csv_sha256[table.name] = twins.digest(twins.paths[table.name][0])
            if not twins.current(table.name):
                data, check = None, None  # edited since the last build: the CSV file is what counts
        if data is None:
            data, problems = read_table(repo, table, pool.map)  # this thread waits while the pool types the columns
            check = pool.submit(_table_checks, data) if data is not None else None
            if data is not None and table.name not in result.csv_sha256:  # hashed from the bytes already read
                hashed[table.name] = pool.submit(lambda raw: hashlib.sha256(raw).hexdigest(), data.raw_bytes)
        result.problems += problems
        if data is not None:
            result.data[table.name] = data
            checks.append(check)
    return checks, hashed


def _start_rules(repo: Repository, package: Package, data: dict[str, TableData], seeds: Future,
                 pool: ThreadPoolExecutor) -> list[Future]:
    """Start every cross-table rule on the pool, and the descriptor's path checks beside the last."""
    ctx = Context(repo, package, data, source_texts(repo, data.get("sources"), seeds.result()))
    rules = [pool.submit(lambda rule: list(rule(ctx)), rule) for rule in RULE_CHECKS]
    rules.append(pool.submit(check_descriptor, repo))  # a stat of every path it names
    return rules


def _rules_on_twins(package: Package, twins: TwinHashes | None, reading: dict[str, Future]) -> dict[str, TableData] | None:
    """The tables as their twins hold them, when every coded table has a twin that is likely to
    stand for its CSV file (every file has its recorded size); None otherwise. The rules can start
    on them before the hashes are known: the CSV files take 0.7 s to hash at 2M events."""
    if twins is None or set(reading) != {t.name for t in package.coded} or not twins.sizes_match():
        return None
    data = {table.name: reading[table.name].result()[0] for table in package.coded}
    return data if all(d is not None for d in data.values()) else None


def validate(repo: Repository, from_csv: bool = False, twins: TwinHashes | None = None) -> Validation:
    """`twins`, when given, is the hashing already under way (the command line starts it before
    importing this module); otherwise it starts here, unless from_csv."""
    try:
        package = twins.package if twins is not None else load_package(repo.schemas_dir)
    except SchemaError as exc:
        return Validation(repo, None, problems=[Problem(repo.display(exc.path), None, None, exc.field, "schema", None, exc.message)])
    result = Validation(repo, package)
    if from_csv:
        twins = None
    elif twins is None:
        twins = TwinHashes(repo, package)
    # two workers, as many as the machines CI runs on have cores: Arrow kernels, NumPy and hashlib
    # release the GIL, so the independent checks run side by side
    with ThreadPoolExecutor(max_workers=2) as pool:
        reading = _start_reading_twins(repo, package, twins, pool)
        seeds = pool.submit(read_seeds, repo)
        early = _rules_on_twins(package, twins, reading)
        rules = _start_rules(repo, package, early, seeds, pool) if early is not None else None
        if rules is not None and not all(twins.current(name) for name in early):
            for future in rules:  # a twin does not stand for its CSV file: the rules not yet begun never
                future.cancel()   # run, and the CSV file's columns are not typed behind them
            rules = None
        checks, hashed = _read_tables(repo, package, result, twins, reading, pool)
        if rules is None or any(result.data.get(name) is not data for name, data in early.items()):
            rules = _start_rules(repo, package, result.data, seeds, pool)  # on the tables as finally read
        for future in checks + rules:
            result.problems += future.result()
        result.csv_sha256.update({name: digest.result() for name, digest in hashed.items()})
    result.problems += check_canonical(result.data)
    result.problems += check_release(repo, package, result.data, result.csv_sha256)
    result.problems.sort(key=lambda p: (p.file, p.line or 0, p.rule, p.field or "", p.message))
    return result
