"""Table Schema patterns matched without a regular expression, on identifier columns.

An identifier column (evt-0000001, act-00001, 000_6bed65147e1df573) holds values of one width. For a
pattern that is a sequence of characters and character classes, each with a repeat count, the
width fixes how many characters each part takes, so a value matches exactly when each of its bytes
is in the class of its position: a table lookup per byte over the column's own buffer. RE2 takes
about 60 ns a value on 2M identifiers; the lookup a tenth of that.

Anything else (alternation, groups, '.', negated classes, escapes other than \\d and punctuation)
is left to the regular expression: `compile_pattern` returns None. Classes hold ASCII characters
only, so a byte outside ASCII matches no class, as the character it belongs to would not.
"""

from __future__ import annotations

import re

import numpy as np

Part = tuple[np.ndarray, int, int | None]  # (256 booleans: the bytes allowed, least repeats, most or None)

_REPEAT = re.compile(r"\{(\d+)(,(\d*))?\}")
_PUNCTUATION = set(".-_/\\[](){}*+?|^$:")  # what an escape may stand for, as itself


def _allowed(chars: str) -> np.ndarray | None:
    """The byte table of a class body like a-z0-9_ (None for what this module does not read)."""
    table = np.zeros(256, dtype=bool)
    k = 0
    while k < len(chars):
        if k + 2 < len(chars) and chars[k + 1] == "-":
            low, high = ord(chars[k]), ord(chars[k + 2])
            if low > high or high > 127:
                return None
            table[low:high + 1] = True
            k += 3
        else:
            if ord(chars[k]) > 127:
                return None
            table[ord(chars[k])] = True
            k += 1
    return table


def compile_pattern(pattern: str) -> list[Part] | None:
    """The pattern as parts, or None when it uses more than characters, classes and repeats."""
    parts: list[Part] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "[":
            close = pattern.find("]", i + 1)
            body = pattern[i + 1:close] if close > i else ""
            if not body or body[0] == "^" or "\\" in body or "[" in body:
                return None
            table = _allowed(body)
            i = close + 1
        elif c == "\\":
            escaped = pattern[i + 1:i + 2]
            table = _allowed("0-9") if escaped == "d" else _allowed(escaped) if escaped in _PUNCTUATION and escaped else None
            i += 2
        elif c in ".()|^$*+?{}" or ord(c) > 127:
            return None
        else:
            table = _allowed(c)
            i += 1
        if table is None:
            return None
        least, most = 1, 1
        if i < len(pattern) and pattern[i] in "*+?{":
            if pattern[i] == "{":
                repeat = _REPEAT.match(pattern, i)
                if repeat is None:
                    return None
                least = int(repeat[1])
                most = least if repeat[2] is None else int(repeat[3]) if repeat[3] else None
                i = repeat.end()
            else:
                least, most = {"*": (0, None), "+": (1, None), "?": (0, 1)}[pattern[i]]
                i += 1
            if i < len(pattern) and pattern[i] in "?+":  # lazy or possessive repeats
                return None
            if most is not None and most < least:
                return None
        parts.append((table, least, most))
    return parts


def fixed_width_matches(values: np.ndarray, parts: list[Part]) -> np.ndarray | None:
    """Whether each value (a NumPy array of fixed-width bytes) matches the whole pattern; None when
    the width does not settle each part's length (two parts of variable length)."""
    width, n = values.dtype.itemsize, len(values)
    variable = [k for k, (_, least, most) in enumerate(parts) if least != most]
    if len(variable) > 1:
        return None
    counts = [least for _, least, _ in parts]
    if variable:
        k = variable[0]
        counts[k] = width - (sum(counts) - counts[k])
        least, most = parts[k][1], parts[k][2]
        if counts[k] < least or (most is not None and counts[k] > most):
            return np.zeros(n, dtype=bool)
    elif sum(counts) != width:
        return np.zeros(n, dtype=bool)
    # one row per byte position (a transposed copy): each position is then a contiguous lookup
    by_position = np.ascontiguousarray(values.view(np.uint8).reshape(n, width).T)
    ok = np.ones(n, dtype=bool)
    position = 0
    for (table, _, _), count in zip(parts, counts):
        allowed = np.flatnonzero(table)
        # one contiguous range of bytes (a literal, 0-9): one subtraction and one comparison, which
        # wrap below the range; a lookup by index otherwise (NumPy widens every byte to an index)
        contiguous = 0 < len(allowed) < 256 and allowed[-1] - allowed[0] + 1 == len(allowed)
        for row in by_position[position:position + count]:
            if not len(allowed):
                ok[:] = False
            elif contiguous:
                ok &= (row - np.uint8(allowed[0])) < np.uint8(len(allowed))
            else:
                ok &= table[row]
        position += count
    return ok
