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

from conftest import published_digest, set_cell, set_version
from karabakh_data import publish
from karabakh_data.build import build, export
from karabakh_data.schemas import load_package


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
    set_version(scratch, "0.1.1")
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
    set_version(scratch, "0.1.1")
    before = published_digest(scratch)
    calls = []

    def failing_write(data, path, *options):
        calls.append(path)
        if len(calls) == 5:
            raise OSError("disk full")
        return real_write(data, path, *options)

    real_write = publish.write_parquet
    monkeypatch.setattr("karabakh_data.build.write_parquet", failing_write)
    with pytest.raises(OSError):
        build(scratch)
    after = published_digest(scratch)
    assert after == before, "nothing under data/, datapackage.json or README.md changed"
    assert not list(scratch.root.glob(".staging-*"))


def test_build_is_all_or_nothing_when_moving_into_place_fails(scratch, monkeypatch):
    set_cell(scratch, "events", "evt-0003", "summary", "A corrected summary that would change the output.")
    set_version(scratch, "0.1.1")
    before = published_digest(scratch)
    real_rename, calls = os.rename, []

    def failing_rename(src, dst):
        calls.append(dst)
        if len(calls) == 7:  # after the Parquet and views folders and some files have moved
            raise OSError("device busy")
        return real_rename(src, dst)

    monkeypatch.setattr("karabakh_data.build.os.rename", failing_rename)
    with pytest.raises(OSError):
        build(scratch)
    monkeypatch.setattr("karabakh_data.build.os.rename", real_rename)
    assert len(calls) >= 7
    assert published_digest(scratch) == before
    assert not list(scratch.root.glob(".staging-*"))


def test_build_picks_up_a_corrected_value(scratch):
    set_cell(scratch, "events", "evt-0003", "summary", "A corrected summary.")
    set_version(scratch, "0.1.1")
    assert build(scratch).ok
    table = pq.read_table(scratch.parquet_path("events"))
    summaries = dict(zip(table.column("event_id").to_pylist(), table.column("summary").to_pylist()))
    assert summaries["evt-0003"] == "A corrected summary."


@pytest.fixture(scope="module")
def package(real_repo):
    return load_package(real_repo.schemas_dir)


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
        plain = pa.schema([pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type) for f in parquet.schema])
        csv_table = pa_csv.read_csv(publish.csv_path(real_repo, table),
                                    convert_options=pa_csv.ConvertOptions(column_types=plain, null_values=[""], strings_can_be_null=True))
        assert parquet.cast(plain).equals(csv_table.select(plain.names).cast(plain)), table.name


def test_descriptor_lists_every_table_with_true_sizes_and_hashes(real_repo, package):
    desc = json.loads(real_repo.descriptor_path.read_text())
    assert [r["name"] for r in desc["resources"]] == list(package.tables)
    assert desc["version"] == package.meta["version"]
    assert {lic["name"] for lic in desc["licenses"]} == {"CC-BY-4.0", "MIT"}
    assert desc["sources"] and all((real_repo.root / s["path"]).is_file() for s in desc["sources"])
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
    set_cell(scratch, "event_actors", "evt-0001/act-0001", "actor_id", "act-9999")
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
    assert publish.tables_markdown(desc) in readme


def test_dictionary_pages_only_for_the_columns_read_as_dictionaries(real_repo, tmp_path):
    # validate reads controlled values and repeated identifiers as dictionaries; a dictionary page on
    # any other column is an attempt that a column of unique values abandons, and one on a repeated
    # identifier must not be abandoned at ACLED size (100,000 locations outgrow the 1 MB default)
    from karabakh_data.read import encoded_fields

    package = load_package(real_repo.schemas_dir)
    for table in package.coded:
        chunk = pq.ParquetFile(real_repo.parquet_path(table.name)).metadata.row_group(0)
        paged = {chunk.column(i).path_in_schema for i in range(chunk.num_columns) if chunk.column(i).has_dictionary_page}
        assert paged == set(encoded_fields(table)), table.name
    ids = [f"loc-{i:07d}" for i in range(120_000)]  # 1.3 MB of distinct values
    path = tmp_path / "repeated.parquet"
    publish.write_parquet(pa.table({"location_id": ids * 2}), path, ["location_id"])
    default = tmp_path / "default.parquet"
    pq.write_table(pa.table({"location_id": ids * 2}), default, **publish.PARQUET_SETTINGS)
    # fallen back to plain, the ids after the first megabyte are written out in full a second time
    sizes = [pq.ParquetFile(p).metadata.row_group(0).column(0).total_uncompressed_size for p in (path, default)]
    assert sizes[0] < 0.8 * sizes[1], sizes


def test_integer_and_date_columns_are_delta_packed(real_repo):
    # the twins' integers and dates are DELTA_BINARY_PACKED (a fifth faster to decode than plain);
    # strings never take a delta encoding, which older Spark readers reject
    package = load_package(real_repo.schemas_dir)
    seen = 0
    for table in package.coded:
        chunk = pq.ParquetFile(real_repo.parquet_path(table.name)).metadata.row_group(0)
        for i in range(chunk.num_columns):
            column = chunk.column(i)
            delta = "DELTA_BINARY_PACKED" in column.encodings
            if column.physical_type in ("INT32", "INT64") and not column.has_dictionary_page:
                assert delta, (table.name, column.path_in_schema, column.encodings)
                seen += 1
            else:
                assert not any(e.startswith("DELTA") for e in column.encodings), (table.name, column.path_in_schema, column.encodings)
    assert seen  # the published tables hold integer or date columns
