"""What every Table Schema type and constraint keyword means for each artifact generated from the
schemas: the Arrow type of the Parquet files, the pandas dtype of load(), the SQLite column and
CHECK, the pandera check of the published contract, the Arrow kernel validate runs, the rule and
message of the problem it reports, and the codebook's wording. A new type or constraint keyword is
an entry here: schemas.py accepts exactly the keywords listed here, and generate.py assembles the
entries of a table's fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType

import pyarrow as pa
import pyarrow.compute as pc

from ..kernels import Column


@dataclass(frozen=True)
class TypeSpec:
    arrow: pa.DataType
    pandas: str  # the dtype load() gives the column
    sql: str  # the SQLite column type (STRICT tables)
    lexical: str | None  # the one spelling validate accepts in a CSV cell, and fmt writes (a regular expression)
    hint: str  # what to write, said when a cell does not parse
    sql_check: str  # CHECK on a present value, with {c} for the column


TYPES = {
    "string": TypeSpec(pa.string(), "str", "TEXT", None, "", "typeof({c}) = 'text'"),
    "integer": TypeSpec(
        pa.int64(),
        "Int64",
        "INTEGER",
        r"^-?[0-9]{1,18}$",
        " (write at most 18 digits, no sign but '-', no point)",
        "typeof({c}) = 'integer'",
    ),
    "number": TypeSpec(
        pa.float64(),
        "Float64",
        "REAL",
        r"^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$",
        " (write a finite decimal number with a point)",
        "typeof({c}) IN ('integer', 'real')",
    ),
    "boolean": TypeSpec(pa.bool_(), "boolean", "INTEGER", r"^(true|false)$", " (write true or false)", "{c} IN (0, 1)"),
    # a date is YYYY-MM-DD of a real calendar date from year 1 to 9999, the way it is spelled back
    # (io/csvfile.parse_column); date({c}, '+0 days') normalises 02-30 away: only a real date equals it
    "date": TypeSpec(
        pa.date32(),
        "datetime64[ms]",
        "TEXT",
        None,
        " (write YYYY-MM-DD, a real calendar date)",
        "date({c}, '+0 days') IS {c}",
    ),
}


def _sql_text(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _is_text_list(value: object) -> bool:
    return (
        isinstance(value, list)
        and bool(value)
        and all(isinstance(v, str) for v in value)
        and len(set(value)) == len(value)
    )


def _is_pattern(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        re.compile(value)
    except re.error:
        return False
    return True


def _byte_lengths(column: Column) -> tuple[int, int]:
    """The shortest and the longest value's length in bytes (0, 0 when there is none)."""
    bounds = pc.min_max(pc.binary_length(column))
    return bounds["min"].as_py() or 0, bounds["max"].as_py() or 0


def _shorter_than(column: Column, least: int) -> Column | None:
    # a value of n bytes has between n/4 (UTF-8) and n characters: the bytes settle most columns
    if -(-_byte_lengths(column)[0] // 4) >= least:
        return None
    return pc.less(pc.utf8_length(column), least)


def _longer_than(column: Column, most: int) -> Column | None:
    if _byte_lengths(column)[1] <= most:
        return None
    return pc.greater(pc.utf8_length(column), most)


@dataclass(frozen=True)
class Constraint:
    """One Table Schema constraint keyword. `violates(column, value)` is true where a value breaks
    it (None when no value does); what it says of a null does not matter (`required` covers empty cells)."""

    keyword: str
    rule: str  # the rule of the problem validate reports
    types: tuple[str, ...]  # the field types it applies to
    is_valid_argument: Callable[[object], bool]
    argument: str  # what the argument must be, said when it is not
    message: Callable[[object], str]
    violates: Callable[[pa.Array, object], pa.Array | None]
    pandera: Callable[[object], object]  # the pandera Check (pandera imported by the caller)
    sql: Callable[[str, object], str]  # the SQLite CHECK on a present value of column c
    codebook: Callable[[object], str]


def pandera_module() -> ModuleType:
    """pandera, imported on first use: loading data never needs it."""
    import pandera.pandas as pandera

    return pandera


CONSTRAINTS = {
    c.keyword: c
    for c in (
        Constraint(
            "enum",
            "enum",
            ("string",),
            _is_text_list,
            "a list of distinct strings",
            lambda v: f"must be one of {list(v)}",
            lambda col, v: pc.invert(pc.is_in(col, value_set=pa.array(list(v), pa.string()))),
            lambda v: pandera_module().Check.isin(list(v)),
            lambda c, v: f"{c} IN ({', '.join(_sql_text(x) for x in v)})",
            lambda v: "enum",
        ),
        # Table Schema patterns match the whole value (XML Schema semantics)
        Constraint(
            "pattern",
            "pattern",
            ("string",),
            _is_pattern,
            "a regular expression",
            lambda v: f"must match the pattern {v}",
            lambda col, v: pc.invert(pc.match_substring_regex(col, f"^(?:{v})$")),
            lambda v: pandera_module().Check.str_matches(f"^(?:{v})$"),
            lambda c, v: "",  # SQLite has no regular expressions: validate enforces it
            lambda v: f"pattern `{v}`",
        ),
        Constraint(
            "minLength",
            "length",
            ("string",),
            _is_count,
            "a whole number >= 0",
            lambda v: f"must be at least {v} characters long",
            _shorter_than,
            lambda v: pandera_module().Check.str_length(min_value=v),
            lambda c, v: f"length({c}) >= {v}",
            lambda v: f"minLength {v}",
        ),
        Constraint(
            "maxLength",
            "length",
            ("string",),
            _is_count,
            "a whole number >= 0",
            lambda v: f"must be at most {v} characters long",
            _longer_than,
            lambda v: pandera_module().Check.str_length(max_value=v),
            lambda c, v: f"length({c}) <= {v}",
            lambda v: f"maxLength {v}",
        ),
        Constraint(
            "minimum",
            "minimum",
            ("integer", "number"),
            _is_number,
            "a number",
            lambda v: f"must be >= {v}",
            lambda col, v: pc.less(col, v),
            lambda v: pandera_module().Check.ge(v),
            lambda c, v: f"{c} >= {v}",
            lambda v: f"minimum {v}",
        ),
        Constraint(
            "maximum",
            "maximum",
            ("integer", "number"),
            _is_number,
            "a number",
            lambda v: f"must be <= {v}",
            lambda col, v: pc.greater(col, v),
            lambda v: pandera_module().Check.le(v),
            lambda c, v: f"{c} <= {v}",
            lambda v: f"maximum {v}",
        ),
    )
}
# Constraint keywords that are not value checks: required, and unique (keys are checked on whole tables).
KEY_CONSTRAINTS = ("required", "unique")
