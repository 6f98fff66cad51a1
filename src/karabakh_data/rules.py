"""Rules that a Table Schema cannot state: across tables, across fields, against the source text.

Each rule is a function of the Context that yields Problems and has a stable name (the `rule` of
its problems), documented in the codebook. Where a rule depends on what a controlled value means,
the meaning lives in the vocabulary table (e.g. vocab_factuality.requires_claimant), not here.
"""

from __future__ import annotations

import calendar
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from .problems import Problem
from .read import TableData, parse_column, seed_path
from .repository import Repository
from .schemas import ENRICHMENT_ALWAYS, ENRICHMENT_BY_ORIGIN, Package
from .spans import SpanError, locate

# Vocabulary values with a meaning the rules below implement (documented in the vocabulary tables).
ORIGIN_NONE, ORIGIN_STATED, ORIGIN_INFERRED, ORIGIN_ENRICHED = "none", "stated", "coder_inferred", "enriched"
ROLE_CLAIMANT = "claimant"
ACLED_FIELDS = ("acled_disorder_type", "acled_event_type", "acled_sub_event_type")


@dataclass
class Context:
    repo: Repository
    package: Package
    data: dict[str, TableData]  # the tables that could be read
    texts: dict[str, str] = field(default_factory=dict)  # source_id -> source text (read.source_texts)

    def rows(self, table: str, *columns: str) -> Iterator[tuple]:
        """(row number, value, ...) over typed values; empty when the table could not be read."""
        data = self.data.get(table)
        if data is None:
            return iter(())
        cols = [data.typed.column(c).to_pylist() for c in columns]
        return ((i, *values) for i, values in enumerate(zip(*cols)))

    def vocabulary(self, table: str, key: str, *columns: str) -> dict:
        """key value -> tuple of column values, for a vocabulary table."""
        return {k: tuple(v) for _, k, *v in self.rows(table, key, *columns)}


def _keys(data: TableData, fields: tuple[str, ...]) -> tuple[pa.Array, pa.Array, pa.Array]:
    """(key strings, all-present mask, partly-present mask) of a possibly composite key."""
    columns = [data.strings.column(f).combine_chunks() for f in fields]
    if len(columns) == 1:
        present = pc.is_valid(columns[0])
        return columns[0], present, pa.repeat(pa.scalar(False), len(columns[0]))
    joined = pc.binary_join_element_wise(*columns, "\x1f")  # null when any part is null
    valid = [pc.is_valid(c) for c in columns]
    any_valid = valid[0]
    for v in valid[1:]:
        any_valid = pc.or_(any_valid, v)
    present = pc.is_valid(joined)
    return joined, present, pc.and_(any_valid, pc.invert(present))


def check_foreign_keys(ctx: Context) -> Iterator[Problem]:
    for name, data in ctx.data.items():
        for fk in data.table.foreign_keys:
            parent = ctx.data.get(fk.resource)
            if parent is None:
                continue  # the parent's own problems are reported; nothing to look up against
            keys, present, partial = _keys(data, fk.fields)
            reference, _, _ = _keys(parent, fk.reference_fields)
            missing = pc.and_(present, pc.invert(pc.is_in(keys, value_set=reference.drop_null())))
            label = ",".join(fk.fields)
            target = f"{fk.resource}.{','.join(fk.reference_fields)}"
            for row in pc.indices_nonzero(missing).to_pylist():
                value = keys[row].as_py().replace("\x1f", " / ")
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
        raw = file.read_bytes()
        text = ctx.texts.get(source_id)
        if text is None:
            yield data.problem(row, "path", "source-encoding", "the source document is not valid UTF-8")
            continue
        if hashlib.sha256(raw).hexdigest() != sha256:
            yield data.problem(row, "text_sha256", "source-hash", f"the file's SHA-256 is {hashlib.sha256(raw).hexdigest()}: "
                               "seeds are never edited; a new text is a new source")
        if len(text) != chars:
            yield data.problem(row, "text_chars", "source-length", f"the text has {len(text)} characters")
        if title != text.split("\n", 1)[0]:
            yield data.problem(row, "title", "source-title", "the title must be the document's first line, as written")
    for seed in sorted((ctx.repo.root / "seeds").glob("*.txt")):
        rel = ctx.repo.relative(seed)
        if rel not in listed:
            yield Problem(rel, None, None, None, "source-unlisted", None, "this seed file has no row in sources.csv")


def check_spans(ctx: Context) -> Iterator[Problem]:
    """text[char_start:char_end] == quote for every row that cites evidence."""
    for name, data in ctx.data.items():
        if not data.table.has_evidence:
            continue
        for row, source_id, quote, start, end in ctx.rows(name, "source_id", "quote", "char_start", "char_end"):
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


def check_dates(ctx: Context) -> Iterator[Problem]:
    precisions = ctx.vocabulary("vocab_date_precision", "date_precision", "min_span_days", "max_span_days", "boundary", "has_dates")
    for name, data in ctx.data.items():
        table = data.table
        date_fields = [f.name for f in table.fields if f.enrichment == ENRICHMENT_BY_ORIGIN]
        if not date_fields:
            continue  # a table that merely names date_origin values, like the vocabulary itself
        has_quote = table.has_field("quote")
        columns = ["date_origin", *date_fields] + (["quote"] if has_quote else []) + (["coder_note"] if table.has_field("coder_note") else [])
        unparsed = set().union(*(data.bad_cells.get(f, set()) for f in date_fields))
        for row, origin, *rest in ctx.rows(name, *columns):
            if row in unparsed:
                continue  # a date that does not parse is reported as a type problem; nothing more to say
            values = dict(zip(columns[1:], rest))
            dates = {f: values[f] for f in date_fields if values[f] is not None}
            if origin == ORIGIN_NONE and dates:
                yield data.problem(row, next(iter(dates)), "date-origin", "date_origin is none, so the dates must be empty")
            if origin in (ORIGIN_STATED, ORIGIN_INFERRED, ORIGIN_ENRICHED) and not dates:
                yield data.problem(row, "date_origin", "date-origin", f"date_origin is {origin} but no date is set")
            if origin == ORIGIN_STATED and has_quote:
                for f, d in dates.items():
                    if str(d.year) not in (values["quote"] or ""):
                        yield data.problem(row, f, "date-stated", f"date_origin is stated but the year {d.year} is not in the quote; "
                                           "a date from outside the text is enrichment", d.isoformat())
            if origin == ORIGIN_INFERRED and not values.get("coder_note"):
                yield data.problem(row, "coder_note", "date-inferred-note", "date_origin is coder_inferred: explain the inference in coder_note")
        if not table.has_field("date_precision"):
            continue
        for row, precision, start, end in ctx.rows(name, "date_precision", "date_start", "date_end"):
            if precision not in precisions or row in unparsed:
                continue  # reported as a foreign key problem
            min_span, max_span, boundary, has_dates = precisions[precision]
            if not has_dates:
                if start is not None or end is not None:
                    yield data.problem(row, "date_precision", "date-precision", f"precision {precision} means no dates, but dates are set")
                continue
            if start is None or end is None:
                yield data.problem(row, "date_start" if start is None else "date_end", "date-missing",
                                   f"precision {precision} needs both date_start and date_end")
                continue
            span = (end - start).days
            if span < 0:
                yield data.problem(row, "date_end", "date-order", f"date_end {end} is before date_start {start}", end.isoformat())
                continue
            if (min_span is not None and span < min_span) or (max_span is not None and span > max_span):
                yield data.problem(row, "date_precision", "date-precision", f"precision {precision} allows a span of "
                                   f"{min_span}..{max_span if max_span is not None else 'any'} days; the dates span {span}")
            if boundary == "month" and (start.day != 1 or end.day != calendar.monthrange(end.year, end.month)[1]):
                yield data.problem(row, "date_precision", "date-precision", "precision month needs date_start on the 1st and date_end on a month's last day")
            if boundary == "year" and ((start.month, start.day) != (1, 1) or (end.month, end.day) != (12, 31)):
                yield data.problem(row, "date_precision", "date-precision", "precision year needs date_start on 1 January and date_end on 31 December")


def check_fatalities(ctx: Context) -> Iterator[Problem]:
    data = ctx.data.get("events")
    for row, low, best, high in ctx.rows("events", "fatalities_low", "fatalities_best", "fatalities_high"):
        pairs = (("fatalities_low", low, "fatalities_best", best), ("fatalities_best", best, "fatalities_high", high),
                 ("fatalities_low", low, "fatalities_high", high))
        for a, x, b, y in pairs:
            if x is not None and y is not None and x > y:
                yield data.problem(row, a, "fatalities-order", f"{a} ({x}) is greater than {b} ({y}); need low <= best <= high")
                break


def check_attribution(ctx: Context) -> Iterator[Problem]:
    """Factuality decides whether a claimant is named and whether ACLED codes are allowed."""
    data = ctx.data.get("events")
    meaning = ctx.vocabulary("vocab_factuality", "factuality", "requires_claimant", "allows_acled")
    disorder_of = {(e, s): d for _, e, s, d in ctx.rows("vocab_acled_sub_event_type", "acled_event_type", "acled_sub_event_type", "acled_disorder_type")}
    claimant_links = {(e, a) for _, e, a, r in ctx.rows("event_actors", "event_id", "actor_id", "role") if r == ROLE_CLAIMANT}
    claimed = {}
    for row, event, factuality, claimant, disorder, etype, subtype in ctx.rows(
            "events", "event_id", "factuality", "claimed_by_actor_id", *ACLED_FIELDS):
        claimed[event] = claimant
        acled = (disorder, etype, subtype)
        if any(v is not None for v in acled) and any(v is None for v in acled):
            yield data.problem(row, "acled_event_type", "acled-incomplete", "set all three ACLED fields (disorder, event, sub-event type) or none")
        if (etype, subtype) in disorder_of and disorder_of[(etype, subtype)] not in (None, disorder) and disorder is not None:
            yield data.problem(row, "acled_disorder_type", "acled-disorder",
                               f"ACLED files {subtype!r} under disorder type {disorder_of[(etype, subtype)]!r}")
        if factuality not in meaning:
            continue  # reported as a foreign key problem
        requires_claimant, allows_acled = meaning[factuality]
        if requires_claimant and claimant is None:
            yield data.problem(row, "claimed_by_actor_id", "claimant-missing", f"factuality {factuality} needs the actor who makes the claim")
        if not requires_claimant and claimant is not None:
            yield data.problem(row, "claimed_by_actor_id", "claimant-unexpected", f"factuality {factuality} is the article's own voice: no claimant")
        if claimant is not None and (event, claimant) not in claimant_links:
            yield data.problem(row, "claimed_by_actor_id", "claimant-link", f"event_actors needs the row ({event}, {claimant}, {ROLE_CLAIMANT})")
        if not allows_acled and any(v is not None for v in acled):
            yield data.problem(row, "acled_event_type", "acled-not-allowed", f"events with factuality {factuality} carry no ACLED codes")
    links = ctx.data.get("event_actors")
    for row, event, actor, role in ctx.rows("event_actors", "event_id", "actor_id", "role"):
        if role == ROLE_CLAIMANT and event in claimed and claimed[event] != actor:
            yield links.problem(row, "actor_id", "claimant-link", f"the claimant of {event} is {claimed[event]!r} in events.claimed_by_actor_id")


def check_coordinates(ctx: Context) -> Iterator[Problem]:
    data = ctx.data.get("locations")
    has_coordinates = ctx.vocabulary("vocab_geo_precision", "geo_precision", "has_coordinates")
    for row, precision, lat, lon in ctx.rows("locations", "geo_precision", "latitude", "longitude"):
        if (lat is None) != (lon is None):
            yield data.problem(row, "latitude" if lat is None else "longitude", "coordinates-pair", "set both latitude and longitude or neither")
        elif precision in has_coordinates and has_coordinates[precision][0] != (lat is not None):
            yield data.problem(row, "geo_precision", "coordinates-precision",
                               f"geo_precision {precision} " + ("needs coordinates" if lat is None else "means no coordinates"))


def check_enrichments(ctx: Context) -> Iterator[Problem]:
    """Every value from outside the text is backed by an enrichments row, and every row backs a value."""
    enrichments = ctx.data.get("enrichments")
    requires_reference = ctx.vocabulary("vocab_basis_type", "basis_type", "requires_reference")
    backed = {}
    for row, eid, table, record, column, value, basis_type, reference in ctx.rows(
            "enrichments", "enrichment_id", "table_name", "record_id", "field_name", "value", "basis_type", "reference"):
        if (table, record, column) in backed:
            yield enrichments.problem(row, "field_name", "enrichment-duplicate", f"{table}.{column} of {record} is already backed by {backed[(table, record, column)]}")
            continue
        backed[(table, record, column)] = eid
        if requires_reference.get(basis_type, (False,))[0] and not reference:
            yield enrichments.problem(row, "reference", "enrichment-reference", f"basis type {basis_type} needs a reference: where was it verified?")
        target = ctx.data.get(table)
        if target is None:
            continue
        if not target.table.has_field(column) or target.table.field(column).enrichment is None:
            yield enrichments.problem(row, "field_name", "enrichment-target", f"{table}.{column} is not an enrichable field (x-enrichment in its schema)")
            continue
        key = target.table.primary_key[0]
        rows = pc.indices_nonzero(pc.fill_null(pc.equal(target.strings.column(key), record), False)).to_pylist()
        if not rows:
            yield enrichments.problem(row, "record_id", "enrichment-target", f"{table} has no row {record!r}")
            continue
        cell = target.typed.column(column)[rows[0]].as_py()
        parsed, bad = parse_column(pa.chunked_array([pa.array([value], pa.string())]), target.table.field(column).type)
        if bad[0].as_py() or parsed[0].as_py() != cell:
            yield enrichments.problem(row, "value", "enrichment-mismatch", f"{table}.{column} of {record} holds {cell!r}, not this value")
    for name, data in ctx.data.items():
        governed = [f.name for f in data.table.fields if f.enrichment is not None]
        if not governed or name == "enrichments":
            continue
        key = data.table.primary_key[0]
        origin_col = ["date_origin"] if data.table.has_field("date_origin") else []
        for row, record, *values in ctx.rows(name, key, *origin_col, *governed):
            origin = values.pop(0) if origin_col else None
            for column, value in zip(governed, values):
                rule = data.table.field(column).enrichment
                is_backed = (name, record, column) in backed
                needs = value is not None and (rule == ENRICHMENT_ALWAYS or origin == ORIGIN_ENRICHED)
                if needs and not is_backed:
                    yield data.problem(row, column, "enrichment-missing", "a value from outside the text needs a row in "
                                       "enrichments.csv with its basis (or leave the cell empty)")
                if rule == ENRICHMENT_BY_ORIGIN and is_backed and origin != ORIGIN_ENRICHED:
                    yield data.problem(row, "date_origin", "enrichment-origin", f"{column} is backed by an enrichment, so date_origin must be enriched")


RULES = (check_foreign_keys, check_sources, check_spans, check_dates, check_fatalities,
         check_attribution, check_coordinates, check_enrichments)
