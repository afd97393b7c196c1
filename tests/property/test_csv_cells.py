"""The CSV files DuckDB writes hold, byte for byte, what Python's csv module writes
from ``safe.format_cell``: the one rule for a cell (exact money, ISO dates, formula-
safe text, empty for null) cannot drift between the two writers."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from crossfoot.outputs.csv import write_rows
from crossfoot.outputs.safe import format_cell
from crossfoot.outputs.view import Rows

COLUMNS = ("text", "amount", "day", "moment", "score", "flag", "count")
TYPES = (
    pa.string(),
    pa.decimal128(18, 2),
    pa.date32(),
    pa.timestamp("us", tz="UTC"),
    pa.float64(),
    pa.bool_(),
    pa.int64(),
)

texts = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs",)) | st.sampled_from("=+-@#\t\r\n,\"' "),
    max_size=12,
)
cents = st.integers(-(10**15), 10**15).map(lambda c: Decimal(c).scaleb(-2))
moments = st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC))
scores = st.floats(allow_nan=False, allow_infinity=False, width=64)
rows = st.lists(
    st.tuples(
        st.none() | texts,
        st.none() | cents,
        st.none() | st.dates(date(1900, 1, 1), date(2999, 12, 31)),
        st.none() | moments,
        st.none() | scores,
        st.none() | st.booleans(),
        st.none() | st.integers(-(2**62), 2**62),
    ),
    max_size=20,
)


def python_csv(columns: tuple[str, ...], values: list[tuple[object, ...]]) -> bytes:
    """The reference: Python's csv module over ``format_cell``, lines ending in ``\\n``.

    Its writer quotes a field holding any character of the line terminator, so it is
    given ``\\r\\n`` (a bare ``\\r`` must be quoted too: readers take it for a line
    break) and each line's terminator is then replaced by ``\\n``. DuckDB also quotes
    a field holding ``#`` (readers that take ``#`` for a comment then keep it a value):
    such a field is marked so that the csv module quotes it, and the mark removed.
    """
    lines = []
    for row in [columns, *values]:
        buffer = io.StringIO(newline="")
        cells = [v if row is columns else format_cell(v, c) for v, c in zip(row, columns, strict=True)]  # type: ignore[arg-type]
        marked = [f"{c}{_MARK}" if isinstance(c, str) and "#" in c else c for c in cells]
        csv.writer(buffer, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL).writerow(marked)
        lines.append(buffer.getvalue().replace(_MARK, "").removesuffix("\r\n") + "\n")
    return "".join(lines).encode("utf-8")


#: a line break the csv module must quote, in no generated text (they are at most 12 long)
_MARK = "\n" * 13


@settings(max_examples=60, deadline=None)
@given(values=rows)
def test_duckdb_writes_what_format_cell_writes(tmp_path_factory, values) -> None:  # type: ignore[no-untyped-def]
    columns = [pa.array([r[i] for r in values], TYPES[i]) for i in range(len(COLUMNS))]
    table = Rows(COLUMNS, pa.table(columns, names=list(COLUMNS)))
    path: Path = tmp_path_factory.mktemp("csv") / "cells.csv"
    write_rows(table, path)
    # what matters is the cells: an empty text and a null are both an empty cell
    assert path.read_bytes() == python_csv(COLUMNS, [tuple(None if v == "" else v for v in r) for r in values])
