"""Foreign keys: every reference names an existing row (controlled values and ACLED pairs included)."""

from __future__ import annotations

from collections.abc import Iterator

import pyarrow as pa
import pyarrow.compute as pc

from ..io.csvfile import TableData
from ..model.problems import Problem
from .context import Context, all_of, any_of

SEPARATOR = "\x1f"  # joins the parts of a composite key: a control character no valid cell holds


def key_values(data: TableData, fields: tuple[str, ...]) -> pa.Array:
    """The key of each row, its parts joined (null when any part is empty)."""
    columns = [data.column(f) for f in fields]
    return columns[0] if len(columns) == 1 else pc.binary_join_element_wise(*columns, SEPARATOR)


def check_foreign_keys(ctx: Context) -> Iterator[Problem]:
    for data in ctx.data.values():
        for fk in data.table.foreign_keys:
            parent = ctx.data.get(fk.resource)
            if parent is None:
                continue  # the parent's own problems are reported; nothing to look up against
            keys = key_values(data, fk.fields)
            missing = pc.and_(
                pc.is_valid(keys),
                pc.invert(pc.is_in(keys, value_set=pc.drop_null(key_values(parent, fk.reference_fields)))),
            )
            label, target = ",".join(fk.fields), f"{fk.resource}.{','.join(fk.reference_fields)}"
            yield from data.problems_at(
                missing,
                label,
                "foreign-key",
                lambda row, keys=keys, target=target: f"{_spelled(keys, row)!r} is not a value of {target}",
                lambda row, keys=keys: _spelled(keys, row),
            )
            if len(fk.fields) > 1:
                present = [pc.is_valid(data.column(f)) for f in fk.fields]
                yield from data.problems_at(
                    pc.and_(any_of(present), pc.invert(all_of(present))),
                    label,
                    "foreign-key-partial",
                    f"set all of ({label}) or none of them",
                )


def _spelled(keys: pa.Array, row: int) -> str:
    return keys[row].as_py().replace(SEPARATOR, " / ")
