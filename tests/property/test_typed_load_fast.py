"""The typed load's fast paths change no result: on any mix of values, messy or plain,
the fast load and the reference parse (``fast=False``) accept the same rows with the
same typed values and reject the same rows with the same field, value and reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.model.load import DATE_FORMATS, Field, LoadSpec, install_macros, lit, load

REJECTS = "source_system VARCHAR, source_file VARCHAR, source_line BIGINT, \"table\" VARCHAR, " \
          "field VARCHAR, value VARCHAR, reason VARCHAR"  # fmt: skip


def digits(lo: int, hi: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=lo, max_size=hi)


space = st.sampled_from(["", "", "", "", "", "", " ", "  ", "\t", "\u00a0"])
# numbers: plain, at and beyond the bounds, with decorations, and not numbers at all
plain_number = st.builds(
    lambda sign, whole, point, frac: sign + whole + (point + frac if point else ""),
    st.sampled_from(["", "", "-", "+", "- "]),
    digits(0, 20),
    st.sampled_from(["", ".", "."]),
    st.one_of(digits(0, 10), st.builds(lambda d, z: d + z, digits(0, 9), st.sampled_from(["0", "00", "0000000000"]))),
)
decorated_number = st.builds(
    lambda open_, cur, num, close, suffix: open_ + cur + num + close + suffix,
    st.sampled_from(["", "", "(", "-", "( "]),
    st.sampled_from(["", "$", "€", "USD ", "EUR", "£ ", "USD-"]),
    st.one_of(plain_number, st.builds(lambda a, b: a + "," + b, digits(1, 4), digits(0, 4)),
              st.sampled_from(["1,234.56", "12,345,678.9", "1,23", ".5", "5.", "1e5", "0x10", "NaN", "inf"])),
    st.sampled_from(["", "", ")", " )"]),
    st.sampled_from(["", "", " EUR", "USD", " usd"]),
)
garbage = st.text("0123456789-+.,$€()EUSDNA/ eT:Z", max_size=25)
numbers = st.one_of(plain_number, decorated_number, garbage, st.none())

# dates in every format: plain, out of range, with a time suffix, in another format
date_part = st.builds(
    lambda y, m, d, sep, order: sep.join([y, m, d] if order else [d, m, y]),
    digits(1, 5), digits(1, 3), digits(1, 3), st.sampled_from(["-", "/", ".", "-"]), st.booleans(),
)
valid_date = st.dates().flatmap(
    lambda d: st.sampled_from([d.isoformat(), f"{d.month}/{d.day}/{d.year}", f"{d.day}/{d.month}/{d.year}",
                               f"{d.day}.{d.month}.{d.year}", d.strftime("%d-%b-%Y"), d.strftime("%m/%d/%Y")])
)
time_part = st.builds(
    lambda sep, h, mi, s, f, ap, tz: f"{sep}{h}:{mi}{s}{f}{ap}{tz}",
    st.sampled_from(["T", " ", "T"]),
    digits(1, 2), digits(2, 2),
    st.sampled_from(["", ":00", ":59", ":60", ":5"]),
    st.sampled_from(["", ".000", ".123", ".1", ".1234567", ".999999999"]),
    st.sampled_from(["", "", " AM", "pm"]),
    st.sampled_from(["", "Z", "+0000", "-0530", "+05:30", "+1", "+2400", "-9999"]),
)
dates = st.one_of(
    valid_date, date_part, st.builds(lambda d, t: d + t, st.one_of(valid_date, date_part), time_part),
    garbage, st.none(),
)
# date-times: Salesforce's own spelling (the fast path) and its neighbours
salesforce = st.builds(
    lambda d, h, mi, s, f, tz: f"{d}T{h}:{mi}:{s}.{f}{tz}",
    st.one_of(st.dates().map(lambda d: d.isoformat()), st.builds(lambda y, m, d: f"{y}-{m}-{d}", digits(4, 4), digits(2, 2), digits(2, 2))),
    st.sampled_from(["00", "09", "12", "19", "20", "23", "24", "29"]),
    st.sampled_from(["00", "59", "60"]) | digits(2, 2),
    st.sampled_from(["00", "59", "60", "99"]) | digits(2, 2),
    st.sampled_from(["000", "127"]) | digits(3, 3),
    st.builds(lambda sign, hh, mm: sign + hh + mm, st.sampled_from(["+", "-"]),
              st.sampled_from(["00", "05", "14", "99"]) | digits(2, 2), st.sampled_from(["00", "30", "45", "99"])),
)
datetimes = st.one_of(salesforce, salesforce, salesforce, dates)
values = st.builds(lambda pre, v, post: None if v is None else pre + v + post, space, st.none(), space)
ids = st.sampled_from(["A", "B", "C", "D", "E", "F", " A", None])


def padded(strategy: st.SearchStrategy[str | None]) -> st.SearchStrategy[str | None]:
    return st.builds(lambda pre, v, post: None if v is None else pre + v + post, space, strategy, space)


KINDS = (("amount", "money"), ("rate", "rate"), ("qty", "quantity"), ("day", "date"), ("moment", "datetime"))
rows = st.lists(
    st.tuples(ids, padded(numbers), padded(numbers), padded(numbers), padded(dates), padded(datetimes)),
    min_size=1, max_size=30,
)


@pytest.fixture(scope="module")
def backend() -> Iterator[DuckDBBackend]:
    b = DuckDBBackend()
    install_macros(b.sql)
    yield b
    b.close()


def loaded(backend: DuckDBBackend, spec: LoadSpec, fmt: str, *, fast: bool) -> tuple[list[Any], list[Any]]:
    out = "fast" if fast else "ref"
    backend.sql(f"CREATE OR REPLACE TEMP TABLE rej_{out} ({REJECTS})")
    load(backend.sql, spec, out=out, rejects=f"rej_{out}", date_format=fmt, fast=fast)
    accepted = backend.sql(f"SELECT * FROM {out} ORDER BY source_line").fetchall()
    rejected = backend.sql(f"SELECT * FROM rej_{out} ORDER BY source_line").fetchall()
    return accepted, rejected


#: the edges of the fast paths: the largest plain values, one digit more, trailing zeros,
#: leading zeros, the hour DuckDB's cast reads as the next day, year 0
EDGES = [
    ("A", "9999999999999.99", "9999999999.99999999", "99999999999999.9999", "0000-01-01",
     "2023-01-01T24:00:00.000+0000"),
    ("B", "10000000000000", "10000000000", "100000000000000", "2024-02-29",
     "2024-02-29T23:59:59.999-2359"),
    ("C", "1.230", "0.123456789", "00000000000000000001.5", "2023-02-29",
     "2023-02-29T00:00:00.000+0000"),
    ("D", "-0.001", "1.", ".5", "2024-1-05", "0000-01-01T00:00:60.000+0000"),
]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(rows=EDGES, fmt="YYYY-MM-DD", keyed=True)
@example(rows=EDGES, fmt="D.M.YYYY", keyed=False)
@given(rows=rows, fmt=st.sampled_from(sorted(DATE_FORMATS)), keyed=st.booleans())
def test_fast_and_reference_load_agree(
    backend: DuckDBBackend, rows: list[tuple[str | None, ...]], fmt: str, keyed: bool
) -> None:
    cols = ", ".join(f"c{i} VARCHAR" for i in range(6))
    backend.sql(f"CREATE OR REPLACE TEMP TABLE raw (source_file VARCHAR, source_line BIGINT, _file_no INT, {cols})")
    tuples = ", ".join(
        f"('a.csv', {i + 2}, 0, " + ", ".join("NULL" if v is None else lit(v) for v in row) + ")"
        for i, row in enumerate(rows)
    )
    backend.sql(f"INSERT INTO raw VALUES {tuples}")
    # one field at a time: a row's reject names its first bad field only, which would
    # hide how the fields after it were parsed
    for i, (name, kind) in enumerate(KINDS):
        fields = (
            Field("id", "b.c0", "id", "Id", required=keyed),
            Field(name, f"b.c{i + 1}", kind, name.title(), required=name == "amount"),  # type: ignore[arg-type]
        )
        spec = LoadSpec("test", "Obj", "raw AS b", fields, key=("id",) if keyed else ())
        # dates also in ISO, the format with the most fast paths
        for date_format in {fmt, "YYYY-MM-DD"} if kind in ("date", "datetime") else {fmt}:
            fast = loaded(backend, spec, date_format, fast=True)
            reference = loaded(backend, spec, date_format, fast=False)
            assert fast == reference, (name, date_format)
