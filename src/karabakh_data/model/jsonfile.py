"""Read a JSON file of the project (a Table Schema, schemas/_package.json, datapackage.json, the release
record) so that no content can crash or exhaust the reader: its size is capped before it is read, its
nesting is capped before anything walks it, and its shape is checked against a JSON Schema before any
code uses it. Each refusal is a JsonFileError that says where and why, which the callers report as a
problem of the file."""

from __future__ import annotations

import hashlib
import itertools
import json
from pathlib import Path

MAX_ERRORS = 20
MAX_DEPTH = 32  # the deepest of these files nests 8 levels (descriptor > resource > schema > field > enum)


class JsonFileError(Exception):
    def __init__(self, message: str, where: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where  # the JSON path of the part at fault ("resources/3/x-parquet"), when known


def _depth(value: object) -> int:
    """How deeply arrays and objects nest in the value, counted without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, (dict, list)):
            deepest = max(deepest, depth)
            if depth > MAX_DEPTH:
                break
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _where(path: object) -> str | None:
    return "/".join(map(str, path)) or None


def parse_json(data: bytes, shape: dict | None, max_bytes: int) -> object:
    """The JSON value of `data`, refused when larger than max_bytes, not UTF-8 JSON, nested deeper than
    MAX_DEPTH or not of `shape` (a JSON Schema; None when the caller judges the shape itself)."""
    if len(data) > max_bytes:
        raise JsonFileError(f"the file is larger than {max_bytes} bytes")
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_no_constant)
    except RecursionError:
        raise JsonFileError(f"the JSON nests deeper than {MAX_DEPTH} levels") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise JsonFileError(f"not valid JSON: {exc}") from None
    if _depth(value) > MAX_DEPTH:
        raise JsonFileError(f"the JSON nests deeper than {MAX_DEPTH} levels")
    if shape is None:
        return value
    key = (hashlib.sha256(data).digest(), id(shape))
    if key not in _JUDGED:  # the same bytes have the same shape: a process validating many copies asks once
        if len(_JUDGED) >= MAX_JUDGED:
            _JUDGED.clear()
        _JUDGED[key] = _shape_error(value, shape)
    if _JUDGED[key] is not None:
        raise JsonFileError(*_JUDGED[key])
    return value


_JUDGED: dict[tuple[bytes, int], tuple[str, str | None] | None] = {}
MAX_JUDGED = 1024


def _shape_error(value: object, shape: dict) -> tuple[str, str | None] | None:
    """(message, where) of what is wrong with the value's shape; None when nothing is."""
    # jsonschema comes with the [check] extra: what the light install runs (load, describe) reads no file
    # by its shape
    import jsonschema

    # the first errors are enough to say what is wrong: a huge array of wrong items is not walked twice
    errors = list(itertools.islice(jsonschema.Draft202012Validator(shape).iter_errors(value), MAX_ERRORS))
    if not errors:
        return None
    first = min(errors, key=lambda e: list(map(str, e.absolute_path)))
    more = " (and more)" if len(errors) > 1 else ""
    where = _where(first.absolute_path)
    return f"{'at ' + where + ': ' if where else ''}{first.message[:300]}{more}", where


def read_json_file(path: Path, shape: dict | None, max_bytes: int) -> object:
    """parse_json of a file, whose size is looked at before a byte of it is read."""
    return parse_json(read_capped(path, max_bytes), shape, max_bytes)


def read_capped(path: Path, max_bytes: int) -> bytes:
    """The bytes of a file, refused unread when it is larger than max_bytes."""
    try:
        if path.stat().st_size > max_bytes:
            raise JsonFileError(f"the file is larger than {max_bytes} bytes")
        return path.read_bytes()
    except OSError as exc:
        raise JsonFileError(f"cannot read the file: {exc.strerror or exc}") from None


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: Python accepts them, JSON does not


# Building blocks of the shapes
TEXT = {"type": "string"}
TEXTS = {"type": "array", "items": TEXT}
COUNT = {"type": "integer", "minimum": 0}
HEX64 = {"type": "string", "pattern": "^[0-9a-f]{64}$"}


def record(properties: dict, required: tuple[str, ...] = (), closed: bool = True) -> dict:
    """The shape of a JSON object with these properties (`closed`: no other)."""
    shape = {"type": "object", "properties": properties, "required": list(required)}
    if closed:
        shape["additionalProperties"] = False
    return shape


def mapping(values: dict) -> dict:
    """The shape of a JSON object whose every value has the shape `values`."""
    return {"type": "object", "additionalProperties": values}
