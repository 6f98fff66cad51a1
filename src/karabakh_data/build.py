"""`karabakh-data build`: validate everything, then publish -- all or nothing.

Outputs are written to a staging folder inside the repository (same filesystem) and moved into
place only after every table validated and every file was written: on any error, nothing under
data/, datapackage.json or README.md changes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .problems import Problem
from .publish import PARQUET_README, descriptor, descriptor_text, readme_text, write_parquet
from .repository import Repository
from .validate import validate


@dataclass
class BuildResult:
    problems: list[Problem] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


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


def build(repo: Repository) -> BuildResult:
    validation = validate(repo)
    if not validation.ok:
        return BuildResult(problems=validation.problems)
    staging = Path(tempfile.mkdtemp(dir=repo.root, prefix=".staging-"))
    try:
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
        # everything is written: move into place, the descriptor (which carries the hashes) last
        repo.parquet_dir.parent.mkdir(parents=True, exist_ok=True)
        _swap_directory(parquet_dir, repo.parquet_dir, staging / "previous-parquet")
        if (staging / "README.md").exists():
            os.replace(staging / "README.md", readme)
        os.replace(staging / "datapackage.json", repo.descriptor_path)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildResult(rows={name: data.num_rows for name, data in validation.data.items()})
