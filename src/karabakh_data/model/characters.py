"""Which characters text may hold, by Unicode category, and how text is printed safely.

One policy for every cell and every source document (docs/coding_rules.md, "Characters"):

- control characters (Cc) are refused, but LF everywhere and tab in source documents (a published
  text may hold one; a cell may not: a spreadsheet runs a cell starting with a tab). The CSV reader
  refuses the ASCII ones byte by byte; C1 controls (U+0080-U+009F) are refused here;
- format characters (Cf: bidirectional controls, zero-width characters, the soft hyphen, tags,
  invisible operators) and the other default-ignorable code points (Unicode's
  Default_Ignorable_Code_Point property: variation selectors, the combining grapheme joiner, Hangul
  fillers), which a reader of the text cannot see;
- private-use (Co), surrogate (Cs) and unassigned (Cn) code points, whose meaning nobody can check,
  and the line and paragraph separators (Zl, Zp), which some tools take for line breaks and others not.

The data needs no exception beyond LF and the seeds' tab today. A language that needs a format
character (ZERO WIDTH NON-JOINER in Persian) would be the first: an exception is a code point removed
from the patterns below, with the reason.

Arrow's regular expressions (RE2, Unicode 15.1 in pyarrow 26) find the refused characters in whole
columns; Python's unicodedata (Unicode 14 in Python 3.11) names the one a problem reports. RE2 cannot
name unassigned code points directly: they are the ones in no category it knows.
"""

from __future__ import annotations

import functools
import unicodedata

import pyarrow as pa
import pyarrow.compute as pc

# Default_Ignorable_Code_Point outside Cf, Cn and Cs (DerivedCoreProperties.txt of Unicode 14.0; checked
# against Perl's \p{Default_Ignorable_Code_Point}, which tests/test_characters.py repeats when Perl is there)
IGNORABLE_RANGES = (
    (0x034F, 0x034F),  # COMBINING GRAPHEME JOINER
    (0x115F, 0x1160),  # HANGUL CHOSEONG and JUNGSEONG FILLER
    (0x17B4, 0x17B5),  # KHMER VOWEL INHERENT AQ and AA
    (0x180B, 0x180D),  # MONGOLIAN FREE VARIATION SELECTORS ONE to THREE
    (0x180F, 0x180F),  # MONGOLIAN FREE VARIATION SELECTOR FOUR
    (0x3164, 0x3164),  # HANGUL FILLER
    (0xFE00, 0xFE0F),  # VARIATION SELECTORS 1-16
    (0xFFA0, 0xFFA0),  # HALFWIDTH HANGUL FILLER
    (0xE0100, 0xE01EF),  # VARIATION SELECTORS 17-256
)
_IGNORABLE = "".join(rf"\x{{{a:04X}}}-\x{{{b:04X}}}" for a, b in IGNORABLE_RANGES)
_ASSIGNED = r"\p{L}\p{M}\p{N}\p{P}\p{S}\p{Z}\p{C}"

# The characters outside ASCII that no text may hold, each group reported by its own rule (ASCII controls
# are refused byte by byte)
INVISIBLE = rf"[\p{{Cf}}{_IGNORABLE}]"
CONTROL = r"[\x{80}-\x{9F}]"
UNUSABLE = rf"[\p{{Co}}\p{{Cs}}\p{{Zl}}\p{{Zp}}]|[^{_ASSIGNED}]"

RULE_PATTERNS = (("control-char", CONTROL), ("invisible-char", INVISIBLE), ("unusable-char", UNUSABLE))
# The ASCII control bytes: refused in a CSV file but LF, in a source document but LF and tab
ASCII_CONTROLS = bytes(range(0x20)) + b"\x7f"


@functools.lru_cache(maxsize=1 << 16)
def _column_rule(character: str) -> str | None:
    """The rule a character breaks, judged by the expressions that judge whole columns (each compiled
    once per character: a text holds few distinct characters)."""
    array = pa.array([character], pa.string())
    return next((rule for rule, pattern in RULE_PATTERNS if pc.match_substring_regex(array, pattern)[0].as_py()), None)


def refused_among(characters: list[str]) -> dict[str, list[str]]:
    """Rule -> the characters of the list that break it (the distinct characters of a text: see
    kernels.distinct_characters)."""
    found: dict[str, list[str]] = {}
    for character in characters:
        if (rule := _column_rule(character)) is not None:
            found.setdefault(rule, []).append(character)
    return found


def is_ignorable(character: str) -> bool:
    code = ord(character)
    return any(a <= code <= b for a, b in IGNORABLE_RANGES)


def describe(character: str) -> str:
    """'U+202E RIGHT-TO-LEFT OVERRIDE (Cf)'."""
    name = unicodedata.name(character, "unnamed")
    return f"U+{ord(character):04X} {name} ({unicodedata.category(character)})"


def first_refused(text: str, rule: str | None = None) -> tuple[int, str] | None:
    """(offset, character) of the first character the policy refuses (of `rule` only, if given),
    besides LF and tab: judged by the column expressions, so that it finds what they flagged."""
    for offset, character in enumerate(text):
        if character not in "\n\t" and (found := _column_rule(character)) and (rule is None or found == rule):
            return offset, character
    return None


def _escape(character: str) -> str:
    code = ord(character)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str) -> str:
    """The text with every character a terminal or a log viewer could act on, or that a reader cannot
    see, written as an escape (\\x1b, \\u202e): what reports print of any field."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(
        c if c.isprintable() and not is_ignorable(c) and unicodedata.category(c) != "Cf" else _escape(c) for c in text
    )
