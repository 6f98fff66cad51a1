"""The byte-lookup pattern matcher (patterns.py) must say what RE2 says, on every pattern it accepts."""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from karabakh_data.constraints import _violations
from karabakh_data.patterns import compile_pattern, fixed_width_matches

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATTERNS = sorted({f["constraints"]["pattern"] for path in (ROOT / "schemas").rglob("*.json") if not path.name.startswith("_")
                          for f in json.loads(path.read_text(encoding="utf-8")).get("fields", [])
                          if "pattern" in f.get("constraints", {})})
OTHER_PATTERNS = ["a?b{2}c*", "[a-]x+", "\\d{3}\\.\\d", "x{0}y", "[_a-c]{2,3}z", "q{1,}", "é+", "(a|b)", "a.c", "[^a]b",
                  "a{2,1}", "a+?", "\\w+", "a{,2}", "[]", "\\", "abc", "[a-é]"]
ALPHABET = "evtloc-_0123456789abcfxyzAZ./é \x00"


def _matching(rng: random.Random, parts) -> str:
    """A random value the parts match."""
    out = []
    for table, least, most in parts:
        allowed = [chr(b) for b in np.flatnonzero(table)]
        out += [rng.choice(allowed) for _ in range(rng.randint(least, most if most is not None else least + 12))]
    return "".join(out)


def _samples(rng: random.Random, parts, pattern: str) -> list[str]:
    """Matching values, the same with one character replaced (by one of the pattern's own, a
    non-ASCII one or NUL among others), and random strings: both answers occur."""
    chars = [c for c in pattern if c.isprintable()] + list(ALPHABET)
    values = []
    for _ in range(400):
        value = _matching(rng, parts)
        if value and rng.random() < 0.6:
            at = rng.randrange(len(value))
            value = value[:at] + rng.choice(chars) + value[at + 1:]
        values.append(value)
    return values + ["".join(rng.choice(chars) for _ in range(rng.randint(1, 20))) for _ in range(100)]


@pytest.mark.parametrize("pattern", SCHEMA_PATTERNS + OTHER_PATTERNS)
def test_the_lookup_agrees_with_re2(pattern):
    rng = random.Random(pattern)
    parts = compile_pattern(pattern)
    whole = f"^(?:{pattern})$"
    if parts is None:
        return  # left to RE2: nothing to compare
    values = _samples(rng, parts, pattern)
    encoded = [v.encode("utf-8") for v in values]
    answers = []
    for size in sorted({len(e) for e in encoded} - {0}):
        same = [v for v, e in zip(values, encoded) if len(e) == size]
        # the matcher reads the column's buffer as Arrow holds it (NumPy would drop trailing NULs)
        found = fixed_width_matches(np.frombuffer(b"".join(v.encode("utf-8") for v in same), dtype=f"S{size}"), parts)
        if found is None:
            continue  # two parts of variable length: left to RE2
        expected = pc.match_substring_regex(pa.array(same, pa.string()), whole).to_pylist()
        assert found.tolist() == expected, (pattern, same)
        answers += expected
    assert not answers or {True, False} <= set(answers), pattern


def test_the_schema_identifier_patterns_take_the_lookup():
    # the patterns of identifier columns at scale must not silently fall back to RE2
    for pattern in ("evt-[0-9]{4,}", "act-[0-9]{4,}", "loc-[0-9]{4,}", "[0-9]{3}_[0-9a-f]{16}"):
        assert compile_pattern(pattern) is not None


def test_unsupported_syntax_is_left_to_re2():
    for pattern in ("(a|b)", "a.c", "[^a]b", "a+?", "\\w+", "[]", "\\", "é+", "a{2,1}", "[a-é]"):
        assert compile_pattern(pattern) is None, pattern


def test_pattern_violations_are_the_same_on_fixed_width_and_ragged_columns():
    whole = "^(?:evt-[0-9]{4,})$"
    fixed = pa.chunked_array([pa.array(["evt-0001", "evt-00x1", "EVT-0001"]), pa.array(["evt-1234", "ev-12345"])])
    ragged = pa.chunked_array([pa.array(["evt-0001", "evt-00x1", "EVT-0001"]), pa.array(["evt-1234", "evt-12", None])])
    assert _violations(fixed, "matches", whole).to_pylist() == [False, True, True, False, True]
    assert _violations(ragged, "matches", whole).to_pylist() == [False, True, True, False, True, None]
