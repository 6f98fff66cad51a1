"""Table Schema -> pandera, by our own converter: the published contract of each table.

validate runs the same constraints (constraints.field_constraints) as Arrow kernels; tests require
this schema and those kernels to report the same problems on the bad-input corpus.

pandera's `from_frictionless_schema` is lossy (nullable integers fail, dates go unchecked, boolean
nulls become True), so each Table Schema constraint is mapped here explicitly. The schema parser
(schemas.py) has already refused every keyword this module does not map.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pyarrow as arrow

from .constraints import field_constraints, required_hint
from .problems import Problem
from .read import TableData
from .schemas import Field, Table

PANDAS_DTYPES = {"string": "str", "integer": "Int64", "number": "Float64", "boolean": "boolean", "date": "datetime64[ms]"}
_TYPES_MAPPER = {arrow.int64(): pd.Int64Dtype(), arrow.float64(): pd.Float64Dtype(), arrow.bool_(): pd.BooleanDtype()}.get


def to_frame(typed: arrow.Table) -> pd.DataFrame:
    """The typed Arrow table as the pandas frame the generated schema expects."""
    frame = typed.to_pandas(types_mapper=_TYPES_MAPPER, date_as_object=False)
    for name in typed.column_names:
        if arrow.types.is_date32(typed.schema.field(name).type):
            frame[name] = frame[name].astype("datetime64[ms]")
    return frame


_CHECKS = {"isin": pa.Check.isin, "matches": pa.Check.str_matches, "ge": pa.Check.ge, "le": pa.Check.le,
           "length": lambda bounds: pa.Check.str_length(*bounds)}


def _field_checks(field: Field) -> list[tuple[str, pa.Check, str]]:
    """(rule name, pandera check, message) for each constraint of the field, in a fixed order."""
    return [(rule, _CHECKS[kind](argument), message) for rule, kind, argument, message in field_constraints(field)]


def pandera_schema(table: Table) -> tuple[pa.DataFrameSchema, dict[str, list[tuple[str, str]]]]:
    """The generated DataFrameSchema, and per column the (rule, message) of each check by its number."""
    columns, rules = {}, {}
    single_key = table.primary_key[0] if len(table.primary_key) == 1 else None
    for field in table.fields:
        checks = _field_checks(field)
        rules[field.name] = [(rule, message) for rule, _, message in checks]
        in_key = field.name in table.primary_key
        columns[field.name] = pa.Column(
            PANDAS_DTYPES[field.type], [check for _, check, _ in checks],
            nullable=not (field.required or in_key), unique=field.unique or field.name == single_key,
            coerce=False, description=field.description,
        )
    schema = pa.DataFrameSchema(
        columns, strict=True, ordered=True, name=table.name,
        unique=list(table.primary_key) if single_key is None else None, report_duplicates="all",
    )
    return schema, rules


def check_table(data: TableData) -> list[Problem]:
    """Run the generated pandera schema on one table; every failure becomes a Problem."""
    schema, rules = pandera_schema(data.table)
    try:
        schema.validate(to_frame(data.typed), lazy=True)
        return []
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    problems, duplicate_rows = [], set()
    key = ",".join(data.table.primary_key)
    for case in cases.itertuples(index=False):
        row = None if pd.isna(case.index) else int(case.index)
        column, check = case.column, str(case.check)
        if check == "multiple_fields_uniqueness":
            if row not in duplicate_rows:  # pandera reports it once per key column
                duplicate_rows.add(row)
                problems.append(data.problem(row, key, "primary-key", f"the primary key ({key}) is not unique", data.record(row)))
            continue
        if row is None:  # a schema-level failure with no row: should not happen once the header is checked
            problems.append(Problem(data.file, None, None, column, "schema", None, check))
            continue
        if row in data.bad_cells.get(column, ()):
            continue  # already reported as a type problem; the cell is null in the typed frame
        if check == "not_nullable":
            problems.append(data.problem(row, column, "required", "a value is required" + required_hint(column)))
        elif check == "field_uniqueness":
            rule = "primary-key" if column in data.table.primary_key else "unique"
            problems.append(data.problem(row, column, rule, "the value occurs in more than one row"))
        elif check.startswith("dtype") or check.startswith("coerce"):
            problems.append(data.problem(row, column, "type", f"wrong type: {check}"))
        else:
            rule, message = rules[column][int(case.check_number)]
            problems.append(data.problem(row, column, rule, message))
    return problems
