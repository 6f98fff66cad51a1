"""The README's recipes for reading the files without the package, run as written: each gives the
values the package publishes, with codes as text and missing values missing."""

from __future__ import annotations

import re

import pandas as pd
import polars as pl
import pyarrow as pa
import pytest

import karabakh_data
from conftest import ROOT

README = (ROOT / "README.md").read_text()


def run_example(name: str, monkeypatch) -> dict:
    match = re.search(rf"<!-- example: {name} -->\n```python\n(.*?)```", README, re.S)
    assert match, f"README has the {name} example"
    monkeypatch.chdir(ROOT)
    scope: dict = {}
    exec(match.group(1), scope)
    return scope


def plain(series: pd.Series) -> list:
    """Values as Python objects, missing as None, whatever the dtype."""
    return [None if pd.isna(v) else (str(v) if isinstance(v, str) else v) for v in series.astype(object)]


@pytest.fixture(scope="module")
def events():
    return karabakh_data.load("events")


def test_the_pandas_csv_recipe_reads_the_published_values(monkeypatch, events):
    frame = run_example("pandas-csv", monkeypatch)["events"]
    assert list(frame.columns) == list(events.columns)
    for column in events.columns:
        expected = events[column].astype(str) if events[column].dtype == "category" else events[column]
        assert plain(frame[column]) == plain(expected.where(events[column].notna())), column


def test_the_pandas_parquet_recipe_keeps_every_type(monkeypatch, events):
    frame = run_example("pandas-parquet", monkeypatch)["events"]
    schema = karabakh_data.describe("events").set_index("column")["type"]
    arrow = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_()}
    arrow["date"] = pa.date32()
    for column in frame.columns:
        assert frame[column].dtype == pd.ArrowDtype(arrow[schema[column]]), column
        assert frame[column].isna().sum() == events[column].isna().sum(), column


def test_the_polars_csv_recipe_equals_the_parquet_file(monkeypatch):
    frame = run_example("polars-csv", monkeypatch)["events"]
    published = pl.read_parquet(ROOT / "data" / "parquet" / "events.parquet")
    assert frame.schema == published.schema
    assert frame.equals(published)


def test_the_min_count_recipe_keeps_unreported_sums_missing(monkeypatch):
    scope = run_example("min-count", monkeypatch)
    acled, sums = scope["acled"], scope["per_type"]
    for group, values in acled.groupby("event_type", observed=True)["fatalities"]:
        if values.isna().all():
            assert pd.isna(sums[group]), group
        else:
            assert sums[group] == values.sum(), group
