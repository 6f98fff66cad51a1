"""Attribution and codes: who makes a claim, which events may carry ACLED codes, and places' points.

What a factuality value requires (a claimant, whether ACLED codes are allowed) and what a geo
precision means (whether it has coordinates) are read from the vocabularies, not written here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow.compute as pc

from ..model.problems import Problem
from .context import Context, all_of, any_of, is_any, lookup
from .references import SEPARATOR

ROLE_CLAIMANT = "claimant"
ACLED_FIELDS = ("acled_disorder_type", "acled_event_type", "acled_sub_event_type")


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


def check_attribution(ctx: Context) -> Iterator[Problem]:
    """Factuality decides whether a claimant is named and whether ACLED codes are allowed; a claimant
    is linked in event_actors in the claimant role, and only the claimant is."""
    data, vocab = ctx.data.get("events"), ctx.data.get("vocab_factuality")
    if data is None or vocab is None:
        return  # without its vocabulary (reported unreadable) a factuality value means nothing to check
    factuality, claimant = data.column("factuality"), data.column("claimed_by_actor_id")
    known = pc.is_in(factuality, value_set=vocab.column("factuality"))
    requires = lookup(factuality, vocab, "factuality", "requires_claimant")
    allows = lookup(factuality, vocab, "factuality", "allows_acled")
    yield from data.problems_at(
        all_of([known, requires, pc.is_null(claimant)]),
        "claimed_by_actor_id",
        "claimant-missing",
        lambda row: f"factuality {factuality[row]} needs the actor who makes the claim",
    )
    yield from data.problems_at(
        all_of([known, pc.invert(requires), pc.is_valid(claimant)]),
        "claimed_by_actor_id",
        "claimant-unexpected",
        lambda row: f"factuality {factuality[row]} is the article's own voice: no claimant",
    )
    any_acled = any_of([pc.is_valid(data.column(f)) for f in ACLED_FIELDS])
    yield from data.problems_at(
        all_of([known, pc.invert(allows), any_acled]),
        "acled_event_type",
        "acled-not-allowed",
        lambda row: f"events with factuality {factuality[row]} carry no ACLED codes",
    )
    links = ctx.data.get("event_actors")
    if links is None:
        return
    # the claims (events naming a claimant) and the claimant links, each joined as "event, actor"
    named = pc.is_valid(claimant)
    claims = pc.binary_join_element_wise(
        pc.filter(data.column("event_id"), named), pc.filter(claimant, named), SEPARATOR
    )
    is_link = pc.fill_null(is_any(links.column("role"), ROLE_CLAIMANT), False)
    linked = pc.binary_join_element_wise(
        pc.filter(links.column("event_id"), is_link), pc.filter(links.column("actor_id"), is_link), SEPARATOR
    )
    claim_rows, link_rows = pc.indices_nonzero(named), pc.indices_nonzero(is_link)
    unlinked = pc.take(claim_rows, pc.indices_nonzero(pc.invert(pc.is_in(claims, value_set=linked))))
    yield from data.problems_at(
        unlinked.to_numpy(),
        "claimed_by_actor_id",
        "claimant-link",
        lambda row: f"event_actors needs the row ({data.column('event_id')[row]}, {claimant[row]}, {ROLE_CLAIMANT})",
    )
    # a claimant link must name the event's claimant, not another actor (a link to an unknown event is
    # a foreign-key problem already)
    unstated = pc.take(link_rows, pc.indices_nonzero(pc.invert(pc.is_in(linked, value_set=claims))))
    if len(unstated):
        unstated = pc.filter(
            unstated, pc.is_in(pc.take(links.column("event_id"), unstated), value_set=data.column("event_id"))
        )
    yield from links.problems_at(
        unstated.to_numpy(),
        "actor_id",
        "claimant-link",
        lambda row: (
            f"{links.column('actor_id')[row]} is linked as claimant of "
            f"{links.column('event_id')[row]}, but events.claimed_by_actor_id names another actor (or none)"
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
