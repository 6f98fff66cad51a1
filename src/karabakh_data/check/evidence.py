"""Evidence: every source row matches its document in seeds/, and every quote sits where its offsets say.

Offsets are Python string indices (Unicode code points) into the UTF-8 source text, so
`text[char_start:char_end] == quote`. Nobody counts them by hand: `karabakh-data fmt` fills them.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import kernels
from ..io.csvfile import TableData
from ..io.seeds import SourceTexts, seed_path
from ..kernels import Column
from ..model.problems import Omitted, Problem
from .context import Context

ROWS_PER_LOOK = 1 << 14
WORDLIKE = r"[\p{L}\p{N}]"


class SpanError(Exception):
    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


def occurrences(text: str, quote: str) -> list[int]:
    """Every start offset of quote in text, overlapping ones included."""
    found, start = [], text.find(quote)
    while start != -1:
        found.append(start)
        start = text.find(quote, start + 1)
    return found


def locate(text: str, quote: str, hint_start: int | None = None) -> tuple[int, int]:
    """The (char_start, char_end) of quote in text. A quote that occurs more than once is ambiguous
    unless hint_start (the row's char_start) already points at one of its occurrences: that is how
    a coder disambiguates."""
    if hint_start is not None and text[hint_start : hint_start + len(quote)] == quote:
        return hint_start, hint_start + len(quote)
    starts = occurrences(text, quote)
    if not starts:
        raise SpanError(
            "quote-not-in-source",
            "the quote does not occur in the source text (check spelling, "
            "punctuation and quote marks: it must be copied exactly)",
        )
    if len(starts) > 1:
        raise SpanError(
            "quote-ambiguous",
            f"the quote occurs {len(starts)} times (at char_start {starts}); "
            "lengthen it or set char_start to the occurrence you mean",
        )
    return starts[0], starts[0] + len(quote)


def check_sources(ctx: Context) -> Iterator[Problem]:
    """Each source row matches its file in seeds/ byte for byte; every seed file has a row."""
    data = ctx.data.get("sources")
    if data is None:
        return
    columns = [data.column(c).to_pylist() for c in ("source_id", "path", "title", "text_sha256", "text_chars")]
    listed = set()
    for row, (source_id, path, title, sha256, chars) in enumerate(zip(*columns)):
        listed.add(path)
        if path != f"seeds/{source_id}.txt":
            yield data.problem(row, "path", "source-path", f"the path must be seeds/{source_id}.txt")
        elif seed_path(ctx.repo, source_id) is None:
            yield data.problem(row, "path", "source-missing", "the source document is not in seeds/ (or is a symlink)")
        elif source_id not in ctx.texts:
            yield data.problem(row, "path", "source-encoding", "the source document is not valid UTF-8")
        else:
            for field, rule, message in _seed_differences(ctx.texts, source_id, title, sha256, chars):
                yield data.problem(row, field, rule, message)
    for seed in sorted((ctx.repo.root / "seeds").glob("*.txt")):
        if ctx.repo.relative(seed) not in listed:
            message = "this seed file has no row in sources.csv"
            yield Problem(ctx.repo.relative(seed), None, None, None, "source-unlisted", None, message)


def _seed_differences(texts: SourceTexts, source_id: str, title: str, sha256: str, chars: int) -> Iterator[tuple]:
    """(field, rule, message) of each way a seed file differs from its sources row."""
    raw, digest = texts.raw[source_id], texts.digests[source_id]
    if digest != sha256:
        yield (
            "text_sha256",
            "source-hash",
            f"the file's SHA-256 is {digest}: seeds are never edited; a new text is a new source",
        )
    if texts.chars(source_id) != chars:
        yield "text_chars", "source-length", f"the text has {texts.chars(source_id)} characters"
    if title != raw.split(b"\n", 1)[0].decode("utf-8"):
        yield "title", "source-title", "the title must be the document's first line, as written"


class SpanIndex:
    """Where each source text's characters start in its UTF-8 bytes, learnt once for every table."""

    def __init__(self, ctx: Context):
        self.ids = list(ctx.texts)
        self.buffers = [ctx.texts.raw[i] for i in self.ids]
        self.chars = np.array([ctx.texts.chars(i) for i in self.ids] + [-1], dtype=np.int64)
        self.owners = [None if b.isascii() else kernels.continuation_owners(b) for b in self.buffers]

    def matching_spans(self, source_ids: Column, quotes: Column, starts: Column, ends: Column) -> np.ndarray:
        """For each row, whether the source text's characters [start, end) are the quote."""
        which = pc.fill_null(pc.index_in(source_ids, value_set=pa.array(self.ids, pa.string())), -1).to_numpy(
            zero_copy_only=False
        )
        start, end = (pc.fill_null(c, -1).to_numpy(zero_copy_only=False).astype(np.int64) for c in (starts, ends))
        usable = (start >= 0) & (end >= start) & (end <= self.chars[which])
        order = np.flatnonzero(usable)
        order = order[np.argsort(which[order], kind="stable")]  # the usable rows grouped by source
        bounds = np.searchsorted(which[order], np.arange(len(self.ids) + 1))
        for k, owners in enumerate(self.owners):
            rows = order[bounds[k] : bounds[k + 1]]
            if owners is not None and len(rows):  # character offsets to byte offsets (the same in ASCII)
                start[rows], end[rows] = kernels.char_to_byte_offsets(owners, np.stack([start[rows], end[rows]]))
        return kernels.substrings_equal(self.buffers, np.where(usable, which, -1), start, end, quotes)


def check_spans(ctx: Context) -> Iterator[Problem]:
    """text[char_start:char_end] == quote for every row that cites evidence."""
    texts = None
    for data in ctx.data.values():
        if not data.table.has_evidence:
            continue
        texts = texts or SpanIndex(ctx)
        columns = [data.column(c) for c in ("source_id", "quote", "char_start", "char_end")]
        # an unknown source or a missing quote is reported by other rules
        known = pc.and_(pc.is_in(columns[0], value_set=pa.array(texts.ids, pa.string())), pc.is_valid(columns[1]))
        rows = np.flatnonzero(
            ~texts.matching_spans(*columns) & pc.fill_null(known, False).to_numpy(zero_copy_only=False)
        )
        for first in range(0, len(rows), ROWS_PER_LOOK):  # the rows that need a closer look, a slice at a time
            yield from _look_closer(ctx, data, rows[first : first + ROWS_PER_LOOK])


def _look_closer(ctx: Context, data: TableData, rows: np.ndarray) -> Iterator[Problem]:
    """Why each row's quote is not at its offsets: not in the text, ambiguous, or elsewhere."""
    picked = data.typed.select(["source_id", "quote", "char_start", "char_end"]).take(pa.array(rows, pa.int64()))
    for row, values in zip(rows.tolist(), picked.to_pylist()):
        source_id, quote, start, end = values.values()
        text = ctx.texts.get(source_id)
        try:
            found_start, _ = locate(text, quote, start)
        except SpanError as exc:
            yield data.problem(row, "quote", exc.rule, exc.message)
            continue
        if start is not None and end is not None:
            yield data.problem(
                row,
                "char_start",
                "span",
                f"text[{start}:{end}] is {text[start:end][:60]!r}, not the quote; "
                f"the quote is at char_start {found_start}: run `karabakh-data fmt`",
                f"{start}:{end}",
            )


def check_quotes(ctx: Context) -> Iterator[Problem | Omitted]:
    """A quote is evidence only when it holds words or numbers: a space or a comma alone is in every text."""
    for data in ctx.data.values():
        if data.table.has_evidence:
            quote = data.column("quote")
            yield from data.problems_at(
                pc.and_(pc.is_valid(quote), pc.invert(pc.match_substring_regex(quote, WORDLIKE))),
                "quote",
                "quote-blank",
                "the quote holds no letter or digit: quote the words the row is coded from",
            )
