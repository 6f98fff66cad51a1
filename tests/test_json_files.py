"""Every JSON file is checked against its JSON Schema, within size and nesting limits, before any code
uses it: a wrong shape is a problem naming the file and the part at fault (exit 1), never an internal
error (exit 3). The attacks of issue 19, "Why" item 7."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli
from karabakh_data.check.validate import validate
from karabakh_data.publish.build import build


def edit_json(relative, edit):
    def apply(repo):
        path = repo.root / relative
        value = json.loads(path.read_text())
        edit(value)
        path.write_text(json.dumps(value))

    return apply


def write_text(relative, text):
    return lambda repo: (repo.root / relative).write_text(text)


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def set_key(key, value):
    return lambda d: d.__setitem__(key, value)


def vocabulary_as_view(repo):
    meta = repo.schemas_dir / "_package.json"
    value = json.loads(meta.read_text())
    next(t for t in value["tables"] if t["name"] == "vocab_agreement_status")["group"] = "view"
    meta.write_text(json.dumps(value))
    (repo.schemas_dir / "vocab_agreement_status.json").rename(
        repo.schemas_dir / "views" / "vocab_agreement_status.json"
    )


# (case id, mutation, file at fault, rule, JSON path of the part at fault or None, words of the message)
CASES = [
    (
        "descriptor-deep",
        write_text("datapackage.json", nested(100_000)),
        "datapackage.json",
        "descriptor",
        None,
        "deeper",
    ),
    (
        "descriptor-deep-shallowly",
        write_text("datapackage.json", '{"resources": ' + nested(40) + "}"),
        "datapackage.json",
        "descriptor",
        None,
        "deeper",
    ),
    (
        "descriptor-x-parquet-a-list",
        edit_json("datapackage.json", lambda d: d["resources"][0].__setitem__("x-parquet", [1])),
        "datapackage.json",
        "descriptor",
        "resources/0/x-parquet",
        "not of type",
    ),
    (
        "descriptor-resources-an-object",
        edit_json("datapackage.json", set_key("resources", {"a": 1})),
        "datapackage.json",
        "descriptor",
        "resources",
        "not of type",
    ),
    (
        "descriptor-nan",
        write_text("datapackage.json", '{"resources": [NaN]}'),
        "datapackage.json",
        "descriptor",
        None,
        "not valid JSON",
    ),
    (
        "release-record-deep",
        write_text("data/release.json", nested(100_000)),
        "data/release.json",
        "release-record",
        None,
        "deeper",
    ),
    (
        "release-record-table-a-list",
        edit_json("data/release.json", lambda d: d["tables"].__setitem__("events", [1])),
        "data/release.json",
        "release-record",
        None,
        "tables/events",
    ),
    (
        "release-record-rows-text",
        edit_json("data/release.json", lambda d: d["tables"]["events"].__setitem__("rows", "22")),
        "data/release.json",
        "release-record",
        None,
        "tables/events/rows",
    ),
    (
        "release-record-version",
        edit_json("data/release.json", set_key("version", "one")),
        "data/release.json",
        "release-record",
        None,
        "version",
    ),
    (
        "package-name-a-number",
        edit_json("schemas/_package.json", set_key("name", 5)),
        "schemas/_package.json",
        "schema",
        None,
        "at name",
    ),
    (
        "package-title-missing",
        edit_json("schemas/_package.json", lambda d: d.pop("title")),
        "schemas/_package.json",
        "schema",
        None,
        "'title' is a required property",
    ),
    (
        "package-tables-of-text",
        edit_json("schemas/_package.json", set_key("tables", ["events"])),
        "schemas/_package.json",
        "schema",
        None,
        "tables/0",
    ),
    (
        "package-deep",
        write_text("schemas/_package.json", nested(5_000)),
        "schemas/_package.json",
        "schema",
        None,
        "deeper",
    ),
    (
        "schema-fields-an-object",
        edit_json("schemas/events.json", set_key("fields", {"event_id": {}})),
        "schemas/events.json",
        "schema",
        None,
        "at fields",
    ),
    (
        "schema-foreign-key-reference-text",
        edit_json("schemas/events.json", lambda d: d["foreignKeys"][0].__setitem__("reference", "locations")),
        "schemas/events.json",
        "schema",
        None,
        "foreignKeys/0/reference",
    ),
    (
        "schema-constraints-a-list",
        edit_json("schemas/actors.json", lambda d: d["fields"][1].__setitem__("constraints", [1])),
        "schemas/actors.json",
        "schema",
        None,
        "constraints",
    ),
    ("vocabulary-declared-a-view", vocabulary_as_view, "schemas/_package.json", "schema", None, "x-derivation"),
]


def _matches(problem, case) -> bool:
    _, _, file, rule, where, words = case
    return (
        problem.rule == rule
        and problem.file == file
        and (where is None or problem.record == where)
        and words in problem.message
    )


# one case of each file in the default tier, every case in the slow tier
DEFAULT_TIER = {
    "descriptor-deep",
    "descriptor-x-parquet-a-list",
    "release-record-table-a-list",
    "package-name-a-number",
    "schema-fields-an-object",
    "vocabulary-declared-a-view",
}


@pytest.mark.parametrize(
    "case", [pytest.param(c, marks=[] if c[0] in DEFAULT_TIER else [pytest.mark.slow], id=c[0]) for c in CASES]
)
def test_a_json_file_of_the_wrong_shape_is_a_problem(scratch, case):
    case[1](scratch)
    result = validate(scratch)  # an exception here is what made the command exit 3
    assert any(_matches(p, case) for p in result.problems), "\n".join(map(str, result.problems))


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_the_commands_exit_1_on_a_json_file_of_the_wrong_shape(scratch, case):
    case[1](scratch)
    assert not build(scratch).ok
    for command in (["validate"], ["build"], ["validate", "--format", "json"]):
        done = run_cli("--root", str(scratch.root), *command)
        assert done.returncode == 1, (command, done.stdout[-2000:], done.stderr[-2000:])
        assert "Traceback" not in done.stdout + done.stderr
    if case[2] == "datapackage.json":
        # describe reads it as load() does (the light install has no JSON Schema validator), and refuses it
        done = run_cli("--root", str(scratch.root), "describe")
        assert done.returncode == 1 and "datapackage.json" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "cap, relative",
    [
        ("karabakh_data.check.descriptor.MAX_DESCRIPTOR_BYTES", "datapackage.json"),
        ("karabakh_data.model.schemas.MAX_SCHEMA_BYTES", "schemas/_package.json"),
        ("karabakh_data.check.record.MAX_RECORD_BYTES", "data/release.json"),
    ],
)
def test_a_json_file_over_its_size_cap_is_refused_unread(scratch, monkeypatch, cap, relative):
    """A 300 MB descriptor of floats was read whole; a file over the cap is not read at all."""
    size = (scratch.root / relative).stat().st_size
    monkeypatch.setattr(cap, size - 1)
    problems = validate(scratch).problems
    assert any(p.file == relative and "larger than" in p.message for p in problems), problems


def test_a_view_build_cannot_derive_is_a_problem(scratch):
    """A view whose every column says how it is derived, but of a name build knows no derivation of."""
    (scratch.schemas_dir / "views" / "other_view.json").write_text(
        (scratch.schemas_dir / "views" / "acled_view.json").read_text()
    )
    edit_json("schemas/_package.json", lambda d: d["tables"].append({"name": "other_view", "group": "view"}))(scratch)
    built = build(scratch)
    assert [(p.rule, p.file) for p in built.problems] == [("schema", "schemas/views/other_view.json")]


def test_the_real_json_files_have_their_shapes(real_repo):
    from karabakh_data.check.descriptor import DESCRIPTOR_SHAPE, MAX_DESCRIPTOR_BYTES
    from karabakh_data.check.record import MAX_RECORD_BYTES, RELEASE_SHAPE
    from karabakh_data.model.jsonfile import read_json_file

    read_json_file(real_repo.descriptor_path, DESCRIPTOR_SHAPE, MAX_DESCRIPTOR_BYTES)
    read_json_file(real_repo.root / "data" / "release.json", RELEASE_SHAPE, MAX_RECORD_BYTES)
