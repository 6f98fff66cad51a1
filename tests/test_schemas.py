"""The Table Schemas are the single source: they parse strictly, agree with each other, and every
generated artifact (pandera, Arrow) follows them."""

from __future__ import annotations

import copy
import json

import pyarrow as pa
import pytest

from karabakh_data.pandera_schemas import pandera_schema
from karabakh_data.schemas import SchemaError, arrow_schema, load_package, parse_table


@pytest.fixture(scope="module")
def package(real_repo):
    return load_package(real_repo.schemas_dir)


def test_every_schema_file_is_listed_and_parses(package, real_repo):
    on_disk = {p.stem for p in [*real_repo.schemas_dir.glob("*.json"), *real_repo.schemas_dir.glob("views/*.json")]
               if not p.name.startswith("_")}
    assert on_disk == set(package.tables)
    for table in package.tables.values():
        assert table.description and all(f.description for f in table.fields)


def test_every_table_has_a_csv_file(package, real_repo):
    assert {p.stem for p in real_repo.csv_dir.glob("*.csv")} == {t.name for t in package.coded}
    assert {t.name for t in package.views} == {"acled_view", "ged_view"}


def test_the_required_columns_exist(package):
    required = {
        "sources": "source_id path title language text_sha256 text_chars publisher url published_date",
        "events": "event_id source_id summary date_start date_end date_precision location_id acled_disorder_type "
                  "acled_event_type acled_sub_event_type plover_event_type cameo_code fatalities_low fatalities_best "
                  "fatalities_high factuality claimed_by_actor_id quote char_start char_end",
        "actors": "actor_id name actor_type country_code parent_actor_id wikidata_id source_id quote char_start char_end",
        "locations": "location_id name location_type country_code parent_location_id latitude longitude geo_precision "
                     "wikidata_id source_id quote char_start char_end",
        "agreements": "agreement_id name agreement_type status date_signed date_effective source_id quote char_start char_end",
        "event_actors": "event_id actor_id role source_id quote char_start char_end",
        "agreement_parties": "agreement_id actor_id role source_id quote char_start char_end",
    }
    for table, names in required.items():
        assert set(names.split()) <= set(package[table].field_names), table


@pytest.mark.parametrize("mutation, message", [
    (lambda s: s["fields"][0].update(format="uuid"), "unknown field keyword"),
    (lambda s: s["fields"][0]["constraints"].update(exclusiveMinimum=1), "unknown constraint keyword"),
    (lambda s: s["fields"][0].update(type="geopoint"), "not supported"),
    (lambda s: s.update(missingValues=["NA"]), "unknown schema keyword"),
    (lambda s: s["fields"][0].update(description=""), "description"),
    (lambda s: s.update(primaryKey=["no_such_field"]), "primaryKey"),
    (lambda s: s["fields"][3].update(constraints={"pattern": "x"}), "string fields only"),
    (lambda s: s["fields"][0].update({"x-enrichment": "sometimes"}), "x-enrichment"),
], ids=["field-keyword", "constraint-keyword", "type", "schema-keyword", "description", "primary-key", "pattern-on-date", "enrichment"])
def test_unknown_or_inconsistent_keywords_are_refused(real_repo, mutation, message):
    schema = json.loads((real_repo.schemas_dir / "events.json").read_text())
    bad = copy.deepcopy(schema)
    mutation(bad)
    parse_table("events", "coded", schema, "events.json")  # the unmutated schema parses
    with pytest.raises(SchemaError, match=message):
        parse_table("events", "coded", bad, "events.json")


def test_same_name_means_same_field_in_every_table(scratch):
    path = scratch.schemas_dir / "actors.json"
    schema = json.loads(path.read_text())
    next(f for f in schema["fields"] if f["name"] == "source_id")["constraints"]["maxLength"] = 99
    path.write_text(json.dumps(schema))
    with pytest.raises(SchemaError, match="source_id"):
        load_package(scratch.schemas_dir)


def test_foreign_key_to_unknown_table_is_refused(scratch):
    path = scratch.schemas_dir / "events.json"
    schema = json.loads(path.read_text())
    schema["foreignKeys"].append({"fields": ["location_id"], "reference": {"resource": "places", "fields": ["location_id"]}})
    path.write_text(json.dumps(schema))
    with pytest.raises(SchemaError, match="unknown table"):
        load_package(scratch.schemas_dir)


def test_unlisted_schema_file_is_refused(scratch):
    (scratch.schemas_dir / "extra.json").write_text((scratch.schemas_dir / "sources.json").read_text())
    with pytest.raises(SchemaError, match="extra"):
        load_package(scratch.schemas_dir)


def test_pandera_schema_follows_every_constraint(package):
    for table in package.tables.values():
        schema, rules = pandera_schema(table)
        assert list(schema.columns) == table.field_names
        for f in table.fields:
            column = schema.columns[f.name]
            assert column.nullable == (not (f.required or f.name in table.primary_key))
            expected = [r for r, present in (("enum", f.enum), ("pattern", f.pattern),
                        ("length", f.min_length is not None or f.max_length is not None),
                        ("minimum", f.minimum is not None), ("maximum", f.maximum is not None)) if present]
            assert [r for r, _ in rules[f.name]] == expected
            assert len(column.checks) == len(expected)


def test_arrow_schema_types(package):
    expected = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(), "date": pa.date32()}
    for table in package.tables.values():
        schema = arrow_schema(table)
        for f in table.fields:
            arrow_field = schema.field(f.name)
            if f.name in table.categorical:
                assert arrow_field.type == pa.dictionary(pa.int32(), pa.string())
            else:
                assert arrow_field.type == expected[f.type]
            assert arrow_field.metadata[b"description"].decode() == f.description
        assert json.loads(schema.metadata[b"table_schema"]) == table.descriptor


def test_vocabulary_references_are_categorical(package):
    events = package["events"]
    assert {"factuality", "date_precision", "acled_event_type", "cameo_code"} <= events.categorical
    assert "event_id" not in events.categorical and "summary" not in events.categorical
    assert "confidence" in package["enrichments"].categorical  # an enum constraint
