"""Read the Table Schemas in schemas/ -- the single source of truth -- into typed objects.

Everything else (pandera checks, the Arrow/Parquet schema, datapackage.json) is derived from the
objects built here. Parsing is strict: a keyword this module does not understand is an error,
because a constraint that is silently ignored is a constraint nobody enforces.

This module imports neither pandas nor pandera, so the loading path stays light.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_FILE = "_package.json"
TABLE_GROUPS = ("source", "coded", "link", "enrichment", "registry", "vocabulary")

SCHEMA_KEYS = {"$schema", "description", "fields", "primaryKey", "foreignKeys"}
FIELD_KEYS = {"name", "type", "description", "constraints", "x-enrichment", "x-crosswalk", "x-derivation"}
# x-crosswalk: where the concept lives in the anchor datasets, documented in the codebook
CROSSWALK_KEYS = {"acled", "ucdp_ged", "plover", "cameo", "pax"}
FIELD_TYPES = {"string", "integer", "number", "boolean", "date"}
CONSTRAINT_KEYS = {"required", "unique", "enum", "pattern", "minimum", "maximum", "minLength", "maxLength"}
PACKAGE_KEYS = {"name", "title", "description", "version", "keywords", "licenses", "contributors", "tables"}
# x-enrichment: "always" = every value needs a row in enrichments; "date_origin" = the row's
# date_origin column decides (a value needs an enrichment row exactly when date_origin is "enriched").
ENRICHMENT_ALWAYS = "always"
ENRICHMENT_BY_ORIGIN = "date_origin"


class SchemaError(Exception):
    """A schema file that cannot be used: names the file, the field and the keyword."""

    def __init__(self, path: str, message: str, field: str | None = None):
        super().__init__(f"{path}: {'field ' + repr(field) + ': ' if field else ''}{message}")
        self.path = path
        self.message = message
        self.field = field


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    description: str
    required: bool = False
    unique: bool = False
    enum: tuple | None = None
    pattern: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    enrichment: str | None = None
    crosswalk: dict = field(default_factory=dict, compare=False, hash=False)
    derivation: str | None = None  # views only: how the column is derived from the tables


@dataclass(frozen=True)
class ForeignKey:
    fields: tuple[str, ...]
    resource: str
    reference_fields: tuple[str, ...]


@dataclass
class Table:
    name: str
    group: str
    description: str
    fields: list[Field]
    primary_key: tuple[str, ...]
    foreign_keys: list[ForeignKey]
    descriptor: dict  # the schema exactly as written in schemas/<name>.json
    categorical: frozenset = frozenset()  # filled by Package: fields holding a controlled value

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def has_field(self, name: str) -> bool:
        return any(f.name == name for f in self.fields)

    @property
    def has_evidence(self) -> bool:
        """Coded and link tables cite their evidence in the source text."""
        return self.has_field("quote")


@dataclass
class Package:
    meta: dict
    tables: dict[str, Table] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Table:
        return self.tables[name]

    def names(self, *groups: str) -> list[str]:
        return [t.name for t in self.tables.values() if not groups or t.group in groups]


def _check_keys(path: str, obj: dict, allowed: set, what: str, field: str | None = None) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise SchemaError(path, f"unknown {what} keyword(s) {unknown}; known: {sorted(allowed)}", field)


def _parse_field(path: str, raw: dict) -> Field:
    if not isinstance(raw, dict) or "name" not in raw:
        raise SchemaError(path, f"a field must be an object with a name, got {raw!r}")
    name = raw["name"]
    _check_keys(path, raw, FIELD_KEYS, "field", name)
    if raw.get("type") not in FIELD_TYPES:
        raise SchemaError(path, f"type {raw.get('type')!r} is not supported; supported: {sorted(FIELD_TYPES)}", name)
    if not raw.get("description"):
        raise SchemaError(path, "every field needs a description", name)
    cons = raw.get("constraints", {})
    _check_keys(path, cons, CONSTRAINT_KEYS, "constraint", name)
    if raw["type"] == "string" and "maxLength" not in cons:
        raise SchemaError(path, "every string field needs a maxLength (an unbounded cell is a denial-of-service risk)", name)
    if raw["type"] != "string" and ({"pattern", "minLength", "maxLength"} & set(cons)):
        raise SchemaError(path, "pattern/minLength/maxLength apply to string fields only", name)
    if raw["type"] not in ("integer", "number") and ({"minimum", "maximum"} & set(cons)):
        raise SchemaError(path, "minimum/maximum apply to integer and number fields only", name)
    crosswalk = raw.get("x-crosswalk", {})
    if not isinstance(crosswalk, dict) or set(crosswalk) - CROSSWALK_KEYS or not all(isinstance(v, str) and v for v in crosswalk.values()):
        raise SchemaError(path, f"x-crosswalk must map some of {sorted(CROSSWALK_KEYS)} to text", name)
    derivation = raw.get("x-derivation")
    if derivation is not None and not (isinstance(derivation, str) and derivation):
        raise SchemaError(path, "x-derivation must be text saying how a view column is derived, or why it cannot be", name)
    enrichment = raw.get("x-enrichment")
    if enrichment not in (None, ENRICHMENT_ALWAYS, ENRICHMENT_BY_ORIGIN):
        raise SchemaError(path, f"x-enrichment must be {ENRICHMENT_ALWAYS!r} or {ENRICHMENT_BY_ORIGIN!r}, got {enrichment!r}", name)
    return Field(
        name=raw["name"], type=raw["type"], description=raw["description"],
        required=bool(cons.get("required", False)), unique=bool(cons.get("unique", False)),
        enum=tuple(cons["enum"]) if "enum" in cons else None, pattern=cons.get("pattern"),
        minimum=cons.get("minimum"), maximum=cons.get("maximum"),
        min_length=cons.get("minLength"), max_length=cons.get("maxLength"), enrichment=enrichment,
        crosswalk=dict(crosswalk), derivation=derivation,
    )


def parse_table(name: str, group: str, raw: dict, path: str) -> Table:
    _check_keys(path, raw, SCHEMA_KEYS, "schema")
    if not raw.get("description"):
        raise SchemaError(path, "the table needs a description")
    fields = [_parse_field(path, f) for f in raw.get("fields", [])]
    names = [f.name for f in fields]
    if not fields or len(set(names)) != len(names):
        raise SchemaError(path, f"fields must be non-empty with unique names, got {names}")
    pk = tuple(raw.get("primaryKey", []))
    if not pk or any(k not in names for k in pk):
        raise SchemaError(path, f"primaryKey {list(pk)} must name existing fields")
    fks = []
    for fk in raw.get("foreignKeys", []):
        _check_keys(path, fk, {"fields", "reference"}, "foreignKey")
        _check_keys(path, fk["reference"], {"resource", "fields"}, "foreignKey reference")
        fks.append(ForeignKey(tuple(fk["fields"]), fk["reference"]["resource"], tuple(fk["reference"]["fields"])))
        if any(f not in names for f in fk["fields"]):
            raise SchemaError(path, f"foreign key fields {fk['fields']} must exist in the table")
    if any(f.enrichment == ENRICHMENT_BY_ORIGIN for f in fields) and ENRICHMENT_BY_ORIGIN not in names:
        raise SchemaError(path, f"x-enrichment {ENRICHMENT_BY_ORIGIN!r} needs a {ENRICHMENT_BY_ORIGIN} field")
    return Table(name, group, raw["description"], fields, pk, fks, raw)


def load_package(schemas_dir: Path) -> Package:
    """Read _package.json and every table schema it lists; refuse anything inconsistent."""
    meta_path = schemas_dir / PACKAGE_FILE
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SchemaError(str(meta_path), f"cannot read package metadata: {exc}") from None
    _check_keys(str(meta_path), meta, PACKAGE_KEYS, "package")
    package = Package(meta)
    for entry in meta.get("tables", []):
        name, group = entry.get("name"), entry.get("group")
        if group not in TABLE_GROUPS:
            raise SchemaError(str(meta_path), f"table {name!r} has group {group!r}; groups: {TABLE_GROUPS}")
        path = schemas_dir / f"{name}.json"
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SchemaError(str(path), f"cannot read schema: {exc}") from None
        package.tables[name] = parse_table(name, group, raw, str(path))
    listed = set(package.tables)
    on_disk = {p.stem for p in schemas_dir.glob("*.json") if p.name != PACKAGE_FILE}
    if on_disk != listed:
        raise SchemaError(str(meta_path), f"schema files and listed tables differ: not listed {sorted(on_disk - listed)}, "
                                          f"listed without a file {sorted(listed - on_disk)}")
    _link(package, str(meta_path))
    return package


# What makes two same-named fields the same concept: a shared field registry, enforced.
REGISTRY_ATTRIBUTES = ("type", "pattern", "min_length", "max_length", "minimum", "maximum", "enum")


def _check_registry(package: Package, where: str) -> None:
    first: dict[str, tuple[str, tuple]] = {}
    for table in package.tables.values():
        for f in table.fields:
            signature = tuple(getattr(f, a) for a in REGISTRY_ATTRIBUTES)
            owner, expected = first.setdefault(f.name, (table.name, signature))
            if signature != expected:
                diff = {a: (x, y) for a, x, y in zip(REGISTRY_ATTRIBUTES, expected, signature) if x != y}
                raise SchemaError(where, f"field {f.name!r} differs between {owner} and {table.name} {diff}: "
                                         "the same column name must mean the same thing in every table")


def _link(package: Package, where: str) -> None:
    """Resolve foreign keys across tables and mark the fields that hold controlled values."""
    _check_registry(package, where)
    for table in package.tables.values():
        categorical = {f.name for f in table.fields if f.enum}
        for fk in table.foreign_keys:
            target = package.tables.get(fk.resource)
            if target is None:
                raise SchemaError(where, f"{table.name}: foreign key to unknown table {fk.resource!r}")
            if any(not target.has_field(f) for f in fk.reference_fields) or len(fk.fields) != len(fk.reference_fields):
                raise SchemaError(where, f"{table.name}: foreign key {fk.fields} -> {fk.resource}{fk.reference_fields} is malformed")
            if target.group == "vocabulary":
                categorical.update(fk.fields)
        table.categorical = frozenset(categorical)


def arrow_schema(table: Table):
    """The Arrow schema of a published table: types, nullability and descriptions from the Table Schema."""
    import pyarrow as pa

    types = {"string": pa.string(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(), "date": pa.date32()}
    fields = []
    for f in table.fields:
        arrow_type = pa.dictionary(pa.int32(), pa.string()) if f.name in table.categorical else types[f.type]
        nullable = not (f.required or f.name in table.primary_key)
        fields.append(pa.field(f.name, arrow_type, nullable=nullable, metadata={"description": f.description}))
    table_schema = json.dumps(table.descriptor, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return pa.schema(fields, metadata={"table_schema": table_schema, "description": table.description})
