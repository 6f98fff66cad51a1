"""The ACLED- and GED-shaped views hold exactly what their column mappings (x-derivation) promise."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow.parquet as pq
import pytest

import karabakh_data
from karabakh_data.schemas import load_package

ACLED_COLUMNS = ("event_id_cnty event_date year time_precision disorder_type event_type sub_event_type actor1 assoc_actor_1 "
                 "inter1 actor2 assoc_actor_2 inter2 interaction civilian_targeting iso region country admin1 admin2 admin3 "
                 "location latitude longitude geo_precision source source_scale notes fatalities tags timestamp").split()
GED_COLUMNS = ("id relid year active_year code_status type_of_violence conflict_dset_id conflict_new_id conflict_name "
               "dyad_dset_id dyad_new_id dyad_name side_a_dset_id side_a_new_id side_a side_b_dset_id side_b_new_id side_b "
               "number_of_sources source_article source_office source_date source_headline source_original where_prec "
               "where_coordinates where_description adm_1 adm_2 latitude longitude geom_wkt priogrid_gid country country_id "
               "region event_clarity date_prec date_start date_end deaths_a deaths_b deaths_civilians deaths_unknown best "
               "high low gwnoa gwnob").split()


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
    assert names[0] == "event_id" and names[1:1 + len(columns)] == columns
    assert names[1 + len(columns):] == ["factuality", "quote"]
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


@pytest.mark.parametrize("view, direct", [
    ("acled_view", {"disorder_type": "acled_disorder_type", "event_type": "acled_event_type", "sub_event_type": "acled_sub_event_type",
                    "fatalities": "fatalities_best", "factuality": "factuality", "quote": "quote"}),
    ("ged_view", {"date_start": "date_start", "date_end": "date_end", "best": "fatalities_best", "low": "fatalities_low",
                  "high": "fatalities_high", "deaths_unknown": "fatalities_best", "factuality": "factuality", "quote": "quote"}),
])
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
    assert sorted(tables["acled_view"]["event_id"]) == sorted(events.loc[events["acled_event_type"].notna(), "event_id"])


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
