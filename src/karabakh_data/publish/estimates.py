"""Per-event estimates, derived from all accounts of each event: the graded status, the sources, the
claimants, the deaths by all accounts, and whether the event is counted (a whole is counted through
its parts). The rules are the x-derivation of each column of schemas/views/event_estimates.json and
the codebook's "Counting events"; tests/views_reference.py derives the same row by row.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import kernels
from ..check.accounts import AFFIRMING_STANCES, account_stances
from ..io.csvfile import TableData

ASSERTS, DENIES = "asserts", "denies"


def column(data: TableData, name: str) -> pa.Array:
    """A typed column as one array."""
    return kernels.one_chunk(data.column(name))


def take(values: pa.Array, rows: np.ndarray) -> pa.Array:
    """values[rows], null where rows is -1."""
    return pc.take(values, pa.array(rows, pa.int64(), mask=rows < 0))


def joined(events: np.ndarray, values: pa.Array, n: int) -> pa.Array:
    """For each of n events, the values of the rows that belong to it (`events`, non-decreasing), joined
    by '; ' in row order; null for an event with none."""
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(events, minlength=n)[:n], out=offsets[1:])
    lists = pa.ListArray.from_arrays(pa.array(offsets), values)
    text = pc.binary_join(lists, "; ")
    return pc.if_else(pc.greater(pc.list_value_length(lists), 0), text, pa.scalar(None, pa.string()))


def distinct_pairs(events: np.ndarray, items: np.ndarray, keep: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct (event, item) pairs of the rows where keep holds (and both are known), sorted by event
    then item."""
    keep = keep & (events >= 0) & (items >= 0)
    pairs = np.unique(np.stack([events[keep], items[keep]]), axis=1)
    return pairs[0], pairs[1]


def _per_event_count(events: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(events, minlength=n)[:n]


class Estimates:
    """The event_estimates columns over the events table (validated, so in event_id order)."""

    def __init__(self, data: dict[str, TableData]):
        events, accounts, sources = data["events"], data["event_accounts"], data["sources"]
        self.event_ids = column(events, "event_id")
        n = self.n = len(self.event_ids)
        event = kernels.row_of(column(accounts, "event_id"), self.event_ids)
        source = kernels.row_of(column(accounts, "source_id"), column(sources, "source_id"))
        stance = kernels.one_chunk(account_stances(accounts, data["vocab_factuality"]))
        is_stance = {
            s: pc.fill_null(pc.equal(stance, s), False).to_numpy(zero_copy_only=False) for s in (ASSERTS, DENIES)
        }
        affirms = pc.fill_null(pc.is_in(stance, value_set=pa.array(AFFIRMING_STANCES)), False).to_numpy(
            zero_copy_only=False
        )
        self.accounts = _per_event_count(event[event >= 0], n)
        self.source_events, self.source_rows = distinct_pairs(event, source, np.ones(len(event), bool))
        self.sources = _per_event_count(self.source_events, n)
        # publishers: a source's publisher, or the source itself where it names none
        publisher = pc.coalesce(column(sources, "publisher"), column(sources, "source_id"))
        publisher_codes = pc.dictionary_encode(publisher).indices.to_numpy(zero_copy_only=False)
        asserting_publishers = _per_event_count(
            distinct_pairs(
                event, np.where(source >= 0, publisher_codes[np.maximum(source, 0)], -1), is_stance[ASSERTS]
            )[0],
            n,
        )
        affirmed = _per_event_count(event[affirms & (event >= 0)], n) > 0
        denied = _per_event_count(event[is_stance[DENIES] & (event >= 0)], n) > 0
        status = np.select(
            [
                affirmed & denied,
                affirmed & (asserting_publishers >= 2),
                affirmed & (asserting_publishers == 1),
                affirmed,
                denied,
            ],
            ["contested", "confirmed", "single_source", "claimed_only", "denied"],
            "unrealized",
        )
        self.status = pa.array(status.astype(object), pa.string())
        self.is_counted = affirmed & ~self._has_affirmed_part(data, affirmed)
        self._claimants(data, event)
        self._fatalities(accounts, event, affirms)
        self.first_account = np.full(n, -1, np.int64)  # accounts are in account_id order: the first row of each event
        rows = np.flatnonzero(event >= 0)
        first = rows[np.unique(event[rows], return_index=True)[1]]
        self.first_account[event[first]] = first

    def _has_affirmed_part(self, data: dict[str, TableData], affirmed: np.ndarray) -> np.ndarray:
        relations, vocab = data.get("event_relations"), data.get("vocab_event_relation")
        has = np.zeros(self.n, bool)
        if relations is None or vocab is None or not relations.num_rows:
            return has
        kinds = column(vocab, "relation")
        is_part = take(column(vocab, "is_part"), kernels.row_of(column(relations, "relation"), kinds))
        part = kernels.row_of(column(relations, "event_id"), self.event_ids)
        whole = kernels.row_of(column(relations, "related_event_id"), self.event_ids)
        edge = pc.fill_null(is_part, False).to_numpy(zero_copy_only=False) & (part >= 0) & (whole >= 0)
        has[whole[edge & affirmed[np.maximum(part, 0)]]] = True
        return has

    def _claimants(self, data: dict[str, TableData], event: np.ndarray) -> None:
        actors = data["actors"]
        claimant = kernels.row_of(column(data["event_accounts"], "claimed_by_actor_id"), column(actors, "actor_id"))
        events, rows = distinct_pairs(event, claimant, np.ones(len(event), bool))
        self.claimants = joined(events, take(column(actors, "name"), rows), self.n)

    def _fatalities(self, accounts: TableData, event: np.ndarray, affirms: np.ndarray) -> None:
        """low = least of the affirming accounts' lows (else bests), high = greatest of their highs (else
        bests), best = the lower median of their bests."""
        best = column(accounts, "fatalities_best")
        low = pc.coalesce(column(accounts, "fatalities_low"), best)
        high = pc.coalesce(column(accounts, "fatalities_high"), best)
        keep = affirms & (event >= 0)
        self.low, self.high = (
            self._extreme(event, values, keep, pick) for values, pick in ((low, np.min), (high, np.max))
        )
        valid = keep & pc.is_valid(best).to_numpy(zero_copy_only=False)
        values = pc.fill_null(best, 0).to_numpy(zero_copy_only=False)
        order = np.lexsort((values[valid], event[valid]))
        events, sorted_values = event[valid][order], values[valid][order]
        counts = _per_event_count(events, self.n)
        starts = np.r_[0, np.cumsum(counts)[:-1]]
        median = (
            sorted_values[np.minimum(starts + (counts - 1) // 2, max(len(sorted_values) - 1, 0))]
            if len(sorted_values)
            else np.zeros(self.n, np.int64)
        )
        self.best = pa.array(median, pa.int64(), mask=counts == 0)

    def _extreme(self, event: np.ndarray, values: pa.Array, keep: np.ndarray, pick: object) -> pa.Array:
        valid = keep & pc.is_valid(values).to_numpy(zero_copy_only=False)
        table = pa.table({"event": event[valid], "value": pc.filter(values, pa.array(valid))})
        name = "min" if pick is np.min else "max"
        grouped = table.group_by("event").aggregate([("value", name)])
        result = np.zeros(self.n, np.int64)
        present = np.zeros(self.n, bool)
        at = grouped.column("event").to_numpy()
        result[at] = grouped.column(f"value_{name}").to_numpy()
        present[at] = True
        return pa.array(result, pa.int64(), mask=~present)

    def columns(self, data: dict[str, TableData]) -> dict[str, pa.Array]:
        """The event_estimates view's columns."""
        source_ids = take(column(data["sources"], "source_id"), self.source_rows)
        return {
            "event_id": self.event_ids,
            "status": self.status,
            "is_counted": pa.array(self.is_counted),
            "number_of_sources": pa.array(self.sources),
            "number_of_accounts": pa.array(self.accounts),
            "source_ids": joined(self.source_events, source_ids, self.n),
            "claimants": self.claimants,
            "fatalities_low": self.low,
            "fatalities_best": self.best,
            "fatalities_high": self.high,
        }

    def per_source(self, values: pa.Array) -> pa.Array:
        """For each event, `values` (a column over the sources table) of its sources, in source_id order,
        joined by '; ' (nulls skipped)."""
        picked = take(values, self.source_rows)
        valid = pc.is_valid(picked).to_numpy(zero_copy_only=False)
        return joined(self.source_events[valid], pc.filter(picked, pa.array(valid)), self.n)
