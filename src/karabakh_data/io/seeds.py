"""The source documents in seeds/: shipped byte for byte, read as UTF-8 text."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .. import kernels
from ..model.repository import Repository, sha256_hex

SOURCE_ID = re.compile(r"[0-9]{3}_[0-9a-f]{16}")
MAX_SEED_BYTES = 64 * 1024 * 1024  # a news article is a few kilobytes; a seed is refused above this


def seed_path(repo: Repository, source_id: object) -> Path | None:
    """The seed file of a source id, or None when the id is malformed or the file is not a regular
    file directly inside seeds/ (a crafted id must never read a file elsewhere)."""
    if not isinstance(source_id, str) or not SOURCE_ID.fullmatch(source_id):
        return None
    path = repo.root / "seeds" / f"{source_id}.txt"  # the pattern admits no separator and no '..'
    return path if repo.is_regular_inside(path) else None


class SourceTexts:
    """The seed files that are valid UTF-8, by source id: their bytes, and their text when asked; and
    the SHA-256 of every seed file read, valid or not."""

    def __init__(self, raw: dict[str, bytes]):
        self.digests = {source_id: sha256_hex(data) for source_id, data in raw.items()}
        self.raw = {source_id: data for source_id, data in raw.items() if kernels.utf8_error(data) is None}
        self._texts: dict[str, str] = {}

    @property
    def digests_by_path(self) -> dict[str, str]:
        """Repository-relative path -> SHA-256 of every seed file read (as the release record pins them)."""
        return {f"seeds/{source_id}.txt": digest for source_id, digest in sorted(self.digests.items())}

    def __contains__(self, source_id: object) -> bool:
        return source_id in self.raw

    def __iter__(self):
        return iter(self.raw)

    def text(self, source_id: str) -> str:
        if source_id not in self._texts:
            self._texts[source_id] = self.raw[source_id].decode("utf-8")
        return self._texts[source_id]

    def get(self, source_id: object) -> str | None:
        return self.text(source_id) if source_id in self.raw else None

    def chars(self, source_id: str) -> int:
        """The text's length in characters: its bytes but the continuation bytes of UTF-8."""
        data = self.raw[source_id]
        return len(data) - (
            0 if data.isascii() else int(np.count_nonzero((np.frombuffer(data, np.uint8) & 0xC0) == 0x80))
        )


def read_seeds(repo: Repository) -> SourceTexts:
    """Every seed file named like a source id (regular files within the size cap only)."""
    found = {}
    for path in sorted((repo.root / "seeds").glob("*.txt")):
        if seed_path(repo, path.stem) == path and path.stat().st_size <= MAX_SEED_BYTES:
            found[path.stem] = path.read_bytes()
    return SourceTexts(found)
