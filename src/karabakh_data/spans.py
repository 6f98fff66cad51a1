"""Evidence spans: where a quote sits in its source text.

Offsets are Python string indices (Unicode code points) into the UTF-8-decoded source text, so
`text[char_start:char_end] == quote`. Nobody counts them by hand: `karabakh-data fmt` fills them.
"""

from __future__ import annotations


class SpanError(Exception):
    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule = rule
        self.message = message


def occurrences(text: str, quote: str) -> list[int]:
    """Every start offset of quote in text, overlapping ones included."""
    found, start = [], text.find(quote)
    while start != -1:
        found.append(start)
        start = text.find(quote, start + 1)
    return found


def locate(text: str, quote: str, hint_start: int | None = None) -> tuple[int, int]:
    """The (char_start, char_end) of quote in text.

    A quote that occurs more than once is ambiguous unless hint_start (the row's char_start)
    already points at one of its occurrences: that is how a coder disambiguates.
    """
    if not quote:
        raise SpanError("quote-empty", "the quote is empty")
    if hint_start is not None and text[hint_start:hint_start + len(quote)] == quote:
        return hint_start, hint_start + len(quote)
    starts = occurrences(text, quote)
    if not starts:
        raise SpanError("quote-not-in-source", "the quote does not occur in the source text (check spelling, "
                        "punctuation and quote marks: it must be copied exactly)")
    if len(starts) > 1:
        raise SpanError("quote-ambiguous", f"the quote occurs {len(starts)} times (at char_start {starts}); "
                        "lengthen it or set char_start to the occurrence you mean")
    return starts[0], starts[0] + len(quote)
