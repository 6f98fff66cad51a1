"""Evidence: every source row matches its document in seeds/, and every quote sits where its offsets say.

Offsets are Python string indices (Unicode code points) into the UTF-8 source text, so
`text[char_start:char_end] == quote`. Nobody counts them by hand: `karabakh-data fmt` fills them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import kernels
from ..io.csvfile import TableData
from ..io.seeds import SourceTexts, seed_path
from ..kernels import Column
from ..model.problems import Omitted, Problem
from .context import Context, lookup

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


SHIPPED, CITED = "shipped", "cited"
CITED_ID = re.compile(r"cit-[0-9]{4,}")
CITED_REQUIRES = ("publisher", "url", "retrieved_date")  # where to read a cited source, and when it was read
MAX_EXCERPT_CHARS = 600  # a sentence: a cited source is quoted as evidence, never copied


def check_sources(ctx: Context) -> Iterator[Problem]:
    """A shipped source matches its file in seeds/ byte for byte, and every seed file has a row; a cited
    source says where and when it was read, and has no file."""
    data = ctx.data.get("sources")
    if data is None:
        return
    names = ("source_id", "source_kind", "path", "title", "text_sha256", "text_chars")
    listed = set()
    for row, values in enumerate(zip(*(data.column(c).to_pylist() for c in names))):
        record = dict(zip(names, values))
        listed.add(record["path"])
        problems = _shipped(ctx, record) if record["source_kind"] == SHIPPED else _cited(data, row, record)
        for field, rule, message in problems:
            yield data.problem(row, field, rule, message)
    for seed in sorted((ctx.repo.root / "seeds").glob("*.txt")):
        if ctx.repo.relative(seed) not in listed:
            message = "this seed file has no row in sources.csv"
            yield Problem.of_file(ctx.repo.relative(seed), "source-unlisted", message)


def _shipped(ctx: Context, record: dict) -> Iterator[tuple[str, str, str]]:
    source_id = record["source_id"]
    if record["path"] != f"seeds/{source_id}.txt":
        yield "path", "source-path", f"a shipped source's path is seeds/{source_id}.txt"
    elif seed_path(ctx.repo, source_id) is None:
        yield "path", "source-missing", "the source document is not in seeds/ (or is a symlink)"
    elif source_id not in ctx.texts:
        yield "path", "source-encoding", "the source document is not valid UTF-8"
    elif record["text_sha256"] is None or record["text_chars"] is None:
        missing = "text_sha256" if record["text_sha256"] is None else "text_chars"
        yield missing, "source-kind", f"a shipped source records its {missing}, checked against the file"
    else:
        yield from _seed_differences(ctx.texts, source_id, record["title"], record["text_sha256"], record["text_chars"])


def _cited(data: TableData, row: int, record: dict) -> Iterator[tuple[str, str, str]]:
    if not CITED_ID.fullmatch(record["source_id"] or ""):
        yield (
            "source_id",
            "source-kind",
            "a cited source's id is cit- and a number; a shipped text's is its seed's name",
        )
    for field in ("path", "text_sha256", "text_chars"):
        if record[field] is not None:
            yield field, "source-kind", f"a cited source has no text here: {field} stays empty"
    for field in CITED_REQUIRES:
        if not data.column(field)[row].is_valid:
            yield (
                field,
                "source-cited",
                f"a cited source needs its {field}: a reader must be able to find what was quoted",
            )
    for field in ("title", "published_date"):
        if not data.column(field)[row].is_valid and not data.column("provenance_note")[row].is_valid:
            yield field, "source-provenance", f"no {field}: say in provenance_note why the copy read does not give it"


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
    """text[char_start:char_end] == quote for every row whose source is shipped; a row quoting a cited
    source holds a short excerpt and no offsets."""
    texts, kinds = None, ctx.data.get("sources")
    for data in ctx.data.values():
        if not data.table.has_evidence:
            continue
        texts = texts or SpanIndex(ctx)
        columns = [data.column(c) for c in ("source_id", "quote", "char_start", "char_end")]
        shipped = pc.is_in(columns[0], value_set=pa.array(texts.ids, pa.string()))
        # an unknown source or a missing quote is reported by other rules
        known = pc.fill_null(pc.and_(shipped, pc.is_valid(columns[1])), False).to_numpy(zero_copy_only=False)
        without = pc.or_(pc.is_null(columns[2]), pc.is_null(columns[3])).to_numpy(zero_copy_only=False)
        if kinds is not None:
            yield from _check_excerpts(data, lookup(columns[0], kinds, "source_id", "source_kind"))
        rows = np.flatnonzero(known & (without | ~texts.matching_spans(*columns)))
        for first in range(0, len(rows), ROWS_PER_LOOK):  # the rows that need a closer look, a slice at a time
            yield from _look_closer(ctx, data, rows[first : first + ROWS_PER_LOOK])


def _check_excerpts(data: TableData, kind: Column) -> Iterator[Problem | Omitted]:
    cited = pc.fill_null(pc.equal(kind, CITED), False)
    offsets = pc.or_(pc.is_valid(data.column("char_start")), pc.is_valid(data.column("char_end")))
    yield from data.problems_at(
        pc.and_(cited, offsets),
        "char_start",
        "excerpt-offsets",
        "the source is cited, not shipped: there is no text to count offsets in",
    )
    quote = data.column("quote")
    long = pc.or_(pc.greater(pc.utf8_length(quote), MAX_EXCERPT_CHARS), pc.match_substring(quote, "\n"))
    yield from data.problems_at(
        pc.and_(cited, pc.fill_null(long, False)),
        "quote",
        "excerpt-length",
        f"an excerpt of a cited source is one sentence at most ({MAX_EXCERPT_CHARS} characters, one line): "
        "cite the report, do not copy it",
    )


def _look_closer(ctx: Context, data: TableData, rows: np.ndarray) -> Iterator[Problem]:
    """Why each row's quote is not at its offsets: not in the text, ambiguous, elsewhere, or without
    offsets yet."""
    picked = data.typed.select(["source_id", "quote", "char_start", "char_end"]).take(pa.array(rows, pa.int64()))
    for row, values in zip(rows.tolist(), picked.to_pylist()):
        source_id, quote, start, end = values.values()
        text = ctx.texts.get(source_id)
        try:
            found_start, _ = locate(text, quote, start)
        except SpanError as exc:
            yield data.problem(row, "quote", exc.rule, exc.message)
            continue
        if start is None or end is None:
            message = "the quote's offsets are empty: run `karabakh-data fmt` to fill them"
            yield data.problem(row, "char_start", "span-missing", message)
        else:
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
