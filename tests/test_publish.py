"""The published package: fresh, deterministic, atomic, typed for downstream readers, and valid
for frictionless."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3

import frictionless
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest

from conftest import SEED_ID, bump_version, published_digest, set_cell
from karabakh_data.io import parquet as parquet_io
from karabakh_data.publish import descriptor as descriptors
from karabakh_data.publish.build import build, export


def test_committed_outputs_equal_a_fresh_build(real_repo, scratch):
    """Freshness: regenerating from the committed CSV changes no committed byte."""
    committed = published_digest(real_repo)
    assert build(scratch).ok
    assert published_digest(scratch) == committed


def test_committed_exports_equal_a_fresh_export(real_repo, scratch):
    """Freshness of the SQLite database and the GeoJSON, which export writes from the Parquet files."""
    committed = published_digest(real_repo)
    (scratch.root / "data" / "karabakh.sqlite").unlink()
    (scratch.root / "data" / "locations.geojson").write_text("{}")
    assert export(scratch, check=True).stale == ["data/karabakh.sqlite", "data/locations.geojson"]
    assert export(scratch).ok
    assert published_digest(scratch) == committed
    assert export(scratch, check=True).ok


def test_export_refuses_a_package_edited_since_its_build(scratch):
    """A valid edit that was not built yet: the Parquet files are not the CSV file's, so export
    writes nothing and says to build first; after the build it exports the corrected value."""
    set_cell(scratch, "events", "evt-0003", "summary", "A corrected summary.")
    bump_version(scratch)
    before = published_digest(scratch)
    result = export(scratch)
    assert not result.ok
    assert [(p.rule, p.file) for p in result.problems] == [("not-built", "data/csv/events.csv")]
    assert published_digest(scratch) == before
    assert build(scratch).ok and export(scratch).ok
    database = sqlite3.connect(scratch.root / "data" / "karabakh.sqlite")
    summary = database.execute("SELECT summary FROM events WHERE event_id = 'evt-0003'").fetchone()[0]
    database.close()
    assert summary == "A corrected summary."


def test_two_builds_give_the_same_bytes(scratch):
    assert build(scratch).ok
    first = published_digest(scratch)
    assert build(scratch).ok
    assert published_digest(scratch) == first


def test_build_is_all_or_nothing_when_writing_fails(scratch, monkeypatch):
    set_cell(scratch, "events", "evt-0003", "summary", "A corrected summary that would change the output.")
    bump_version(scratch)
    before = published_digest(scratch)
    calls = []

    def failing_write(table, path):
        calls.append(path)
        if len(calls) == 5:
            raise OSError("disk full")
        return real_write(table, path)

    real_write = parquet_io.write_parquet
    monkeypatch.setattr("karabakh_data.publish.build.write_parquet", failing_write)
    with pytest.raises(OSError):
        build(scratch)
    after = published_digest(scratch)
    assert after == before, "nothing under data/, datapackage.json or README.md changed"
    assert not list(scratch.root.glob(".staging-*"))


def test_build_is_all_or_nothing_when_moving_into_place_fails(scratch, monkeypatch):
    set_cell(scratch, "events", "evt-0003", "summary", "A corrected summary that would change the output.")
    bump_version(scratch)
    before = published_digest(scratch)
    real_rename, calls = os.rename, []

    def failing_rename(src, dst):
        calls.append(dst)
        if len(calls) == 7:  # after the Parquet and views folders and some files have moved
            raise OSError("device busy")
        return real_rename(src, dst)

    monkeypatch.setattr("karabakh_data.publish.build.os.rename", failing_rename)
    with pytest.raises(OSError):
        build(scratch)
    monkeypatch.setattr("karabakh_data.publish.build.os.rename", real_rename)
    assert len(calls) >= 7
    assert published_digest(scratch) == before
    assert not list(scratch.root.glob(".staging-*"))


def test_build_picks_up_a_corrected_value(scratch):
    set_cell(scratch, "events", "evt-0003", "summary", "A corrected summary.")
    bump_version(scratch)
    assert build(scratch).ok
    table = pq.read_table(scratch.parquet_path("events"))
    summaries = dict(zip(table.column("event_id").to_pylist(), table.column("summary").to_pylist()))
    assert summaries["evt-0003"] == "A corrected summary."


def test_parquet_files_follow_the_table_schemas(real_repo, package):
    for table in package.tables.values():
        path = real_repo.parquet_path(table.name)
        schema = pq.read_schema(path)
        metadata = pq.read_metadata(path)
        assert schema.names == table.field_names
        assert b"pandas" not in (schema.metadata or {}), "written from Arrow, no pandas metadata or index"
        for f in schema:
            assert f.type != pa.large_string()
            assert not pa.types.is_timestamp(f.type)
            assert f.metadata[b"description"]
        for i in range(metadata.num_row_groups):
            for j in range(metadata.num_columns):
                assert metadata.row_group(i).column(j).compression == "ZSTD"
        keys = pq.read_table(path, columns=list(table.primary_key)).to_pylist()
        assert keys == sorted(keys, key=lambda r: tuple(str(v) for v in r.values())), "rows sorted by primary key"


def test_parquet_and_csv_hold_the_same_values(real_repo, package):
    for table in package.tables.values():
        parquet = pq.read_table(real_repo.parquet_path(table.name))
        plain = parquet.schema
        csv_table = pa_csv.read_csv(
            descriptors.csv_path(real_repo, table),
            convert_options=pa_csv.ConvertOptions(column_types=plain, null_values=[""], strings_can_be_null=True),
        )
        assert parquet.cast(plain).equals(csv_table.select(plain.names).cast(plain)), table.name


def test_descriptor_lists_every_table_with_true_sizes_and_hashes(real_repo, package):
    desc = json.loads(real_repo.descriptor_path.read_text())
    assert [r["name"] for r in desc["resources"]] == list(package.tables)
    assert desc["version"] == package.meta["version"]
    assert {lic["name"] for lic in desc["licenses"]} == {"CC-BY-4.0", "MIT"}
    assert desc["sources"] and all(s["title"] for s in desc["sources"])
    assert all((real_repo.root / s["path"]).is_file() for s in desc["sources"] if "path" in s)  # shipped texts
    for r in desc["resources"]:
        for item in (r, r["x-parquet"]):
            raw = (real_repo.root / item["path"]).read_bytes()
            assert item["bytes"] == len(raw)
            assert item["hash"] == "sha256:" + hashlib.sha256(raw).hexdigest()
        assert r["schema"] == package[r["name"]].descriptor
        assert r["format"] == "csv" and r["mediatype"] == "text/csv" and r["encoding"] == "utf-8"


def test_frictionless_validates_the_package(real_repo):
    report = frictionless.Package(str(real_repo.descriptor_path)).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_frictionless_catches_a_dangling_reference_too(scratch):
    """The independent, spec-level check agrees with ours on a broken foreign key."""
    set_cell(scratch, "event_actors", f"evt-0001/act-0001/perpetrator/{SEED_ID}", "actor_id", "act-9999")
    desc = json.loads(scratch.descriptor_path.read_text())
    resource = next(r for r in desc["resources"] if r["name"] == "event_actors")
    raw = scratch.csv_path("event_actors").read_bytes()
    resource["bytes"], resource["hash"] = len(raw), "sha256:" + hashlib.sha256(raw).hexdigest()
    scratch.descriptor_path.write_text(json.dumps(desc))
    report = frictionless.Package(str(scratch.descriptor_path)).validate()
    assert [row[0] for row in report.flatten(["type"])] == ["foreign-key"]


def test_readme_table_of_tables_is_generated(real_repo):
    desc = json.loads(real_repo.descriptor_path.read_text())
    readme = (real_repo.root / "README.md").read_text()
    assert descriptors.tables_markdown(desc) in readme


def test_controlled_values_are_plain_strings_that_join_their_vocabularies(real_repo):
    """A vocabulary's values and the column that uses them have one type in every engine (a
    dictionary type on one side only does not join in Polars nor concatenate in pyarrow)."""
    import polars as pl

    events = pq.read_table(real_repo.parquet_path("event_accounts"))
    vocabulary = pq.read_table(real_repo.parquet_path("vocab_factuality"))
    assert events.schema.field("factuality").type == vocabulary.schema.field("factuality").type == pa.string()
    joined = pl.read_parquet(real_repo.parquet_path("event_accounts")).join(
        pl.read_parquet(real_repo.parquet_path("vocab_factuality")), on="factuality"
    )
    assert joined.height == events.num_rows  # every account's factuality is a vocabulary value
    assert pa.concat_arrays(
        [events.column("factuality").combine_chunks(), vocabulary.column("factuality").combine_chunks()]
    )


def test_pyarrow_joins_and_concatenates_every_controlled_column_with_its_vocabulary(real_repo, package):
    """Every column that references a vocabulary table has the vocabulary column's type in the
    Parquet files: pyarrow joins them (every present value finds its row) and concatenates them,
    with no cast. A dictionary type on one side only makes the concatenation raise (pyarrow 26 joins
    it; the nullability of a column and of its vocabulary's key differ, which pa.concat_tables, unlike
    chunked arrays, holds against them)."""
    pairs = [
        (table.name, name, fk.resource, column)
        for table in package.tables.values()
        for fk in table.foreign_keys
        if package[fk.resource].group == "vocabulary"
        for name, column in zip(fk.fields, fk.reference_fields)
    ]
    assert pairs, "the package has controlled columns"
    for name, field, vocabulary, column in pairs:
        left = pq.read_table(real_repo.parquet_path(name), columns=[field])
        right = pq.read_table(real_repo.parquet_path(vocabulary), columns=[column]).group_by(column).aggregate([])
        joined = left.join(right, keys=field, right_keys=column, join_type="inner")
        assert joined.num_rows == left.num_rows - left.column(field).null_count, (name, field)
        both = pa.chunked_array([*left.column(field).chunks, *right.column(column).chunks])  # one type, or it raises
        assert len(both) == left.num_rows + right.num_rows and both.type == pa.string()
