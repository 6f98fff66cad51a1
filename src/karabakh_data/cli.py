"""The `karabakh-data` command. Acts on the repository in the current directory, or --root PATH;
outside a repository, the read-only commands (validate, describe, serve) act on the data installed
with the package.

Exit codes: 0 success; 1 the data has problems (all reported); 2 usage or repository errors;
3 an internal error (reported in one line; KARABAKH_DATA_DEBUG=1 shows the traceback).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
from pathlib import Path

from .model.characters import printable
from .model.dictionary import Published, columns, did_you_mean, read_published
from .model.problems import REPORT_FORMATS, Report, format_problems
from .model.repository import Repository, RepositoryNotFound, installed_root, write_text_atomically
from .model.schemas import Package, SchemaError
from .publish.environment import unmet_extra, writer_problems

READ_ONLY = ("validate", "describe", "serve")  # outside a repository, they act on the installed package's data
NEEDS_CHECK = ("validate", "build", "export", "fmt", "release")  # tested with the check extra's pyarrow only
DATABASE = Path("data") / "karabakh.sqlite"


def _use_jemalloc() -> None:
    """Arrow's buffers from jemalloc rather than pyarrow's default mimalloc, unless the user chose a
    pool (ARROW_DEFAULT_MEMORY_POOL): on the virtual machines CI runs on, mimalloc's huge pages cost
    seconds of system time at scale (docs/scaling.md, "fresh memory")."""
    if "ARROW_DEFAULT_MEMORY_POOL" in os.environ:
        return
    import pyarrow as pa

    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
    except NotImplementedError:  # a pyarrow built without jemalloc (as on Windows): its default stays
        pass


def _validate(repo: Repository, args: argparse.Namespace) -> int:
    from .check.validate import validate
    from .io.baseline import BaselineError, from_git, working_tree

    try:
        baseline = from_git(repo, args.base) if args.base is not None else working_tree(repo)
    except BaselineError as exc:
        print(f"karabakh-data: --base {printable(args.base)}: {printable(str(exc))}", file=sys.stderr)
        return 2
    result = validate(repo, baseline)
    if not result.ok or args.format != "text":
        print(format_problems(result.problems, args.format, result.omitted, result.baseline))
    if result.ok and args.format == "text":
        print(f"valid: {len(result.data)} tables, {sum(d.num_rows for d in result.data.values())} rows")
        print(f"baseline: {printable(result.baseline)}")
    return 0 if result.ok else 1


def _publishing(command: str, done: str):
    """The runner of `build` or `export`: they share their reports, --check and exit codes."""

    def run(repo: Repository, args: argparse.Namespace) -> int:
        from .publish import build

        result = getattr(build, command)(repo, check=args.check)
        if result.problems or result.omitted:
            print(format_problems(result.problems, args.format, result.omitted))
            print(f"{command} aborted: nothing was written", file=sys.stderr)
            return 1
        if args.check:
            for name in result.stale:
                print(f"stale: {printable(name)} differs from a fresh {command}")
            print(
                f"generated files are stale: run `karabakh-data {command}` and commit"
                if result.stale
                else "generated files are fresh"
            )
            return 1 if result.stale else 0
        print(f"{command}: {len(result.rows)} tables, {sum(result.rows.values())} rows: {done}")
        return 0

    return run


def _release(repo: Repository, args: argparse.Namespace) -> int:
    from .check.release import release_files
    from .check.validate import validate

    result = validate(repo)
    if not result.ok:
        print(format_problems(result.problems, "text", result.omitted))
        print("release aborted: nothing was written", file=sys.stderr)
        return 1
    version = result.package.meta["version"]
    record = result.record  # the working tree's, which validate read and judged usable
    previous = record.release
    if previous is not None and previous["version"] == version:
        print(
            f"version {version} is already released: set the next version in schemas/_package.json first",
            file=sys.stderr,
        )
        return 1
    for name, text in release_files(result.package, result.data, record, result.seeds).items():
        write_text_atomically(repo.root / name, text)
    print(f"recorded release {version}: data/release.json, data/released_ids.csv")
    return 0


def _fmt(repo: Repository, args: argparse.Namespace) -> int:
    from .publish.fmt import format_repository

    result = format_repository(repo, check=args.check)
    for file, diff in result.changed.items():
        if args.check:  # the diff of a file that may hold anything: each line escaped
            sys.stdout.writelines(printable(line.rstrip("\n")) + "\n" for line in diff.splitlines(keepends=True))
        print(f"{'not canonical' if args.check else 'reformatted'}: {printable(file)}")
    if result.problems:
        report = Report().extend(result.problems).finish()
        print(format_problems(report.problems, "text", report.omitted))
    if not result.changed and not result.problems:
        print("all files are in canonical form")
    return 1 if result.problems or (args.check and result.changed) else 0


def _figures(repo: Repository, args: argparse.Namespace) -> int:
    try:
        from .figures import make_figures
    except ImportError as exc:
        install = "pip install -c constraints.txt -e '.[figures]'"
        print(f"karabakh-data figures needs matplotlib: {install} ({exc})", file=sys.stderr)
        return 2
    problems = writer_problems(repo, "figures")
    if problems:
        print(format_problems(problems, "text"))
        return 1
    for path in make_figures(repo.root, repo.root / "docs" / "figures"):
        print(f"wrote {repo.relative(path)}")
    return 0


def _published(repo: Repository) -> tuple[dict, Package, dict[str, Published]] | int:
    """datapackage.json read as load() reads it (model.dictionary.read_published); or the exit code, said
    on stderr, when there is none to read (2) or it cannot be used (1)."""
    if not repo.descriptor_path.exists():
        print("karabakh-data: no datapackage.json yet: run `karabakh-data build` first", file=sys.stderr)
        return 2
    try:
        return read_published(repo.descriptor_path, "datapackage.json")
    except SchemaError as exc:
        print(f"karabakh-data: {printable(str(exc))}", file=sys.stderr)
        return 1


def _describe_table(package: Package, files: dict[str, Published], name: str) -> int:
    if name not in package.tables:
        hint = did_you_mean(name, sorted(package.tables))
        print(printable(f"karabakh-data: no published table {name!r}{hint}"), file=sys.stderr)
        return 2
    table = package.tables[name]
    key = ", ".join(table.primary_key)
    print(printable(f"{name} ({table.group}, {files[name].rows} rows, primary key {key}): {table.description}"))
    entries = columns(package, table)
    width = max(len(e["column"]) for e in entries)
    for e in entries:
        detail = "; ".join(x for x in (e["constraints"], e["references"] and "-> " + e["references"], e["unit"]) if x)
        required = "required" if e["required"] else "optional"
        line = f"{e['column']:<{width}}  {e['type']:<7}  {required:<8}  {e['description']}"
        print(printable(line + (f" [{detail}]" if detail else "")))
    return 0


def _describe(repo: Repository, args: argparse.Namespace) -> int:
    published = _published(repo)
    if isinstance(published, int):
        return published
    desc, package, files = published
    if args.table:
        return _describe_table(package, files, args.table)
    rows = [
        [printable(str(x)) for x in (name, table.group, files[name].rows, files[name].parquet)]
        for name, table in package.tables.items()
    ]
    print(printable(f"{desc.get('name', '')} {desc.get('version', '')}: {len(rows)} tables"))
    width = max([len("table"), *(len(r[0]) for r in rows)])
    print(f"{'table':<{width}}  {'group':<10}  {'rows':>6}  parquet")
    for name, group, count, parquet in rows:
        print(f"{name:<{width}}  {group:<10}  {count:>6}  {parquet}")
    return 0


def _next_id(repo: Repository, args: argparse.Namespace) -> int:
    from .model.schemas import load_package
    from .publish.release import next_ids

    try:
        package = load_package(repo.schemas_dir)
    except SchemaError as exc:
        print(f"karabakh-data: {printable(str(exc))}", file=sys.stderr)
        return 1
    names = [t.name for t in package.coded]
    if args.table not in names:
        print(printable(f"karabakh-data: no coded table {args.table!r}; one of: {', '.join(names)}"), file=sys.stderr)
        return 2
    try:
        ids = next_ids(repo, package[args.table], args.count)
    except (ValueError, OSError) as exc:
        print(f"karabakh-data: {printable(str(exc))}", file=sys.stderr)
        return 2
    print("\n".join(ids))
    return 0


def _serve(repo: Repository, args: argparse.Namespace) -> int:
    published = _published(repo)
    if isinstance(published, int):
        return published
    database = repo.root / DATABASE
    if not database.is_file():
        print(f"karabakh-data: no {DATABASE.as_posix()}: run `karabakh-data export` first", file=sys.stderr)
        return 2
    try:
        from datasette.cli import cli as datasette
    except ImportError as exc:
        print(f"karabakh-data serve needs Datasette: pip install 'karabakh-data[serve]' ({exc})", file=sys.stderr)
        return 2
    from .publish.browse import datasette_metadata

    metadata = datasette_metadata(*published[:2])
    # uvicorn stops on SIGTERM, then raises it again: as an exception here, so the metadata file is removed
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with tempfile.TemporaryDirectory(prefix="karabakh-serve-") as folder:
        path = Path(folder) / "metadata.json"
        path.write_text(json.dumps(metadata, ensure_ascii=False), encoding="utf-8")
        # immutable: read-only, so the installed package's database can be served as it is
        options = ["--immutable", str(database), "--metadata", str(path), "--host", args.host, "--port", str(args.port)]
        datasette.main(["serve", *options], prog_name="datasette", standalone_mode=False)
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="karabakh-data", description=__doc__.split("\n")[0])
    p.add_argument("--root", help="repository to act on (default: the one containing the current directory)")
    sub = p.add_subparsers(dest="command", required=True)
    v = sub.add_parser("validate", help="check every file, table and rule; report every problem; write nothing")
    v.add_argument("--format", choices=REPORT_FORMATS, default="text", help="report format (default: text)")
    v.add_argument(
        "--from-csv", action="store_true", help="kept for scripts that pass it: validate always reads the CSV files"
    )
    v.add_argument(
        "--base",
        metavar="REF",
        help="judge the change against the committed state of REF (a branch, tag or commit): its release record, "
        "retired identifiers, version and seeds, not the working tree's, which the change can edit. CI passes the "
        "pull request's base. Without it, validate judges against the working tree's own record, and says so",
    )
    v.set_defaults(run=_validate)
    for command, done, what in (
        (
            "build",
            "data/parquet/, data/views/, datapackage.json, docs/codebook.md, docs/data_dictionary.csv",
            "validate the CSV files, then write data/parquet/, data/views/, datapackage.json, the codebook and the "
            "data dictionary (all or nothing)",
        ),
        (
            "export",
            "data/karabakh.sqlite, data/locations.geojson",
            "write the SQLite database and the GeoJSON from the Parquet files of a current build (all or nothing)",
        ),
    ):
        b = sub.add_parser(command, help=what)
        b.add_argument("--format", choices=REPORT_FORMATS, default="text", help="report format for problems")
        b.add_argument(
            "--check",
            action="store_true",
            help=f"write nothing; exit 1 if a committed file differs from a fresh {command}",
        )
        b.set_defaults(run=_publishing(command, done))
    r = sub.add_parser(
        "release", help="record the current version's identifiers and table hashes (maintainers, at release time)"
    )
    r.set_defaults(run=_release)
    g = sub.add_parser("figures", help="draw docs/figures/timeline.png and network.png from the published tables")
    g.set_defaults(run=_figures)
    d = sub.add_parser("describe", help="print the published tables with their row counts, or one table's columns")
    d.add_argument("table", nargs="?", help="a table: print its columns (type, required, description, constraints)")
    d.set_defaults(run=_describe)
    n = sub.add_parser("next-id", help="print the next free identifier of a table (never a released or retired one)")
    n.add_argument("table", help="a coded table: events, event_accounts, actors, locations, agreements, ...")
    n.add_argument("--count", type=int, default=1, help="how many identifiers (default 1)")
    n.set_defaults(run=_next_id)
    w = sub.add_parser("serve", help="browse the SQLite database in Datasette, described from the schemas")
    w.add_argument("--port", type=int, default=8001, help="port to listen on (default: 8001)")
    w.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this machine only)")
    w.set_defaults(run=_serve)
    f = sub.add_parser("fmt", help="rewrite data/csv/*.csv in canonical form (fills offsets from quotes)")
    f.add_argument(
        "--check", action="store_true", help="change nothing; show a diff and exit 1 if a file is not canonical"
    )
    f.set_defaults(run=_fmt)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        repo = Repository.find(args.root)
    except RepositoryNotFound as exc:
        if args.root is not None or args.command not in READ_ONLY:
            print(f"karabakh-data: {printable(str(exc))}", file=sys.stderr)
            return 2
        repo = Repository(installed_root())
        note = f"no repository here; {args.command} reads the installed data: {repo.root}"
        print(f"karabakh-data: {printable(note)}", file=sys.stderr)
    unmet = unmet_extra("check") if args.command in NEEDS_CHECK else []
    if unmet:
        print(
            f"karabakh-data {args.command} needs the check extra: pip install 'karabakh-data[check]' "
            f"(not met: {'; '.join(unmet)})",
            file=sys.stderr,
        )
        return 2
    if args.command == "validate":  # read by jemalloc when pyarrow loads it (see _use_jemalloc)
        os.environ.setdefault("JE_ARROW_MALLOC_CONF", "narenas:1,dirty_decay_ms:-1,muzzy_decay_ms:-1")
    try:
        _use_jemalloc()
        return args.run(repo, args)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # never a traceback for users; one line that says what broke
        if os.environ.get("KARABAKH_DATA_DEBUG"):
            raise
        print(
            f"karabakh-data: internal error: {type(exc).__name__}: {printable(str(exc))[:500]} "
            "(set KARABAKH_DATA_DEBUG=1 for the traceback)",
            file=sys.stderr,
        )
        return 3


def run() -> None:
    """The console command."""
    sys.exit(main())


if __name__ == "__main__":
    run()
