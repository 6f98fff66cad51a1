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
from karabakh_data.check.validate import validate
from karabakh_data.model.repository import Repository
from karabakh_data.model.schemas import load_package
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
def package(real_repo):
    return load_package(real_repo.schemas_dir)


@pytest.fixture(scope="module")
def tables():
    return karabakh_data.load_all()


@pytest.mark.parametrize("view, columns", [("acled_view", ACLED_COLUMNS), ("ged_view", GED_COLUMNS)])
def test_view_has_the_anchor_columns_in_order(package, view, columns):
    names = package[view].field_names
    assert names[0] == "event_id" and names[1 : 1 + len(columns)] == columns
    assert names[1 + len(columns) :] == ["factuality", "quote"]
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
                "disorder_type": "acled_disorder_type",
                "event_type": "acled_event_type",
                "sub_event_type": "acled_sub_event_type",
                "fatalities": "fatalities_best",
                "factuality": "factuality",
                "quote": "quote",
            },
        ),
        (
            "ged_view",
            {
                "date_start": "date_start",
                "date_end": "date_end",
                "best": "fatalities_best",
                "low": "fatalities_low",
                "high": "fatalities_high",
                "deaths_unknown": "fatalities_best",
                "factuality": "factuality",
                "quote": "quote",
            },
        ),
    ],
)
def test_direct_mappings_copy_the_source_column(package, tables, view, direct):
    for column, source in direct.items():
        assert package[view].field(column).derivation.startswith(f"events.{source}")
    events = tables["events"].set_index("event_id")
    frame = tables[view].set_index("event_id")
    for column, source in direct.items():
        expected = events.loc[frame.index, source]
        got = frame[column]
        assert [norm(v) for v in got] == [norm(v) for v in expected], column


def test_acled_view_rows_are_the_acled_coded_events(tables):
    events = tables["events"]
    assert sorted(tables["acled_view"]["event_id"]) == sorted(
        events.loc[events["acled_event_type"].notna(), "event_id"]
    )


def test_ged_view_rows_are_violent_events_that_occurred_or_are_claimed(tables):
    events, factuality = tables["events"], tables["vocab_factuality"].set_index("factuality")
    allowed = events["factuality"].map(lambda f: bool(factuality.loc[f, "allows_acled"]))
    expected = events.loc[(events["plover_event_type"] == "ASSAULT") & allowed, "event_id"]
    assert sorted(tables["ged_view"]["event_id"]) == sorted(expected)


def test_precision_codes_follow_the_crosswalk(tables):
    events = tables["events"].set_index("event_id")
    precision = tables["vocab_date_precision"].set_index("date_precision")
    ged = tables["ged_view"].set_index("event_id")
    for event_id, row in ged.iterrows():
        expected = precision.loc[events.loc[event_id, "date_precision"], "ged_date_prec"]
        assert norm(row["date_prec"]) == norm(expected)


def test_claims_keep_their_attribution_in_acled_notes(tables):
    acled = tables["acled_view"].set_index("event_id")
    events = tables["events"].set_index("event_id")
    for event_id, row in acled.iterrows():
        claimed = events.loc[event_id, "factuality"] != "asserted"
        assert (f"[{events.loc[event_id, 'factuality']}" in row["notes"]) == claimed


def test_views_load_by_name_and_are_in_the_descriptor(real_repo):
    desc = json.loads(real_repo.descriptor_path.read_text())
    resources = {r["name"]: r for r in desc["resources"]}
    for view in ("acled_view", "ged_view"):
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
            "source_id": ["s1", "s2"],
            "publisher": [None, "A Wire"],
            "title": ["T1", "T2"],
            "path": ["seeds/s1.txt", "seeds/s2.txt"],
            "published_date": [None, datetime.date(2023, 9, 20)],
        }
    )
    pairs = vocab["vocab_acled_sub_event_type"].typed
    pair = rng.integers(0, pairs.num_rows, n_events)
    coded = rng.random(n_events) < 0.7
    start = [
        None if rng.random() < 0.15 else datetime.date(2020, 1, 1) + datetime.timedelta(days=int(d))
        for d in rng.integers(0, 1500, n_events)
    ]
    best = [None if rng.random() < 0.3 else int(v) for v in rng.integers(0, 30, n_events)]
    events = pa.table(
        {
            "event_id": [f"evt-{i:05d}" for i in rng.permutation(n_events)],
            "source_id": pick(["s1", "s2"], n_events),
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
            "fatalities_low": best,
            "fatalities_best": best,
            "fatalities_high": best,
            "factuality": pick(values("vocab_factuality", "factuality"), n_events),
            "claimed_by_actor_id": pick(actors.column("actor_id").to_pylist() + ["act-9999"], n_events, 0.5),
            "quote": [f"quote {i}" for i in range(n_events)],
        }
    ).sort_by("event_id")
    roles = values("vocab_event_role", "role")
    links = set()
    for event in events.column("event_id").to_pylist():
        only_participants = rng.random() < 0.2
        for _ in range(int(rng.integers(0, 5))):
            role = "participant" if only_participants else roles[int(rng.integers(0, len(roles)))]
            links.add((event, f"act-{rng.integers(0, n_act):04d}", role))
    event_actors = pa.table(dict(zip(("event_id", "actor_id", "role"), map(list, zip(*sorted(links))))))
    tables = {
        "events": events,
        "actors": actors,
        "locations": locations,
        "sources": sources,
        "event_actors": event_actors,
    }
    return {**vocab, **{name: SimpleNamespace(typed=table, column=table.column) for name, table in tables.items()}}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_views_equal_the_reference_on_every_branch(real_repo, seed):
    validation = validate(real_repo)
    data = random_tables(validation.data, seed)
    views = build_views(validation.package, data)
    for name, table in reference_views(validation.package, data).items():
        assert table.num_rows > 0
        for column in table.column_names:
            assert views[name].column(column).to_pylist() == table.column(column).to_pylist(), (name, column)
