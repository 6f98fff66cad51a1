"""Rules that a Table Schema cannot state: across tables, across fields, against the source text.

Each rule is a function of the Context that yields Problems and has a stable name (the `rule` of
its problems), documented in the codebook. Where a rule depends on what a controlled value means,
the meaning lives in the vocabulary table (e.g. vocab_factuality.requires_claimant), not here.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .problems import Problem
from .read import (
    SourceTexts,
    TableData,
    arrow_array,
    constant_mask,
    fixed_width_bytes,
    one_chunk,
    parse_column,
    seed_path,
    string_buffers,
)
from .repository import Repository, holds
from .schemas import ENRICHMENT_ALWAYS, ENRICHMENT_BY_ORIGIN, Package
from .spans import SourceBytes, SpanError, locate, matching_spans

# Vocabulary values with a meaning the rules below implement (documented in the vocabulary tables).
ORIGIN_NONE, ORIGIN_STATED, ORIGIN_INFERRED, ORIGIN_ENRICHED = "none", "stated", "coder_inferred", "enriched"
ROLE_CLAIMANT = "claimant"
ACLED_FIELDS = ("acled_disorder_type", "acled_event_type", "acled_sub_event_type")


@dataclass
class Context:
    repo: Repository
    package: Package
    data: dict[str, TableData]  # the tables that could be read
    texts: SourceTexts = field(default_factory=lambda: SourceTexts({}))  # source_id -> source text (read.source_texts)

    def rows(self, table: str, *columns: str) -> Iterator[tuple]:
        """(row number, value, ...) over typed values; empty when the table could not be read."""
        data = self.data.get(table)
        if data is None:
            return iter(())
        cols = [data.typed.column(c).to_pylist() for c in columns]
        return ((i, *values) for i, values in enumerate(zip(*cols)))


def _check_disorder(data: TableData, pairs: TableData) -> Iterator[Problem]:
    """The disorder type must be the one ACLED files the (event type, sub-event type) pair under.
    Judged once per distinct (event type, sub-event type, disorder type) triple, the three columns
    being dictionary-encoded; rows are looked up only for the triples that are wrong."""
    expected = dict(zip(pc.binary_join_element_wise(pairs.typed.column("acled_event_type"), pairs.typed.column("acled_sub_event_type"),
                                                    "\x1f").to_pylist(), pairs.typed.column("acled_disorder_type").to_pylist()))
    triples = joined(data, ("acled_event_type", "acled_sub_event_type", "acled_disorder_type"))  # null when a part is empty
    start = 0
    for chunk in (triples.chunks if isinstance(triples, pa.ChunkedArray) else [triples]):
        if not pa.types.is_dictionary(chunk.type):
            chunk = pc.dictionary_encode(chunk)
        wrong = {}
        for index, triple in enumerate(chunk.dictionary.to_pylist()):
            event_type, sub_event_type, disorder = triple.split("\x1f")
            filed = expected.get(f"{event_type}\x1f{sub_event_type}")  # an unknown pair is a foreign-key problem
            if filed is not None and filed != disorder:
                wrong[index] = (sub_event_type, filed)
        if wrong:
            indices = chunk.indices
            for row in _rows_where(pc.is_in(indices, value_set=pa.array(list(wrong), indices.type))):
                sub_event_type, filed = wrong[indices[row].as_py()]
                yield data.problem(start + row, "acled_disorder_type", "acled-disorder", f"ACLED files {sub_event_type!r} under disorder type {filed!r}")
        start += len(chunk)


def joined(data: TableData, fields: tuple[str, ...]) -> pa.Array | pa.ChunkedArray:
    """The fields' cells joined with U+001F, null when any part is empty. When every field is a
    dictionary-encoded column, each distinct combination is joined once and the result is
    dictionary-encoded too (the lookups on it then run per combination, not per row)."""
    encoded = [data.encoded(f) for f in fields]
    if any(e is None for e in encoded):
        return pc.binary_join_element_wise(*[one_chunk(data.strings.column(f)) for f in fields], "\x1f")
    chunks = []
    for parts in zip(*(e.chunks for e in encoded)):
        code = np.zeros(len(parts[0]), dtype=np.int64)
        missing = np.zeros(len(parts[0]), dtype=bool)
        for part in parts:
            indices = pc.fill_null(part.indices, -1).to_numpy().astype(np.int64)
            missing |= indices < 0
            code = code * (len(part.dictionary) + 1) + indices + 1
        # codes are small (the product of the dictionary sizes): count instead of sorting
        code[missing] = 0
        combos = np.flatnonzero(np.bincount(code))
        position = np.zeros(combos[-1] + 1 if len(combos) else 1, dtype=np.int32)
        position[combos] = np.arange(len(combos), dtype=np.int32)
        inverse = position[code]
        values = []
        for c in combos.tolist():
            names = []
            for part in reversed(parts):
                c, index = divmod(c, len(part.dictionary) + 1)
                names.append(part.dictionary[index - 1].as_py())
            values.append("\x1f".join(reversed(names)))
        dictionary = pa.array(values, pa.string())
        indices = arrow_array(inverse.astype(np.int32).ravel(), missing=missing)
        chunks.append(pa.DictionaryArray.from_arrays(indices, dictionary))
    return pa.chunked_array(chunks)


def _keys(data: TableData, fields: tuple[str, ...]) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(key strings, all-present mask, partly-present mask) of a possibly composite key."""
    if len(fields) == 1:
        column = one_chunk(data.strings.column(fields[0]))
        return column, pc.is_valid(column), constant_mask(False, len(column))
    keys = joined(data, fields)  # null when any part is null
    present = pc.is_valid(keys)
    any_valid = pc.is_valid(data.raw(fields[0]))
    for f in fields[1:]:
        any_valid = pc.or_(any_valid, pc.is_valid(data.raw(f)))
    return keys, present, pc.and_(any_valid, pc.invert(present))


def _value_words(values: np.ndarray, start: int, byte_order: str) -> np.ndarray:
    """The eight bytes from `start` of each fixed-width value, as one 64-bit word per value, read
    in place (a strided view: no matrix of bytes). A word may run into the next value's bytes; the
    last value's word is read from a padded copy, since its bytes may end the buffer."""
    width, count = values.dtype.itemsize, len(values)
    words = np.empty(count, dtype=np.uint64)
    if count > 1:
        words[:-1] = np.ndarray((count - 1,), dtype=byte_order + "u8", buffer=values, offset=start, strides=(width,))
    words[-1] = np.frombuffer(values[-1].ljust(width, b"\0")[start:].ljust(8, b"\0")[:8], dtype=byte_order + "u8")[0]
    return words


def _as_integers(keys: np.ndarray, child: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two arrays of fixed-width bytes as 64-bit integers in the same order, when what follows their
    common prefix fits in eight bytes (evt-0000001: seven); unchanged otherwise. Integers compare in
    one instruction, where bytes are compared one at a time. The prefix is that of the first and
    last values, and every value is checked to start with it: dropping a prefix that some value
    lacks could make an unsorted array look sorted."""
    ends = [bytes(v) for v in (keys[0], keys[-1], child[0], child[-1])]
    width = keys.dtype.itemsize
    prefix = len(os.path.commonprefix(ends)) if all(len(e) == width for e in ends) else 0  # NumPy drops trailing NULs
    if width - prefix > 8:
        return keys, child
    if prefix <= 8 <= width:  # the prefix in one little-endian word, the rest in one big-endian word
        shared = int.from_bytes(ends[0][:prefix], "little")
        mask = (1 << (8 * prefix)) - 1
        shift = np.uint64(8 * (8 - (width - prefix)))
        if not all(((_value_words(v, 0, "<") & np.uint64(mask)) == np.uint64(shared)).all() for v in (keys, child)):
            return keys, child
        return tuple(_value_words(v, prefix, ">") >> shift for v in (keys, child))  # big-endian: byte order is number order
    matrices = [values.view(np.uint8).reshape(len(values), width) for values in (keys, child)]
    shared = np.frombuffer(ends[0][:prefix], dtype=np.uint8)
    if not all((m[:, :prefix] == shared).all() for m in matrices):
        return keys, child
    packed = []
    for matrix in matrices:
        padded = np.zeros((len(matrix), 8), dtype=np.uint8)
        padded[:, :width - prefix] = matrix[:, prefix:]
        packed.append(padded.view(">u8").ravel().astype(np.uint64))
    return packed[0], packed[1]


BINARY_SEARCH_MIN = 1 << 17  # below this many keys, a hash table is built faster than the search runs


def sorted_positions(values: pa.Array, reference: pa.Array) -> np.ndarray | None:
    """Row of each value in `reference` (-1 where absent) by binary search, when both are fixed-width
    identifiers without nulls and reference is in strictly ascending order (a primary key in
    canonical order): no hash table of millions of strings. None when they are not."""
    keys = fixed_width_bytes(reference) if len(reference) >= BINARY_SEARCH_MIN else None
    child = fixed_width_bytes(values) if keys is not None else None
    if child is None or keys.dtype != child.dtype or not len(child):
        return None
    keys, child = _as_integers(keys, child)
    if not (keys[1:] > keys[:-1]).all():
        return None
    # NumPy's bytes order is the byte order Arrow sorts by; equal widths make it exact
    position = np.minimum(np.searchsorted(keys, child), len(keys) - 1)
    return np.where(keys[position] == child, position, -1)


def is_member(values, reference: pa.Array):
    """pc.is_in(values, reference), by binary search where sorted_positions applies (a link table's
    key column against a large primary key)."""
    reference = one_chunk(reference)
    if isinstance(values, pa.ChunkedArray):
        return pa.chunked_array([is_member(chunk, reference) for chunk in values.chunks], pa.bool_())
    position = sorted_positions(values, reference)
    return pc.is_in(values, value_set=reference) if position is None else arrow_array(position >= 0)


def claimant_links(claim_events, claimants, link_events, link_actors) -> tuple[pa.Array, pa.Array]:
    """(whether each claim, an event and the actor it names, has a link with that event and actor;
    whether each link has such a claim). The fast path, when both event columns are fixed-width
    identifiers in key order (as canonical files keep them): each link's event is found among the
    claims' events by binary search, and the actors are compared for that one claim, which an event
    has at most one of. Otherwise the (event, actor) pairs are joined and looked up both ways."""
    claim_events, link_events = (one_chunk(e) for e in (claim_events, link_events))
    ce, le = fixed_width_bytes(claim_events), fixed_width_bytes(link_events)
    if ce is not None and le is not None and ce.dtype == le.dtype:
        ce, le = _as_integers(ce, le)
        if (ce[1:] > ce[:-1]).all() and (le[1:] >= le[:-1]).all():
            position = np.minimum(np.searchsorted(ce, le), len(ce) - 1)
            same = (ce[position] == le) & pc.fill_null(pc.equal(pc.take(claimants, position), link_actors), False).to_numpy(zero_copy_only=False)
            linked = np.zeros(len(ce), dtype=bool)
            linked[position[same]] = True
            return arrow_array(linked), arrow_array(same)
    claim_keys = pc.binary_join_element_wise(claim_events, claimants, "\x1f")
    link_keys = pc.binary_join_element_wise(link_events, link_actors, "\x1f")
    return pc.fill_null(is_member(claim_keys, link_keys), False), pc.fill_null(is_member(link_keys, claim_keys), False)


def check_foreign_keys(ctx: Context) -> Iterator[Problem]:
    for data in ctx.data.values():
        for fk in data.table.foreign_keys:
            parent = ctx.data.get(fk.resource)
            if parent is None:
                continue  # the parent's own problems are reported; nothing to look up against
            reference = _keys(parent, fk.reference_fields)[0].drop_null()
            if len(fk.fields) == 1:  # looked up once per distinct value when the column is dictionary-encoded
                missing = data.rows_where(fk.fields[0], lambda v: pc.and_(pc.is_valid(v), pc.invert(is_member(v, reference))))
                # spelled for the rows reported only: decoding a whole dictionary column costs its size in memory
                values = data.cells(fk.fields[0], pa.array(missing, pa.int64())).to_pylist() if missing else []
                partial = pa.array([], pa.bool_())
            else:
                keys, present, partial = _keys(data, fk.fields)
                missing = _rows_where(pc.and_(present, pc.invert(_is_in(keys, reference))))
                values = keys.take(pa.array(missing, pa.int64())).to_pylist()
            label = ",".join(fk.fields)
            target = f"{fk.resource}.{','.join(fk.reference_fields)}"
            for row, value in zip(missing, values):
                value = value.replace("\x1f", " / ")
                yield data.problem(row, label, "foreign-key", f"{value!r} is not a value of {target}", value)
            for row in pc.indices_nonzero(partial).to_pylist():
                yield data.problem(row, label, "foreign-key-partial", f"set all of ({label}) or none of them", None)


def check_sources(ctx: Context) -> Iterator[Problem]:
    """Each source row matches its file in seeds/ byte for byte; every seed file has a row."""
    data = ctx.data.get("sources")
    if data is None:
        return
    listed = set()
    for row, source_id, path, title, sha256, chars in ctx.rows("sources", "source_id", "path", "title", "text_sha256", "text_chars"):
        listed.add(path)
        if path != f"seeds/{source_id}.txt":
            yield data.problem(row, "path", "source-path", f"the path must be seeds/{source_id}.txt")
            continue
        file = seed_path(ctx.repo, source_id)
        if file is None:
            yield data.problem(row, "path", "source-missing", "the source document is not in seeds/ (or is a symlink)")
            continue
        if source_id not in ctx.texts:
            yield data.problem(row, "path", "source-encoding", "the source document is not valid UTF-8")
            continue
        raw = ctx.texts.raw[source_id]
        digest = hashlib.sha256(raw).hexdigest()
        if digest != sha256:
            yield data.problem(row, "text_sha256", "source-hash", f"the file's SHA-256 is {digest}: "
                               "seeds are never edited; a new text is a new source")
        if ctx.texts.chars(source_id) != chars:
            yield data.problem(row, "text_chars", "source-length", f"the text has {ctx.texts.chars(source_id)} characters")
        first_line = raw[:raw.find(b"\n")] if holds(raw, b"\n") else raw[:]
        if title != first_line.decode("utf-8"):  # a line break ends a character: the line decodes
            yield data.problem(row, "title", "source-title", "the title must be the document's first line, as written")
    for seed in sorted((ctx.repo.root / "seeds").glob("*.txt")):
        rel = ctx.repo.relative(seed)
        if rel not in listed:
            yield Problem(rel, None, None, None, "source-unlisted", None, "this seed file has no row in sources.csv")


def check_spans(ctx: Context) -> Iterator[Problem]:
    """text[char_start:char_end] == quote for every row that cites evidence."""
    sources = None
    for name, data in ctx.data.items():
        if not data.table.has_evidence:
            continue
        sources = sources or SourceBytes(ctx.texts)
        typed = data.typed
        matched = matching_spans(sources, data.raw("source_id"), *(typed.column(c) for c in ("quote", "char_start", "char_end")))
        rows = np.flatnonzero(~matched)
        if not len(rows):
            continue
        picked = typed.select(["source_id", "quote", "char_start", "char_end"]).take(arrow_array(rows)).to_pylist()
        for row, values in zip(rows.tolist(), picked):  # the few rows that need a closer look
            source_id, quote, start, end = values.values()
            text = ctx.texts.get(source_id)
            if text is None or quote is None:
                continue  # an unknown source or a missing quote is reported by other rules
            if start is not None and end is not None and text[start:end] == quote:
                continue
            try:
                found_start, _ = locate(text, quote, start)
            except SpanError as exc:
                yield data.problem(row, "quote", exc.rule, exc.message)
                continue
            if start is not None and end is not None:
                yield data.problem(row, "char_start", "span", f"text[{start}:{end}] is {text[start:end][:60]!r}, not the quote; "
                                   f"the quote is at char_start {found_start}: run `karabakh-data fmt`", f"{start}:{end}")


def _rows_where(mask) -> list[int]:
    return _indices_where(mask).to_pylist()


def _lookup_in(values, keys: pa.Array, looked_up: pa.Array) -> pa.ChunkedArray:
    """For each value, the entry of `looked_up` at the position of that value in `keys` (null when
    absent); for dictionary-encoded values, looked up once per distinct value."""
    out = []
    for chunk in (values.chunks if isinstance(values, pa.ChunkedArray) else [values]):
        if pa.types.is_dictionary(chunk.type):
            out.append(pc.take(pc.take(looked_up, pc.index_in(chunk.dictionary, value_set=keys)), chunk.indices))
        else:
            out.append(pc.take(looked_up, pc.index_in(chunk, value_set=keys)))
    return pa.chunked_array(out, looked_up.type)


def _is_in(values, reference) -> pa.ChunkedArray:
    """Whether each value is in `reference` (false for an empty cell), once per distinct value of a
    dictionary-encoded column: comparing the column itself decodes every row."""
    reference = one_chunk(reference)
    if pa.types.is_dictionary(reference.type):
        reference = reference.dictionary_decode()
    return pc.is_valid(_lookup_in(values, reference, constant_mask(True, len(reference))))


def _is_any(values, *choices: str) -> pa.ChunkedArray:
    return _is_in(values, pa.array(choices, pa.string()))


def _lookup(values, table: TableData, key: str, column: str) -> pa.ChunkedArray:
    """For each value, `column` of the vocabulary row whose `key` equals it (null when none does)."""
    return _lookup_in(values, one_chunk(table.typed.column(key)), one_chunk(table.typed.column(column)))


def check_dates(ctx: Context) -> Iterator[Problem]:
    vocab = ctx.data.get("vocab_date_precision")
    for name, data in ctx.data.items():
        table, typed = data.table, data.typed
        date_fields = [f.name for f in table.fields if f.enrichment == ENRICHMENT_BY_ORIGIN]
        if not date_fields:
            continue  # a table that merely names date_origin values, like the vocabulary itself
        # a date that does not parse is reported as a type problem; nothing more to say about its row
        unparsed = set().union(*(data.bad_cells.get(f, set()) for f in date_fields))
        ok = arrow_array(~np.isin(np.arange(data.num_rows), list(unparsed))) if unparsed else constant_mask(True, data.num_rows)
        origin = data.raw("date_origin")
        present = [pc.is_valid(typed.column(f)) for f in date_fields]
        any_date = present[0]
        for p in present[1:]:
            any_date = pc.or_(any_date, p)
        for row in _rows_where(pc.and_(ok, pc.and_(_is_any(origin, ORIGIN_NONE), any_date))):
            first = next(f for f in date_fields if typed.column(f)[row].is_valid)
            yield data.problem(row, first, "date-origin", "date_origin is none, so the dates must be empty")
        dated_origin = _is_any(origin, ORIGIN_STATED, ORIGIN_INFERRED, ORIGIN_ENRICHED)
        for row in _rows_where(pc.and_(ok, pc.and_(dated_origin, pc.invert(any_date)))):
            yield data.problem(row, "date_origin", "date-origin", f"date_origin is {origin[row].as_py()} but no date is set")
        if table.has_field("quote"):
            yield from _check_stated_years(data, date_fields, pc.and_(ok, _is_any(origin, ORIGIN_STATED)))
        if table.has_field("coder_note"):
            for row in _rows_where(pc.and_(ok, pc.and_(_is_any(origin, ORIGIN_INFERRED), pc.is_null(typed.column("coder_note"))))):
                yield data.problem(row, "coder_note", "date-inferred-note", "date_origin is coder_inferred: explain the inference in coder_note")
        if not table.has_field("date_precision") or vocab is None:
            continue  # without its vocabulary (reported unreadable) a precision means nothing to check
        precision, start, end = data.raw("date_precision"), typed.column("date_start"), typed.column("date_end")
        known = pc.and_(ok, _is_in(precision, vocab.typed.column("date_precision")))
        has_dates = _lookup(precision, vocab, "date_precision", "has_dates")
        for row in _rows_where(pc.and_(known, pc.and_(pc.invert(has_dates), pc.or_(pc.is_valid(start), pc.is_valid(end))))):
            yield data.problem(row, "date_precision", "date-precision", f"precision {precision[row].as_py()} means no dates, but dates are set")
        for row in _rows_where(pc.and_(known, pc.and_(has_dates, pc.or_(pc.is_null(start), pc.is_null(end))))):
            yield data.problem(row, "date_start" if not start[row].is_valid else "date_end", "date-missing",
                               f"precision {precision[row].as_py()} needs both date_start and date_end")
        both = pc.and_(known, pc.and_(has_dates, pc.and_(pc.is_valid(start), pc.is_valid(end))))
        first_day, last_day = pc.cast(start, pa.int32()), pc.cast(end, pa.int32())
        span = pc.subtract(last_day, first_day)
        for row in _rows_where(pc.and_(both, pc.less(span, 0))):
            yield data.problem(row, "date_end", "date-order", f"date_end {end[row]} is before date_start {start[row]}", str(end[row]))
        ordered = pc.and_(both, pc.greater_equal(span, 0))
        low, high = _lookup(precision, vocab, "date_precision", "min_span_days"), _lookup(precision, vocab, "date_precision", "max_span_days")
        # the spans and the boundaries are looked at only in the rows whose precision constrains them:
        # none for precision day, which most rows have at ACLED scale
        rows = _indices_where(pc.and_(ordered, pc.or_(pc.is_valid(low), pc.is_valid(high))))
        if len(rows):
            days, least, most = (pc.take(c, rows) for c in (span, low, high))
            outside = pc.or_(pc.fill_null(pc.less(days, least), False), pc.fill_null(pc.greater(days, most), False))
            for row in pc.take(rows, pc.indices_nonzero(outside)).to_pylist():
                yield data.problem(row, "date_precision", "date-precision", f"precision {precision[row].as_py()} allows a span of "
                                   f"{low[row].as_py()}..{high[row].as_py() if high[row].is_valid else 'any'} days; the dates span {span[row].as_py()}")
        # the boundary is compared in the vocabulary, and the answer looked up per row
        keys, boundary = one_chunk(vocab.typed.column("date_precision")), one_chunk(vocab.typed.column("boundary"))
        by_month, by_year = (_lookup_in(precision, keys, pc.equal(boundary, b)) for b in ("month", "year"))
        rows = _indices_where(pc.and_(ordered, pc.or_(by_month, by_year)))
        if not len(rows):
            continue
        first = pc.take(start, rows)
        next_day = pc.cast(pc.cast(pc.add(pc.take(last_day, rows), 1), pa.int32()), pa.date32())
        month_off = pc.or_(pc.not_equal(pc.day(first), 1), pc.not_equal(pc.day(next_day), 1))
        year_off = pc.or_(month_off, pc.or_(pc.not_equal(pc.month(first), 1), pc.not_equal(pc.month(next_day), 1)))
        for row in pc.take(rows, _indices_where(pc.and_(pc.take(by_month, rows), month_off))).to_pylist():
            yield data.problem(row, "date_precision", "date-precision", "precision month needs date_start on the 1st and date_end on a month's last day")
        for row in pc.take(rows, _indices_where(pc.and_(pc.take(by_year, rows), year_off))).to_pylist():
            yield data.problem(row, "date_precision", "date-precision", "precision year needs date_start on 1 January and date_end on 31 December")


def _indices_where(mask) -> pa.Array:
    """The rows where the mask is true (null counts as false), as an Arrow array of indices."""
    return pc.indices_nonzero(pc.fill_null(mask, False))


SCAN_BLOCK = 1 << 20  # bytes of quotes scanned at a time: the scratch arrays stay in cache (1 MB: 0.24 s at 2M events, 8 MB: 0.31 s)


def years_in_quotes(quotes: pa.ChunkedArray, years: list[np.ndarray]) -> list[np.ndarray]:
    """For each array of years (one per row; -1 for none), whether the row's quote holds that year as
    four digits, as a substring search for f"{year:04d}" would say. The quotes' bytes are scanned
    once, block by block, for the first two digits of a wanted year (read two bytes at a time, at
    even and at odd positions); each hit followed by two more digits is assigned to its row by its
    offset. No quote is copied (grouping rows by year and matching each group took a copy of every
    quote), and most bytes are looked at once (testing every byte for a digit took three times as long)."""
    found = [np.zeros(len(y), dtype=bool) for y in years]
    wanted = np.zeros(10000, dtype=bool)  # the years looked for: other runs of digits are dropped at once
    for year in years:
        wanted |= np.bincount(year + 1, minlength=10001)[1:10001] > 0  # -1 (no year) counts at 0, dropped
    centuries = np.unique(np.flatnonzero(wanted) // 100)
    # a century's two ASCII digits as one little-endian 16-bit word, as the bytes read at any position
    keys = (48 + centuries // 10 + ((48 + centuries % 10) << 8)).astype("<u2")
    if not len(keys):
        return found
    first_row = 0
    for chunk in quotes.chunks:
        offsets, data = string_buffers(chunk)
        low, high = int(offsets[0]), int(offsets[-1])
        for block_start in range(low, high - 3, SCAN_BLOCK):
            block_end = min(block_start + SCAN_BLOCK + 3, high)
            starts = block_end - block_start - 3  # a year may start at any of these (it has 3 more bytes)
            at = _word_positions(data[block_start:block_start + starts + 1], starts, keys)
            if not len(at):
                continue
            where = at + block_start
            third, fourth = data[where + 2] - np.uint8(48), data[where + 3] - np.uint8(48)  # wrap below "0"
            keep = (third < 10) & (fourth < 10)
            where, third, fourth = where[keep], third[keep], fourth[keep]
            value = ((data[where] - 48) * 10 + data[where + 1] - 48).astype(np.int16) * 100 + third * 10 + fourth
            keep = wanted[value]
            where, value = where[keep], value[keep]
            # rows are found among the block's own offsets, searched in their own integer type (a
            # search of int64 positions in int32 offsets converted every offset, block after block)
            position = offsets.dtype.type
            first = int(np.searchsorted(offsets, position(block_start), side="right")) - 1
            local = offsets[first:int(np.searchsorted(offsets, position(block_end), side="right")) + 1]
            row = first + np.searchsorted(local, where.astype(offsets.dtype), side="right") - 1
            inside = where + 4 <= offsets[row + 1]  # a run across two quotes belongs to neither
            for year, hit in zip(years, found):
                match = inside & (value == year[first_row + row])
                hit[first_row + row[match]] = True
        valid = chunk.is_valid().to_numpy(zero_copy_only=False)
        for hit in found:  # a null row's offsets may point anywhere
            hit[first_row:first_row + len(chunk)] &= valid
        first_row += len(chunk)
    return found


def _word_positions(block: np.ndarray, starts: int, keys: np.ndarray) -> np.ndarray:
    """The positions below `starts` at which the bytes of `block` (at least starts + 1 of them) begin
    one of the 16-bit `keys`, in no particular order."""
    found = []
    for parity in (0, 1):
        count = (starts - parity + 1) // 2  # the positions parity, parity + 2, ... below starts
        words = block[parity:parity + 2 * count].view("<u2")
        hits = words == keys[0]
        for key in keys[1:]:
            hits |= words == key
        found.append(np.flatnonzero(hits) * 2 + parity)
    return np.concatenate(found)


def _check_stated_years(data: TableData, date_fields: list[str], stated) -> Iterator[Problem]:
    """A stated date's year must be in the quote."""
    quote = data.typed.column("quote")
    stated = pc.fill_null(stated, False).to_numpy(zero_copy_only=False)
    years = [pc.fill_null(pc.year(data.typed.column(f)), -1).to_numpy() for f in date_fields]
    found = years_in_quotes(quote, [np.where(year <= 9999, year, -1) for year in years])
    for f, year, hit in zip(date_fields, years, found):
        for row in np.flatnonzero(stated & (year > 9999)).tolist():  # more than four digits: looked for as written
            hit[row] = quote[row].is_valid and str(year[row]) in quote[row].as_py()
        for row in np.flatnonzero(stated & (year >= 0) & ~hit).tolist():
            yield data.problem(row, f, "date-stated", f"date_origin is stated but the year {year[row]:04d} is not in the quote; "
                               "a date from outside the text is enrichment")


def check_fatalities(ctx: Context) -> Iterator[Problem]:
    data = ctx.data.get("events")
    if data is None:
        return
    low, best, high = (data.typed.column(c) for c in ("fatalities_low", "fatalities_best", "fatalities_high"))
    reported = set()
    for a, x, b, y in (("fatalities_low", low, "fatalities_best", best), ("fatalities_best", best, "fatalities_high", high),
                       ("fatalities_low", low, "fatalities_high", high)):
        for row in _rows_where(pc.greater(x, y)):
            if row not in reported:  # one problem per row is enough to point at it
                reported.add(row)
                yield data.problem(row, a, "fatalities-order", f"{a} ({x[row]}) is greater than {b} ({y[row]}); need low <= best <= high")


def check_attribution(ctx: Context) -> Iterator[Problem]:
    """Factuality decides whether a claimant is named and whether ACLED codes are allowed."""
    data = ctx.data.get("events")
    if data is None:
        return
    typed = data.typed
    factuality, claimant = data.raw("factuality"), data.raw("claimed_by_actor_id")
    disorder, etype, subtype = (data.raw(c) for c in ACLED_FIELDS)
    acled_set = [pc.is_valid(c) for c in (disorder, etype, subtype)]
    any_acled = pc.or_(pc.or_(acled_set[0], acled_set[1]), acled_set[2])
    all_acled = pc.and_(pc.and_(acled_set[0], acled_set[1]), acled_set[2])
    for row in _rows_where(pc.and_(any_acled, pc.invert(all_acled))):
        yield data.problem(row, "acled_event_type", "acled-incomplete", "set all three ACLED fields (disorder, event, sub-event type) or none")
    pairs = ctx.data.get("vocab_acled_sub_event_type")
    if pairs is not None:
        yield from _check_disorder(data, pairs)
    vocab = ctx.data.get("vocab_factuality")
    if vocab is None:
        return  # the factuality vocabulary is unreadable (reported): nothing decides what a value requires
    known = _is_in(factuality, vocab.typed.column("factuality"))
    requires = _lookup(factuality, vocab, "factuality", "requires_claimant")
    allows = _lookup(factuality, vocab, "factuality", "allows_acled")
    for row in _rows_where(pc.and_(known, pc.and_(requires, pc.is_null(claimant)))):
        yield data.problem(row, "claimed_by_actor_id", "claimant-missing", f"factuality {factuality[row].as_py()} needs the actor who makes the claim")
    for row in _rows_where(pc.and_(known, pc.and_(pc.invert(requires), pc.is_valid(claimant)))):
        yield data.problem(row, "claimed_by_actor_id", "claimant-unexpected", f"factuality {factuality[row].as_py()} is the article's own voice: no claimant")
    for row in _rows_where(pc.and_(known, pc.and_(pc.invert(allows), any_acled))):
        yield data.problem(row, "acled_event_type", "acled-not-allowed", f"events with factuality {factuality[row].as_py()} carry no ACLED codes")
    links = ctx.data.get("event_actors")
    if links is None:
        return
    # only rows that name a claimant and links in the claimant role take part: keys are joined for those
    claim_rows = pc.indices_nonzero(pc.is_valid(data.raw("claimed_by_actor_id")))
    link_rows = pc.indices_nonzero(_is_any(links.raw("role"), ROLE_CLAIMANT))
    claimants = data.cells("claimed_by_actor_id", claim_rows)  # decoded for these rows only
    linked, stated = claimant_links(pc.take(typed.column("event_id"), claim_rows), claimants,
                                    pc.take(links.typed.column("event_id"), link_rows), links.cells("actor_id", link_rows))
    for row in pc.take(claim_rows, pc.indices_nonzero(pc.invert(linked))).to_pylist():
        yield data.problem(row, "claimed_by_actor_id", "claimant-link", f"event_actors needs the row ({typed.column('event_id')[row]}, {claimant[row].as_py()}, {ROLE_CLAIMANT})")
    # and a claimant link must name the event's claimant, not another actor (a link to an unknown event
    # is a foreign-key problem already)
    unstated = pc.take(link_rows, pc.indices_nonzero(pc.invert(stated)))
    if len(unstated):
        known_event = pc.is_in(pc.take(links.typed.column("event_id"), unstated), value_set=one_chunk(typed.column("event_id")))
        for row in pc.filter(unstated, known_event).to_pylist():
            event = links.typed.column("event_id")[row].as_py()
            yield links.problem(row, "actor_id", "claimant-link", f"{links.typed.column('actor_id')[row]} is linked as claimant of {event}, "
                                "but events.claimed_by_actor_id names another actor (or none)")


def check_coordinates(ctx: Context) -> Iterator[Problem]:
    data = ctx.data.get("locations")
    if data is None:
        return
    lat, lon, precision = data.typed.column("latitude"), data.typed.column("longitude"), data.typed.column("geo_precision")
    pair_broken = pc.not_equal(pc.is_valid(lat), pc.is_valid(lon))
    for row in _rows_where(pair_broken):
        yield data.problem(row, "latitude" if not lat[row].is_valid else "longitude", "coordinates-pair", "set both latitude and longitude or neither")
    vocab = ctx.data.get("vocab_geo_precision")
    if vocab is None:
        return
    wants = _lookup(precision, vocab, "geo_precision", "has_coordinates")
    for row in _rows_where(pc.and_(pc.invert(pair_broken), pc.not_equal(wants, pc.is_valid(lat)))):
        yield data.problem(row, "geo_precision", "coordinates-precision",
                           f"geo_precision {precision[row].as_py()} " + ("needs coordinates" if not lat[row].is_valid else "means no coordinates"))


def check_enrichments(ctx: Context) -> Iterator[Problem]:
    """Every value from outside the text is backed by an enrichments row, and every row backs a value."""
    enrichments = ctx.data.get("enrichments")
    backed: dict[tuple[str, str], pa.Array] = {}  # (table, field) -> the records enrichments back
    if enrichments is not None:
        yield from _check_enrichment_rows(ctx, enrichments, backed)
    for name, data in ctx.data.items():
        governed = [f for f in data.table.fields if f.enrichment is not None]
        if not governed or name == "enrichments":
            continue
        keys = data.typed.column(data.table.primary_key[0])
        enriched_origin = (_is_any(data.raw("date_origin"), ORIGIN_ENRICHED)
                           if data.table.has_field("date_origin") else None)
        for f in governed:
            records = backed.get((name, f.name))
            # nothing backs the field (events' dates, at 2M rows): no lookup of every key in an empty set
            is_backed = pc.is_in(keys, value_set=records) if records is not None and len(records) else constant_mask(False, len(keys))
            needs = data.present(f.name)
            if f.enrichment != ENRICHMENT_ALWAYS:
                needs = pc.and_(needs, enriched_origin)
            for row in pc.indices_nonzero(pc.and_(needs, pc.invert(is_backed))).to_pylist():
                yield data.problem(row, f.name, "enrichment-missing", "a value from outside the text needs a row in "
                                   "enrichments.csv with its basis (or leave the cell empty)")
            if f.enrichment == ENRICHMENT_BY_ORIGIN:
                for row in pc.indices_nonzero(pc.and_(is_backed, pc.invert(enriched_origin))).to_pylist():
                    yield data.problem(row, "date_origin", "enrichment-origin", f"{f.name} is backed by an enrichment, so date_origin must be enriched")


def _check_enrichment_rows(ctx: Context, enrichments: TableData, backed: dict) -> Iterator[Problem]:
    typed = enrichments.typed
    table, record, column, value = (one_chunk(typed.column(c)) for c in ("table_name", "record_id", "field_name", "value"))
    # a (table, record, field) backed twice: the first row backs it, the later ones are duplicates
    keys = pc.dictionary_encode(pc.binary_join_element_wise(table, record, column, "\x1f"))
    codes = pc.fill_null(keys.indices, -1).to_numpy()
    unique_codes, first = np.unique(codes, return_index=True)
    original = np.zeros(len(codes), dtype=bool)
    original[first] = True
    original &= codes >= 0
    eid = one_chunk(typed.column("enrichment_id"))
    for row in np.flatnonzero(~original & (codes >= 0)).tolist():
        first_row = first[np.searchsorted(unique_codes, codes[row])]
        yield enrichments.problem(row, "field_name", "enrichment-duplicate",
                                  f"{table[row]}.{column[row]} of {record[row]} is already backed by {eid[first_row]}")
    vocab = ctx.data.get("vocab_basis_type")
    if vocab is not None:
        basis = typed.column("basis_type")
        needs_reference = pc.fill_null(_lookup(basis, vocab, "basis_type", "requires_reference"), False)
        for row in _rows_where(pc.and_(arrow_array(original), pc.and_(needs_reference, pc.is_null(typed.column("reference"))))):
            yield enrichments.problem(row, "reference", "enrichment-reference", f"basis type {basis[row]} needs a reference: where was it verified?")
    pairs = pc.binary_join_element_wise(table, column, "\x1f")
    for pair in pc.unique(pc.filter(pairs, arrow_array(original))).to_pylist():
        if pair is None:
            continue
        name, field = pair.split("\x1f")
        rows = pc.indices_nonzero(pc.and_(arrow_array(original), pc.equal(pairs, pair)))
        backed[(name, field)] = pc.take(record, rows)
        target = ctx.data.get(name)
        if target is None:
            continue
        if not target.table.has_field(field) or target.table.field(field).enrichment is None:
            for row in rows.to_pylist():
                yield enrichments.problem(row, "field_name", "enrichment-target", f"{name}.{field} is not an enrichable field (x-enrichment in its schema)")
            continue
        target_rows = pc.index_in(pc.take(record, rows), value_set=one_chunk(target.typed.column(target.table.primary_key[0])))
        for row in pc.take(rows, pc.indices_nonzero(pc.is_null(target_rows))).to_pylist():
            yield enrichments.problem(row, "record_id", "enrichment-target", f"{name} has no row {record[row].as_py()!r}")
        found = pc.indices_nonzero(pc.is_valid(target_rows))
        rows, target_rows = pc.take(rows, found), pc.take(target_rows, found)
        given = pc.take(value, rows)
        # the common case: the cell is written exactly as the enriched value, no parsing needed
        differs = pc.invert(pc.fill_null(pc.equal(target.cells(field, target_rows), given), False))
        rows, target_rows, given = (pc.filter(a, differs) for a in (rows, target_rows, given))
        if not len(rows):
            continue
        parsed, bad, _ = parse_column(given, target.table.field(field).type)
        cells = pc.take(target.typed.column(field), target_rows)
        same = pc.fill_null(pc.equal(parsed, cells), False)
        for i in pc.indices_nonzero(pc.or_(bad, pc.invert(same))).to_pylist():
            row = rows[i].as_py()
            yield enrichments.problem(row, "value", "enrichment-mismatch", f"{name}.{field} of {record[row]} holds {cells[i].as_py()!r}, not this value")


# costliest first, so that two workers finish together
RULE_CHECKS = (check_spans, check_dates, check_attribution, check_foreign_keys, check_sources, check_enrichments,
               check_fatalities, check_coordinates)
