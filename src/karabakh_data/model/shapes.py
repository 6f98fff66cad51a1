"""The JSON shapes (JSON Schemas) of a Table Schema file and of schemas/_package.json, checked before
either is parsed (model/jsonfile.py): what each key holds. What the keys mean, and which keywords
exist, is the parser's (model/schemas.py), which names the known ones when it refuses one."""

from __future__ import annotations

from .jsonfile import TEXT, TEXTS, record

_FIELD_SHAPE = record(
    {
        "name": TEXT,
        "type": TEXT,
        "description": TEXT,
        "constraints": {"type": "object"},  # which keywords, holding what, is the parser's
        "x-enrichment": TEXT,
        "x-crosswalk": {"type": "object"},
        "x-derivation": TEXT,
    },
    closed=False,  # an unknown keyword is refused by the parser, which lists the known ones
)
TABLE_SHAPE = record(
    {
        "description": TEXT,
        "fields": {"type": "array", "items": _FIELD_SHAPE},
        "primaryKey": TEXTS,
        "foreignKeys": {
            "type": "array",
            "items": record(
                {"fields": TEXTS, "reference": record({"resource": TEXT, "fields": TEXTS}, ("resource", "fields"))},
                ("fields", "reference"),
            ),
        },
    },
    ("description", "fields", "primaryKey"),
    closed=False,
)
_LICENSE_SHAPE = record({"name": TEXT, "path": TEXT, "title": TEXT}, ("name",))
PACKAGE_SHAPE = record(
    {
        "name": TEXT,
        "title": TEXT,
        "description": TEXT,
        "version": TEXT,
        "keywords": TEXTS,
        "licenses": {"type": "array", "items": _LICENSE_SHAPE},
        "contributors": {"type": "array", "items": record({"title": TEXT, "roles": TEXTS}, ("title",))},
        "tables": {
            "type": "array",
            "items": record({"name": TEXT, "group": TEXT}, ("name", "group")),
        },
    },
    ("name", "title", "description", "version", "keywords", "licenses", "contributors", "tables"),
)
