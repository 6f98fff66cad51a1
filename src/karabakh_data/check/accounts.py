"""Accounts: each source's account of an event, in its own voice.

An event is the happening, coded once; its accounts say which source reports it, in which voice
(factuality, claimant) and with which counts. What a factuality value requires (a claimant, whether
ACLED codes are allowed, its stance) and what a role means (whether it needs an affirmed event) are
read from the vocabularies, not written here.
"""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from ..io.csvfile import TableData
from ..kernels import Column
from ..model.problems import Omitted, Problem
from .context import Context, all_of, any_of, is_any, lookup, rows_in, rows_where
from .references import key_values

ROLE_CLAIMANT = "claimant"
ACLED_FIELDS = ("acled_disorder_type", "acled_event_type", "acled_sub_event_type")
AFFIRMING_STANCES = ("asserts", "attributes")  # the account says the event happened, in its voice or a claimant's


def account_stances(accounts: TableData, vocab: TableData) -> Column:
    """The stance of each account (vocab_factuality.stance of its factuality; null when unknown)."""
    return lookup(accounts.column("factuality"), vocab, "factuality", "stance")


def check_accounts(ctx: Context) -> Iterator[Problem | Omitted]:
    """Every event has an account; ACLED codes need an account whose voice allows them; a role that says
    the act happened needs an event some account affirms."""
    events, accounts = ctx.data.get("events"), ctx.data.get("event_accounts")
    vocab = ctx.data.get("vocab_factuality")
    if events is None or accounts is None:
        return
    owners = rows_in(accounts.column("event_id"), events)  # the event of each account
    has_account = rows_where(owners, pc.is_valid(accounts.column("event_id")), events.num_rows)
    yield from events.problems_at(
        pa.array(~has_account),
        "event_id",
        "event-no-account",
        "the event has no row in event_accounts: every event is some source's account",
    )
    if vocab is None:
        return  # without its vocabulary (reported unreadable) a factuality value means nothing to check
    allowing = rows_where(
        owners, lookup(accounts.column("factuality"), vocab, "factuality", "allows_acled"), events.num_rows
    )
    any_acled = any_of([pc.is_valid(events.column(f)) for f in ACLED_FIELDS])
    yield from events.problems_at(
        pc.and_(any_acled, pa.array(~allowing)),
        "acled_event_type",
        "acled-not-allowed",
        "no account of this event has a factuality that allows ACLED codes (vocab_factuality.allows_acled)",
    )
    links, roles = ctx.data.get("event_actors"), ctx.data.get("vocab_event_role")
    if links is None or roles is None:
        return
    affirmed = rows_where(owners, is_any(account_stances(accounts, vocab), *AFFIRMING_STANCES), events.num_rows)
    needs = pc.fill_null(lookup(links.column("role"), roles, "role", "requires_affirmed"), False).to_numpy(
        zero_copy_only=False
    )
    event = rows_in(links.column("event_id"), events)
    known = event >= 0
    # a link to an unknown event is a foreign-key problem, an event without accounts has its own
    unaffirmed = needs & known
    unaffirmed[unaffirmed] = has_account[event[unaffirmed]] & ~affirmed[event[unaffirmed]]
    yield from links.problems_at(
        pa.array(unaffirmed),
        "role",
        "role-not-affirmed",
        lambda row: (
            f"role {links.column('role')[row]} says the act happened, but no account of "
            f"{links.column('event_id')[row]} affirms it (it is only denied or spoken of as future): "
            "link the actor it is about as subject"
        ),
    )


def _keys(data: TableData, mask: Column, *fields: str) -> pa.Array:
    """The rows where mask holds, their fields joined as one key."""
    return pc.filter(key_values(data, fields), mask)


def check_attribution(ctx: Context) -> Iterator[Problem | Omitted]:
    """An account's factuality decides whether it names a claimant; a claimant is linked in event_actors
    in the claimant role with the account's source, and only an account's claimant is."""
    data, vocab = ctx.data.get("event_accounts"), ctx.data.get("vocab_factuality")
    if data is None or vocab is None:
        return
    factuality, claimant = data.column("factuality"), data.column("claimed_by_actor_id")
    known = pc.is_in(factuality, value_set=vocab.column("factuality"))
    requires = lookup(factuality, vocab, "factuality", "requires_claimant")
    yield from data.problems_at(
        all_of([known, requires, pc.is_null(claimant)]),
        "claimed_by_actor_id",
        "claimant-missing",
        lambda row: f"factuality {factuality[row]} needs the actor who makes the claim (or the denial)",
    )
    yield from data.problems_at(
        all_of([known, pc.invert(requires), pc.is_valid(claimant)]),
        "claimed_by_actor_id",
        "claimant-unexpected",
        lambda row: f"factuality {factuality[row]} is the source's own voice: no claimant",
    )
    links = ctx.data.get("event_actors")
    if links is None:
        return
    named = pc.fill_null(pc.is_valid(claimant), False)
    claims = _keys(data, named, "event_id", "claimed_by_actor_id", "source_id")
    is_link = pc.fill_null(is_any(links.column("role"), ROLE_CLAIMANT), False)
    linked = _keys(links, is_link, "event_id", "actor_id", "source_id")
    unlinked = pc.take(pc.indices_nonzero(named), pc.indices_nonzero(pc.invert(pc.is_in(claims, value_set=linked))))
    yield from data.problems_at(
        unlinked.to_numpy(),
        "claimed_by_actor_id",
        "claimant-link",
        lambda row: (
            f"event_actors needs the row ({data.column('event_id')[row]}, {claimant[row]}, "
            f"{ROLE_CLAIMANT}, {data.column('source_id')[row]})"
        ),
    )
    # a claimant link must name the claimant of an account of the same event and source (a link to an
    # unknown event is a foreign-key problem already)
    link_rows = pc.indices_nonzero(is_link)
    unstated = pc.take(link_rows, pc.indices_nonzero(pc.invert(pc.is_in(linked, value_set=claims))))
    events = ctx.data.get("events")
    if len(unstated) and events is not None:
        unstated = pc.filter(
            unstated, pc.is_in(pc.take(links.column("event_id"), unstated), value_set=events.column("event_id"))
        )
    yield from links.problems_at(
        unstated.to_numpy(),
        "actor_id",
        "claimant-link",
        lambda row: (
            f"{links.column('actor_id')[row]} is linked as claimant of {links.column('event_id')[row]} "
            f"from {links.column('source_id')[row]}, but no account of that event from that source names it"
        ),
    )
