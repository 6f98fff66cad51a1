"""`karabakh-data build`: validate everything, then publish -- all or nothing.

Outputs are written to a staging folder inside the repository (same filesystem) and moved into
place only after every table validated and every file was written: on any error, nothing under
data/, datapackage.json or README.md changes. `build --check` stages the same files and compares
them with the committed ones instead (the freshness check).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from .codebook import codebook_text, read_coding_rules
from .exports import locations_geojson, write_sqlite
from .problems import Problem
from .publish import (
    PARQUET_README,
    VIEWS_README,
    csv_path,
    csv_text,
    descriptor,
    descriptor_text,
    published_tables,
    readme_text,
    write_parquet,
)
from .repository import Repository
from .validate import Validation, validate


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


# staged name -> published path (relative to the repository); the output folders (_output_dirs) are swapped whole
OUTPUT_FILES = {"karabakh.sqlite": "data/karabakh.sqlite", "locations.geojson": "data/locations.geojson",
                "codebook.md": "docs/codebook.md", "README.md": "README.md", "datapackage.json": "datapackage.json"}


def _output_dirs(repo: Repository) -> dict[str, Path]:
    return {"parquet": repo.parquet_dir, "views": repo.views_dir}


def _stage(repo: Repository, validation: Validation, staging: Path) -> None:
    """Write every output under staging/, named as in _output_dirs and OUTPUT_FILES."""
    package = validation.package
    tables = published_tables(package, validation.data)
    staged = {}
    for folder, readme in (("parquet", PARQUET_README), ("views", VIEWS_README)):
        (staging / folder).mkdir()
        (staging / folder / "README.md").write_text(readme, encoding="utf-8")
    for name, table in tables.items():
        write_parquet(table, staging / "parquet" / f"{name}.parquet")
        staged[repo.relative(repo.parquet_path(name))] = staging / "parquet" / f"{name}.parquet"
    for view in package.views:
        path = staging / "views" / f"{view.name}.csv"
        path.write_text(csv_text(view, tables[view.name]), encoding="utf-8")
        staged[repo.relative(csv_path(repo, view))] = path
    write_sqlite(package, tables, staging / "karabakh.sqlite")
    (staging / "locations.geojson").write_text(locations_geojson(tables["locations"]), encoding="utf-8")
    (staging / "codebook.md").write_text(codebook_text(package, tables, read_coding_rules(repo.root)), encoding="utf-8")
    desc = descriptor(repo, package, tables, staged)
    (staging / "datapackage.json").write_text(descriptor_text(desc), encoding="utf-8")
    readme = repo.root / "README.md"
    if readme.is_file():
        (staging / "README.md").write_text(readme_text(readme.read_text(encoding="utf-8"), desc), encoding="utf-8")


def _outputs(repo: Repository, staging: Path) -> dict[str, tuple[Path, Path]]:
    """Repository-relative name -> (staged file, published file), for every output file."""
    pairs = {}
    for folder, target in _output_dirs(repo).items():
        for p in sorted((staging / folder).iterdir()):
            pairs[repo.relative(target / p.name)] = (p, target / p.name)
    for name, target in OUTPUT_FILES.items():
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


def build(repo: Repository, check: bool = False) -> BuildResult:
    validation = validate(repo, from_csv=True)  # outputs derive from the CSV files themselves
    if not validation.ok:
        return BuildResult(problems=validation.problems)
    rows = {name: data.num_rows for name, data in validation.data.items()}
    with _staging(repo) as staging:
        _stage(repo, validation, staging)
        outputs = _outputs(repo, staging)
        if check:
            stale = [name for name, (new, old) in outputs.items() if not old.is_file() or old.read_bytes() != new.read_bytes()]
            for folder in _output_dirs(repo).values():
                extra = set(folder.iterdir()) if folder.is_dir() else set()
                stale += sorted(repo.relative(p) for p in extra - {old for _, old in outputs.values()})
            return BuildResult(rows=rows, stale=stale)
        # everything is written: move into place, the descriptor (which carries the hashes) last
        moves = [(staging / folder, target) for folder, target in _output_dirs(repo).items()]
        moves += [(staging / name, repo.root / target) for name, target in OUTPUT_FILES.items() if (staging / name).exists()]
        _publish(moves, staging / "backup")
    return BuildResult(rows=rows)
