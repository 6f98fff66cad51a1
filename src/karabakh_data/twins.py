"""Which tables validate may read from their Parquet twins: those whose CSV file and twin both still
have the SHA-256 that datapackage.json records, the state a build left after validating that CSV file.

Light on purpose (no NumPy, no Arrow): the command line starts hashing before it imports the
validation stack, so the second core hashes while the first imports (a quarter of a second).
"""

from __future__ import annotations

import json
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from . import repository
from .repository import Repository, file_sha256
from .schemas import Package


def recorded_files(repo: Repository) -> dict[str, tuple[str, int | None]]:
    """Repository-relative path -> (hex SHA-256, size in bytes or None), for the CSV files and Parquet
    twins datapackage.json records; empty when there is no usable descriptor (check_descriptor
    reports why)."""
    try:
        desc = json.loads(repo.descriptor_path.read_text(encoding="utf-8"))
        found = {}
        for resource in desc["resources"]:
            for entry in (resource, resource.get("x-parquet") or {}):
                path, digest, size = entry.get("path"), entry.get("hash"), entry.get("bytes")
                if isinstance(path, str) and isinstance(digest, str) and digest.startswith("sha256:"):
                    found[path] = (digest.removeprefix("sha256:"), size if isinstance(size, int) else None)
        return found
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def recorded_hashes(repo: Repository) -> dict[str, str]:
    """Repository-relative path -> hex SHA-256, as recorded_files."""
    return {path: digest for path, (digest, _) in recorded_files(repo).items()}


class TwinHashes:
    """The hashing of every coded table's CSV file and twin that datapackage.json records, started
    on its own thread when made; `current(name)` waits for a table's two digests."""

    def __init__(self, repo: Repository, package: Package):
        self.package = package  # validate goes on with the schemas loaded here
        self.recorded = recorded_files(repo)
        self.paths = {}  # table -> (CSV file, Parquet twin), for the tables whose two files are recorded
        for table in package.coded:
            paths = (repo.csv_path(table.name), repo.parquet_path(table.name))
            if all(repo.relative(p) in self.recorded and p.is_file() and not p.is_symlink() for p in paths) \
                    and paths[0].stat().st_size <= repository.MAX_FILE_BYTES:  # the cap applies whatever the descriptor says
                self.paths[table.name] = paths
        self._repo = repo
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hash")
        # largest first: the events CSV file is most of the work, and the first twin read waits for it
        ordered = sorted(((p.stat().st_size, str(p), p) for paths in self.paths.values() for p in paths), reverse=True)
        self._digests: dict[Path, Future] = {p: self._pool.submit(file_sha256, p) for _, _, p in ordered}
        self._pool.shutdown(wait=False)  # the thread ends once the last file is hashed

    def digest(self, path: Path) -> str:
        return self._digests[path].result()

    def largest_first(self) -> list[str]:
        """The tables with twins, largest twin first, by the sizes datapackage.json records."""
        return sorted(self.paths, key=lambda name: -(self.recorded[self._repo.relative(self.paths[name][1])][1] or 0))

    def sizes_match(self) -> bool:
        """Whether every file being hashed still has the size datapackage.json records: a cheap sign,
        before the digests are known, that the twins will stand for their CSV files. validate starts
        the cross-table rules on the twins on that sign, and starts them again should a digest differ."""
        try:
            return all(p.stat().st_size == self.recorded[self._repo.relative(p)][1] for p in self._digests)
        except OSError:
            return False

    def current(self, name: str) -> bool:
        """Whether both files of the table still have the recorded hashes."""
        return all(self.digest(p) == self.recorded[self._repo.relative(p)][0] for p in self.paths[name])
