"""The text policy is by Unicode category (model/characters.py): the regular expressions Arrow runs on
whole columns are held to Python's unicodedata, code point by code point, and the lists the policy
needs besides the categories are held to the Unicode properties they stand for."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from karabakh_data.check.table import WIDE_TRIGGERS
from karabakh_data.model.characters import IGNORABLE_RANGES, RULE_PATTERNS, is_ignorable, refused_among

CODE_POINTS = [c for c in range(0x80, 0x110000) if not 0xD800 <= c <= 0xDFFF]  # surrogates are not UTF-8


def rule_of(character: str) -> str | None:
    """The oracle: the rule a character breaks under the policy (None when text may hold it), per
    Python's unicodedata, which the column expressions (RE2's Unicode tables) must agree with."""
    category = unicodedata.category(character)
    if category == "Cc":
        return None if character == "\n" else "control-char"
    if category == "Cf" or is_ignorable(character):
        return "invisible-char"
    if category in ("Co", "Cs", "Cn", "Zl", "Zp"):
        return "unusable-char"
    return None


@pytest.fixture(scope="module")
def characters() -> pa.Array:
    return pa.array([chr(c) for c in CODE_POINTS], pa.string())


def _mask(characters: pa.Array, pattern: str) -> list[bool]:
    return pc.match_substring_regex(characters, pattern).to_pylist()


def test_the_column_check_refuses_what_the_policy_refuses(characters):
    by_rule = {rule: _mask(characters, pattern) for rule, pattern in RULE_PATTERNS}
    newer = []  # assigned in Unicode 15.x (Arrow's RE2), unassigned in Python 3.11's Unicode 14
    for i, code in enumerate(CODE_POINTS):
        rule = rule_of(chr(code))
        groups = [name for name, mask in by_rule.items() if mask[i]]
        if unicodedata.category(chr(code)) == "Cn" and groups != ["unusable-char"]:
            newer.append(code)  # Arrow's Unicode knows it: a letter, a symbol, or a format character
            continue
        assert groups == ([rule] if rule else []), f"U+{code:04X}: {groups} against {rule}"
    assert 0 < len(newer) < 6_000  # Unicode 15.0 and 15.1 assigned 4,489 code points


def test_the_distinct_characters_of_a_text_are_judged_as_its_cells():
    text = "Xankəndi “quoted” \u202e\u0085 \ue000 \u2028 \U000e0041"
    assert refused_among(sorted(set(text) - set("Xankdi qote "))) == {
        "control-char": ["\u0085"],
        "invisible-char": ["\u202e", "\U000e0041"],
        "unusable-char": ["\u2028", "\ue000"],
    }


@pytest.mark.parametrize(
    "character, rule",
    [
        ("\u202e", "invisible-char"),
        ("\u00ad", "invisible-char"),
        ("\u2061", "invisible-char"),
        ("\U000e0041", "invisible-char"),
        ("\u034f", "invisible-char"),
        ("\u3164", "invisible-char"),
        ("\ufe0f", "invisible-char"),
        ("\u0085", "control-char"),
        ("\x7f", "control-char"),
        ("\u2028", "unusable-char"),
        ("\ue000", "unusable-char"),
        ("\u0378", "unusable-char"),
        ("\u00e9", None),
        ("\u0259", None),
        ("\u201c", None),
        ("\u00a0", None),
        ("\u0301", None),  # a combining accent is visible with its letter (NFC is a rule of its own)
    ],
)
def test_the_rule_of_each_kind_of_character(character, rule):
    assert rule_of(character) == rule


def test_the_wide_formula_triggers_are_the_characters_whose_nfkc_form_is_one():
    derived = {chr(c) for c in CODE_POINTS if unicodedata.normalize("NFKC", chr(c)) in ("=", "+", "-", "@")}
    assert set(WIDE_TRIGGERS) == derived


def test_the_ignorable_ranges_are_the_default_ignorable_code_points_outside_the_categories():
    """Unicode's Default_Ignorable_Code_Point property, which Python's unicodedata does not expose:
    held to Perl's, when Perl is there (both Unicode 14.0 here)."""
    listed = {c for a, b in IGNORABLE_RANGES for c in range(a, b + 1)}
    assert all(unicodedata.category(chr(c)) not in ("Cf", "Cn", "Cs") for c in listed)
    if shutil.which("perl") is None:
        pytest.skip("perl is not installed")
    script = (
        "for my $c (0..0x10FFFF) { next if $c >= 0xD800 && $c <= 0xDFFF; my $s = chr($c); "
        'print "$c\\n" if $s =~ /\\p{Default_Ignorable_Code_Point}/ && $s !~ /\\p{Cf}|\\p{Cn}/ }'
    )
    version = subprocess.run(
        ["perl", "-MUnicode::UCD", "-e", "print Unicode::UCD::UnicodeVersion()"], capture_output=True, text=True
    ).stdout
    if version != unicodedata.unidata_version:
        pytest.skip(f"Perl's Unicode {version} is not Python's {unicodedata.unidata_version}")
    found = subprocess.run(["perl", "-e", script], capture_output=True, text=True, check=True).stdout.split()
    assert {int(c) for c in found} == listed
