"""ACLED- and UCDP-GED-shaped views, derived from the validated tables.

Each view column's schema (schemas/views/*.json) says in `x-derivation` how it is derived, or why it
cannot be; the code below implements exactly those derivations and leaves the others empty. It works
on whole columns (Arrow and NumPy) with no loop over events, so that build keeps up at ACLED size;
tests/views_reference.py derives the same views row by row, and the tests require equal tables.
"""

from __future__ import annotations

import copy

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .constraints import strictly_increasing
from .read import TableData, arrow_array, one_chunk
from .rules import sorted_positions
from .schemas import Package, Table, arrow_schema

SIDE_1_ROLES = ("perpetrator", "initiator")
SIDE_2_ROLES = ("target", "victim", "accused", "informed_party")
PARTICIPANT = "participant"
VIOLENT_PLOVER_TYPE = "ASSAULT"
CIVILIANS = "Civilians"
ACLED_DAY_PRECISIONS = ("day", "days", "week")  # ACLED's event_date is the start date for these
MID_MONTH_DAY = 15  # month precision: ACLED's mid-month convention


def _positions(keys: pa.Array, table_keys: pa.Array) -> np.ndarray:
    """Row of each key in table_keys (-1 where it is null or absent); by binary search in a large
    sorted primary key (the links' 1M event ids among 2M events: 1.2 s through a hash table)."""
    found = sorted_positions(keys, table_keys)
    if found is not None:
        return found.astype(np.int64, copy=False)
    return pc.fill_null(pc.index_in(keys, value_set=table_keys), -1).to_numpy(zero_copy_only=False).astype(np.int64)


def _encoded_positions(data: TableData, name: str, table_keys: pa.Array) -> np.ndarray | None:
    """_positions of a dictionary-encoded column, looked up once per distinct value; None when the
    column is not encoded."""
    encoded = data.encoded(name) if hasattr(data, "encoded") else None
    if encoded is None or encoded.num_chunks != 1:
        return None
    chunk = encoded.chunk(0)
    per_value = _positions(chunk.dictionary, table_keys)
    indices = pc.fill_null(chunk.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    return np.where(indices >= 0, per_value[np.maximum(indices, 0)], -1)


def _take(column: pa.Array, rows: np.ndarray) -> pa.Array:
    """column[rows], null where rows is -1."""
    missing = rows < 0
    return pc.take(column, arrow_array(np.where(missing, 0, rows), missing if missing.any() else None))


def _where(mask: pa.Array, values: pa.Array) -> pa.Array:
    """values where mask holds, null elsewhere."""
    return pc.if_else(pc.fill_null(mask, False), values, pa.scalar(None, values.type))


def _nearest(parents: np.ndarray, matches: np.ndarray) -> np.ndarray:
    """For each row, the row itself or its nearest ancestor (following `parents`, -1 = none) for which
    `matches` holds; -1 when there is none (also on a cycle, which is walked at most once)."""
    found = np.where(matches, np.arange(len(parents)), -1)
    current = parents.copy()
    for _ in range(len(parents)):  # one step up per pass: a chain is never longer than the table
        open_rows = (found < 0) & (current >= 0)
        if not open_rows.any():
            break
        rows = np.flatnonzero(open_rows)
        hit = matches[current[rows]]
        found[rows[hit]] = current[rows[hit]]
        current[rows] = parents[current[rows]]
    return found


class _Context:
    """Per-event lookups shared by both views, each a whole column over the events table."""

    def __init__(self, data: dict[str, TableData]):
        self.data, self._combined = data, {}
        self._event_rows, self._events = None, {}  # with subset(): the events it holds, and their columns
        events, locations, actors = data["events"], data["locations"], data["actors"]
        self.event_ids = self._column(events, "event_id")
        self.actor_names = self._column(actors, "name")
        vocab_actor = data["vocab_actor_type"]
        self.actor_inter = _take(self._column(vocab_actor, "acled_inter"),
                                 _positions(self._column(actors, "actor_type"), self._column(vocab_actor, "actor_type")))
        # locations: the place (itself or the nearest ancestor with coordinates) and the district
        location_ids = self._column(locations, "location_id")
        parents = _positions(self._column(locations, "parent_location_id"), location_ids)
        has_point = pc.is_valid(self._column(locations, "latitude")).to_numpy(zero_copy_only=False)
        is_district = pc.fill_null(pc.equal(self._column(locations, "location_type"), "district"), False).to_numpy(zero_copy_only=False)
        at = self._event_positions("location_id", location_ids)
        self.location_row = at
        self.place_row = np.where(at >= 0, _nearest(parents, has_point)[np.maximum(at, 0)], -1)
        self.district_row = np.where(at >= 0, _nearest(parents, is_district)[np.maximum(at, 0)], -1)
        self.source_row = self._event_positions("source_id", self._column(data["sources"], "source_id"))
        self.claimant_row = self._event_positions("claimed_by_actor_id", self._column(actors, "actor_id"))
        self._sides(data["event_actors"], self._column(actors, "actor_id"))

    def _sides(self, links: TableData, actor_ids: pa.Array) -> None:
        """Side 1: the actors in role perpetrator or initiator, else the first participant; side 2: those
        in a target role, else the (remaining) participants. Each side in (actor_id, role) order."""
        n = len(self.event_ids)
        event = _positions(self._column(links, "event_id"), self.event_ids)
        actor = _positions(self._column(links, "actor_id"), actor_ids)
        role = self._column(links, "role")
        order = pc.sort_indices(pa.table({"e": arrow_array(event), "a": self._column(links, "actor_id"), "r": role}),
                                sort_keys=[("e", "ascending"), ("a", "ascending"), ("r", "ascending")])
        event, actor, role = event[order.to_numpy()], actor[order.to_numpy()], role.take(order)
        side = np.zeros(len(order), np.int8)
        side[pc.is_in(role, value_set=pa.array(SIDE_1_ROLES)).to_numpy(zero_copy_only=False)] = 1
        side[pc.is_in(role, value_set=pa.array(SIDE_2_ROLES)).to_numpy(zero_copy_only=False)] = 2
        participant = pc.fill_null(pc.equal(role, PARTICIPANT), False).to_numpy(zero_copy_only=False) & (event >= 0)
        has = {s: np.zeros(n, bool) for s in (1, 2)}
        for s in has:
            has[s][event[(side == s) & (event >= 0)]] = True
        # the rank of each participant among its event's participants
        p_rows = np.flatnonzero(participant)
        p_event = event[p_rows]
        first = np.r_[True, p_event[1:] != p_event[:-1]] if len(p_rows) else np.zeros(0, bool)
        starts = np.maximum.accumulate(np.where(first, np.arange(len(p_rows)), 0)) if len(p_rows) else p_rows
        rank = np.arange(len(p_rows)) - starts
        promoted = ~has[1][p_event] & (rank == 0)
        side[p_rows[promoted]] = 1
        side[p_rows[~promoted & ~has[2][p_event]]] = 2
        keep = np.flatnonzero((side > 0) & (event >= 0))
        group = event[keep] * 3 + side[keep]
        keep = keep[np.argsort(group, kind="stable")]  # by event and side, in (actor_id, role) order within
        self.first_actor, self.more_names = {}, {}
        for s in (1, 2):
            rows = keep[side[keep] == s]
            e = event[rows]
            lead = np.r_[True, e[1:] != e[:-1]] if len(rows) else np.zeros(0, bool)
            first_actor = np.full(n, -1, np.int64)
            first_actor[e[lead]] = actor[rows[lead]]
            self.first_actor[s] = first_actor
            counts = np.bincount(e[~lead], minlength=n)[:n]
            offsets = np.zeros(n + 1, dtype=np.int32)
            np.cumsum(counts, out=offsets[1:])
            names = _take(self.actor_names, actor[rows[~lead]])
            self.more_names[s] = _where(arrow_array(counts > 0), pc.binary_join(pa.ListArray.from_arrays(arrow_array(offsets), names), "; "))

    def _column(self, data: TableData, name: str) -> pa.Array:
        """A typed column in one chunk, combined once (a CSV file is read in many chunks)."""
        key = (id(data), name)  # the tables outlive the context: their ids stay theirs
        if key not in self._combined:
            column = data.typed.column(name)
            self._combined[key] = one_chunk(column)
        return self._combined[key]

    def _event_positions(self, name: str, table_keys: pa.Array) -> np.ndarray:
        """_positions of an events column (per distinct value where it is dictionary-encoded)."""
        events = self.data["events"]
        found = _encoded_positions(events, name, table_keys)
        found = _positions(self._column(events, name), table_keys) if found is None else found
        return found if self._event_rows is None else found[self._event_rows]

    def subset(self, rows: np.ndarray) -> "_Context":
        """The same lookups for the given events only (a view that holds few of them derives its
        columns for those alone)."""
        other = copy.copy(self)
        other._event_rows, other._combined = rows, dict(self._combined)
        for name in ("location_row", "place_row", "district_row", "source_row", "claimant_row"):
            setattr(other, name, getattr(self, name)[rows])
        other.first_actor = {s: a[rows] for s, a in self.first_actor.items()}
        other.more_names = {s: a.take(arrow_array(rows)) for s, a in self.more_names.items()}
        other._events = {}
        return other

    def event(self, name: str) -> pa.Array:
        column = self._column(self.data["events"], name)
        if self._event_rows is None:
            return column
        if name not in self._events:
            self._events[name] = column.take(arrow_array(self._event_rows))
        return self._events[name]

    def event_vocabulary(self, table: str, name: str, column: str) -> pa.Array:
        """vocab table's `column` for each event's value of `name` (null where it is null or unknown)."""
        vocab = self.data[table]
        return _take(self._column(vocab, column), self._event_positions(name, self._column(vocab, table.removeprefix("vocab_"))))

    def actor_name(self, side: int) -> pa.Array:
        return _take(self.actor_names, self.first_actor[side])

    def inter(self, side: int) -> pa.Array:
        return _take(self.actor_inter, self.first_actor[side])

    def location(self, name: str, rows: np.ndarray) -> pa.Array:
        return _take(self._column(self.data["locations"], name), rows)

    def source(self, name: str) -> pa.Array:
        return _take(self._column(self.data["sources"], name), self.source_row)

    def vocabulary(self, table: str, key: pa.Array, column: str) -> pa.Array:
        """vocab table's `column` for each key (null where the key is null or unknown)."""
        vocab = self.data[table]
        return _take(self._column(vocab, column), _positions(key, self._column(vocab, table.removeprefix("vocab_"))))

    def claimant(self) -> pa.Array:
        return _take(self.actor_names, self.claimant_row)

    def place_precision(self, table: str, column: str) -> pa.Array:
        return self.vocabulary(table, self.location("geo_precision", self.place_row), column)

    def wkt(self) -> pa.Array:
        """POINT (longitude latitude) of each event's place, numbers spelled as Python spells floats."""
        locations = self.data["locations"]
        points = [None if lat is None or lon is None else f"POINT ({lon} {lat})" for lon, lat in
                  zip(self._column(locations, "longitude").to_pylist(), self._column(locations, "latitude").to_pylist())]
        return _take(pa.array(points, pa.string()), self.place_row)


def _year(dates: pa.Array) -> pa.Array:
    return pc.cast(pc.year(dates), pa.int64())


def _acled_date(ctx: _Context) -> pa.Array:
    start, precision = ctx.event("date_start"), ctx.event("date_precision")
    days = pc.fill_null(start.cast(pa.int32()), 0).to_numpy(zero_copy_only=False).astype("datetime64[D]")
    mid_month = arrow_array((days.astype("datetime64[M]").astype("datetime64[D]") + (MID_MONTH_DAY - 1)).astype(np.int32)).cast(pa.date32())
    is_day = pc.fill_null(pc.is_in(precision, value_set=pa.array(ACLED_DAY_PRECISIONS)), False)
    is_month = pc.fill_null(pc.equal(precision, "month"), False)
    return pc.if_else(is_day, start, _where(pc.and_(is_month, pc.is_valid(start)), mid_month))


def _distinct(codes: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(codes, return_inverse=True) for codes in range(space), by a table of that size
    instead of a sort (the 2M events' (factuality, claimant) codes: 0.42 s sorted)."""
    seen = np.zeros(space, dtype=bool)
    seen[codes] = True
    distinct = np.flatnonzero(seen)
    rank = np.zeros(space, dtype=np.int64)
    rank[distinct] = np.arange(len(distinct))
    return distinct, rank[codes]


def _notes(ctx: _Context) -> pa.Array:
    """The summary, then " [factuality; claimed by name]" unless the event is asserted. The suffix is
    spelled once per distinct (factuality, claimant) and taken for each event: spelling it for 2M
    events, then choosing between it and the summary, took 1.45 s under the line profiler."""
    summary, factuality = ctx.event("summary"), pc.dictionary_encode(ctx.event("factuality"))
    base = len(ctx.actor_names) + 1
    fact = pc.fill_null(factuality.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
    pairs, each = _distinct((fact + 1) * base + ctx.claimant_row + 1, (len(factuality.dictionary) + 1) * base)
    fact_of, claimant = _take(factuality.dictionary, pairs // base - 1), _take(ctx.actor_names, pairs % base - 1)
    suffix = pc.if_else(pc.is_valid(claimant),
                        pc.binary_join_element_wise(" [", fact_of, "; claimed by ", claimant, "]", ""),
                        pc.binary_join_element_wise(" [", fact_of, "]", ""))
    suffix = pc.if_else(pc.fill_null(pc.equal(fact_of, "asserted"), False), pa.scalar(""), suffix)
    return pc.binary_join_element_wise(summary, suffix.take(arrow_array(each)), "")


def acled_rows(ctx: _Context) -> pa.Array:
    """The events the view holds: those with ACLED codes."""
    return pc.is_valid(ctx.event("acled_event_type"))


def acled_columns(ctx: _Context) -> dict[str, pa.Array]:
    date = _acled_date(ctx)
    inter2 = ctx.inter(2)
    place = ctx.place_row
    columns = {
        "event_id": ctx.event("event_id"), "event_date": date, "year": _year(date),
        "time_precision": _where(pc.is_valid(date), ctx.event_vocabulary("vocab_date_precision", "date_precision", "acled_time_precision")),
        "disorder_type": ctx.event("acled_disorder_type"), "event_type": ctx.event("acled_event_type"),
        "sub_event_type": ctx.event("acled_sub_event_type"),
        "actor1": ctx.actor_name(1), "assoc_actor_1": ctx.more_names[1], "inter1": ctx.inter(1),
        "actor2": ctx.actor_name(2), "assoc_actor_2": ctx.more_names[2], "inter2": inter2,
        "civilian_targeting": _where(pc.equal(inter2, CIVILIANS), pa.scalar("Civilians targeted")),
        "admin1": ctx.location("name", ctx.district_row), "location": ctx.location("name", place),
        "latitude": ctx.location("latitude", place), "longitude": ctx.location("longitude", place),
        "geo_precision": ctx.place_precision("vocab_geo_precision", "acled_geo_precision"),
        "source": ctx.source("publisher"), "notes": _notes(ctx), "fatalities": ctx.event("fatalities_best"),
        "factuality": ctx.event("factuality"), "quote": ctx.event("quote"),
    }
    return columns


def ged_rows(ctx: _Context) -> pa.Array:
    """The events the view holds: violent ones (PLOVER ASSAULT) that occurred or are claimed to have."""
    allows = ctx.event_vocabulary("vocab_factuality", "factuality", "allows_acled")
    return pc.and_(pc.fill_null(pc.equal(ctx.event("plover_event_type"), VIOLENT_PLOVER_TYPE), False), pc.fill_null(allows, False))


def ged_columns(ctx: _Context) -> dict[str, pa.Array]:
    factuality = ctx.event("factuality")
    title, path = ctx.source("title"), ctx.source("path")
    place = ctx.place_row
    columns = {
        "event_id": ctx.event("event_id"), "year": _year(ctx.event("date_start")),
        "side_a": ctx.actor_name(1), "side_b": ctx.actor_name(2),
        "number_of_sources": arrow_array(np.ones(len(factuality), np.int64)),  # one row per event per source
        "source_article": pc.binary_join_element_wise(title, " (", path, ")", ""),
        "source_office": ctx.source("publisher"), "source_date": ctx.source("published_date"), "source_headline": title,
        "source_original": ctx.claimant(),
        "where_prec": ctx.place_precision("vocab_geo_precision", "ged_where_prec"), "where_coordinates": ctx.location("name", place),
        "where_description": ctx.location("quote", ctx.location_row), "adm_1": ctx.location("name", ctx.district_row),
        "latitude": ctx.location("latitude", place), "longitude": ctx.location("longitude", place), "geom_wkt": ctx.wkt(),
        "date_prec": ctx.event_vocabulary("vocab_date_precision", "date_precision", "ged_date_prec"),
        "date_start": ctx.event("date_start"), "date_end": ctx.event("date_end"),
        "deaths_unknown": ctx.event("fatalities_best"), "best": ctx.event("fatalities_best"),
        "high": ctx.event("fatalities_high"), "low": ctx.event("fatalities_low"),
        "factuality": factuality, "quote": ctx.event("quote"),
    }
    return columns


def _to_arrow(view: Table, columns: dict[str, pa.Array]) -> pa.Table:
    schema = arrow_schema(view)
    count = len(columns["event_id"])
    arrays = [columns[f.name].cast(f.type) if f.name in columns else pa.nulls(count, f.type) for f in schema]
    table = pa.Table.from_arrays(arrays, schema=schema)
    # the events come sorted by event_id from a canonical file: sort only when they do not
    return table if strictly_increasing([table.column("event_id")]) else table.sort_by([("event_id", "ascending")])


BUILDERS = {"acled_view": (acled_rows, acled_columns), "ged_view": (ged_rows, ged_columns)}


def build_views(package: Package, data: dict[str, TableData]) -> dict[str, pa.Table]:
    """Every view as a plain Arrow table (no dictionary columns), sorted by event_id."""
    ctx, views = _Context(data), {}
    for view in package.views:
        rows, columns = BUILDERS[view.name]
        selected = pc.indices_nonzero(rows(ctx)).to_numpy()
        # a view of every event uses the columns as they are; one of a few derives them for those alone
        views[view.name] = _to_arrow(view, columns(ctx if len(selected) == len(ctx.event_ids) else ctx.subset(selected)))
    return views
