"""The user's install (slow tier): the built wheel, installed into a fresh environment with the oldest
pandas and pyarrow pyproject.toml allows, loads every table from `/`, typed as with the newest, and
the installed command describes the data it carries and says what validating it needs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib

import pytest

from conftest import ROOT
from karabakh_data.model.schemas import load_package

pytestmark = pytest.mark.slow

# run inside the fresh environment: every table, summarised so that two pandas versions can be compared
SUMMARY = """
import json, sys, pandas, pyarrow, karabakh_data
frames = karabakh_data.load_all()
print(json.dumps({
    "file": karabakh_data.__file__,
    "versions": [pandas.__version__, pyarrow.__version__],
    "tables": {name: {
        "rows": len(frame),
        "columns": list(frame.columns),
        "dtypes": [str(t) for t in frame.dtypes],
        "present": [int(frame[c].notna().sum()) for c in frame.columns],
        "categories": {c: list(frame[c].cat.categories) for c in frame.columns if str(frame[c].dtype) == "category"},
        "first": [None if pandas.isna(v) else str(v) for v in (frame.iloc[0] if len(frame) else [])],
    } for name, frame in frames.items()},
}))
"""
# a text column's dtype: pandas 2 gives object, pandas 3 its str dtype
TEXT = {"object", "str"}


def oldest() -> dict[str, str]:
    """The floor of each requirement of the wheel: pandas>=2.2 -> 2.2."""
    requirements = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {m.group(1): m.group(2) for r in requirements if (m := re.match(r"([A-Za-z0-9_.-]+)>=([0-9.]+)", r))}


def summary(python: str, env: dict) -> dict:
    out = subprocess.run([python, "-c", SUMMARY], cwd="/", env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_the_wheel_works_with_the_oldest_supported_pandas_and_pyarrow(tmp_path):
    floors = oldest()
    assert set(floors) == {"pandas", "pyarrow"}
    wheels, venv = tmp_path / "wheels", tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    wheel = next(wheels.glob("karabakh_data-*.whl"))
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python, command = str(venv / "bin" / "python"), str(venv / "bin" / "karabakh-data")
    pins = [f"{name}=={version}" for name, version in floors.items()]
    install = subprocess.run(
        [python, "-m", "pip", "install", "-q", str(wheel), *pins], capture_output=True, text=True, timeout=900
    )
    assert install.returncode == 0, install.stderr
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KARABAKH_DATA_ROOT", "VIRTUAL_ENV")}

    old = summary(python, env)
    assert old["file"].startswith(str(venv)), "loaded from the fresh environment"
    assert [v.split(".")[:2] for v in old["versions"]] == [(floors[n] + ".0").split(".")[:2] for n in floors]
    new = summary(sys.executable, {**env, "PYTHONPATH": str(ROOT / "src")})
    package = load_package(ROOT / "schemas")
    assert set(old["tables"]) == set(new["tables"]) == set(package.tables)
    for name, table in old["tables"].items():
        mine = new["tables"][name]
        for key in ("rows", "columns", "present", "categories", "first"):
            assert table[key] == mine[key], (name, key)
        for dtype, expected in zip(table["dtypes"], mine["dtypes"]):
            assert dtype == expected or {dtype, expected} <= TEXT, (name, dtype, expected)

    described = subprocess.run([command, "describe"], cwd="/", env=env, capture_output=True, text=True)
    assert described.returncode == 0, described.stderr
    version = json.loads((ROOT / "datapackage.json").read_text())["version"]
    assert described.stdout.startswith(f"karabakh-data {version}: {len(package.tables)} tables")
    assert all(name in described.stdout for name in package.tables)
    refused = subprocess.run([command, "validate"], cwd="/", env=env, capture_output=True, text=True)
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "pip install 'karabakh-data[check]'" in refused.stderr and "pyarrow" in refused.stderr
