"""Where things live in a karabakh-data repository (a clone, a CI checkout or a scratch copy)."""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

MARKER = Path("schemas") / "_package.json"
PACKAGED = Path(__file__).resolve().parents[1] / "_data"  # karabakh_data/_data, filled when the wheel is built
CHECKOUT = Path(__file__).resolve().parents[3]  # src/karabakh_data/model -> the repository root


def installed_root() -> Path:
    """The published package this library comes with: the checkout it runs from (a clone or an
    editable install), or the copy packaged inside the wheel."""
    return CHECKOUT if (CHECKOUT / MARKER).is_file() else PACKAGED


class RepositoryNotFound(Exception):
    pass


@dataclass(frozen=True)
class Repository:
    root: Path

    @classmethod
    def find(cls, root: str | Path | None = None) -> Repository:
        """The repository at `root`, or the one containing the current directory."""
        if root is not None:
            candidate = Path(root).resolve()
            if not (candidate / MARKER).is_file():
                raise RepositoryNotFound(f"{candidate} is not a karabakh-data repository (no {MARKER})")
            return cls(candidate)
        here = Path.cwd().resolve()
        for candidate in (here, *here.parents):
            if (candidate / MARKER).is_file():
                return cls(candidate)
        raise RepositoryNotFound(
            f"no karabakh-data repository (a folder with {MARKER}) at or above {here}; use --root PATH"
        )

    @property
    def schemas_dir(self) -> Path:
        return self.root / "schemas"

    @property
    def csv_dir(self) -> Path:
        return self.root / "data" / "csv"

    @property
    def parquet_dir(self) -> Path:
        return self.root / "data" / "parquet"

    @property
    def views_dir(self) -> Path:
        return self.root / "data" / "views"

    @property
    def descriptor_path(self) -> Path:
        return self.root / "datapackage.json"

    def csv_path(self, table: str) -> Path:
        return self.csv_dir / f"{table}.csv"

    def parquet_path(self, table: str) -> Path:
        return self.parquet_dir / f"{table}.parquet"

    def is_regular_inside(self, path: Path) -> bool:
        """Whether `path` is a regular file inside the repository, reached through no symlink: a
        symlinked file or folder (data/csv/, schemas/views/) could point anywhere."""
        try:
            parts = path.relative_to(self.root).parts
        except ValueError:
            return False
        current = self.root
        try:
            for part in parts:
                current = current / part
                if stat.S_ISLNK(os.lstat(current).st_mode):
                    return False
            return stat.S_ISREG(os.lstat(path).st_mode)
        except (OSError, ValueError):  # missing, a name too long, a NUL byte: not a file we will open
            return False

    def relative(self, path: Path) -> str:
        """Repository-relative POSIX path, as written in reports and in datapackage.json."""
        return path.relative_to(self.root).as_posix()

    def display(self, path: str | Path) -> str:
        """A path for a report: repository-relative when it lies inside the repository (a symlink is
        named where it is, not where it points)."""
        try:
            return Path(os.path.abspath(path)).relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


MAX_FILE_BYTES = (
    1024 * 1024 * 1024
)  # room for ACLED-size tables (2M events is about 0.6 GB); above that, refuse before reading


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in large blocks (hashlib releases the GIL while it hashes each)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 24), b""):
            digest.update(block)
    return digest.hexdigest()


def write_text_atomically(path: Path, text: str) -> None:
    """Write a file so that readers see the old content or the new one, never half of it."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
