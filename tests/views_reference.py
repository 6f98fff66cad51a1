"""A reference implementation of the views for the tests: row by row in plain Python, reading like
the x-derivation texts of schemas/views/*.json. The package derives the views with Arrow
(karabakh_data.publish.views), which is what scales; tests/test_views.py requires both to give the same tables.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pyarrow as pa

from karabakh_data.io.csvfile import TableData
from karabakh_data.model.generate import arrow_schema
from karabakh_data.model.schemas import Package, Table

SIDE_1_ROLES = ("perpetrator", "initiator")
SIDE_2_ROLES = ("target", "victim", "accused", "informed_party")
PARTICIPANT = "participant"
VIOLENT_PLOVER_TYPE = "ASSAULT"
CIVILIANS = "Civilians"


def _records(data: dict[str, TableData], name: str, key: str) -> dict[str, dict]:
    """key -> row as a dict: plain lookups, since per-row DataFrame indexing costs microseconds each."""
    return {row[key]: row for row in data[name].typed.to_pylist()}


class _Context:
    """Lookups shared by both views."""

    def __init__(self, data: dict[str, TableData]):
        # plain rows (None for missing) in a namespace, so the derivations below read like the schema
        self.events = [SimpleNamespace(**row) for row in data["events"].typed.to_pylist()]
        actors = data["actors"].typed
        self.actor_name = dict(zip(actors.column("actor_id").to_pylist(), actors.column("name").to_pylist()))
        inter = {r["actor_type"]: r["acled_inter"] for r in data["vocab_actor_type"].typed.to_pylist()}
        self.actor_inter = {
            a: inter.get(t)
            for a, t in zip(actors.column("actor_id").to_pylist(), actors.column("actor_type").to_pylist())
        }
        self.locations = _records(data, "locations", "location_id")
        self.geo = _records(data, "vocab_geo_precision", "geo_precision")
        self.dates = _records(data, "vocab_date_precision", "date_precision")
        self.sources = _records(data, "sources", "source_id")
        self.allows_acled = {r["factuality"]: r["allows_acled"] for r in data["vocab_factuality"].typed.to_pylist()}
        links = data["event_actors"].typed.sort_by(
            [("event_id", "ascending"), ("actor_id", "ascending"), ("role", "ascending")]
        )
        self.roles: dict[str, list] = {}
        for event, actor, role in zip(*(links.column(c).to_pylist() for c in ("event_id", "actor_id", "role"))):
            self.roles.setdefault(event, []).append((actor, role))

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

    def _ancestors(self, location_id):
        seen = set()
        while location_id is not None and location_id in self.locations and location_id not in seen:
            seen.add(location_id)
            yield self.locations[location_id]
            location_id = self.locations[location_id]["parent_location_id"]

    def admin1(self, location_id) -> str | None:
        return next((row["name"] for row in self._ancestors(location_id) if row["location_type"] == "district"), None)

    def place(self, location_id) -> dict:
        """The location itself, or its nearest ancestor with coordinates."""
        row = next((row for row in self._ancestors(location_id) if row["latitude"] is not None), None)
        if row is None:
            return {"name": None, "latitude": None, "longitude": None, "precision": None}
        return {
            "name": row["name"],
            "latitude": row["latitude"],
            "longitude": row["longitude"],
            "precision": row["geo_precision"],
        }

    @staticmethod
    def value(records: dict, key, column):
        row = records.get(key) if isinstance(key, str) else None
        return None if row is None else row[column]


def _names(ctx: _Context, actors: list[str]) -> tuple[str | None, str | None]:
    names = [ctx.actor_name[a] for a in actors]
    return (names[0] if names else None), ("; ".join(names[1:]) or None)


def _attribution(ctx: _Context, event) -> str:
    if event.factuality == "asserted":
        return event.summary
    claimant = ctx.actor_name.get(event.claimed_by_actor_id) if event.claimed_by_actor_id is not None else None
    return f"{event.summary} [{event.factuality}" + (f"; claimed by {claimant}]" if claimant else "]")


def acled_rows(ctx: _Context) -> list[dict]:
    rows = []
    for event in ctx.events:
        if event.acled_event_type is None:
            continue
        side1, side2 = ctx.sides(event.event_id)
        actor1, assoc1 = _names(ctx, side1)
        actor2, assoc2 = _names(ctx, side2)
        inter1 = ctx.actor_inter.get(side1[0]) if side1 else None
        inter2 = ctx.actor_inter.get(side2[0]) if side2 else None
        precision = event.date_precision
        date = None
        if event.date_start is not None:
            if precision in ("day", "days", "week"):
                date = event.date_start
            elif precision == "month":
                date = event.date_start.replace(day=15)
        place = ctx.place(event.location_id)
        rows.append(
            {
                "event_id": event.event_id,
                "event_date": date,
                "year": date.year if date else None,
                "time_precision": ctx.value(ctx.dates, precision, "acled_time_precision") if date else None,
                "disorder_type": event.acled_disorder_type,
                "event_type": event.acled_event_type,
                "sub_event_type": event.acled_sub_event_type,
                "actor1": actor1,
                "assoc_actor_1": assoc1,
                "inter1": inter1,
                "actor2": actor2,
                "assoc_actor_2": assoc2,
                "inter2": inter2,
                "civilian_targeting": "Civilians targeted" if inter2 == CIVILIANS else None,
                "admin1": ctx.admin1(event.location_id),
                "location": place["name"],
                "latitude": place["latitude"],
                "longitude": place["longitude"],
                "geo_precision": ctx.value(ctx.geo, place["precision"], "acled_geo_precision"),
                "source": ctx.value(ctx.sources, event.source_id, "publisher"),
                "notes": _attribution(ctx, event),
                "fatalities": event.fatalities_best,
                "factuality": event.factuality,
                "quote": event.quote,
            }
        )
    return rows


def ged_rows(ctx: _Context) -> list[dict]:
    rows = []
    for event in ctx.events:
        if event.plover_event_type != VIOLENT_PLOVER_TYPE or not ctx.allows_acled.get(event.factuality):
            continue
        side1, side2 = ctx.sides(event.event_id)
        place = ctx.place(event.location_id)
        title = ctx.value(ctx.sources, event.source_id, "title")
        path = ctx.value(ctx.sources, event.source_id, "path")
        has_point = place["latitude"] is not None
        rows.append(
            {
                "event_id": event.event_id,
                "year": event.date_start.year if event.date_start is not None else None,
                "side_a": _names(ctx, side1)[0],
                "side_b": _names(ctx, side2)[0],
                "number_of_sources": 1,
                "source_article": f"{title} ({path})",
                "source_office": ctx.value(ctx.sources, event.source_id, "publisher"),
                "source_date": ctx.value(ctx.sources, event.source_id, "published_date"),
                "source_headline": title,
                "source_original": ctx.actor_name.get(event.claimed_by_actor_id)
                if event.claimed_by_actor_id is not None
                else None,
                "where_prec": ctx.value(ctx.geo, place["precision"], "ged_where_prec"),
                "where_coordinates": place["name"],
                "where_description": ctx.value(ctx.locations, event.location_id, "quote"),
                "adm_1": ctx.admin1(event.location_id),
                "latitude": place["latitude"],
                "longitude": place["longitude"],
                "geom_wkt": f"POINT ({place['longitude']} {place['latitude']})" if has_point else None,
                "date_prec": ctx.value(ctx.dates, event.date_precision, "ged_date_prec"),
                "date_start": event.date_start if event.date_start is not None else None,
                "date_end": event.date_end if event.date_end is not None else None,
                "deaths_unknown": event.fatalities_best,
                "best": event.fatalities_best,
                "high": event.fatalities_high,
                "low": event.fatalities_low,
                "factuality": event.factuality,
                "quote": event.quote,
            }
        )
    return rows


def _to_arrow(view: Table, rows: list[dict]) -> pa.Table:
    schema = arrow_schema(view)
    columns = {}
    for f in schema:
        values = [r.get(f.name) for r in rows]
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
