"""Where validate spends its time: each table's read, each table check and each cross-table rule, run
one after another in one process (validate runs them on two workers, so its wall time is about half
their sum).

    python -m benchmarks.checks REPOSITORY [--over SECONDS]

Prints seconds per step, the steps that took at least --over (default 0.1) seconds, slowest first,
and the sum of all steps.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from karabakh_data.check import validate as validation
from karabakh_data.check.context import Context
from karabakh_data.check.record import read_record
from karabakh_data.check.release import check_release
from karabakh_data.io.baseline import working_tree
from karabakh_data.io.csvfile import read_table
from karabakh_data.io.seeds import read_seeds
from karabakh_data.model.problems import Report
from karabakh_data.model.repository import Repository
from karabakh_data.model.schemas import load_package


def _timed(steps: dict[str, float], name: str, work, *args):
    start = time.perf_counter()
    result = work(*args)
    steps[name] = time.perf_counter() - start
    return result


def step_times(root: Path) -> dict[str, float]:
    repo = Repository.find(root)
    package = load_package(repo.schemas_dir)
    steps: dict[str, float] = {}
    record = _timed(steps, "release record", read_record, working_tree(repo))
    texts = _timed(steps, "seeds", read_seeds, repo)
    data = {}
    with ThreadPoolExecutor(max_workers=1) as within:
        for table in package.coded:
            data[table.name] = _timed(steps, f"read {table.name}", read_table, repo, table, within)[0]
    for table in package.coded:
        for check in validation.TABLE_CHECKS:
            _timed(steps, f"{check.__name__} {table.name}", lambda c=check, t=table: Report().extend(c(data[t.name])))
    ctx = Context(repo, package, data, texts, record)
    for rule in validation.RULES:
        _timed(steps, rule.__name__, lambda r=rule: Report().extend(r(ctx)))
    _timed(steps, "check_release", check_release, package, data, record)
    return steps


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.checks", description=__doc__.split("\n\n")[0])
    parser.add_argument("repository", type=Path)
    parser.add_argument("--over", type=float, default=0.1)
    args = parser.parse_args(argv)
    steps = step_times(args.repository)
    for name, seconds in sorted(steps.items(), key=lambda item: -item[1]):
        if seconds >= args.over:
            print(f"{seconds:7.2f}  {name}")
    print(f"{sum(steps.values()):7.2f}  all {len(steps)} steps")


if __name__ == "__main__":
    main()
