"""SQLite, GeoJSON and the README's query examples, checked with real engines and parsers."""

from __future__ import annotations

import io
import re
import sqlite3
from contextlib import redirect_stdout

import duckdb
import geojson
import polars
import pytest

import karabakh_data
from conftest import ROOT
from karabakh_data.model.generate import create_table_sql
from karabakh_data.model.schemas import load_package

README = (ROOT / "README.md").read_text()


def example(name: str) -> str:
    match = re.search(rf"<!-- example: {name} -->\n```\w+\n(.*?)```", README, re.S)
    assert match, f"README has the {name} example"
    return match.group(1)


@pytest.fixture
def database(real_repo):
    connection = sqlite3.connect(real_repo.root / "data" / "karabakh.sqlite")
    connection.execute("PRAGMA foreign_keys = ON")
    yield connection
    connection.close()


def test_sqlite_holds_every_table_with_its_rows(database):
    for name, frame in karabakh_data.load_all().items():
        assert database.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] == len(frame), name
    assert database.execute("PRAGMA foreign_key_check").fetchall() == []


@pytest.mark.parametrize(
    "statement, error",
    [
        (
            "INSERT INTO event_actors VALUES "
            "('evt-0001', 'act-9999', 'victim', '000_bbb370cb1e115a94', 'q', 0, 1, NULL)",
            "FOREIGN KEY",
        ),
        (
            "INSERT INTO actors (actor_id, name, actor_type, source_id, quote, char_start, char_end) "
            "VALUES ('act-0001', 'x', 'state', '000_bbb370cb1e115a94', 'q', 0, 1)",
            "UNIQUE",
        ),
        (
            "INSERT INTO actors (actor_id, name, actor_type, source_id, quote, char_start, char_end) "
            "VALUES ('act-0099', NULL, 'state', '000_bbb370cb1e115a94', 'q', 0, 1)",
            "NOT NULL",
        ),
        ("UPDATE event_accounts SET fatalities_best = -1 WHERE account_id = 'acc-0002'", "CHECK"),
        ("UPDATE events SET date_start = '2023-02-30' WHERE event_id = 'evt-0002'", "CHECK"),
        ("UPDATE enrichments SET confidence = 'certain' WHERE enrichment_id = 'enr-0001'", "CHECK"),
        ("UPDATE event_accounts SET factuality = 'rumoured' WHERE account_id = 'acc-0001'", "FOREIGN KEY"),
        ("INSERT INTO event_relations VALUES ('evt-0001', 'evt-9999', 'part_of', NULL)", "FOREIGN KEY"),
        ("UPDATE events SET acled_sub_event_type = 'Attack' WHERE event_id = 'evt-0020'", "FOREIGN KEY"),
    ],
)
def test_the_database_engine_refuses_broken_rows(database, statement, error):
    with pytest.raises(sqlite3.IntegrityError, match=error):
        database.execute(statement)
    database.rollback()


def test_every_table_schema_becomes_a_create_table(real_repo):
    package = load_package(real_repo.schemas_dir)
    connection = sqlite3.connect(":memory:")
    for table in package.tables.values():
        sql = create_table_sql(table)
        assert "PRIMARY KEY" in sql and sql.endswith("STRICT")
    connection.close()


def test_geojson_parses_and_carries_every_location(real_repo):
    collection = geojson.loads((real_repo.root / "data" / "locations.geojson").read_text())
    assert collection.is_valid, collection.errors()
    locations = karabakh_data.load("locations").set_index("location_id")
    assert [f["id"] for f in collection["features"]] == list(locations.index)
    for feature in collection["features"]:
        row = locations.loc[feature["id"]]
        assert feature["properties"]["geo_precision"] == row["geo_precision"]
        if feature["geometry"] is None:
            assert row.isna()["latitude"] and row["geo_precision"] == "unknown"
        else:
            assert feature["geometry"]["coordinates"] == [row["longitude"], row["latitude"]]


def test_readme_duckdb_example_runs(real_repo, monkeypatch):
    monkeypatch.chdir(real_repo.root)
    out = io.StringIO()
    with redirect_stdout(out):
        exec(example("duckdb"), {})
    counts = karabakh_data.load("event_estimates")["status"].astype(str).value_counts()
    expected = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    assert out.getvalue().strip() == str(expected)


def test_readme_sqlite3_example_runs(database):
    sql = re.search(r'sqlite3 data/karabakh.sqlite "(.*)"', example("sqlite3")).group(1)
    rows = database.execute(sql).fetchall()
    accounts = karabakh_data.load("event_accounts")
    actors = karabakh_data.load("actors").set_index("actor_id")["name"]
    claimed = accounts[accounts["claimed_by_actor_id"].notna()].sort_values("account_id")
    assert rows == [
        (c, e, str(f), actors[a])
        for c, e, f, a in zip(
            claimed["account_id"], claimed["event_id"], claimed["factuality"], claimed["claimed_by_actor_id"]
        )
    ]


@pytest.mark.parametrize("name", ["events", "event_accounts", "actors", "acled_view"])
def test_duckdb_and_polars_read_the_parquet_without_options(real_repo, name):
    path = str(real_repo.parquet_path(name))
    expected = karabakh_data.load(name)
    assert duckdb.sql(f"SELECT count(*) FROM '{path}'").fetchall() == [(len(expected),)]
    frame = polars.read_parquet(path)
    assert frame.columns == list(expected.columns) and frame.height == len(expected)
    if name == "events":
        assert frame.schema["date_start"] == polars.Date
        described = {r[0]: r[1] for r in duckdb.sql(f"DESCRIBE SELECT * FROM '{path}'").fetchall()}
        assert described["date_start"] == "DATE"
    if name == "event_accounts":
        assert frame.schema["fatalities_best"] == polars.Int64
        described = {r[0]: r[1] for r in duckdb.sql(f"DESCRIBE SELECT * FROM '{path}'").fetchall()}
        assert described["fatalities_best"] == "BIGINT"


def test_readme_counting_example_agrees_with_the_ged_view(monkeypatch, real_repo):
    """The README's recipe for 'violent events and deaths of 19-20 September 2023' counts each real event
    once: its deaths are those of the GED view's rows for those days."""
    monkeypatch.chdir(real_repo.root)
    out = io.StringIO()
    with redirect_stdout(out):
        exec(example("counting"), {})
    events, deaths = out.getvalue().split()
    ged = karabakh_data.load("ged_view")
    days = ged[(ged["date_start"] >= "2023-09-19") & (ged["date_end"] <= "2023-09-20")]
    assert int(deaths) == days["best"].sum() and int(events) >= len(days)
