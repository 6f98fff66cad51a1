from __future__ import annotations

import pytest

from karabakh_data.spans import SpanError, locate, occurrences

TEXT = "abc abc xyz"


def test_unique_quote_is_located():
    assert locate(TEXT, "xyz") == (8, 11)


def test_hint_disambiguates_a_repeated_quote():
    assert occurrences(TEXT, "abc") == [0, 4]
    assert locate(TEXT, "abc", hint_start=4) == (4, 7)


@pytest.mark.parametrize("quote, hint, rule", [("abc", None, "quote-ambiguous"), ("abc", 2, "quote-ambiguous"),
                                               ("abd", None, "quote-not-in-source"), ("", None, "quote-empty")])
def test_bad_quotes_are_refused(quote, hint, rule):
    with pytest.raises(SpanError) as info:
        locate(TEXT, quote, hint)
    assert info.value.rule == rule


def test_vectorised_span_check_agrees_with_python_slicing():
    """matching_spans never accepts a wrong span, and decides every quote longer than the inline
    limit exactly as text[start:end] == quote would (shorter ones are left to the Python check)."""
    import random

    import numpy as np
    import pyarrow as pa

    from karabakh_data.read import SourceTexts
    from karabakh_data.spans import INLINE, SourceBytes, matching_spans

    texts = {"a": "Héllo wörld, a “quoted” text with ünïcode 𝄞 and more words after it.",
             "b": "Plain ASCII text, long enough to hold several quotes of any length."}
    rng = random.Random(7)
    rows, expected, decided = [], [], []
    for _ in range(3000):
        source = rng.choice("abz")  # z: a source that does not exist
        text = texts.get(source, "")
        start = rng.randint(-2, len(text) + 2)
        end = rng.randint(start - 2, len(text) + 3)
        quote = text[max(start, 0):max(end, 0)] + ("" if rng.random() < 0.7 else rng.choice(["x", "é"]))
        quote = None if rng.random() < 0.05 else quote
        rows.append((source, quote, start, end))
        right = source in texts and quote is not None and 0 <= start <= end <= len(text) and text[start:end] == quote
        expected.append(right)
        decided.append(quote is not None and len(quote.encode()) > INLINE)
    columns = [pa.array(list(c)) for c in zip(*rows)]
    matched = matching_spans(SourceBytes(SourceTexts({k: v.encode() for k, v in texts.items()})), *columns)
    expected, decided = np.array(expected), np.array(decided)
    assert not (matched & ~expected).any()
    assert (matched[decided] == expected[decided]).all()
    assert matched.sum() > 100  # the vectorised path did the work, not the fallback


def test_seed_validity_and_length_come_from_the_bytes_as_python_decodes_them():
    from karabakh_data.read import utf8_chars

    cases = [b"", b"ok", "Xank\u0259ndi \u201cq\u201d \U0001d11e".encode(), b"\xef\xbb\xbfabc", b"\xc0\xaf", b"\xed\xa0\x80",
             b"\xf4\x90\x80\x80", b"\xe2\x82", b"\x80", b"a\xffb", b"\xe0\x80\xaf", b"\xf8\x88\x80\x80\x80", b"\xf0\x9f\x98"]
    for data in cases:
        try:
            expected = len(str(data, "utf-8"))
        except UnicodeDecodeError:
            expected = None
        assert utf8_chars(data) == expected, data


def test_byte_positions_are_the_utf8_lengths_of_the_text_before_them():
    import random

    import numpy as np

    from karabakh_data.read import SourceTexts
    from karabakh_data.spans import SourceBytes

    rng = random.Random(5)
    pool = list("ab ,") + ["\u00e9", "\u0259", "\u201c", "\u20ac", "\U0001d11e", "\u0306"]
    texts = {f"s{i}": "".join(rng.choices(pool, k=rng.randint(0, 40))) for i in range(60)} | {"ascii": "plain"}
    sources = SourceBytes(SourceTexts({k: v.encode() for k, v in texts.items()}))
    for k, source_id in enumerate(sources.ids):
        text = texts[source_id]
        chars = np.array([rng.randint(0, len(text)) for _ in range(20)] + [0, len(text)], dtype=np.int64)
        found = sources.byte_positions(k, chars)
        if text.isascii():
            assert found is None
        else:
            assert found.tolist() == [len(text[:c].encode()) for c in chars], text
