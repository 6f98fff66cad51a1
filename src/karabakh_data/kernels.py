"""Generic Arrow and NumPy kernels: they know bytes, strings and arrays, nothing of this project's
tables. Every kernel here has an oracle test in tests/test_kernels.py that holds it to the plain
Python computation it stands for.
"""

from __future__ import annotations

import codecs

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Column = pa.Array | pa.ChunkedArray  # a column of a table, in one chunk or several
BLOCK_BYTES = 1 << 26  # a mask of a whole large file would be fresh memory the size of the file


def one_chunk(column: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The column as one Array."""
    if isinstance(column, pa.ChunkedArray):
        return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
    return column


def row_of(keys: Column, table_keys: Column) -> np.ndarray:
    """For each key, the row of `table_keys` that holds it; -1 where it is null or absent."""
    found = pc.fill_null(pc.index_in(keys, value_set=table_keys), -1)
    return found.to_numpy(zero_copy_only=False).astype(np.int64)


def true_rows(mask: pa.Array | pa.ChunkedArray) -> list[int]:
    """The rows where the boolean mask is true (null counts as false)."""
    return pc.indices_nonzero(pc.fill_null(mask, False)).to_pylist()


def value_bytes(values: pa.Array) -> bytes:
    """The bytes of a string or binary array's values, one after the other (nulls hold none)."""
    if len(values) == 0 or values.buffers()[2] is None:
        return b""
    width = np.int64 if pa.types.is_large_string(values.type) or pa.types.is_large_binary(values.type) else np.int32
    offsets = np.frombuffer(values.buffers()[1], dtype=width)[values.offset : values.offset + len(values) + 1]
    return values.buffers()[2].slice(int(offsets[0]), int(offsets[-1] - offsets[0])).to_pybytes()


def longest_value_bytes(values: pa.Array) -> int:
    """The length in bytes of the longest value (0 when there is none)."""
    return int(pc.max(pc.binary_length(values)).as_py() or 0) if len(values) else 0


def byte_positions(data: bytes | memoryview, byte: int) -> np.ndarray:
    """The offsets of every occurrence of one byte value in the data, in order."""
    array = np.frombuffer(data, dtype=np.uint8)
    found = [
        start + np.flatnonzero(array[start : start + BLOCK_BYTES] == byte)
        for start in range(0, len(array), BLOCK_BYTES)
    ]
    return np.concatenate(found) if found else np.zeros(0, dtype=np.int64)


def utf8_error(data: bytes) -> UnicodeDecodeError | None:
    """Why the bytes are not valid UTF-8 (None when they are). Arrow validates them in place; only
    invalid data is decoded by Python, to say where the first bad byte is."""
    if data.isascii():
        return None
    array = pa.Array.from_buffers(
        pa.large_binary(), 1, [None, pa.py_buffer(np.array([0, len(data)], np.int64)), pa.py_buffer(data)]
    )
    try:
        array.cast(pa.large_string())
        return None
    except pa.ArrowInvalid:
        try:
            codecs.decode(data, "utf-8")
        except UnicodeDecodeError as exc:
            return exc
        raise  # Arrow and Python disagree on what UTF-8 is: a bug to hear about


def line_of_offset(data: bytes, offset: int) -> int:
    """The 1-based line on which a byte offset lies."""
    return data.count(b"\n", 0, offset) + 1


def quoting_error(data: bytes) -> int | None:
    """The offset of the first quote character that does not follow CSV's quoting rules (RFC 4180),
    None when every one does: a quoted cell starts at the start of a field and ends at its end, and
    a quote inside it is doubled. When that holds, the quotes before a byte say whether the byte is
    inside a quoted cell (an odd number) or not."""
    array = np.frombuffer(data, dtype=np.uint8)
    quotes = byte_positions(data, 0x22)
    openers, closers = quotes[0::2], quotes[1::2]  # the last opener has no closer when their count is odd
    doubled = np.zeros(len(openers), dtype=bool)  # an opener right after a closer: a doubled quote inside a cell
    doubled[1:] = openers[1:] == closers[: len(openers) - 1] + 1
    before = array[np.maximum(openers - 1, 0)]
    starts_field = (openers == 0) | (before == 0x2C) | (before == 0x0A) | doubled
    last = closers + 1 >= len(array)  # a closing quote may end the file
    after = np.where(last, 0x0A, array[np.minimum(closers + 1, len(array) - 1)])
    next_doubled = np.zeros(len(closers), dtype=bool)  # a closer right before an opener: the first of a doubled quote
    next_doubled[: len(doubled) - 1] = doubled[1:]
    ends_field = (after == 0x2C) | (after == 0x0A) | next_doubled
    bad = np.r_[openers[~starts_field], closers[~ends_field], openers[len(closers) :]]  # the last: a cell never closed
    return int(bad.min()) if len(bad) else None


def record_ends(data: bytes) -> np.ndarray:
    """The offsets of the line feeds that end CSV records (those outside quoted cells), for data whose
    quoting is sound (quoting_error is None). The last record may end without one."""
    breaks = byte_positions(data, 0x0A)
    quotes = byte_positions(data, 0x22)
    if not len(quotes):
        return breaks
    return breaks[np.searchsorted(quotes, breaks) % 2 == 0]


def fields_per_record(data: bytes, ends: np.ndarray) -> np.ndarray:
    """How many fields each record holds (commas outside quoted cells, plus one), for the records that
    record_ends found (and a last one after the final line feed, if any bytes follow it)."""
    commas = byte_positions(data, 0x2C)
    quotes = byte_positions(data, 0x22)
    if len(quotes):
        commas = commas[np.searchsorted(quotes, commas) % 2 == 0]
    records = len(ends) + (1 if len(data) and (not len(ends) or ends[-1] != len(data) - 1) else 0)
    return np.bincount(np.searchsorted(ends, commas), minlength=records)[:records] + 1


def first_difference(a: bytes | memoryview, b: bytes | memoryview) -> int | None:
    """The offset of the first byte at which a and b differ (or where the shorter one ends), None
    when they are equal."""
    left, right = np.frombuffer(a, dtype=np.uint8), np.frombuffer(b, dtype=np.uint8)
    common = min(len(left), len(right))
    for start in range(0, common, BLOCK_BYTES):
        stop = min(start + BLOCK_BYTES, common)
        differ = np.flatnonzero(left[start:stop] != right[start:stop])
        if len(differ):
            return start + int(differ[0])
    return None if len(left) == len(right) else common


def continuation_owners(data: bytes) -> np.ndarray:
    """For each continuation byte (0b10xxxxxx) of UTF-8 data, in order, the offset of the character it
    belongs to: what char_to_byte_offsets needs to know of the data."""
    continuation = np.flatnonzero((np.frombuffer(data, dtype=np.uint8) & 0xC0) == 0x80)
    return continuation - np.arange(len(continuation)) - 1


def char_to_byte_offsets(owners: np.ndarray, chars: np.ndarray) -> np.ndarray:
    """The byte offsets of character (code point) offsets into UTF-8 data whose continuation_owners
    are given: a character's byte offset is its character offset plus the continuation bytes of the
    characters before it."""
    return chars + np.searchsorted(owners, chars)


INLINE_BYTES = 12  # Arrow keeps a binary view of up to 12 bytes inline, not as a reference into a buffer


def substrings_equal(
    buffers: list[bytes], which: np.ndarray, start: np.ndarray, end: np.ndarray, values: pa.Array | pa.ChunkedArray
) -> np.ndarray:
    """For each row i, whether buffers[which[i]][start[i]:end[i]] == values[i] (byte offsets; False
    where which is -1, the range is out of bounds, or the value is null). The ranges become Arrow
    binary views into the buffers, which Arrow compares with the values without copying either."""
    n = len(values)
    values = values.cast(pa.binary())
    sizes = np.array([len(b) for b in buffers] + [-1], dtype=np.int64)  # which -1 reads the last: out of bounds
    usable = (start >= 0) & (end >= start) & (end <= sizes[which]) & pc.is_valid(values).to_numpy(zero_copy_only=False)
    length = np.where(usable, end - start, -1)
    candidates = length == pc.fill_null(pc.binary_length(values), -2).to_numpy(zero_copy_only=False)
    equal = np.zeros(n, dtype=bool)
    for row in np.flatnonzero(
        candidates & (length <= INLINE_BYTES)
    ).tolist():  # a few bytes each: compared as Python bytes
        equal[row] = buffers[which[row]][start[row] : end[row]] == values[row].as_py()
    long = candidates & (length > INLINE_BYTES)
    if not long.any():
        return equal
    views = np.zeros((n, 4), dtype="<i4")  # length, first four bytes, buffer index, offset
    views[:, 0], views[:, 2], views[:, 3] = (
        np.where(long, length, 0),
        np.where(long, which, 0),
        np.where(long, start, 0),
    )
    rows = np.flatnonzero(long)
    rows = rows[np.argsort(which[rows], kind="stable")]  # grouped by buffer, for their first four bytes
    bounds = np.searchsorted(which[rows], np.arange(len(buffers) + 1))
    for k, buffer in enumerate(buffers):
        group = rows[bounds[k] : bounds[k + 1]]
        if len(group):  # the four bytes at each offset of the buffer, as a strided view (no copy)
            views[group, 1] = np.ndarray((len(buffer) - 3,), dtype="<i4", buffer=buffer, strides=(1,))[start[group]]
    spans = pa.Array.from_buffers(pa.binary_view(), n, [None, pa.py_buffer(views), *(pa.py_buffer(b) for b in buffers)])
    same = pc.fill_null(pc.equal(spans, values.cast(pa.binary_view())), False).to_numpy(zero_copy_only=False)
    return equal | (same & long)


ROWS_PER_BLOCK = 1 << 18  # contains() copies the values it looks in this many rows at a time


def contains(values: pa.Array | pa.ChunkedArray, needles: pa.Array, regex: bool = False) -> np.ndarray:
    """For each row i, whether values[i] holds needles[i] (with `regex`, a match of the regular
    expression needles[i]; False where either is null). The rows with a needle are sorted by it, and
    each distinct needle is looked for in its run of rows, a block of rows at a time."""
    encoded = pc.dictionary_encode(one_chunk(needles))
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    values = one_chunk(values)  # a gather from one array is several times faster than from many chunks
    dictionary = encoded.dictionary.to_pylist()
    found = np.zeros(len(codes), dtype=bool)
    rows = np.flatnonzero(codes >= 0)
    order = rows[np.argsort(codes[rows], kind="stable")]
    match = pc.match_substring_regex if regex else pc.match_substring
    for first in range(0, len(order), ROWS_PER_BLOCK):
        block = order[first : first + ROWS_PER_BLOCK]
        picked = pc.take(values, pa.array(block))
        bounds = np.searchsorted(codes[block], np.arange(len(dictionary) + 1))
        for k in np.flatnonzero(np.diff(bounds)).tolist():
            run = picked.slice(bounds[k], bounds[k + 1] - bounds[k])
            hits = pc.fill_null(match(run, dictionary[k]), False).to_numpy(zero_copy_only=False)
            found[block[bounds[k] : bounds[k + 1]][hits]] = True
    return found


def distinct_characters(data: bytes) -> list[str]:
    """The distinct characters outside ASCII of valid UTF-8 data, found from their lead bytes: each
    character as the up to four bytes from its lead byte, packed into one integer."""
    array = np.frombuffer(data, dtype=np.uint8)
    leads = np.flatnonzero(array >= 0xC0)
    if not len(leads):
        return []
    width = 2 + (array[leads] >= 0xE0) + (array[leads] >= 0xF0)
    padded = np.concatenate([array, np.zeros(3, dtype=np.uint8)])
    packed = np.zeros(len(leads), dtype=np.int64)
    for k in range(4):
        packed |= np.where(k < width, padded[leads + k].astype(np.int64), 0) << (8 * (3 - k))
    return [int(x).to_bytes(4, "big").rstrip(b"\0").decode("utf-8") for x in np.unique(packed)]


def cycle_members(parents: np.ndarray) -> np.ndarray:
    """For each row, whether following `parents` (the row of each row's parent, -1 for none) from it
    comes back to it. Each pass squares the parent map; after the pass whose step count reaches the
    number of rows, every row has arrived at the root or on a cycle, and every row of a cycle is
    where some row arrived (a cycle is a permutation of its rows)."""
    n = len(parents)
    step = np.append(np.where(parents < 0, n, parents), n).astype(np.int64)  # n: the root, its own parent
    steps = 1
    while steps <= n:
        step = step[step]
        steps *= 2
    arrived = np.zeros(n + 1, dtype=bool)
    arrived[step] = True
    return arrived[:n]
