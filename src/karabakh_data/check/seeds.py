"""Seeds: a seed of the baseline's release never changes, a seed added since is named after its hash
(NNN_<the first 16 hex digits of its SHA-256>.txt, so that its name pins its bytes), and no seed holds
a character the text policy refuses (model/characters.py)."""

from __future__ import annotations

from collections.abc import Iterator

from .. import kernels
from ..io.baseline import blob_id
from ..model.characters import ASCII_CONTROLS, describe, refused_among
from ..model.problems import Problem
from .context import Context

SEEDS = "seeds"
HASH_DIGITS = 16
# in a source document, tab and LF are text; every other ASCII control byte is refused
SEED_ALLOWED_BYTES = bytes(b for b in range(0x100) if b not in ASCII_CONTROLS) + b"\t\n"


def check_seed_files(ctx: Context) -> Iterator[Problem]:
    """A seed of the release keeps its recorded hash, a seed of a committed baseline its bytes; any
    other seed is new, and named after its hash."""
    pinned, at_base = ctx.record.seeds, ctx.record.seed_blobs or {}
    baseline = ctx.record.baseline.description
    for source_id, digest in sorted(ctx.texts.digests.items()):
        path = f"{SEEDS}/{source_id}.txt"
        if path in pinned and digest != pinned[path]:
            yield _changed(path, digest, f"it was released with SHA-256 {pinned[path]}")
        elif path in at_base:
            if source_id in ctx.texts.raw and blob_id(ctx.texts.raw[source_id]) != at_base[path]:
                yield _changed(path, digest, "it differs from the baseline's copy")
        elif path not in pinned and source_id[-HASH_DIGITS:] != digest[:HASH_DIGITS]:
            yield Problem.of_file(
                path,
                "seed-name",
                f"a new seed is named NNN_<the first {HASH_DIGITS} hex digits of its SHA-256>.txt: "
                f"{source_id[:-HASH_DIGITS]}{digest[:HASH_DIGITS]}.txt",
                value=source_id,
            )
    present = {f"{SEEDS}/{source_id}.txt" for source_id in ctx.texts.digests}
    for path in sorted((set(pinned) | set(at_base)) - present):
        if not (ctx.repo.root / path).exists():  # a seed that is there but unreadable has its own problem
            yield Problem.of_file(path, "seed-changed", f"the seed is gone ({baseline})")


def _changed(path: str, digest: str, why: str) -> Problem:
    return Problem.of_file(
        path,
        "seed-changed",
        f"the seed has been edited ({why}): seeds are never edited; a corrected text is a new seed with a new "
        "source row",
        value=digest,
    )


def _at(raw: bytes, offset: int) -> tuple[int, str]:
    """(line, character) at a byte offset of valid UTF-8."""
    end = offset + 1
    while end < len(raw) and raw[end] & 0xC0 == 0x80:
        end += 1
    return raw.count(b"\n", 0, offset) + 1, raw[offset:end].decode("utf-8")


def check_seed_text(ctx: Context) -> Iterator[Problem]:
    """The first character of each refused kind in each seed."""
    for source_id in sorted(ctx.texts):
        raw, path = ctx.texts.raw[source_id], f"{SEEDS}/{source_id}.txt"
        controls = raw.translate(None, SEED_ALLOWED_BYTES)
        if controls:
            offset = raw.index(controls[:1])
            line, character = _at(raw, offset)
            yield _problem(path, line, "control-char", character)
        # the few distinct characters of the text are judged, not its megabytes
        for rule, found in sorted(refused_among(kernels.distinct_characters(raw)).items()):
            line, character = _at(raw, min(raw.find(c.encode("utf-8")) for c in found))
            yield _problem(path, line, rule, character)


def _problem(path: str, line: int, rule: str, character: str) -> Problem:
    return Problem(
        path,
        line,
        None,
        None,
        rule,
        character,
        f"the source document holds {describe(character)}, which the text policy refuses (codebook, "
        "'Characters'); a seed holding it cannot be checked by eye",
    )
