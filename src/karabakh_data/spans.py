"""Evidence spans: where a quote sits in its source text.

Offsets are Python string indices (Unicode code points) into the UTF-8-decoded source text, so
`text[char_start:char_end] == quote`. Nobody counts them by hand: `karabakh-data fmt` fills them.
"""

from __future__ import annotations

import numpy as np


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
    """The (char_start, char_end) of quote in text.

    A quote that occurs more than once is ambiguous unless hint_start (the row's char_start)
    already points at one of its occurrences: that is how a coder disambiguates.
    """
    if not quote:
        raise SpanError("quote-empty", "the quote is empty")
    if hint_start is not None and text[hint_start:hint_start + len(quote)] == quote:
        return hint_start, hint_start + len(quote)
    starts = occurrences(text, quote)
    if not starts:
        raise SpanError("quote-not-in-source", "the quote does not occur in the source text (check spelling, "
                        "punctuation and quote marks: it must be copied exactly)")
    if len(starts) > 1:
        raise SpanError("quote-ambiguous", f"the quote occurs {len(starts)} times (at char_start {starts}); "
                        "lengthen it or set char_start to the occurrence you mean")
    return starts[0], starts[0] + len(quote)


class SourceBytes:
    """The source texts as UTF-8 buffers (the seed files' own bytes), for checking many spans at once."""

    def __init__(self, texts):  # a read.SourceTexts
        import pyarrow as pa

        self.ids = list(texts)
        self.buffers = [pa.py_buffer(texts.raw[i]) for i in self.ids]
        self.chars = np.array([texts.chars(i) for i in self.ids] or [0], dtype=np.int64)

    def byte_positions(self, source: int, chars: np.ndarray) -> np.ndarray | None:
        """The byte offsets in `source`'s UTF-8 buffer of these character offsets (one past the end
        included); None for an ASCII text, where a character is a byte. A character's byte offset is
        its character offset plus the continuation bytes (10xxxxxx) of the characters before it:
        those bytes are few in most text, and a binary search counts them for each offset. No text is
        decoded (a UTF-32 copy and a table of every character's offset took 1.2 s and 1 GB for
        145 MB of seeds)."""
        if len(self.buffers[source]) == self.chars[source]:
            return None
        data = np.frombuffer(self.buffers[source], dtype=np.int8)
        continuation = np.flatnonzero(data < -64)  # 0x80 to 0xBF as signed bytes: one comparison a byte
        owner = continuation - np.arange(len(continuation)) - 1  # the character each continuation byte belongs to
        return chars + np.searchsorted(owner, chars)


def _positions(values, known) -> np.ndarray:
    """Position of each value in `known`, -1 where absent or null (per distinct value for dictionaries)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    chunks = values.chunks if isinstance(values, pa.ChunkedArray) else [values]
    found = []
    for chunk in chunks:
        if pa.types.is_dictionary(chunk.type):
            # looked up per distinct value, then spread over the rows by a NumPy gather; a null row
            # points one past the dictionary, at the -1 appended there
            codes = np.append(pc.fill_null(pc.index_in(chunk.dictionary, value_set=known), -1).to_numpy(), -1).astype(np.int64)
            indices = chunk.indices if not chunk.null_count else pc.fill_null(chunk.indices, len(chunk.dictionary))
            found.append(codes[indices.to_numpy(zero_copy_only=False)])
        else:
            found.append(pc.fill_null(pc.index_in(chunk, value_set=known), -1).to_numpy().astype(np.int64))
    if len(found) == 1:
        return found[0]
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def _words(buffer) -> np.ndarray:
    """The four bytes at each offset of the buffer as a little-endian int32, without copying: a view
    that steps one byte at a time (a binary view's prefix is the first four bytes of its string)."""
    size = max(len(buffer) - 3, 0)
    return np.ndarray((size,), dtype="<i4", buffer=buffer if size else np.zeros(4, np.uint8), strides=(1,))


INLINE = 12  # Arrow's binary views hold strings up to 12 bytes inline: those rows are compared in Python


def matching_spans(sources: SourceBytes, source_ids, quotes, char_starts, char_ends) -> np.ndarray:
    """For each row, whether text[char_start:char_end] == quote, computed without a Python loop:
    the spans become an Arrow binary-view array over the source buffers (no copy), which Arrow
    compares with the quotes. False wherever a value is missing or out of range; the caller looks
    at those rows one by one."""
    import pyarrow as pa
    import pyarrow.compute as pc

    from .read import small_ints

    n = len(quotes)
    source = _positions(source_ids, pa.array(sources.ids, pa.string()))
    start = pc.fill_null(char_starts, -1).to_numpy().astype(np.int64, copy=False)
    end = pc.fill_null(char_ends, -1).to_numpy().astype(np.int64, copy=False)
    usable = (source >= 0) & pc.is_valid(quotes).to_numpy(zero_copy_only=False) & (start >= 0) & (end >= start)
    usable &= end <= sources.chars.take(source, mode="clip")  # -1 (no source) is not usable anyway
    rows = np.flatnonzero(usable)
    # rows grouped by source (a radix sort of small integers), for the per-source buffers and offsets
    grouped = source if len(rows) == n else source[rows]
    order = np.argsort(small_ints(grouped), kind="stable")
    by_source = order if len(rows) == n else rows[order]
    bounds = np.zeros(len(sources.ids) + 1, dtype=np.int64)
    np.cumsum(np.bincount(grouped, minlength=len(sources.ids)), out=bounds[1:])
    byte_start, byte_end = start, end  # a character is a byte in an ASCII text
    for k in range(len(sources.ids)):
        group = by_source[bounds[k]:bounds[k + 1]]
        moved = sources.byte_positions(k, np.concatenate([start[group], end[group]])) if len(group) else None
        if moved is not None:
            if byte_start is start:  # copied only when some text is not ASCII
                byte_start, byte_end = start.copy(), end.copy()
            byte_start[group], byte_end[group] = moved[:len(group)], moved[len(group):]
    size = byte_end - byte_start
    quote_size = pc.binary_length(quotes).to_numpy(zero_copy_only=False)
    matched = np.zeros(n, dtype=bool)
    if len(rows) == n:  # every row usable (valid data): no gathers
        long = (size == quote_size) & (size > INLINE)
    else:
        long = np.zeros(n, dtype=bool)
        long[rows] = (size[rows] == quote_size[rows]) & (size[rows] > INLINE)
    if not long.any():
        return matched
    prefix = np.zeros(n, dtype="<i4")  # a view keeps the first 4 bytes of its string
    for k in range(len(sources.ids)):
        group = by_source[bounds[k]:bounds[k + 1]]
        group = group[long[group]]
        if len(group):
            prefix[group] = _words(sources.buffers[k])[byte_start[group]]
    # one view per row, in row order (the others stay empty and are masked out): no gather of the quotes
    views = np.empty((n, 4), dtype="<i4")  # length, first 4 bytes, buffer index, offset
    for column, values in enumerate((size, prefix, source, byte_start)):
        views[:, column] = values
    views[~long] = 0
    spans = pa.Array.from_buffers(pa.binary_view(), n, [None, pa.py_buffer(views), *sources.buffers])
    # view against view: Arrow compares lengths and prefixes, then the bytes where they lie (no copy)
    same = pc.fill_null(pc.equal(spans, quotes.cast(pa.binary_view())), False).to_numpy(zero_copy_only=False)
    return same & long
