"""Every kernel of karabakh_data.kernels held to the plain Python computation it stands for, on
random inputs drawn with a fixed seed (the cases that matter are drawn on purpose: quotes, line
breaks, non-ASCII text, empty and null values)."""

from __future__ import annotations

import random
import re

import numpy as np
import pyarrow as pa
import pytest

from karabakh_data import kernels

ALPHABET = ["a", "b", ",", '"', "\n", " ", "é", "ə", "“", "𝄞", "0"]


def random_text(rng: random.Random, size: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(size))


def oracle_quoting(data: bytes) -> tuple[int | None, list[int]]:
    """(offset of the first quote that breaks RFC 4180 quoting, offsets of the LFs that end records),
    by a character-by-character reading."""
    ends, quoted, field_start, i = [], False, True, 0
    while i < len(data):
        byte = data[i : i + 1]
        if quoted:
            if byte == b'"':
                if data[i + 1 : i + 2] == b'"':
                    i += 2
                    continue
                if data[i + 1 : i + 2] not in (b",", b"\n", b""):
                    return i, ends
                quoted = False
        elif byte == b'"':
            if not field_start:
                return i, ends
            quoted = True
        elif byte == b"\n":
            ends.append(i)
        field_start = byte in (b",", b"\n") and not quoted
        i += 1
    return (data.rfind(b'"') if quoted else None), ends


def random_csv(rng: random.Random) -> bytes:
    rows = []
    for _ in range(rng.randint(0, 6)):
        cells = []
        for _ in range(rng.randint(1, 4)):
            text = random_text(rng, rng.randint(0, 5))
            quote = rng.random() < 0.5 or any(c in text for c in ',"\n')
            cells.append('"' + text.replace('"', '""') + '"' if quote else text)
        rows.append(",".join(cells))
    data = "\n".join(rows).encode() + (b"\n" if rng.random() < 0.8 else b"")
    if data and rng.random() < 0.4:  # damage: a quote dropped or added somewhere
        at = rng.randrange(len(data))
        data = data[:at] + (b'"' if rng.random() < 0.5 else b"") + data[at + 1 :]
    return data


def test_quoting_error_and_record_ends_agree_with_a_reading_byte_by_byte():
    rng = random.Random(7)
    for _ in range(3000):
        data = random_csv(rng)
        error, ends = oracle_quoting(data)
        assert kernels.quoting_error(data) == error, data
        if error is None:
            assert kernels.record_ends(data).tolist() == ends, data


def test_fields_per_record_counts_the_commas_outside_quotes():
    rng = random.Random(8)
    for _ in range(2000):
        data = random_csv(rng)
        if kernels.quoting_error(data) is not None:
            continue
        ends = kernels.record_ends(data)
        starts = [0] + [e + 1 for e in ends.tolist()]
        records = [data[s:e] for s, e in zip(starts, ends.tolist() + [len(data)])]
        if records and records[-1] == b"" and len(records) > len(ends):
            records = records[:-1]  # nothing follows the last line feed
        expected = []
        for record in records:
            commas, quoted = 0, False
            for byte in record:
                quoted ^= byte == 0x22
                commas += byte == 0x2C and not quoted
            expected.append(commas + 1)
        assert kernels.fields_per_record(data, ends).tolist() == expected, data


def test_byte_positions_and_lines():
    rng = random.Random(9)
    for _ in range(200):
        data = random_text(rng, rng.randint(0, 50)).encode()
        assert kernels.byte_positions(data, 0x0A).tolist() == [i for i, b in enumerate(data) if b == 0x0A]
        for offset in range(len(data) + 1):
            assert kernels.line_of_offset(data, offset) == data[:offset].count(b"\n") + 1


@pytest.mark.parametrize(
    "data",
    [
        b"plain",
        "caf\u00e9 \U0001d11e".encode(),
        b"caf\xe9",
        b"\xc0\xaf",
        b"\xed\xa0\x80",
        b"\xf4\x90\x80\x80",
        "ə".encode()[:1],
        b"",
        b"ok \xe2\x80",
    ],
)
def test_utf8_error_agrees_with_python(data):
    try:
        data.decode("utf-8")
        expected = None
    except UnicodeDecodeError as exc:
        expected = exc.start
    error = kernels.utf8_error(data)
    assert (error.start if error else None) == expected


def test_first_difference():
    rng = random.Random(10)
    for _ in range(500):
        a = bytes(rng.choice(b"ab") for _ in range(rng.randint(0, 8)))
        b = bytes(rng.choice(b"ab") for _ in range(rng.randint(0, 8)))
        expected = next(
            (i for i, (x, y) in enumerate(zip(a, b)) if x != y), None if len(a) == len(b) else min(len(a), len(b))
        )
        assert kernels.first_difference(a, b) == expected


def test_character_offsets_become_the_utf8_lengths_of_the_text_before_them():
    rng = random.Random(11)
    for _ in range(200):
        text = random_text(rng, rng.randint(0, 40))
        data = text.encode()
        chars = np.arange(len(text) + 1)
        expected = [len(text[:c].encode()) for c in chars]
        assert kernels.char_to_byte_offsets(kernels.continuation_owners(data), chars).tolist() == expected


def test_substrings_equal_agrees_with_slicing():
    rng = random.Random(12)
    buffers = [random_text(rng, 200).encode() for _ in range(3)]
    rows = 2000
    which = np.array([rng.randrange(-1, 3) for _ in range(rows)])
    start = np.array([rng.randrange(-2, 210) for _ in range(rows)])
    end = start + np.array([rng.randrange(-1, 30) for _ in range(rows)])
    values = []
    for w, s, e in zip(which, start, end):  # most values are the slice; some differ by a byte; some are null
        piece = buffers[w][max(s, 0) : max(e, 0)] if w >= 0 else b"x"
        choice = rng.random()
        values.append(None if choice < 0.05 else piece[:-1] + b"?" if choice < 0.2 and piece else piece)
    column = pa.chunked_array([pa.array(values[:700], pa.binary()), pa.array(values[700:], pa.binary())])
    expected = [
        w >= 0 and 0 <= s <= e <= len(buffers[w]) and v is not None and buffers[w][s:e] == v
        for w, s, e, v in zip(which, start, end, values)
    ]
    assert kernels.substrings_equal(buffers, which, start, end, column).tolist() == expected


def test_contains_agrees_with_in():
    rng = random.Random(13)
    values = [None if rng.random() < 0.1 else random_text(rng, rng.randint(0, 12)) for _ in range(500)]
    needles = [None if rng.random() < 0.1 else rng.choice(["a", "ab", "é", ',"', "𝄞"]) for _ in range(500)]
    expected = [v is not None and n is not None and n in v for v, n in zip(values, needles)]
    assert (
        kernels.contains(
            pa.chunked_array([values[:250], values[250:]], pa.string()), pa.array(needles, pa.string())
        ).tolist()
        == expected
    )


def test_contains_a_regular_expression_agrees_with_re():
    rng = random.Random(17)
    patterns = ["(^|[^0-9])0?9([^0-9]|$)", "a|é", "^b", "𝄞$"]
    values = [
        None if rng.random() < 0.1 else random_text(rng, rng.randint(0, 12)) + rng.choice(["", "9", "09"])
        for _ in range(3000)
    ]
    needles = [None if rng.random() < 0.1 else rng.choice(patterns) for _ in range(3000)]
    # RE2's $ is the end of the text; Python's also matches before a final line feed: \Z is RE2's $
    expected = [
        v is not None and n is not None and re.search(n.replace("$", r"\Z"), v) is not None
        for v, n in zip(values, needles)
    ]
    column = pa.chunked_array([values[:1000], values[1000:]], pa.string())
    assert kernels.contains(column, pa.array(needles, pa.string()), regex=True).tolist() == expected


def test_contains_in_blocks_agrees_with_in(monkeypatch):
    monkeypatch.setattr(kernels, "ROWS_PER_BLOCK", 7)
    test_contains_agrees_with_in()


def test_distinct_characters_agree_with_a_set():
    rng = random.Random(19)
    for _ in range(200):
        text = random_text(rng, rng.randint(0, 40)) + rng.choice(["", "\U000e0041", "\u202e", "𝄞é"])
        assert kernels.distinct_characters(text.encode()) == sorted(
            {c for c in text if ord(c) > 0x7F}, key=lambda c: c.encode()
        )


def test_value_bytes_and_the_longest_value():
    values = pa.array(["ab", None, "", "é𝄞"]).slice(1)
    assert kernels.value_bytes(values) == "é𝄞".encode()
    assert kernels.longest_value_bytes(values) == len("é𝄞".encode())
    assert (
        kernels.value_bytes(pa.array([], pa.string())) == b""
        and kernels.longest_value_bytes(pa.array([None], pa.string())) == 0
    )


def test_one_chunk_and_true_rows():
    column = pa.chunked_array([[True, None], [False, True]])
    assert kernels.true_rows(column) == [0, 3]
    assert kernels.one_chunk(column).to_pylist() == [True, None, False, True]
    assert kernels.one_chunk(pa.chunked_array([], pa.bool_())).to_pylist() == []


def test_row_of_finds_each_key_s_row_or_minus_one():
    keys = pa.array(["b", None, "z", "a", "b"])
    table_keys = pa.chunked_array([["a", "b"], ["c"]])
    expected = [["a", "b", "c"].index(k) if k in ("a", "b", "c") else -1 for k in keys.to_pylist()]
    assert kernels.row_of(keys, table_keys).tolist() == expected
    assert kernels.row_of(pa.array([], pa.string()), table_keys).tolist() == []
