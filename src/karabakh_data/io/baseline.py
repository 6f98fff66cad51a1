"""The baseline a change is judged against: what was released, the identifiers retired and the
version, as a committed revision has them (`validate --base REF`), or, without --base, as the working
tree has them.

A pull request can edit any file of its working tree, the release record included, so only a
baseline read from git is trusted: CI passes the pull request's base. Files are read from git's
object store (`git cat-file`), never checked out, and nothing of the working tree's git configuration
or attributes applies to them.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ..model.repository import Repository

GIT_TIMEOUT_SECONDS = 60


class BaselineError(Exception):
    """The baseline cannot be read at all (not a git repository, an unknown revision): a usage error."""


class BaselineFileError(Exception):
    """One file of the baseline cannot be used (too large, a symlink): a problem of that file."""


@dataclass
class Baseline:
    description: str  # what the report says the change was judged against
    trusted: bool  # read from a committed revision, which the change cannot edit
    _read: object = field(repr=False)  # (path, max_bytes) -> bytes | None
    _blobs: object = field(default=None, repr=False)  # folder -> {path: git blob id}

    def read(self, path: str, max_bytes: int) -> bytes | None:
        """The baseline's copy of a repository-relative file; None when it has none."""
        return self._read(path, max_bytes)

    def blobs(self, folder: str) -> dict[str, str] | None:
        """Repository-relative path -> git object id of each regular file of a folder at a committed
        baseline (None for the working tree, which is no baseline of its own files)."""
        return self._blobs(folder) if self._blobs is not None else None


def blob_id(data: bytes) -> str:
    """The id git gives a file of these bytes (SHA-1 of its blob object)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def working_tree(repo: Repository) -> Baseline:
    def read(path: str, max_bytes: int) -> bytes | None:
        full = repo.root / path
        if not full.exists() and not full.is_symlink():
            return None
        if not repo.is_regular_inside(full):
            raise BaselineFileError(f"{path} is not a regular file of the repository (a symlink?)")
        if full.stat().st_size > max_bytes:
            raise BaselineFileError(f"{path} is larger than {max_bytes} bytes")
        return full.read_bytes()

    return Baseline(
        "the working tree's own release record, which a change can edit (CI passes --base with the target branch)",
        False,
        read,
    )


def _git(root: Path, *args: str) -> bytes:
    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            timeout=GIT_TIMEOUT_SECONDS,
            env={**os.environ, "GIT_NO_REPLACE_OBJECTS": "1", "GIT_TERMINAL_PROMPT": "0"},
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BaselineError(f"git could not run ({exc}): --base needs git and a clone of the repository") from None
    if done.returncode != 0:
        raise BaselineError(done.stderr.decode("utf-8", "replace").strip()[:300] or f"git {args[0]} failed")
    return done.stdout


def from_git(repo: Repository, ref: str) -> Baseline:
    """The committed state of `ref` (a branch, a tag or a commit) of the git repository holding the
    repository."""
    top = Path(_git(repo.root, "rev-parse", "--show-toplevel").decode().strip())
    prefix = repo.root.resolve().relative_to(top.resolve()).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    try:
        commit = _git(repo.root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    except BaselineError:
        raise BaselineError(f"{ref!r} is not a commit of the git repository at {top}") from None
    commit = commit.decode().strip()

    def read(path: str, max_bytes: int) -> bytes | None:
        listed = _git(repo.root, "ls-tree", "-z", "--long", commit, "--", prefix + path).split(b"\0")[0]
        if not listed:
            return None
        mode, kind, obj, size = listed.split(b"\t")[0].split()
        if mode not in (b"100644", b"100755") or kind != b"blob":
            raise BaselineFileError(f"{path} at {ref} is not a regular file (git mode {mode.decode()})")
        if int(size) > max_bytes:
            raise BaselineFileError(f"{path} at {ref} is larger than {max_bytes} bytes")
        return _git(repo.root, "cat-file", "blob", obj.decode())

    def blobs(folder: str) -> dict[str, str]:
        found = {}
        for entry in _git(repo.root, "ls-tree", "-z", commit, "--", f"{prefix}{folder}/").split(b"\0"):
            if entry:
                mode, kind, obj = entry.split(b"\t")[0].split()
                if mode in (b"100644", b"100755") and kind == b"blob":
                    found[entry.split(b"\t", 1)[1].decode("utf-8", "replace")[len(prefix) :]] = obj.decode()
        return found

    return Baseline(f"{ref} (commit {commit[:12]})", True, read, blobs)
