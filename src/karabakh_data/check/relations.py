"""Event relations: a relation joins two different events, and parts never form a cycle (a whole that
is, through its parts, part of itself could not be counted). Which relation makes a part is read from
vocab_event_relation.is_part."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .. import kernels
from ..model.problems import Omitted, Problem
from .context import Context, lookup


def part_edges(ctx: Context) -> list[tuple[int, str, str]]:
    """(row, part, whole) of each relation that makes event_id a part of related_event_id."""
    relations, vocab = ctx.data.get("event_relations"), ctx.data.get("vocab_event_relation")
    if relations is None or vocab is None:
        return []
    is_part = pc.fill_null(lookup(relations.column("relation"), vocab, "relation", "is_part"), False)
    rows = kernels.true_rows(is_part)
    picked = pa.array(rows, pa.int64())
    parts = pc.take(relations.column("event_id"), picked).to_pylist()
    wholes = pc.take(relations.column("related_event_id"), picked).to_pylist()
    return list(zip(rows, parts, wholes))


def cycle_rows(edges: list[tuple[int, str, str]]) -> set[int]:
    """The rows of the edges that lie on a cycle of parts (a depth-first search, iterative so that a
    long chain cannot exhaust Python's stack)."""
    children: dict[str, list[tuple[int, str]]] = {}
    for row, part, whole in edges:
        children.setdefault(part, []).append((row, whole))
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    on_cycle: set[int] = set()
    for start in sorted(children):
        if state.get(start):
            continue
        stack = [(start, -1, iter(children.get(start, [])))]  # (node, row of the edge that reached it, edges left)
        state[start] = 1
        while stack:
            node, _, pending = stack[-1]
            step = next(pending, None)
            if step is None:
                state[node] = 2
                stack.pop()
                continue
            row, whole = step
            if state.get(whole) == 1:  # back to a node on the path: every edge from it onwards is on the cycle
                at = next(i for i, (n, _, _) in enumerate(stack) if n == whole)
                on_cycle.update(r for _, r, _ in stack[at + 1 :])
                on_cycle.add(row)
            elif not state.get(whole):
                state[whole] = 1
                stack.append((whole, row, iter(children.get(whole, []))))
    return on_cycle


def check_relations(ctx: Context) -> Iterator[Problem | Omitted]:
    relations = ctx.data.get("event_relations")
    if relations is None:
        return
    same = pc.fill_null(pc.equal(relations.column("event_id"), relations.column("related_event_id")), False)
    yield from relations.problems_at(same, "related_event_id", "relation-self", "an event cannot be related to itself")
    self_rows = set(kernels.true_rows(same))
    yield from relations.problems_at(
        np.array(sorted(cycle_rows([e for e in part_edges(ctx) if e[0] not in self_rows])), dtype=np.int64),
        "related_event_id",
        "relation-cycle",
        "the parts form a cycle: an event would be, through its parts, a part of itself",
    )
