"""Benchmark: validate, build, frictionless and the bare reads, whole process, in one run.

    python -m benchmarks.run [--sizes 100000,1000000,2000000] [--skip-frictionless] [--injected] [--export]
                             [--workdir DIR]

For each size N it generates (or reuses) a synthetic package, builds it once, then measures each
command as a separate process with GNU time: wall, user and system seconds and peak resident memory.
A command that takes under 10 s is run once to warm up and then 5 times, and the median of each time
is reported. Ratios are computed between commands of the same run, since absolute times drift on
shared machines; system time shows how much of a wall time went to faulting in fresh memory.
With --injected it also generates the same package with one known error per rule family (which
cannot be built, so validate reads its CSV files) and reports how many of them validate caught at
their file, record, field and rule.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .synth import generate

PYTHON = sys.executable
BIN = Path(sys.executable).parent
BARE_PARQUET = (
    "import sys, pyarrow.parquet as pq\n"
    "for t in ('events', 'actors', 'locations'): pq.read_table(f'{sys.argv[1]}/data/parquet/{t}.parquet')"
)
BARE_CSV = (
    "import sys, pyarrow as pa, pyarrow.csv as c\n"
    "for t in ('events', 'actors', 'locations'): c.read_csv(f'{sys.argv[1]}/data/csv/{t}.csv', "
    "convert_options=c.ConvertOptions(strings_can_be_null=True))"
)
BARE_CSV_ALL = (
    "import sys, pathlib, pyarrow as pa, pyarrow.csv as c\n"
    "for p in sorted(pathlib.Path(sys.argv[1], 'data', 'csv').glob('*.csv')): c.read_csv(p, "
    "convert_options=c.ConvertOptions(strings_can_be_null=True))"
)
# the least any build does: read every coded CSV file, hash it, write its Parquet twin with the pinned
# settings (no validation, no views), the hashing and writing on a second thread
BARE_CONVERT = (
    "import sys, pathlib, pyarrow.csv as c, pyarrow.parquet as pq, tempfile\n"
    "from concurrent.futures import ThreadPoolExecutor\n"
    "from karabakh_data.io.parquet import PARQUET_SETTINGS\n"
    "from karabakh_data.model.repository import file_sha256\n"
    "out = pathlib.Path(tempfile.mkdtemp())\n"
    "paths = sorted(pathlib.Path(sys.argv[1], 'data', 'csv').glob('*.csv'), key=lambda p: -p.stat().st_size)\n"
    "with ThreadPoolExecutor(2) as pool:\n"
    "    jobs = [pool.submit(file_sha256, p) for p in paths]\n"
    "    for p in paths:\n"
    "        table = c.read_csv(p, convert_options=c.ConvertOptions(strings_can_be_null=True))\n"
    "        jobs.append(pool.submit(pq.write_table, table, out / f'{p.stem}.parquet', **PARQUET_SETTINGS))\n"
    "    [job.result() for job in jobs]\n"
    "for p in out.iterdir(): p.unlink()\n"
    "out.rmdir()"
)
BARE_PANDAS = (
    "import sys, pyarrow.parquet as pq\npq.read_table(f'{sys.argv[1]}/data/parquet/events.parquet').to_pandas()"
)
LOAD = "import sys, karabakh_data\nkarabakh_data.load('events', root=sys.argv[1])"


REPEATS = 5  # runs of each quick command: shared machines make single short timings swing by 2x
QUICK_S = 10.0  # a command that takes longer than this is run once


def measure_once(command: list[str]) -> tuple[float, float, int, float, float]:
    """(wall seconds, peak MB, exit code, user seconds, system seconds) of one whole process."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%e %M %U %S", "-o", report.name, *command],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wall, kb, user, system = report.read().split()[-4:]
    return float(wall), int(kb) / 1024, proc.returncode, float(user), float(system)


def _median(values) -> float:
    values = sorted(values)
    return values[len(values) // 2]


def measure(command: list[str]) -> tuple[float, float, int, float, float]:
    """The median wall time of up to REPEATS runs (one warm-up run first, so that no run pays for
    compiling bytecode or filling the page cache), the highest peak memory, the worst exit code, and
    the median user and system times. System time is where these VMs' cost of fresh memory shows."""
    runs = [measure_once(command)]  # the warm-up, kept only when the command is slow
    if runs[0][0] < QUICK_S:
        runs = [measure_once(command) for _ in range(REPEATS)]
    return (
        _median(r[0] for r in runs),
        max(r[1] for r in runs),
        max(r[2] for r in runs),
        _median(r[3] for r in runs),
        _median(r[4] for r in runs),
    )


def prepare(workdir: Path, events: int, seed: int) -> Path:
    root = workdir / f"n{events}"
    manifest = root / "synth.json"
    if not (manifest.exists() and json.loads(manifest.read_text()).get("events") == events):
        generate(root, events, seed)
    if not (root / "datapackage.json").exists():
        subprocess.run(
            [str(BIN / "karabakh-data"), "--root", str(root), "build"], check=True, stdout=subprocess.DEVNULL
        )
    return root


def injected_caught(workdir: Path, events: int, seed: int) -> dict:
    """Validate a package with planted errors; how many of them were reported where they were planted."""
    root = workdir / f"n{events}-injected"
    planted = generate(root, events, seed, inject_errors=True)["injected_errors"]
    report = root / "report.json"
    command = [str(BIN / "karabakh-data"), "--root", str(root), "validate", "--format", "json"]
    with open(report, "w") as out:
        with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
            code = subprocess.run(
                ["/usr/bin/time", "-f", "%e %M %U %S", "-o", timing.name, *command],
                stdout=out,
                stderr=subprocess.DEVNULL,
            ).returncode
            wall, kb, user, system = timing.read().split()[-4:]
    problems = json.loads(report.read_text())["problems"]
    found = {(p["rule"], p["file"], p["record"], p["field"]) for p in problems}
    caught = sum((e["rule"], e["file"], e["record"], e["field"]) in found for e in planted)
    return {
        "events": events,
        "tool": f"validate, injected errors (caught {caught}/{len(planted)})",
        "wall_s": float(wall),
        "peak_mb": int(kb) / 1024,
        "exit": code,
        "rows_per_s": events / float(wall),
        "user_s": float(user),
        "sys_s": float(system),
    }


def exported(root: Path, events: int) -> dict:
    """`karabakh-data export` (SQLite and GeoJSON, outside build), once: it is not one of the targets."""
    wall, peak, code, user, system = measure_once([str(BIN / "karabakh-data"), "--root", str(root), "export"])
    return {
        "events": events,
        "tool": "export (SQLite, GeoJSON)",
        "wall_s": wall,
        "peak_mb": peak,
        "exit": code,
        "rows_per_s": events / wall if wall else float("inf"),
        "user_s": user,
        "sys_s": system,
    }


def run(
    sizes: list[int], skip_frictionless: bool, workdir: Path, seed: int, injected: bool = False, export: bool = False
) -> list[dict]:
    results = []
    for n in sizes:
        root = prepare(workdir, n, seed)
        commands = {
            "validate": [str(BIN / "karabakh-data"), "--root", str(root), "validate"],
            # what CI runs on a pull request that edits a table (the same as validate since there is one read path)
            "validate --from-csv": [str(BIN / "karabakh-data"), "--root", str(root), "validate", "--from-csv"],
            "build": [str(BIN / "karabakh-data"), "--root", str(root), "build"],
            "bare parquet read": [PYTHON, "-c", BARE_PARQUET, str(root)],
            "bare csv read": [PYTHON, "-c", BARE_CSV, str(root)],
            "bare csv read, every coded table": [PYTHON, "-c", BARE_CSV_ALL, str(root)],
            "bare csv to parquet, every coded table": [PYTHON, "-c", BARE_CONVERT, str(root)],
            "load('events')": [PYTHON, "-c", LOAD, str(root)],
            "bare read_table().to_pandas()": [PYTHON, "-c", BARE_PANDAS, str(root)],
        }
        if not skip_frictionless:
            commands["frictionless validate"] = [str(BIN / "frictionless"), "validate", str(root / "datapackage.json")]
        for tool, command in commands.items():
            wall, peak, code, user, system = measure(command)
            results.append(
                {
                    "events": n,
                    "tool": tool,
                    "wall_s": wall,
                    "peak_mb": peak,
                    "exit": code,
                    "rows_per_s": n / wall if wall else float("inf"),
                    "user_s": user,
                    "sys_s": system,
                }
            )
        if injected:
            results.append(injected_caught(workdir, n, seed))
        if export:
            results.append(exported(root, n))
    return results


def table(results: list[dict]) -> str:
    by = {(r["events"], r["tool"]): r for r in results}
    lines = [
        "| events | tool | wall s | user s | sys s | peak MB | rows/s | ratio | exit |",
        "|---:|---|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in results:
        n, ratio = r["events"], ""
        csv_read = by[(n, "bare csv read, every coded table")]["wall_s"]
        if r["tool"] in ("validate", "validate --from-csv"):
            parts = [f"{r['wall_s'] / csv_read:.1f}x bare csv read of every coded table"]
            if (n, "frictionless validate") in by:
                parts.append(f"frictionless / ours = {by[(n, 'frictionless validate')]['wall_s'] / r['wall_s']:.1f}")
            ratio = "; ".join(parts)
        elif r["tool"] == "build":
            floor = by[(n, "bare csv to parquet, every coded table")]["wall_s"]
            ratio = f"{r['wall_s'] / csv_read:.1f}x bare csv read of every coded table; "
            ratio += f"{r['wall_s'] / floor:.1f}x bare csv to parquet"
        elif r["tool"] == "bare csv to parquet, every coded table":
            ratio = f"{r['wall_s'] / by[(n, 'bare csv read')]['wall_s']:.1f}x bare csv read"
        elif r["tool"] == "load('events')":
            ratio = f"{r['wall_s'] / by[(n, 'bare read_table().to_pandas()')]['wall_s']:.2f}x bare to_pandas"
        lines.append(
            f"| {n:,} | {r['tool']} | {r['wall_s']:.2f} | {r['user_s']:.2f} | {r['sys_s']:.2f} | {r['peak_mb']:.0f} | "
            f"{r['rows_per_s']:,.0f} | {ratio} | {r['exit']} |"
        )
    sizes = sorted({r["events"] for r in results})
    if len(sizes) > 1:
        small, large = sizes[0], sizes[-1]
        for tool in ("validate", "build"):
            a, b = by[(small, tool)], by[(large, tool)]
            growth = (b["wall_s"] / large) / (a["wall_s"] / small)
            lines.append(f"\n{tool}: per-row cost at {large:,} is {growth:.2f}x the cost at {small:,}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000,2000000")
    parser.add_argument("--skip-frictionless", action="store_true")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "karabakh-bench")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--injected", action="store_true", help="also validate a copy with one planted error per rule family"
    )
    parser.add_argument("--export", action="store_true", help="also time `karabakh-data export` (SQLite, GeoJSON) once")
    args = parser.parse_args(argv)
    if not shutil.which("/usr/bin/time"):
        print("needs GNU time at /usr/bin/time (Debian package 'time')", file=sys.stderr)
        return 2
    results = run(
        [int(s) for s in args.sizes.split(",")],
        args.skip_frictionless,
        args.workdir,
        args.seed,
        args.injected,
        args.export,
    )
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
