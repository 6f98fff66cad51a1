"""The content checks' shortcuts decide what the plain computation decides."""

from __future__ import annotations

import random
import unicodedata

import pyarrow as pa

from karabakh_data import safety


def composition_tails() -> set[int]:
    """Every character that is the second half of a canonical composition: the second of two
    characters a primary composite decomposes to, and the Hangul vowel and trailing jamo."""
    tails = set(range(0x1161, 0x1176)) | set(range(0x11A8, 0x11C3))
    for point in range(0x110000):
        parts = unicodedata.decomposition(chr(point)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            first, second = (chr(int(p, 16)) for p in parts)
            if unicodedata.normalize("NFC", first + second) == chr(point):
                tails.add(ord(second))
    return tails


def test_the_nfc_stable_characters_are_left_alone_by_nfc_wherever_they_stand():
    tails = composition_tails()
    for low, high in safety.NFC_STABLE:
        for point in range(low, high + 1):
            char = chr(point)
            decomposed = unicodedata.normalize("NFD", char)
            assert unicodedata.category(char) != "Cn", hex(point)  # assigned: a later Unicode cannot make it combining
            assert unicodedata.combining(char) == 0 and unicodedata.normalize("NFC", char) == char, hex(point)
            assert unicodedata.combining(decomposed[0]) == 0 and ord(decomposed[0]) not in tails, hex(point)


def test_not_nfc_agrees_with_normalising_every_cell():
    rng = random.Random(3)
    stable = [chr(rng.randint(low, high)) for low, high in safety.NFC_STABLE for _ in range(8)]
    other = ["\u0306", "\u0301", "\u0327", "\u2126", "\u212b", "\u1100", "\u1161", "\u11a8", "\uac00", "\u0374", "\u1f71",
             "\u0f73", "\u0cd5", "\u0483", "\u2000", "\u3000", "\U0001d15e"]
    pool = list("agdmAG e,.-") + stable + other
    cells = ["".join(rng.choices(pool, k=rng.randint(0, 6))) for _ in range(3000)] + ["Ag\u0306dam", "A\u011fdam", None]
    values = pa.array(cells, pa.string())
    expected = [cell is not None and unicodedata.normalize("NFC", cell) != cell for cell in cells]
    assert safety.not_nfc(values).to_pylist() == expected
    assert 100 < sum(expected) < len(cells) - 100
