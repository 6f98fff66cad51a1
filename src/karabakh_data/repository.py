"""Where things live in a karabakh-data repository (a clone, a CI checkout or a scratch copy)."""

from __future__ import annotations

import hashlib
import mmap
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

MARKER = Path("schemas") / "_package.json"


class RepositoryNotFound(Exception):
    pass


@dataclass(frozen=True)
class Repository:
    root: Path

    @classmethod
    def find(cls, root: str | Path | None = None) -> "Repository":
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
        raise RepositoryNotFound(f"no karabakh-data repository (a folder with {MARKER}) at or above {here}; use --root PATH")

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

    def relative(self, path: Path) -> str:
        """Repository-relative POSIX path, as written in reports and in datapackage.json."""
        return path.relative_to(self.root).as_posix()

    def display(self, path: str | Path) -> str:
        """A path for a report: repository-relative when it lies inside the repository."""
        try:
            return Path(path).resolve().relative_to(self.root).as_posix()
        except ValueError:
            return str(path)


MAX_FILE_BYTES = 1024 * 1024 * 1024  # room for ACLED-size tables (2M events is about 0.6 GB); above that, refuse before parsing
MAP_MIN_BYTES = 1 << 24  # a hand-edited file smaller than this is read: mapping pays only at scale


def mapped_bytes(path: Path, min_bytes: int = 0) -> bytes | mmap.mmap:
    """The file's bytes as a read-only memory map (read into bytes below min_bytes). Its pages are the
    page cache's own: no copy, and no fresh memory, which the CI machines' VMs are slow to hand out
    (0.4 to 3 s for 600 MB, against 0.07 s to map a file that size). This project replaces files by
    rename, never in place, and a mapping keeps the old file's pages; a file truncated in place
    while mapped would crash the reader, which is why hand-edited CSV files are mapped only when
    large (min_bytes) and seed files, which are never edited, always."""
    with open(path, "rb") as handle:
        size = os.fstat(handle.fileno()).st_size
        if size == 0 or size < min_bytes:  # an empty file cannot be mapped
            return handle.read()
        return mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)


def holds(data, sub: bytes) -> bool:
    """`sub in data` for any buffer: on a memory map `in` walks byte by byte (15 s for 600 MB), find is a memchr."""
    return data.find(sub) >= 0


def is_ascii(data) -> bool:
    """bytes.isascii() for any buffer (a memory map has no such method): the bytes OR-ed together
    eight at a time, then the high bit of each of the eight tested."""
    if isinstance(data, bytes):
        return data.isascii()
    import numpy as np

    array = np.frombuffer(data, dtype=np.uint8)
    bulk = len(array) // 8 * 8
    words = np.bitwise_or.reduce(array[:bulk].view(np.uint64)) if bulk else np.uint64(0)
    return not (int(words) & 0x8080808080808080) and not (array[bulk:] & 0x80).any()


HASH_PIECE_BYTES = 1 << 26  # a multiple of the page size


def file_sha256(path: Path) -> str:
    """Hex SHA-256 of a file, hashed on its mapped bytes in pieces of 64 MB. hashlib releases the GIL
    while it hashes a piece, so other threads keep working, and has to win it back after each: next
    to a thread running Python code, each piece waits for the switch interval. hashlib.file_digest's
    256 KB blocks made that 21 s for 571 MB against 0.4 s in one call (measured); a few pieces cost a
    few switch intervals. Each hashed piece is dropped from the mapping (the page cache keeps it):
    mapped whole, the file counted in full in the process's peak memory, 571 MB at 2M events."""
    data = mapped_bytes(path, MAP_MIN_BYTES)
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    with data, memoryview(data) as view:
        for start in range(0, len(data), HASH_PIECE_BYTES):
            digest.update(view[start:start + HASH_PIECE_BYTES])
            if hasattr(mmap, "MADV_DONTNEED"):
                data.madvise(mmap.MADV_DONTNEED, start, min(HASH_PIECE_BYTES, len(data) - start))
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
