"""The column-wise CSV serialiser against the stdlib's csv.writer (QUOTE_MINIMAL, LF), the form fmt
and build write: empty columns anywhere (joined into constants before the join), cells needing
quotes, and rows of one column."""

import csv
import io
import random

import pyarrow as pa

from karabakh_data.fmt import serialize_bytes

ALPHABET = ["a", "b", " ", ",", '"', "\n", "é", "1"]


def _expected(header, columns):
    buffer = io.StringIO()
    rows = [["" if column[i] is None else column[i] for column in columns] for i in range(len(columns[0]))]
    csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_MINIMAL).writerows([header, *rows])
    return buffer.getvalue().encode("utf-8")


def test_serialised_bytes_equal_the_csv_writer_with_empty_columns_anywhere():
    rng = random.Random(7)
    for _ in range(300):
        width, rows = rng.randint(1, 7), rng.randint(1, 12)
        empty = [rng.random() < 0.5 for _ in range(width)]  # runs of empty columns at either end or inside
        columns = [[None] * rows if is_empty else
                   [None if rng.random() < 0.2 else "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 4)))
                    for _ in range(rows)] for is_empty in empty]
        header = [f"c{k}" for k in range(width)]
        head, body = serialize_bytes(header, [pa.array(c, pa.string()) for c in columns])
        assert head + bytes(body) == _expected(header, columns), (header, columns)
