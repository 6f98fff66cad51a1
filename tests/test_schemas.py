"""The Table Schemas are the single source: they parse strictly, agree with each other, and every
generated artifact (pandera, Arrow) follows them."""

from __future__ import annotations

import copy
import json
import shutil

import pyarrow as pa
import pytest

from karabakh_data.check.table import check_constraints
from karabakh_data.io.csvfile import read_table
from karabakh_data.model.generate import arrow_schema, pandera_schema
from karabakh_data.model.keywords import CONSTRAINTS
from karabakh_data.model.schemas import RULE_TYPES, SchemaError, load_package, parse_table
from test_bad_input import CASES, MORE_CASES


def test_every_schema_file_is_listed_and_parses(package, real_repo):
    on_disk = {
        p.stem
        for p in [*real_repo.schemas_dir.glob("*.json"), *real_repo.schemas_dir.glob("views/*.json")]
        if not p.name.startswith("_")
    }
    assert on_disk == set(package.tables)
    for table in package.tables.values():
        assert table.description and all(f.description for f in table.fields)


def test_every_table_has_a_csv_file(package, real_repo):
    assert {p.stem for p in real_repo.csv_dir.glob("*.csv")} == {t.name for t in package.coded}
    assert {"acled_view", "ged_view", "event_estimates"} <= {t.name for t in package.views}


def test_the_required_columns_exist(package):
    required = {
        "sources": "source_id source_kind path title language text_sha256 text_chars publisher url published_date "
        "retrieved_date rights_note provenance_note",
        "events": "event_id summary date_start date_end date_precision location_id acled_disorder_type "
        "acled_event_type acled_sub_event_type plover_event_type cameo_code agreement_id",
        "event_accounts": "account_id event_id source_id factuality claimed_by_actor_id fatalities_low fatalities_best "
        "fatalities_high quote char_start char_end",
        "event_relations": "event_id related_event_id relation",
        "actors": "actor_id name actor_type country_code parent_actor_id wikidata_id "
        "source_id quote char_start char_end",
        "locations": "location_id name location_type country_code parent_location_id latitude longitude geo_precision "
        "wikidata_id source_id quote char_start char_end",
        "agreements": "agreement_id name agreement_type status date_signed date_effective "
        "source_id quote char_start char_end",
        "event_actors": "event_id actor_id role source_id quote char_start char_end",
        "agreement_parties": "agreement_id actor_id role source_id quote char_start char_end",
    }
    for table, names in required.items():
        assert set(names.split()) <= set(package[table].field_names), table


@pytest.mark.parametrize(
    "mutation, message",
    [
        (lambda s: s["fields"][0].update(format="uuid"), "unknown field keyword"),
        (lambda s: s["fields"][0]["constraints"].update(exclusiveMinimum=1), "unknown constraint keyword"),
        (lambda s: s["fields"][0].update(type="geopoint"), "not supported"),
        (lambda s: s.update(missingValues=["NA"]), "unknown schema keyword"),
        (lambda s: s["fields"][0].update(description=""), "description"),
        (lambda s: s.update(primaryKey=["no_such_field"]), "primaryKey"),
        (lambda s: s["fields"][3].update(constraints={"pattern": "x"}), "string fields only"),
        (lambda s: s["fields"][0].update({"x-enrichment": "sometimes"}), "x-enrichment"),
    ],
    ids=[
        "field-keyword",
        "constraint-keyword",
        "type",
        "schema-keyword",
        "description",
        "primary-key",
        "pattern-on-date",
        "enrichment",
    ],
)
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
    schema["foreignKeys"].append(
        {"fields": ["location_id"], "reference": {"resource": "places", "fields": ["location_id"]}}
    )
    path.write_text(json.dumps(schema))
    with pytest.raises(SchemaError, match="unknown table"):
        load_package(scratch.schemas_dir)


def test_unlisted_schema_file_is_refused(scratch):
    (scratch.schemas_dir / "extra.json").write_text((scratch.schemas_dir / "sources.json").read_text())
    with pytest.raises(SchemaError, match="extra"):
        load_package(scratch.schemas_dir)


def test_pandera_schema_follows_every_constraint(package):
    for table in package.tables.values():
        schema = pandera_schema(table)
        assert list(schema.columns) == table.field_names
        for f in table.fields:
            column = schema.columns[f.name]
            assert column.nullable == (not table.is_required(f.name))
            assert len(column.checks) == len(f.constraints)


def test_arrow_schema_types(package):
    expected = {
        "string": pa.string(),
        "integer": pa.int64(),
        "number": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
    }
    for table in package.tables.values():
        schema = arrow_schema(table)
        for f in table.fields:
            arrow_field = schema.field(f.name)
            assert arrow_field.type == expected[f.type]
            assert arrow_field.nullable == (not table.is_required(f.name))
            assert arrow_field.metadata[b"description"].decode() == f.description
        assert json.loads(schema.metadata[b"table_schema"]) == table.descriptor


def _pandera_problems(data):
    """(row, column, rule) of each failure of the published pandera contract on a table, on the typed
    frame load() would give (a cell that does not parse is null there, and reported as a type problem)."""
    import pandas as pd
    import pandera.pandas as pandera

    frame = data.typed.to_pandas(
        types_mapper={pa.int64(): pd.Int64Dtype(), pa.float64(): pd.Float64Dtype(), pa.bool_(): pd.BooleanDtype()}.get,
        date_as_object=False,
    )
    for f in data.table.fields:
        if f.type == "date":
            frame[f.name] = frame[f.name].astype("datetime64[ms]")
    try:
        pandera_schema(data.table).validate(frame, lazy=True)
        return set()
    except pandera.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    found = set()
    for case in cases.itertuples(index=False):
        row = None if pd.isna(case.index) else int(case.index)
        if row in data.bad_cells.get(case.column, ()):
            continue
        check = str(case.check)
        if check in ("field_uniqueness", "multiple_fields_uniqueness"):
            rule = "primary-key" if case.column in data.table.primary_key or check.startswith("multiple") else "unique"
            column = case.column if check == "field_uniqueness" else ",".join(data.table.primary_key)
            found.add((row, column, rule))
        elif check == "not_nullable":
            found.add((row, case.column, "required"))
        else:
            keyword = data.table.field(case.column).constraints[int(case.check_number)][0]
            found.add((row, case.column, CONSTRAINTS[keyword].rule))
    return found


CONSTRAINT_RULES = ("required", "unique", "primary-key", "enum", "pattern", "length", "minimum", "maximum")


@pytest.mark.parametrize("case", [c for c in CASES + MORE_CASES if c[3] in CONSTRAINT_RULES], ids=lambda c: c[0])
def test_validate_finds_what_the_pandera_contract_finds(scratch, case):
    case[1](scratch)
    package = load_package(scratch.schemas_dir)
    compared = 0
    for table in package.coded:
        data, _ = read_table(scratch, table)
        if data is not None:
            ours = {(_row(data, p), p.field, p.rule) for p in check_constraints(data)}
            assert ours == _pandera_problems(data), table.name
            compared += bool(ours)
    assert compared


def _row(data, problem) -> int:
    return next(row for row in range(data.num_rows) if data.line(row) == problem.line)


def test_validate_and_pandera_find_nothing_in_the_real_tables(real_repo):
    for table in load_package(real_repo.schemas_dir).coded:
        data, problems = read_table(real_repo, table)
        assert not problems and check_constraints(data) == [] and _pandera_problems(data) == set()


RULE_COLUMNS = [(t, n) for t, by_type in RULE_TYPES.items() for names in by_type.values() for n in names.split()]


@pytest.mark.parametrize("table, name", RULE_COLUMNS, ids=[f"{t}.{n}" for t, n in RULE_COLUMNS])
def test_a_column_the_rules_compute_with_cannot_be_dropped(real_repo, tmp_path, table, name):
    """A schema edit that drops one is a schema problem, never a crash of the rule that reads it."""
    schemas = tmp_path / "schemas"
    shutil.copytree(real_repo.schemas_dir, schemas)
    path = next(p for p in schemas.rglob(f"{table}.json"))
    schema = json.loads(path.read_text())
    schema["fields"] = [f for f in schema["fields"] if f["name"] != name]
    path.write_text(json.dumps(schema))
    with pytest.raises(SchemaError):
        load_package(schemas)
