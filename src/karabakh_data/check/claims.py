"""Codes and places: ACLED's fields go together in pairs ACLED files, and a place's point agrees with
what its geo precision means (read from vocab_geo_precision, not written here)."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow.compute as pc

from ..model.problems import Problem
from .accounts import ACLED_FIELDS
from .context import Context, all_of, any_of, lookup
from .references import SEPARATOR


def check_acled(ctx: Context) -> Iterator[Problem]:
    """The three ACLED fields are set together, and the disorder type is the one ACLED files the
    (event type, sub-event type) pair under, where the vocabulary states it."""
    data, pairs = ctx.data.get("events"), ctx.data.get("vocab_acled_sub_event_type")
    if data is None:
        return
    present = [pc.is_valid(data.column(f)) for f in ACLED_FIELDS]
    yield from data.problems_at(
        pc.and_(any_of(present), pc.invert(all_of(present))),
        "acled_event_type",
        "acled-incomplete",
        "set all three ACLED fields (disorder, event, sub-event type) or none",
    )
    if pairs is None:
        return
    pair_keys = pc.binary_join_element_wise(
        pairs.column("acled_event_type"), pairs.column("acled_sub_event_type"), SEPARATOR
    )
    event_pairs = pc.binary_join_element_wise(
        data.column("acled_event_type"), data.column("acled_sub_event_type"), SEPARATOR
    )
    filed = pc.take(pairs.column("acled_disorder_type"), pc.index_in(event_pairs, value_set=pair_keys))
    disorder = data.column("acled_disorder_type")
    yield from data.problems_at(
        all_of([pc.is_valid(disorder), pc.is_valid(filed), pc.not_equal(filed, disorder)]),
        "acled_disorder_type",
        "acled-disorder",
        lambda row: (
            f"ACLED files {data.column('acled_sub_event_type')[row].as_py()!r} "
            f"under disorder type {filed[row].as_py()!r}"
        ),
    )


def check_coordinates(ctx: Context) -> Iterator[Problem]:
    data = ctx.data.get("locations")
    if data is None:
        return
    lat, lon, precision = data.column("latitude"), data.column("longitude"), data.column("geo_precision")
    pair_broken = pc.not_equal(pc.is_valid(lat), pc.is_valid(lon))
    for name, missing in (("latitude", pc.is_null(lat)), ("longitude", pc.is_null(lon))):
        yield from data.problems_at(
            pc.and_(pair_broken, missing), name, "coordinates-pair", "set both latitude and longitude or neither"
        )
    vocab = ctx.data.get("vocab_geo_precision")
    if vocab is None:
        return
    wants = lookup(precision, vocab, "geo_precision", "has_coordinates")
    yield from data.problems_at(
        pc.and_(pc.invert(pair_broken), pc.not_equal(wants, pc.is_valid(lat))),
        "geo_precision",
        "coordinates-precision",
        lambda row: (
            f"geo_precision {precision[row]} "
            + ("needs coordinates" if not lat[row].is_valid else "means no coordinates")
        ),
    )
