"""A reference implementation of the views for the tests: row by row in plain Python, reading like
the x-derivation texts of schemas/views/*.json and the codebook's "Counting events". The package derives
the views with Arrow (karabakh_data.publish.views and estimates), which is what scales;
tests/test_views.py requires both to give the same tables.
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
        self.stance = {r["factuality"]: r["stance"] for r in data["vocab_factuality"].typed.to_pylist()}
        links = data["event_actors"].typed.sort_by(
            [("event_id", "ascending"), ("actor_id", "ascending"), ("role", "ascending")]
        )
        self.roles: dict[str, list] = {}
        for event, actor, role in zip(*(links.column(c).to_pylist() for c in ("event_id", "actor_id", "role"))):
            if (actor, role) not in self.roles.setdefault(event, []):  # one link, however many sources evidence it
                self.roles[event].append((actor, role))
        self.accounts: dict[str, list] = {}
        for row in data["event_accounts"].typed.sort_by("account_id").to_pylist():
            self.accounts.setdefault(row["event_id"], []).append(SimpleNamespace(**row))
        self.parts: dict[str, list] = {}
        relations, kinds = data.get("event_relations"), data.get("vocab_event_relation")
        if relations is not None and kinds is not None:
            is_part = {r["relation"]: r["is_part"] for r in kinds.typed.to_pylist()}
            for row in relations.typed.to_pylist():
                if is_part.get(row["relation"]):
                    self.parts.setdefault(row["related_event_id"], []).append(row["event_id"])
        self.estimates = {event.event_id: self._estimate(event.event_id) for event in self.events}
        for event_id, estimate in self.estimates.items():
            affirmed_part = any(self.estimates.get(p, {}).get("affirmed") for p in self.parts.get(event_id, []))
            estimate["is_counted"] = estimate["affirmed"] and not affirmed_part

    def _estimate(self, event_id: str) -> dict:
        accounts = [a for a in self.accounts.get(event_id, [])]
        stances = [self.stance.get(a.factuality) for a in accounts]
        affirming = [a for a, s in zip(accounts, stances) if s in ("asserts", "attributes")]
        publishers = {
            self.sources[a.source_id]["publisher"] or a.source_id
            for a, s in zip(accounts, stances)
            if s == "asserts" and a.source_id in self.sources
        }
        affirmed, denied = bool(affirming), "denies" in stances
        if affirmed and denied:
            status = "contested"
        elif affirmed:
            status = "confirmed" if len(publishers) >= 2 else "single_source" if publishers else "claimed_only"
        else:
            status = "denied" if denied else "unrealized"
        source_ids = sorted({a.source_id for a in accounts if a.source_id in self.sources})
        claimants = sorted({a.claimed_by_actor_id for a in accounts if a.claimed_by_actor_id in self.actor_name})
        bests = sorted(a.fatalities_best for a in affirming if a.fatalities_best is not None)
        lows = [a.fatalities_low if a.fatalities_low is not None else a.fatalities_best for a in affirming]
        highs = [a.fatalities_high if a.fatalities_high is not None else a.fatalities_best for a in affirming]
        lows, highs = [v for v in lows if v is not None], [v for v in highs if v is not None]
        return {
            "event_id": event_id,
            "status": status,
            "affirmed": affirmed,
            "number_of_sources": len(source_ids),
            "number_of_accounts": len(accounts),
            "source_ids": "; ".join(source_ids) or None,
            "sources": [self.sources[s] for s in source_ids],
            "claimants": "; ".join(self.actor_name[a] for a in claimants) or None,
            "fatalities_low": min(lows) if lows else None,
            "fatalities_best": bests[(len(bests) - 1) // 2] if bests else None,
            "fatalities_high": max(highs) if highs else None,
            "quote": accounts[0].quote if accounts else None,
        }

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
    estimate = ctx.estimates[event.event_id]
    if estimate["status"] in ("confirmed", "single_source"):
        return event.summary
    claimants = estimate["claimants"]
    return f"{event.summary} [{estimate['status']}" + (f"; claimed by {claimants}]" if claimants else "]")


def _joined(values) -> str | None:
    present = [str(v) for v in values if v is not None]
    return "; ".join(present) or None


def acled_rows(ctx: _Context) -> list[dict]:
    rows = []
    for event in ctx.events:
        estimate = ctx.estimates[event.event_id]
        if event.acled_event_type is None or not estimate["is_counted"]:
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
                "source": _joined(s["publisher"] or s["title"] for s in estimate["sources"]),
                "notes": _attribution(ctx, event),
                "fatalities": estimate["fatalities_low"],
                "status": estimate["status"],
                "quote": estimate["quote"],
            }
        )
    return rows


def ged_rows(ctx: _Context) -> list[dict]:
    rows = []
    for event in ctx.events:
        estimate = ctx.estimates[event.event_id]
        best = estimate["fatalities_best"]
        if event.plover_event_type != VIOLENT_PLOVER_TYPE or not estimate["is_counted"] or not best:
            continue
        side1, side2 = ctx.sides(event.event_id)
        place = ctx.place(event.location_id)
        sources = estimate["sources"]
        has_point = place["latitude"] is not None
        rows.append(
            {
                "event_id": event.event_id,
                "year": event.date_start.year if event.date_start is not None else None,
                "side_a": _names(ctx, side1)[0],
                "side_b": _names(ctx, side2)[0],
                "number_of_sources": estimate["number_of_sources"],
                "source_article": _joined(
                    f"{s['title']} ({s['path'] or s['url']})" if s["title"] and (s["path"] or s["url"]) else None
                    for s in sources
                ),
                "source_office": _joined(s["publisher"] for s in sources),
                "source_date": _joined(s["published_date"] for s in sources),
                "source_headline": _joined(s["title"] for s in sources),
                "source_original": estimate["claimants"],
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
                "deaths_unknown": best,
                "best": best,
                "high": estimate["fatalities_high"],
                "low": estimate["fatalities_low"],
                "status": estimate["status"],
                "quote": estimate["quote"],
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


def estimate_rows(ctx: _Context) -> list[dict]:
    return [ctx.estimates[event.event_id] for event in ctx.events]


BUILDERS = {"acled_view": acled_rows, "ged_view": ged_rows, "event_estimates": estimate_rows}


def build_views(package: Package, data: dict[str, TableData]) -> dict[str, pa.Table]:
    """Every view as a plain Arrow table (no dictionary columns), sorted by event_id."""
    ctx = _Context(data)
    return {view.name: _to_arrow(view, BUILDERS[view.name](ctx)) for view in package.views}
