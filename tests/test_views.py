"""The ACLED- and GED-shaped views hold exactly what their column mappings (x-derivation) promise."""

from __future__ import annotations

import datetime
import json

import pandas as pd
import pyarrow.parquet as pq
import pytest
from benchmarks.synth import generate

import karabakh_data
import views_reference
from conftest import bump_version, read_rows, run_cli, write_rows
from karabakh_data.check.validate import validate
from karabakh_data.model.repository import Repository
from karabakh_data.publish.views import build_views

ACLED_COLUMNS = (
    "event_id_cnty event_date year time_precision disorder_type event_type sub_event_type actor1 assoc_actor_1 "
    "inter1 actor2 assoc_actor_2 inter2 interaction civilian_targeting iso region country admin1 admin2 admin3 "
    "location latitude longitude geo_precision source source_scale notes fatalities tags timestamp"
).split()
GED_COLUMNS = (
    "id relid year active_year code_status type_of_violence conflict_dset_id conflict_new_id conflict_name "
    "dyad_dset_id dyad_new_id dyad_name side_a_dset_id side_a_new_id side_a side_b_dset_id side_b_new_id side_b "
    "number_of_sources source_article source_office source_date source_headline source_original where_prec "
    "where_coordinates where_description adm_1 adm_2 latitude longitude geom_wkt priogrid_gid country country_id "
    "region event_clarity date_prec date_start date_end deaths_a deaths_b deaths_civilians deaths_unknown best "
    "high low gwnoa gwnob"
).split()


def norm(value):
    return None if pd.isna(value) else str(value)


@pytest.fixture(scope="module")
def tables():
    return karabakh_data.load_all()


@pytest.mark.parametrize("view, columns", [("acled_view", ACLED_COLUMNS), ("ged_view", GED_COLUMNS)])
def test_view_has_the_anchor_columns_in_order(package, view, columns):
    names = package[view].field_names
    assert names[0] == "event_id" and names[1 : 1 + len(columns)] == columns
    assert names[1 + len(columns) :] == ["status", "quote"]
    assert all(f.derivation for f in package[view].fields), "every column says how it is derived or why it cannot be"


@pytest.mark.parametrize("view", ["acled_view", "ged_view"])
def test_columns_marked_not_derivable_are_empty(package, tables, view):
    frame = tables[view]
    assert len(frame) > 0
    for f in package[view].fields:
        if f.derivation.startswith("Not derivable"):
            assert frame[f.name].isna().all(), f.name
        else:
            assert f.name in frame.columns


@pytest.mark.parametrize(
    "view, direct",
    [
        (
            "acled_view",
            {
                "disorder_type": "events.acled_disorder_type",
                "event_type": "events.acled_event_type",
                "sub_event_type": "events.acled_sub_event_type",
                "fatalities": "event_estimates.fatalities_low",
                "status": "event_estimates.status",
            },
        ),
        (
            "ged_view",
            {
                "date_start": "events.date_start",
                "date_end": "events.date_end",
                "best": "event_estimates.fatalities_best",
                "low": "event_estimates.fatalities_low",
                "high": "event_estimates.fatalities_high",
                "deaths_unknown": "event_estimates.fatalities_best",
                "number_of_sources": "event_estimates.number_of_sources",
                "status": "event_estimates.status",
            },
        ),
    ],
)
def test_direct_mappings_copy_the_source_column(package, tables, view, direct):
    frame = tables[view].set_index("event_id")
    for column, source in direct.items():
        assert package[view].field(column).derivation.startswith(source)
        table, name = source.split(".")
        expected = tables[table].set_index("event_id").loc[frame.index, name]
        assert [norm(v) for v in frame[column]] == [norm(v) for v in expected], column


def test_acled_view_rows_are_the_counted_acled_coded_events(tables):
    events = tables["events"].merge(tables["event_estimates"], on="event_id")
    expected = events.loc[events["acled_event_type"].notna() & events["is_counted"], "event_id"]
    assert sorted(tables["acled_view"]["event_id"]) == sorted(expected)


def test_ged_view_rows_are_counted_violent_events_with_a_death(tables):
    events = tables["events"].merge(tables["event_estimates"], on="event_id")
    deadly = events["fatalities_best"].fillna(0) >= 1
    expected = events.loc[(events["plover_event_type"] == "ASSAULT") & events["is_counted"] & deadly, "event_id"]
    assert sorted(tables["ged_view"]["event_id"]) == sorted(expected)
    assert (tables["ged_view"]["best"] >= 1).all()


def test_a_whole_is_never_counted_beside_its_parts(tables):
    parts = tables["event_relations"].merge(tables["vocab_event_relation"], on="relation")
    parts = parts[parts["is_part"].astype(bool)]
    for view in ("acled_view", "ged_view"):
        held = set(tables[view]["event_id"])
        for part, whole in zip(parts["event_id"], parts["related_event_id"]):
            assert not (part in held and whole in held), (view, part, whole)


def test_precision_codes_follow_the_crosswalk(tables):
    events = tables["events"].set_index("event_id")
    precision = tables["vocab_date_precision"].set_index("date_precision")
    ged = tables["ged_view"].set_index("event_id")
    for event_id, row in ged.iterrows():
        expected = precision.loc[events.loc[event_id, "date_precision"], "ged_date_prec"]
        assert norm(row["date_prec"]) == norm(expected)


def test_claims_keep_their_attribution_in_acled_notes(tables):
    acled = tables["acled_view"].set_index("event_id")
    for event_id, row in acled.iterrows():
        attributed = row["status"] not in ("confirmed", "single_source")
        assert (f"[{row['status']}" in row["notes"]) == attributed, event_id


def test_views_load_by_name_and_are_in_the_descriptor(real_repo):
    desc = json.loads(real_repo.descriptor_path.read_text())
    resources = {r["name"]: r for r in desc["resources"]}
    for view in ("acled_view", "ged_view", "event_estimates"):
        assert resources[view]["path"] == f"data/views/{view}.csv" and resources[view]["x-group"] == "view"
        assert len(karabakh_data.load(view)) == pq.read_metadata(real_repo.parquet_path(view)).num_rows


def reference_views(package, data):
    ctx = views_reference._Context(data)
    return {
        view.name: views_reference._to_arrow(view, views_reference.BUILDERS[view.name](ctx)) for view in package.views
    }


@pytest.mark.parametrize("events", [0, 3_000])
def test_views_equal_the_row_by_row_reference(real_repo, tmp_path, events):
    """The column-wise views give the very tables the plain-Python reference derives, on the real
    package and on a synthetic one (thousands of events, nested places, several roles per event)."""
    if events:
        generate(tmp_path / "pkg", events=events, seed=11)
        repo = Repository(tmp_path / "pkg")
    else:
        repo = real_repo
    validation = validate(repo)
    assert validation.ok
    views = build_views(validation.package, validation.data)
    expected = reference_views(validation.package, validation.data)
    for name, table in expected.items():
        assert table.num_rows > 0
        assert views[name].schema == table.schema, name
        for column in table.column_names:
            assert views[name].column(column).to_pylist() == table.column(column).to_pylist(), (name, column)


def random_tables(real, seed: int, n_events: int = 400) -> dict:
    """Tables that exercise every branch of the derivations: all roles (an actor in two roles, events
    with only participants), every date precision with missing dates, nested places with and without
    coordinates and districts, a parent cycle, claims with and without a known claimant. In
    primary-key order, as validated tables are."""
    from types import SimpleNamespace

    import numpy as np
    import pyarrow as pa

    rng = np.random.default_rng(seed)
    vocab = {name: real[name] for name in real if name.startswith("vocab_")}

    def values(name, column):
        return vocab[name].typed.column(column).to_pylist()

    def pick(options, n, missing=0.0):
        chosen = [options[i] for i in rng.integers(0, len(options), n)]
        return [None if rng.random() < missing else v for v in chosen]

    n_loc, n_act = 40, 25
    parents = [None if i < 5 or rng.random() < 0.2 else f"loc-{rng.integers(0, i):04d}" for i in range(n_loc)]
    parents[3], parents[4] = "loc-0004", "loc-0003"  # a cycle, with no coordinates on it
    lat = [
        None if i in (3, 4) or rng.random() < 0.4 else float(rng.integers(380000, 420000)) / 10000 for i in range(n_loc)
    ]
    locations = pa.table(
        {
            "location_id": [f"loc-{i:04d}" for i in range(n_loc)],
            "name": [f"Place {i}" for i in range(n_loc)],
            "location_type": pick(values("vocab_location_type", "location_type"), n_loc),
            "latitude": lat,
            "longitude": [None if v is None else v + 6.5 for v in lat],
            "geo_precision": pick(values("vocab_geo_precision", "geo_precision"), n_loc, 0.1),
            "parent_location_id": parents,
            "quote": [f"near place {i}" for i in range(n_loc)],
        }
    )
    actors = pa.table(
        {
            "actor_id": [f"act-{i:04d}" for i in range(n_act)],
            "name": [f"Actor {i}" for i in range(n_act)],
            "actor_type": pick(values("vocab_actor_type", "actor_type"), n_act),
        }
    )
    sources = pa.table(
        {
            "source_id": ["s1", "s2", "s3", "s4"],
            "publisher": [None, "A Wire", "A Wire", "B Daily"],
            "title": ["T1", "T2", None, "T4"],
            "path": ["seeds/s1.txt", None, None, None],
            "url": [None, "https://a.example/2", "https://a.example/3", "https://b.example/4"],
            "published_date": [None, datetime.date(2023, 9, 20), None, datetime.date(2023, 9, 21)],
        }
    )
    pairs = vocab["vocab_acled_sub_event_type"].typed
    pair = rng.integers(0, pairs.num_rows, n_events)
    coded = rng.random(n_events) < 0.7
    start = [
        None if rng.random() < 0.15 else datetime.date(2020, 1, 1) + datetime.timedelta(days=int(d))
        for d in rng.integers(0, 1500, n_events)
    ]
    event_ids = sorted(f"evt-{i:05d}" for i in range(n_events))
    events = pa.table(
        {
            "event_id": event_ids,
            "summary": [f"Event {i}." for i in range(n_events)],
            "date_start": start,
            "date_end": start,
            "date_precision": pick(values("vocab_date_precision", "date_precision"), n_events),
            "location_id": pick(locations.column("location_id").to_pylist(), n_events, 0.1),
            "acled_disorder_type": [
                pairs.column("acled_disorder_type")[int(p)].as_py() if c else None for p, c in zip(pair, coded)
            ],
            "acled_event_type": [
                pairs.column("acled_event_type")[int(p)].as_py() if c else None for p, c in zip(pair, coded)
            ],
            "acled_sub_event_type": [
                pairs.column("acled_sub_event_type")[int(p)].as_py() if c else None for p, c in zip(pair, coded)
            ],
            "plover_event_type": pick(["ASSAULT", "ASSAULT", "PROTEST"], n_events),
        }
    )
    # 0 to 3 accounts an event, from any source (an unknown one too), in every voice and with every kind of count
    account_events = [e for e in event_ids for _ in range(int(rng.integers(0, 4)))]
    n = len(account_events)
    best = [None if rng.random() < 0.3 else int(v) for v in rng.integers(0, 30, n)]
    low = [None if b is None or rng.random() < 0.5 else max(0, b - int(rng.integers(0, 3))) for b in best]
    high = [None if rng.random() < 0.5 else (b or 0) + int(rng.integers(0, 5)) for b in best]
    accounts = pa.table(
        {
            "account_id": [f"acc-{i:05d}" for i in rng.permutation(n)],
            "event_id": account_events,
            "source_id": pick(["s1", "s2", "s3", "s4", "s9"], n),
            "factuality": pick(values("vocab_factuality", "factuality"), n),
            "claimed_by_actor_id": pick(actors.column("actor_id").to_pylist() + ["act-9999"], n, 0.5),
            "fatalities_low": low,
            "fatalities_best": best,
            "fatalities_high": high,
            "quote": [f"quote {i}" for i in range(n)],
        }
    ).sort_by("account_id")
    kinds = values("vocab_event_relation", "relation")
    relations = sorted(
        {
            (event_ids[int(a)], event_ids[int(b)], kinds[int(k)])
            for a, b, k in zip(rng.integers(0, n_events, 150), rng.integers(0, n_events, 150), rng.integers(0, 5, 150))
            if a != b
        }
    )
    roles = values("vocab_event_role", "role")
    links = set()
    for event in event_ids:
        only_participants = rng.random() < 0.2
        for _ in range(int(rng.integers(0, 5))):
            role = "participant" if only_participants else roles[int(rng.integers(0, len(roles)))]
            for source in pick(["s1", "s2"], int(rng.integers(1, 3))):  # one link, evidenced by one or two sources
                links.add((event, f"act-{rng.integers(0, n_act):04d}", role, source))
    columns = ("event_id", "actor_id", "role", "source_id")
    event_actors = pa.table(dict(zip(columns, map(list, zip(*sorted(links))))))
    event_relations = pa.table(dict(zip(("event_id", "related_event_id", "relation"), map(list, zip(*relations)))))
    tables = {
        "events": events,
        "event_accounts": accounts,
        "event_relations": event_relations,
        "actors": actors,
        "locations": locations,
        "sources": sources,
        "event_actors": event_actors,
    }
    return {
        **vocab,
        **{
            name: SimpleNamespace(typed=table, column=table.column, num_rows=table.num_rows)
            for name, table in tables.items()
        },
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_views_equal_the_reference_on_every_branch(real_repo, seed):
    validation = validate(real_repo)
    data = random_tables(validation.data, seed)
    views = build_views(validation.package, data)
    for name, table in reference_views(validation.package, data).items():
        assert table.num_rows > 0
        for column in table.column_names:
            assert views[name].column(column).to_pylist() == table.column(column).to_pylist(), (name, column)


def test_the_mine_blasts_of_19_september_2023_are_six_deaths(tables):
    """The seed's six deaths (evt-0002) and the reports of its two blasts: the GED view counts the blasts,
    not the whole beside them, and they add up to six however many sources report them."""
    parts = tables["event_relations"]
    blasts = parts.loc[(parts["related_event_id"] == "evt-0002") & (parts["relation"] == "part_of"), "event_id"]
    ged = tables["ged_view"].set_index("event_id")
    assert "evt-0002" not in ged.index and set(blasts) <= set(ged.index)
    assert ged.loc[list(blasts), "best"].sum() == 6
    acled = tables["acled_view"].set_index("event_id")
    assert "evt-0002" not in acled.index and acled.loc[list(blasts), "fatalities"].sum() == 6


def test_a_second_account_of_an_event_adds_a_source_not_deaths(scratch):
    """A contributor's correct second report of a counted event: one more source, the same deaths."""
    before = validate(scratch)
    ged = build_views(before.package, before.data)["ged_view"].to_pylist()
    event = ged[0]
    header, rows = read_rows(scratch, "sources")
    source = dict.fromkeys(header, "")
    source_id = run_cli("--root", str(scratch.root), "next-id", "sources").stdout.split()[0]
    source.update(
        source_id=source_id,
        source_kind="cited",
        title="A second report",
        language="en",
        publisher="Another Wire",
        url="https://example.org/second-report",
        published_date="2023-09-20",
        retrieved_date="2026-12-05",
        rights_note="Not shipped.",
    )
    write_rows(scratch, "sources", header, rows + [[source[h] for h in header]])
    header, rows = read_rows(scratch, "event_accounts")
    account = dict.fromkeys(header, "")
    account.update(
        account_id=run_cli("--root", str(scratch.root), "next-id", "event_accounts").stdout.split()[0],
        event_id=event["event_id"],
        source_id=source_id,
        factuality="asserted",
        fatalities_best=str(event["best"]),
        quote="The same deaths, reported again.",
    )
    write_rows(scratch, "event_accounts", header, rows + [[account[h] for h in header]])
    bump_version(scratch, "minor")
    after = validate(scratch)
    assert after.ok, "\n".join(map(str, after.problems))
    views = build_views(after.package, after.data)
    again = {row["event_id"]: row for row in views["ged_view"].to_pylist()}
    assert again[event["event_id"]]["best"] == event["best"]
    assert again[event["event_id"]]["number_of_sources"] == event["number_of_sources"] + 1
    assert sum(r["best"] for r in again.values()) == sum(r["best"] for r in ged)
    assert "Another Wire" in again[event["event_id"]]["source_office"]
