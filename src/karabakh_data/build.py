"""`karabakh-data build` and `export`: validate, then publish -- all or nothing.

`build` publishes the package from the coded CSV files: the Parquet twins, the views,
datapackage.json, the codebook and the README's table of tables. `export` writes the other forms of
the published tables (the SQLite database and the GeoJSON of the locations) from the Parquet files
a current build published; they are kept out of build because inserting millions of rows into a
constrained database costs many times what the whole build does.

Outputs are written to a staging folder inside the repository (same filesystem) and moved into
place only after every table validated and every file was written: on any error, no published file
changes. `--check` stages the same files and compares them with the committed ones instead (the
freshness check).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import pyarrow.parquet as pq

from .codebook import codebook_text, read_coding_rules
from .exports import locations_geojson, write_sqlite
from .problems import Problem
from .publish import (
    PARQUET_README,
    VIEWS_README,
    arrow_table,
    csv_path,
    descriptor,
    descriptor_text,
    file_digest,
    readme_text,
    write_csv,
    write_parquet,
)
from .read import encoded_fields
from .repository import Repository, file_sha256
from .schemas import VIEW_GROUP
from .twins import recorded_hashes
from .validate import Validation, validate
from .views import build_views


@dataclass
class BuildResult:
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    stale: list[str] = field(default_factory=list)  # with check=True: committed files that differ from a fresh build

    @property
    def ok(self) -> bool:
        return not self.problems and not self.stale


@contextmanager
def _staging(repo: Repository):
    staging = Path(tempfile.mkdtemp(dir=repo.root, prefix=".staging-"))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# staged name -> published path (relative to the repository); build's output folders (_output_dirs)
# are swapped whole. The descriptor, which carries the hashes, is moved into place last.
OUTPUT_FILES = {"codebook.md": "docs/codebook.md", "README.md": "README.md", "datapackage.json": "datapackage.json"}
EXPORT_FILES = {"karabakh.sqlite": "data/karabakh.sqlite", "locations.geojson": "data/locations.geojson"}


def _output_dirs(repo: Repository) -> dict[str, Path]:
    return {"parquet": repo.parquet_dir, "views": repo.views_dir}


def _stage(repo: Repository, validation: Validation, staging: Path) -> None:
    """Write every output under staging/, named as in _output_dirs and OUTPUT_FILES.

    Files are written and hashed on two threads (the Parquet writer, the CSV serialiser and hashlib
    release the GIL); what each file holds does not depend on the order they are written in."""
    package = validation.package
    tables = {table.name: arrow_table(validation.data[table.name]) for table in package.coded}
    for data in validation.data.values():  # validated: the file's bytes (0.75 GB at 2M events) are not needed again
        data.text_source = repo.csv_path(data.table.name)
    for folder, readme in (("parquet", PARQUET_README), ("views", VIEWS_README)):
        (staging / folder).mkdir()
        (staging / folder / "README.md").write_text(readme, encoding="utf-8")

    def written(write, table, path: Path, *options):
        write(table, path, *options)
        return file_digest(path)

    def parquet(names):
        for name in sorted(names, key=lambda n: -tables[n].nbytes):  # largest first: the two threads finish together
            coded = package.tables.get(name)
            dictionary = encoded_fields(coded) if coded is not None and coded.group != VIEW_GROUP else None
            jobs[repo.relative(repo.parquet_path(name))] = pool.submit(written, write_parquet, tables[name],
                                                                       staging / "parquet" / f"{name}.parquet", dictionary)

    jobs = {}  # repository-relative path of the published file -> (size, hash) once written
    digests = {}
    with ThreadPoolExecutor(max_workers=2) as pool:
        parquet(list(tables))
        for table in package.coded:  # validate hashed the bytes it read
            path = repo.csv_path(table.name)
            digests[repo.relative(path)] = (path.stat().st_size, "sha256:" + validation.csv_sha256[table.name])
        views = build_views(package, validation.data)  # while the coded tables are written
        tables.update(views)
        parquet(list(views))
        for view in package.views:
            jobs[repo.relative(csv_path(repo, view))] = pool.submit(written, partial(write_csv, view), tables[view.name],
                                                                   staging / "views" / f"{view.name}.csv")
        (staging / "codebook.md").write_text(codebook_text(package, tables, read_coding_rules(repo.root)), encoding="utf-8")
        digests.update({name: job.result() for name, job in jobs.items()})
    desc = descriptor(repo, package, tables, digests)
    (staging / "datapackage.json").write_text(descriptor_text(desc), encoding="utf-8")
    readme = repo.root / "README.md"
    if readme.is_file():
        (staging / "README.md").write_text(readme_text(readme.read_text(encoding="utf-8"), desc), encoding="utf-8")


def _outputs(repo: Repository, staging: Path, dirs: dict[str, Path], files: dict[str, str]) -> dict[str, tuple[Path, Path]]:
    """Repository-relative name -> (staged file, published file), for every output file."""
    pairs = {}
    for folder, target in dirs.items():
        for p in sorted((staging / folder).iterdir()):
            pairs[repo.relative(target / p.name)] = (p, target / p.name)
    for name, target in files.items():
        if (staging / name).exists():
            pairs[target] = (staging / name, repo.root / target)
    return pairs


def _publish(moves: list[tuple[Path, Path]], backup: Path) -> None:
    """Move each staged path onto its target; on any failure put every old target back.

    Old targets are first moved aside into `backup` (same filesystem, so every move is a rename),
    which lets a failure half-way through restore the previous state exactly."""
    for staged, target in moves:
        if target.exists() and (target.is_dir() != staged.is_dir() or target.is_symlink()):
            raise OSError(f"{target} is in the way: expected a {'folder' if staged.is_dir() else 'file'}")
    backup.mkdir()
    done: list[tuple[Path, Path | None]] = []
    try:
        for index, (staged, target) in enumerate(moves):
            saved = None
            if target.exists():
                saved = backup / str(index)
                os.rename(target, saved)
            done.append((target, saved))
            target.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staged, target)
    except BaseException:
        for target, saved in reversed(done):
            if target.exists():
                shutil.rmtree(target) if target.is_dir() and not target.is_symlink() else target.unlink()
            if saved is not None:
                os.rename(saved, target)
        raise


def _deliver(repo: Repository, staging: Path, dirs: dict[str, Path], files: dict[str, str], check: bool) -> list[str]:
    """With check, the outputs that differ from the staged ones (stale); otherwise move the staged
    outputs into place, all or nothing, and return []."""
    outputs = _outputs(repo, staging, dirs, files)
    if check:
        stale = [name for name, (new, old) in outputs.items() if not old.is_file() or old.read_bytes() != new.read_bytes()]
        for folder in dirs.values():
            extra = set(folder.iterdir()) if folder.is_dir() else set()
            stale += sorted(repo.relative(p) for p in extra - {old for _, old in outputs.values()})
        return stale
    moves = [(staging / folder, target) for folder, target in dirs.items()]
    moves += [(staging / name, repo.root / target) for name, target in files.items() if (staging / name).exists()]
    _publish(moves, staging / "backup")
    return []


def build(repo: Repository, check: bool = False) -> BuildResult:
    validation = validate(repo, from_csv=True)  # outputs derive from the CSV files themselves
    if not validation.ok:
        return BuildResult(problems=validation.problems)
    rows = {name: data.num_rows for name, data in validation.data.items()}
    with _staging(repo) as staging:
        _stage(repo, validation, staging)
        stale = _deliver(repo, staging, _output_dirs(repo), OUTPUT_FILES, check)
    return BuildResult(rows=rows, stale=stale)


def _unpublished(repo: Repository, validation: Validation) -> list[Problem]:
    """Every published file whose hash no longer matches datapackage.json: exports derive from the
    Parquet files, so they must be the ones a build made from the current CSV files."""
    recorded = recorded_hashes(repo)
    problems = []
    for table in validation.package.tables.values():
        for path in (csv_path(repo, table), repo.parquet_path(table.name)):
            name = repo.relative(path)
            digest = validation.csv_sha256.get(table.name) if path == repo.csv_path(table.name) else None
            if name not in recorded or not path.is_file() or (digest or file_sha256(path)) != recorded[name]:
                problems.append(Problem(name, None, None, None, "not-built", None,
                                        "the file is not the one datapackage.json records: run `karabakh-data build` first"))
    return problems


def export(repo: Repository, check: bool = False) -> BuildResult:
    """Write (or with check, compare) the SQLite database and the GeoJSON from the published tables."""
    validation = validate(repo)
    problems = validation.problems or _unpublished(repo, validation)
    if problems:
        return BuildResult(problems=problems)
    package = validation.package
    tables = {name: pq.read_table(repo.parquet_path(name)) for name in package.tables}
    with _staging(repo) as staging:
        write_sqlite(package, tables, staging / "karabakh.sqlite")
        (staging / "locations.geojson").write_text(locations_geojson(tables["locations"]), encoding="utf-8")
        stale = _deliver(repo, staging, {}, EXPORT_FILES, check)
    return BuildResult(rows={name: t.num_rows for name, t in tables.items()}, stale=stale)
