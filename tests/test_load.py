"""The researcher's API: typed DataFrames, light imports, and it works from an installed wheel."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys

import pandas as pd
import pytest

import karabakh_data
from conftest import ROOT, bump_version, controlled, set_cell
from karabakh_data.publish.build import build
from karabakh_data.publish.descriptor import csv_path


def expected_dtype(package, table, field):
    if controlled(package, table, field):
        return "category"
    return {"string": "str", "integer": "Int64", "number": "Float64", "boolean": "boolean", "date": "datetime64[ms]"}[
        field.type
    ]


def test_every_table_loads_typed_per_its_schema(package, real_repo):
    frames = karabakh_data.load_all()
    assert set(frames) == set(package.tables)
    for name, frame in frames.items():
        table = package[name]
        assert list(frame.columns) == table.field_names
        with open(csv_path(real_repo, table), newline="") as handle:
            assert len(frame) == sum(1 for _ in csv.reader(handle)) - 1
        for f in table.fields:
            assert str(frame[f.name].dtype) == expected_dtype(package, table, f), (name, f.name, frame[f.name].dtype)


def test_categories_hold_the_whole_vocabulary_in_its_order(package):
    accounts = karabakh_data.load("event_accounts")
    factuality = karabakh_data.load("vocab_factuality")["factuality"]
    assert list(accounts["factuality"].cat.categories) == list(factuality)  # unused values included
    assert accounts["factuality"].value_counts().reindex(list(factuality)).notna().all()
    confidence = package["enrichments"].field("confidence").constraint("enum")
    assert list(karabakh_data.load("enrichments")["confidence"].cat.categories) == list(confidence)


def test_missing_counts_stay_missing_and_dates_are_dates():
    accounts, events = karabakh_data.load("event_accounts"), karabakh_data.load("events")
    assert accounts["fatalities_best"].isna().any() and accounts["fatalities_best"].notna().any()
    assert str(accounts["fatalities_best"].dtype) == "Int64"
    assert pd.api.types.is_datetime64_any_dtype(events["date_start"])
    assert (events["date_start"].dropna() <= events.loc[events["date_start"].notna(), "date_end"]).all()


def test_a_literal_na_stays_na(scratch):
    set_cell(scratch, "actors", "act-0010", "name", "NA")
    bump_version(scratch)
    assert build(scratch).ok
    actors = karabakh_data.load("actors", root=scratch.root)
    assert actors.loc[actors["actor_id"] == "act-0010", "name"].item() == "NA"
    assert actors["name"].notna().all()


def test_a_misspelled_table_name_gets_a_suggestion(package):
    name = next(iter(package.tables))
    misspelled = name[:-1] + ("x" if name[-1] != "x" else "y")
    for call in (karabakh_data.load, karabakh_data.describe):
        with pytest.raises(KeyError) as caught:
            call(misspelled)
        assert f"did you mean {name!r}" in str(caught.value)
    with pytest.raises(KeyError) as caught:
        karabakh_data.load("no_such_table_at_all_1234")
    assert "did you mean" not in str(caught.value) and "table_names()" in str(caught.value)


def test_frames_carry_the_descriptions(package):
    for table in package.tables.values():
        frame = karabakh_data.load(table.name)
        assert frame.attrs["description"] == table.description
        assert frame.attrs["columns"] == {f.name: f.description for f in table.fields}
        assert frame.attrs["version"] == package.meta["version"]


def test_describe_gives_the_data_dictionary_of_a_table(package):
    for table in package.tables.values():
        frame = karabakh_data.describe(table.name)
        assert list(frame["column"]) == table.field_names
        assert list(frame["type"]) == [f.type for f in table.fields]
        assert list(frame["description"]) == [f.description for f in table.fields]
        assert list(frame["required"]) == [table.is_required(f.name) for f in table.fields]
        assert list(frame["controlled"]) == [controlled(package, table, f) for f in table.fields]
        assert list(frame["primary_key"]) == [f.name in table.primary_key for f in table.fields]
    tables = karabakh_data.describe()
    assert list(tables["table"]) == list(package.tables)
    assert list(tables["description"]) == [t.description for t in package.tables.values()]
    assert list(tables["rows"]) == [len(karabakh_data.load(name)) for name in package.tables]


def test_the_functions_are_listed_by_dir_and_help():
    import pydoc

    listed = dir(karabakh_data)
    text = pydoc.render_doc(karabakh_data, renderer=pydoc.plaintext)
    for name in ("load", "load_all", "describe", "table_names"):
        assert name in listed
        assert f"{name}(" in text
    assert "Rows come sorted by primary key" in text, "help() shows load's docstring"


def test_loading_does_not_import_the_validation_stack():
    code = (
        "import sys, karabakh_data; karabakh_data.load('events'); "
        "print([m for m in ('pandera', 'frictionless') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_load_works_from_an_installed_wheel(tmp_path, package):
    wheels, target, elsewhere = tmp_path / "wheels", tmp_path / "site", tmp_path / "cwd"
    elsewhere.mkdir()
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(wheels.glob("karabakh_data-*.whl"))
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True,
        capture_output=True,
    )
    code = (
        "import json, karabakh_data; e = karabakh_data.load('event_accounts'); "
        "print(json.dumps([karabakh_data.__file__, len(e), str(e['fatalities_best'].dtype), "
        "sorted(karabakh_data.load_all()), list(karabakh_data.describe('events')['column'])]))"
    )
    env = {**os.environ, "PYTHONPATH": str(target)}
    env.pop("KARABAKH_DATA_ROOT", None)
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=elsewhere, env=env, capture_output=True, text=True, check=True
    ).stdout
    module_file, rows, dtype, names, described = json.loads(out)
    assert module_file.startswith(str(target)), "imported from the installed wheel, not the checkout"
    assert rows == len(karabakh_data.load("event_accounts")) and dtype == "Int64"
    assert names == sorted(karabakh_data.table_names())
    assert described == list(karabakh_data.load("events").columns)
    # the command, outside any repository, describes and validates the data inside the wheel
    for command in (["describe"], ["describe", "events"], ["validate"]):
        proc = subprocess.run(
            [sys.executable, "-m", "karabakh_data.cli", *command],
            cwd=elsewhere,
            env=env,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, (command, proc.stdout, proc.stderr)
        assert f"reads the installed data: {target / 'karabakh_data' / '_data'}" in proc.stderr
    assert proc.stdout.startswith(f"valid: {len(package.coded)} tables")
