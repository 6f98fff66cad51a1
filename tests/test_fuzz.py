"""Fuzzing: mutated contributions never make validate or build raise, and a failed build writes
nothing.

The tiers are reproducible: the examples are derandomized (the same ones on every run) and their
number fixed, a few in the default tier and more in the slow one. A long randomized run, new
examples each time, is a documented command (CONTRIBUTING.md):

    KARABAKH_FUZZ_EXAMPLES=2000 KARABAKH_FUZZ_RANDOM=1 python -m pytest -m slow tests/test_fuzz.py
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import COPIED, ROOT, published_digest
from karabakh_data.check.validate import validate
from karabakh_data.model.repository import Repository
from karabakh_data.publish.build import build

LONG_RUN = int(os.environ.get("KARABAKH_FUZZ_EXAMPLES", "0"))
RANDOM = os.environ.get("KARABAKH_FUZZ_RANDOM") == "1"
TABLES = [
    "events",
    "actors",
    "locations",
    "event_actors",
    "enrichments",
    "vocab_factuality",
    "vocab_date_precision",
    "sources",
]
TRICKY = [
    "",
    "NA",
    "null",
    "-1",
    "+1",
    "=1",
    "1e400",
    "99999999999999999999",
    "2023-02-30",
    "2023-9-1",
    "true",
    "TRUE",
    '"',
    '""',
    "\n",
    "\r\n",
    "\x00",
    "\t",
    "\u202e",
    "\ufeff",
    "e\u0301",
    "act-0001",
    "evt-0001",
    "loc-9999",
    ",",
    "a,b",
]

cell_mutation = st.tuples(
    st.just("cell"),
    st.sampled_from(TABLES),
    st.integers(0, 30),
    st.integers(0, 30),
    st.one_of(st.sampled_from(TRICKY), st.text(max_size=40)),
)
# besides the CSV files, the files validate also reads: descriptor, release records, a schema, a seed
OTHER_FILES = [
    "datapackage.json",
    "data/release.json",
    "data/released_ids.csv",
    "schemas/events.json",
    "schemas/_package.json",
    "seeds/000_bbb370cb1e115a94.txt",
]
byte_mutation = st.tuples(
    st.just("bytes"), st.sampled_from(TABLES + OTHER_FILES), st.floats(0, 1), st.binary(min_size=1, max_size=8)
)
truncation = st.tuples(st.just("truncate"), st.sampled_from(TABLES + OTHER_FILES), st.floats(0, 1))
encoding = st.tuples(
    st.just("encode"), st.sampled_from(TABLES), st.sampled_from(["latin-1", "utf-16", "utf-8-sig", "cp1252"])
)
mutations = st.lists(st.one_of(cell_mutation, byte_mutation, truncation, encoding), min_size=1, max_size=3)


def apply(repo: Repository, mutation) -> None:
    kind, table = mutation[0], mutation[1]
    path = repo.root / table if "." in table else repo.csv_path(table)
    data = path.read_bytes()
    if kind == "cell":
        lines = data.decode("utf-8", "replace").split("\n")
        row = mutation[2] % len(lines)  # the header line too
        cells = lines[row].split(",")
        cells[mutation[3] % len(cells)] = mutation[4]
        lines[row] = ",".join(cells)
        path.write_bytes("\n".join(lines).encode("utf-8", "surrogatepass"))
    elif kind == "bytes":
        at = int(mutation[2] * len(data))
        path.write_bytes(data[:at] + mutation[3] + data[at:])
    elif kind == "truncate":
        path.write_bytes(data[: int(mutation[2] * len(data))])
    else:
        path.write_bytes(data.decode("utf-8", "replace").encode(mutation[2], "replace"))


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("pristine")
    for name in COPIED:
        source = ROOT / name
        (shutil.copytree if source.is_dir() else shutil.copy2)(source, root / name)
    return root


def fuzz(examples: int):
    return settings(
        max_examples=LONG_RUN or examples,
        derandomize=not RANDOM,
        database=None,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )


def never_raise(pristine: Path, mutations) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        shutil.copytree(pristine, root)
        repo = Repository(root)
        for mutation in mutations:
            apply(repo, mutation)
        before = published_digest(repo)
        result = validate(repo)  # must not raise, whatever the input
        built = build(repo)
        assert built.ok == result.ok
        if not built.ok:
            assert published_digest(repo) == before
            assert built.problems


@fuzz(10)
@given(mutations=mutations)
def test_validate_and_build_never_raise(pristine, mutations):
    never_raise(pristine, mutations)


@pytest.mark.slow
@fuzz(150)
@given(mutations=mutations)
def test_validate_and_build_never_raise_on_many_inputs(pristine, mutations):
    never_raise(pristine, mutations)
