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

from .problems import Problem
from .publish import PARQUET_README, descriptor, descriptor_text, readme_text, write_parquet
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


def _stage(repo: Repository, validation: Validation, staging: Path) -> None:
    """Write every output under staging/: parquet/, datapackage.json and README.md."""
    parquet_dir = staging / "parquet"
    parquet_dir.mkdir()
    for name, data in validation.data.items():
        write_parquet(data, parquet_dir / f"{name}.parquet")
    (parquet_dir / "README.md").write_text(PARQUET_README, encoding="utf-8")
    desc = descriptor(repo, validation.package, validation.data, parquet_dir)
    (staging / "datapackage.json").write_text(descriptor_text(desc), encoding="utf-8")
    readme = repo.root / "README.md"
    if readme.is_file():
        (staging / "README.md").write_text(readme_text(readme.read_text(encoding="utf-8"), desc), encoding="utf-8")


def _outputs(repo: Repository, staging: Path) -> dict[str, tuple[Path, Path]]:
    """Repository-relative name -> (staged file, published file), for every output file."""
    pairs = {repo.relative(repo.parquet_dir / p.name): (p, repo.parquet_dir / p.name) for p in sorted((staging / "parquet").iterdir())}
    for name in ("datapackage.json", "README.md"):
        if (staging / name).exists():
            pairs[name] = (staging / name, repo.root / name)
    return pairs


def _swap_directory(new: Path, target: Path, holding: Path) -> None:
    """Put `new` where `target` is; the old one goes to `holding` (deleted with the staging folder)."""
    if target.exists():
        os.rename(target, holding)
    try:
        os.rename(new, target)
    except BaseException:
        if holding.exists():
            os.rename(holding, target)
        raise


def build(repo: Repository, check: bool = False) -> BuildResult:
    validation = validate(repo)
    if not validation.ok:
        return BuildResult(problems=validation.problems)
    rows = {name: data.num_rows for name, data in validation.data.items()}
    with _staging(repo) as staging:
        _stage(repo, validation, staging)
        if check:
            outputs = _outputs(repo, staging)
            stale = [name for name, (new, old) in outputs.items() if not old.is_file() or old.read_bytes() != new.read_bytes()]
            published = {p for p in repo.parquet_dir.glob("*")} if repo.parquet_dir.is_dir() else set()
            stale += sorted(repo.relative(p) for p in published - {old for _, old in outputs.values()})
            return BuildResult(rows=rows, stale=stale)
        # everything is written: move into place, the descriptor (which carries the hashes) last
        repo.parquet_dir.parent.mkdir(parents=True, exist_ok=True)
        _swap_directory(staging / "parquet", repo.parquet_dir, staging / "previous-parquet")
        if (staging / "README.md").exists():
            os.replace(staging / "README.md", repo.root / "README.md")
        os.replace(staging / "datapackage.json", repo.descriptor_path)
    return BuildResult(rows=rows)
