"""ACLED- and UCDP-GED-shaped views, derived from the validated tables.

Each view column's schema (schemas/views/*.json) says in `x-derivation` how it is derived, or why it
cannot be; the code below implements exactly those derivations and leaves the others empty. It works
on whole columns; tests/views_reference.py derives the same views row by row, and the tests require
equal tables.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import kernels
from ..check.context import all_of
from ..io.csvfile import TableData
from ..model.generate import arrow_schema
from ..model.schemas import OWN_VOICE_STATUSES, Package, Table
from .estimates import Estimates, column, joined, take

SIDE_1_ROLES = ("perpetrator", "initiator")
SIDE_2_ROLES = ("target", "victim", "accused", "informed_party")
PARTICIPANT = "participant"
VIOLENT_PLOVER_TYPE = "ASSAULT"
CIVILIANS = "Civilians"
ACLED_DAY_PRECISIONS = ("day", "days", "week")  # ACLED's event_date is the start date for these
MID_MONTH_DAY = 15  # month precision: ACLED's mid-month convention


def _where(mask: kernels.Column, values: kernels.Column | object) -> kernels.Column:
    """values where mask holds, null elsewhere."""
    values = values if isinstance(values, (pa.Array, pa.ChunkedArray)) else pa.scalar(values)
    return pc.if_else(pc.fill_null(mask, False), values, pa.scalar(None, values.type))


def _nearest(parents: np.ndarray, matches: np.ndarray) -> np.ndarray:
    """For each row, the row itself or its nearest ancestor (following `parents`, -1 = none) for which
    `matches` holds; -1 when there is none (also on a cycle, which is walked at most once)."""
    found = np.where(matches, np.arange(len(parents)), -1)
    current = parents.copy()
    for _ in range(len(parents)):  # one step up per pass: a chain is never longer than the table
        open_rows = np.flatnonzero((found < 0) & (current >= 0))
        if not len(open_rows):
            break
        hit = matches[current[open_rows]]
        found[open_rows[hit]] = current[open_rows[hit]]
        current[open_rows] = parents[current[open_rows]]
    return found


def _sides(data: dict[str, TableData], event_ids: pa.Array) -> dict[int, tuple[np.ndarray, pa.Array]]:
    """For each side (1, 2): each event's first actor on it (row of actors, -1 for none) and the
    names of the others, joined with '; ' (null for none), in (actor_id, role) order. Side 1: the
    actors in role perpetrator or initiator, else the first participant; side 2: those in a target
    role, else the (remaining) participants."""
    links = data["event_actors"].typed  # validated, so in primary-key order: (event_id, actor_id, role, source_id)
    # a link that several sources evidence is one link: keep the first row of each (event_id, actor_id, role)
    keys = [kernels.one_chunk(links.column(k)) for k in ("event_id", "actor_id", "role")]
    repeated = np.zeros(links.num_rows, bool)
    if links.num_rows > 1:
        same = [pc.equal(k.slice(1), k.slice(0, len(k) - 1)).to_numpy(zero_copy_only=False) for k in keys]
        repeated[1:] = same[0] & same[1] & same[2]
    links = links.filter(pa.array(~repeated))
    event = kernels.row_of(links.column("event_id"), event_ids)
    actor = kernels.row_of(links.column("actor_id"), column(data["actors"], "actor_id"))
    role = links.column("role")
    side = np.zeros(len(event), np.int8)
    side[pc.is_in(role, value_set=pa.array(SIDE_1_ROLES)).to_numpy(zero_copy_only=False)] = 1
    side[pc.is_in(role, value_set=pa.array(SIDE_2_ROLES)).to_numpy(zero_copy_only=False)] = 2
    side[event < 0] = 0
    n = len(event_ids)
    has = {s: np.bincount(event[side == s], minlength=n)[:n] > 0 for s in (1, 2)}
    participant = np.flatnonzero(
        pc.fill_null(pc.equal(role, PARTICIPANT), False).to_numpy(zero_copy_only=False) & (event >= 0)
    )
    first_participant = (
        np.r_[True, event[participant][1:] != event[participant][:-1]] if len(participant) else np.zeros(0, bool)
    )
    promoted = first_participant & ~has[1][event[participant]]
    side[participant[promoted]] = 1
    side[participant[~promoted & ~has[2][event[participant]]]] = 2
    names = column(data["actors"], "name")
    result = {}
    for s in (1, 2):
        rows = np.flatnonzero(side == s)  # in event order, then (actor_id, role) order within an event
        e = event[rows]
        lead = np.r_[True, e[1:] != e[:-1]] if len(rows) else np.zeros(0, bool)
        first = np.full(n, -1, np.int64)
        first[e[lead]] = actor[rows[lead]]
        result[s] = (first, joined(e[~lead], take(names, actor[rows[~lead]]), n))
    return result


class Lookups:
    """Per-event lookups shared by both views, each a whole column over the events table."""

    def __init__(self, data: dict[str, TableData]):
        self.data = data
        events, locations, actors = data["events"], data["locations"], data["actors"]
        self.event_ids = column(events, "event_id")
        self.actor_names = column(actors, "name")
        vocab = data["vocab_actor_type"]
        self.actor_inter = take(
            column(vocab, "acled_inter"), kernels.row_of(column(actors, "actor_type"), column(vocab, "actor_type"))
        )
        location_ids = column(locations, "location_id")
        parents = kernels.row_of(column(locations, "parent_location_id"), location_ids)
        has_point = pc.is_valid(column(locations, "latitude")).to_numpy(zero_copy_only=False)
        is_district = pc.fill_null(pc.equal(column(locations, "location_type"), "district"), False).to_numpy(
            zero_copy_only=False
        )
        at = kernels.row_of(column(events, "location_id"), location_ids)
        self.location_row = at
        self.place_row = np.where(at >= 0, _nearest(parents, has_point)[np.maximum(at, 0)], -1)
        self.district_row = np.where(at >= 0, _nearest(parents, is_district)[np.maximum(at, 0)], -1)
        self.sides = _sides(data, self.event_ids)
        self.estimates = Estimates(data)

    def event(self, name: str) -> pa.ChunkedArray:
        return self.data["events"].column(name)

    def event_vocabulary(self, table: str, name: str, wanted: str) -> pa.Array:
        """The vocabulary's column `wanted` for each event's value of `name` (null where it is null or unknown)."""
        vocab = self.data[table]
        key = column(vocab, vocab.table.primary_key[0])
        return take(column(vocab, wanted), kernels.row_of(self.event(name), key))

    def actor_name(self, side: int) -> pa.Array:
        return take(self.actor_names, self.sides[side][0])

    def more_names(self, side: int) -> pa.Array:
        return self.sides[side][1]

    def inter(self, side: int) -> pa.Array:
        return take(self.actor_inter, self.sides[side][0])

    def location(self, name: str, rows: np.ndarray) -> pa.Array:
        return take(column(self.data["locations"], name), rows)

    def sources(self, name: str) -> pa.Array:
        """For each event, a column of its sources (or one of SOURCE_LABELS), in source_id order, joined by '; '."""
        sources = self.data["sources"]
        title, publisher = column(sources, "title"), column(sources, "publisher")
        where = pc.coalesce(column(sources, "path"), column(sources, "url"))
        labels = {
            "label": lambda: pc.coalesce(publisher, title),
            "article": lambda: pc.binary_join_element_wise(title, " (", where, ")", ""),
            "date": lambda: pc.cast(column(sources, "published_date"), pa.string()),
        }
        return self.estimates.per_source(labels[name]() if name in labels else column(sources, name))

    def first_quote(self) -> pa.Array:
        return take(column(self.data["event_accounts"], "quote"), self.estimates.first_account)

    def counted(self) -> pa.Array:
        return pa.array(self.estimates.is_counted)

    def place_precision(self, wanted: str) -> pa.Array:
        vocab = self.data["vocab_geo_precision"]
        precision = self.location("geo_precision", self.place_row)
        return take(column(vocab, wanted), kernels.row_of(precision, column(vocab, "geo_precision")))

    def wkt(self) -> pa.Array:
        """POINT (longitude latitude) of each event's place, numbers spelled as Python spells floats."""
        locations = self.data["locations"]
        points = [
            None if x is None or y is None else f"POINT ({x} {y})"
            for x, y in zip(column(locations, "longitude").to_pylist(), column(locations, "latitude").to_pylist())
        ]
        return take(pa.array(points, pa.string()), self.place_row)


def _year(dates: pa.Array) -> pa.Array:
    return pc.cast(pc.year(dates), pa.int64())


def _acled_date(ctx: Lookups) -> pa.Array:
    start, precision = ctx.event("date_start"), ctx.event("date_precision")
    days = pc.fill_null(start.cast(pa.int32()), 0).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    mid_month = pa.array(
        (days.astype("datetime64[M]").astype("datetime64[D]") + (MID_MONTH_DAY - 1)).astype(np.int32)
    ).cast(pa.date32())
    is_day = pc.fill_null(pc.is_in(precision, value_set=pa.array(ACLED_DAY_PRECISIONS)), False)
    is_month = pc.fill_null(pc.equal(precision, "month"), False)
    return pc.if_else(is_day, start, _where(pc.and_(is_month, pc.is_valid(start)), mid_month))


def _notes(ctx: Lookups) -> pa.Array:
    """The summary, then " [status; claimed by names]" unless a source asserts the event itself."""
    status, claimants = ctx.estimates.status, ctx.estimates.claimants
    suffix = pc.if_else(
        pc.is_valid(claimants),
        pc.binary_join_element_wise(" [", status, "; claimed by ", claimants, "]", ""),
        pc.binary_join_element_wise(" [", status, "]", ""),
    )
    own_voice = pc.is_in(status, value_set=pa.array(OWN_VOICE_STATUSES))
    suffix = pc.if_else(own_voice, pa.scalar(""), suffix)
    return pc.binary_join_element_wise(ctx.event("summary"), suffix, "")


def acled_view(ctx: Lookups) -> tuple[pa.Array, dict[str, pa.Array]]:
    """The events the view holds (counted events with ACLED codes), and its columns."""
    date, inter2, place = _acled_date(ctx), ctx.inter(2), ctx.place_row
    return pc.and_(pc.is_valid(ctx.event("acled_event_type")), ctx.counted()), {
        "event_id": ctx.event("event_id"),
        "event_date": date,
        "year": _year(date),
        "time_precision": _where(
            pc.is_valid(date), ctx.event_vocabulary("vocab_date_precision", "date_precision", "acled_time_precision")
        ),
        "disorder_type": ctx.event("acled_disorder_type"),
        "event_type": ctx.event("acled_event_type"),
        "sub_event_type": ctx.event("acled_sub_event_type"),
        "actor1": ctx.actor_name(1),
        "assoc_actor_1": ctx.more_names(1),
        "inter1": ctx.inter(1),
        "actor2": ctx.actor_name(2),
        "assoc_actor_2": ctx.more_names(2),
        "inter2": inter2,
        "civilian_targeting": _where(pc.equal(inter2, CIVILIANS), "Civilians targeted"),
        "admin1": ctx.location("name", ctx.district_row),
        "location": ctx.location("name", place),
        "latitude": ctx.location("latitude", place),
        "longitude": ctx.location("longitude", place),
        "geo_precision": ctx.place_precision("acled_geo_precision"),
        "source": ctx.sources("label"),
        "notes": _notes(ctx),
        "fatalities": ctx.estimates.low,
        "status": ctx.estimates.status,
        "quote": ctx.first_quote(),
    }


def ged_view(ctx: Lookups) -> tuple[pa.Array, dict[str, pa.Array]]:
    """The events the view holds (counted violent events, PLOVER ASSAULT, with at least one death by the
    best estimate: GED's inclusion rule), and its columns."""
    best = ctx.estimates.best
    rows = all_of(
        [
            pc.fill_null(pc.equal(ctx.event("plover_event_type"), VIOLENT_PLOVER_TYPE), False),
            ctx.counted(),
            pc.fill_null(pc.greater_equal(best, 1), False),
        ]
    )
    place = ctx.place_row
    return rows, {
        "event_id": ctx.event("event_id"),
        "year": _year(ctx.event("date_start")),
        "side_a": ctx.actor_name(1),
        "side_b": ctx.actor_name(2),
        "number_of_sources": pa.array(ctx.estimates.sources),
        "source_article": ctx.sources("article"),
        "source_office": ctx.sources("publisher"),
        "source_date": ctx.sources("date"),
        "source_headline": ctx.sources("title"),
        "source_original": ctx.estimates.claimants,
        "where_prec": ctx.place_precision("ged_where_prec"),
        "where_coordinates": ctx.location("name", place),
        "where_description": ctx.location("quote", ctx.location_row),
        "adm_1": ctx.location("name", ctx.district_row),
        "latitude": ctx.location("latitude", place),
        "longitude": ctx.location("longitude", place),
        "geom_wkt": ctx.wkt(),
        "date_prec": ctx.event_vocabulary("vocab_date_precision", "date_precision", "ged_date_prec"),
        "date_start": ctx.event("date_start"),
        "date_end": ctx.event("date_end"),
        "deaths_unknown": best,
        "best": best,
        "high": ctx.estimates.high,
        "low": ctx.estimates.low,
        "status": ctx.estimates.status,
        "quote": ctx.first_quote(),
    }


def event_estimates(ctx: Lookups) -> tuple[pa.Array, dict[str, pa.Array]]:
    """Every event, with what its accounts say of it together."""
    return pa.array(np.ones(len(ctx.event_ids), bool)), ctx.estimates.columns(ctx.data)


BUILDERS = {"acled_view": acled_view, "ged_view": ged_view, "event_estimates": event_estimates}


def _to_arrow(view: Table, rows: pa.Array, columns: dict[str, pa.Array]) -> pa.Table:
    """The view's rows, in the events' order (validated, so sorted by event_id)."""
    schema = arrow_schema(view)
    count = len(columns["event_id"])
    arrays = [columns[f.name].cast(f.type) if f.name in columns else pa.nulls(count, f.type) for f in schema]
    table = pa.Table.from_arrays(arrays, schema=schema)
    # one chunk per column, as every published table: the bytes of a Parquet file follow the chunks
    return (table if pc.all(rows).as_py() else table.filter(rows)).combine_chunks()


def build_view(view: Table, lookups: Lookups) -> pa.Table:
    """A view as an Arrow table with its published schema, sorted by event_id, from the lookups over
    validated tables (canonical, so each in its primary key's order)."""
    return _to_arrow(view, *BUILDERS[view.name](lookups))


def build_views(package: Package, data: dict[str, TableData]) -> dict[str, pa.Table]:
    """Every view, by name."""
    lookups = Lookups(data)
    return {view.name: build_view(view, lookups) for view in package.views}
