"""ACLED- and UCDP-GED-shaped views, derived from the validated tables.

Each view column's schema (schemas/views/*.json) says in `x-derivation` how it is derived, or why it
cannot be; the code below implements exactly those derivations and leaves the others empty.
"""

from __future__ import annotations

import datetime

import pandas as pd
import pyarrow as pa

from .read import TableData
from .schemas import Package, Table, arrow_schema

SIDE_1_ROLES = ("perpetrator", "initiator")
SIDE_2_ROLES = ("target", "victim", "accused", "informed_party")
PARTICIPANT = "participant"
VIOLENT_PLOVER_TYPE = "ASSAULT"
CIVILIANS = "Civilians"


def _frame(data: dict[str, TableData], name: str) -> pd.DataFrame:
    return data[name].typed.to_pandas(date_as_object=True)


def _lookup(frame: pd.DataFrame, key: str, value: str) -> dict:
    return {k: (None if pd.isna(v) else v) for k, v in zip(frame[key], frame[value])}


class _Context:
    """Lookups shared by both views."""

    def __init__(self, data: dict[str, TableData]):
        self.events = _frame(data, "events")
        actors = _frame(data, "actors")
        self.actor_name = _lookup(actors, "actor_id", "name")
        inter = _lookup(_frame(data, "vocab_actor_type"), "actor_type", "acled_inter")
        self.actor_inter = {a: inter.get(t) for a, t in zip(actors["actor_id"], actors["actor_type"])}
        self.locations = _frame(data, "locations").set_index("location_id")
        geo = _frame(data, "vocab_geo_precision").set_index("geo_precision")
        self.geo = geo
        self.dates = _frame(data, "vocab_date_precision").set_index("date_precision")
        self.sources = _frame(data, "sources").set_index("source_id")
        self.allows_acled = _lookup(_frame(data, "vocab_factuality"), "factuality", "allows_acled")
        links = _frame(data, "event_actors").sort_values(["event_id", "actor_id", "role"])
        self.roles = {e: list(zip(g["actor_id"], g["role"])) for e, g in links.groupby("event_id", sort=True)}

    def sides(self, event_id: str) -> tuple[list[str], list[str]]:
        links = self.roles.get(event_id, [])
        side1 = [a for a, r in links if r in SIDE_1_ROLES]
        side2 = [a for a, r in links if r in SIDE_2_ROLES]
        participants = [a for a, r in links if r == PARTICIPANT]
        if not side1 and participants:
            side1, participants = participants[:1], participants[1:]
        if not side2:
            side2 = participants
        return side1, side2

    def point_location(self, location_id) -> str | None:
        """The location itself, or its nearest ancestor with coordinates."""
        current = location_id
        while current is not None and current in self.locations.index:
            if pd.notna(self.locations.at[current, "latitude"]):
                return current
            parent = self.locations.at[current, "parent_location_id"]
            current = None if pd.isna(parent) else parent
        return None

    def admin1(self, location_id) -> str | None:
        current = location_id
        while current is not None and current in self.locations.index:
            if self.locations.at[current, "location_type"] == "district":
                return self.locations.at[current, "name"]
            parent = self.locations.at[current, "parent_location_id"]
            current = None if pd.isna(parent) else parent
        return None

    def place(self, location_id) -> dict:
        point = self.point_location(location_id)
        if point is None:
            return {"name": None, "latitude": None, "longitude": None, "precision": None}
        row = self.locations.loc[point]
        return {"name": row["name"], "latitude": row["latitude"], "longitude": row["longitude"], "precision": row["geo_precision"]}

    def value(self, frame: pd.DataFrame, key, column):
        if key is None or pd.isna(key) or key not in frame.index:
            return None
        v = frame.at[key, column]
        return None if pd.isna(v) else v


def _names(ctx: _Context, actors: list[str]) -> tuple[str | None, str | None]:
    names = [ctx.actor_name[a] for a in actors]
    return (names[0] if names else None), ("; ".join(names[1:]) or None)


def _attribution(ctx: _Context, event) -> str:
    if event.factuality == "asserted":
        return event.summary
    claimant = ctx.actor_name.get(event.claimed_by_actor_id) if pd.notna(event.claimed_by_actor_id) else None
    return f"{event.summary} [{event.factuality}" + (f"; claimed by {claimant}]" if claimant else "]")


def acled_rows(ctx: _Context) -> list[dict]:
    rows = []
    for event in ctx.events.itertuples(index=False):
        if pd.isna(event.acled_event_type):
            continue
        side1, side2 = ctx.sides(event.event_id)
        actor1, assoc1 = _names(ctx, side1)
        actor2, assoc2 = _names(ctx, side2)
        inter1 = ctx.actor_inter.get(side1[0]) if side1 else None
        inter2 = ctx.actor_inter.get(side2[0]) if side2 else None
        precision = event.date_precision
        date = None
        if pd.notna(event.date_start):
            if precision in ("day", "days", "week"):
                date = event.date_start
            elif precision == "month":
                date = event.date_start.replace(day=15)
        place = ctx.place(event.location_id)
        rows.append({
            "event_id": event.event_id, "event_date": date, "year": date.year if date else None,
            "time_precision": ctx.value(ctx.dates, precision, "acled_time_precision") if date else None,
            "disorder_type": event.acled_disorder_type, "event_type": event.acled_event_type,
            "sub_event_type": event.acled_sub_event_type, "actor1": actor1, "assoc_actor_1": assoc1, "inter1": inter1,
            "actor2": actor2, "assoc_actor_2": assoc2, "inter2": inter2,
            "civilian_targeting": "Civilians targeted" if inter2 == CIVILIANS else None,
            "admin1": ctx.admin1(event.location_id), "location": place["name"],
            "latitude": place["latitude"], "longitude": place["longitude"],
            "geo_precision": ctx.value(ctx.geo, place["precision"], "acled_geo_precision"),
            "source": ctx.value(ctx.sources, event.source_id, "publisher"), "notes": _attribution(ctx, event),
            "fatalities": event.fatalities_best, "factuality": event.factuality, "quote": event.quote,
        })
    return rows


def ged_rows(ctx: _Context) -> list[dict]:
    rows = []
    for event in ctx.events.itertuples(index=False):
        if event.plover_event_type != VIOLENT_PLOVER_TYPE or not ctx.allows_acled.get(event.factuality):
            continue
        side1, side2 = ctx.sides(event.event_id)
        place = ctx.place(event.location_id)
        title = ctx.value(ctx.sources, event.source_id, "title")
        path = ctx.value(ctx.sources, event.source_id, "path")
        has_point = place["latitude"] is not None
        rows.append({
            "event_id": event.event_id, "year": event.date_start.year if pd.notna(event.date_start) else None,
            "side_a": _names(ctx, side1)[0], "side_b": _names(ctx, side2)[0], "number_of_sources": 1,
            "source_article": f"{title} ({path})", "source_office": ctx.value(ctx.sources, event.source_id, "publisher"),
            "source_date": ctx.value(ctx.sources, event.source_id, "published_date"), "source_headline": title,
            "source_original": ctx.actor_name.get(event.claimed_by_actor_id) if pd.notna(event.claimed_by_actor_id) else None,
            "where_prec": ctx.value(ctx.geo, place["precision"], "ged_where_prec"), "where_coordinates": place["name"],
            "where_description": ctx.value(ctx.locations, event.location_id, "quote"), "adm_1": ctx.admin1(event.location_id),
            "latitude": place["latitude"], "longitude": place["longitude"],
            "geom_wkt": f"POINT ({place['longitude']} {place['latitude']})" if has_point else None,
            "date_prec": ctx.value(ctx.dates, event.date_precision, "ged_date_prec"),
            "date_start": event.date_start if pd.notna(event.date_start) else None,
            "date_end": event.date_end if pd.notna(event.date_end) else None,
            "deaths_unknown": event.fatalities_best, "best": event.fatalities_best, "high": event.fatalities_high,
            "low": event.fatalities_low, "factuality": event.factuality, "quote": event.quote,
        })
    return rows


def _to_arrow(view: Table, rows: list[dict]) -> pa.Table:
    schema = arrow_schema(view)
    columns = {}
    for f in schema:
        values = [None if (r.get(f.name) is None or (not isinstance(r.get(f.name), str) and pd.isna(r.get(f.name)))) else r[f.name] for r in rows]
        if pa.types.is_date32(f.type):
            values = [v if v is None or type(v) is datetime.date else v.date() for v in values]
        if pa.types.is_integer(f.type):
            values = [None if v is None else int(v) for v in values]
        columns[f.name] = pa.array(values, type=f.type)
    return pa.Table.from_pydict(columns, schema=schema).sort_by([("event_id", "ascending")])


BUILDERS = {"acled_view": acled_rows, "ged_view": ged_rows}


def build_views(package: Package, data: dict[str, TableData]) -> dict[str, pa.Table]:
    """Every view as a plain Arrow table (no dictionary columns), sorted by event_id."""
    ctx = _Context(data)
    return {view.name: _to_arrow(view, BUILDERS[view.name](ctx)) for view in package.views}
