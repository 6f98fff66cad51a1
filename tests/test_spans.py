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
