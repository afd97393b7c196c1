"""The generic typed load: every kind's accepted spellings, its reject reasons, keys and checks."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pytest

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.model.load import (
    Check,
    Field,
    LoadSpec,
    detect_date_format,
    install_macros,
    lit,
    load,
)
from crossfoot.model.mapping import Kind

REJECTS = "source_system VARCHAR, source_file VARCHAR, source_line BIGINT, \"table\" VARCHAR, " \
          "field VARCHAR, value VARCHAR, reason VARCHAR"  # fmt: skip


@pytest.fixture(scope="module")
def backend() -> Iterator[DuckDBBackend]:
    b = DuckDBBackend()
    install_macros(b.sql)
    yield b
    b.close()


def raw_table(
    backend: DuckDBBackend, rows: Sequence[tuple[Any, ...]], columns: Sequence[str]
) -> None:
    """Temp table raw(source_file, source_line, _file_no, *columns) with lines 2, 3, ..."""
    cols = ", ".join(f'"{c}" VARCHAR' for c in columns)
    backend.sql(
        f"CREATE OR REPLACE TEMP TABLE raw (source_file VARCHAR, source_line BIGINT, _file_no INT, {cols})"
    )
    for i, row in enumerate(rows):
        file, no = ("b.json", 1) if isinstance(row, Paged) else ("a.csv", 0)
        values = ", ".join("NULL" if v is None else lit(v) for v in row)
        backend.sql(f"INSERT INTO raw VALUES ({lit(file)}, {i + 2}, {no}, {values})")


class Paged(tuple):  # type: ignore[type-arg]
    """A row that comes from a second file (b.json)."""


def run(
    backend: DuckDBBackend, spec: LoadSpec, fmt: str = "YYYY-MM-DD"
) -> tuple[dict[int, Any], dict[int, dict[str, Any]]]:
    backend.sql(f"CREATE OR REPLACE TEMP TABLE rej ({REJECTS})")
    load(backend.sql, spec, out="out", rejects="rej", date_format=fmt)
    names = [f.name for f in spec.fields]
    loaded = {
        r[0]: r[1:]
        for r in backend.sql(f"SELECT source_line, {', '.join(names)} FROM out").fetchall()
    }
    cur = backend.sql("SELECT source_line, field, value, reason FROM rej")
    rejects = {r[0]: {"field": r[1], "value": r[2], "reason": r[3]} for r in cur.fetchall()}
    return loaded, rejects


def parse(backend: DuckDBBackend, kind: Kind, values: Sequence[str | None], *, fmt: str = "YYYY-MM-DD",
          required: bool = False, lookup: str | None = None) -> list[Any]:  # fmt: skip
    """Each value parsed as ``kind``: the typed value, or ('reject', reason)."""
    raw_table(backend, [(v,) for v in values], ["v"])
    spec = LoadSpec(
        "test", "Obj", "raw AS b", (Field("x", "b.v", kind, "Amount", required, lookup),)
    )
    loaded, rejects = run(backend, spec, fmt)
    out = []
    for i in range(len(values)):
        line = i + 2
        out.append(loaded[line][0] if line in loaded else ("reject", rejects[line]["reason"]))
        assert (line in loaded) != (line in rejects)
    return out


MONEY_OK = {
    "1234.56": "1234.56", "1,234.56": "1234.56", "$1,234.56": "1234.56", "USD 1234.56": "1234.56",
    "USD1234.56": "1234.56", "(1,234.56)": "-1234.56", "-1234.56": "-1234.56", "$-5": "-5.00",
    "-$5": "-5.00", "12 EUR": "12.00", "€1,234.00": "1234.00", "£7": "7.00", ".5": "0.50", "5.": "5.00",
    "1234.5600": "1234.56", "0": "0.00", " 42 ": "42.00", "( $ 1,000,000.01 )": "-1000000.01",
    "9999999999999.99": "9999999999999.99", "-0.01": "-0.01", "007": "7.00",
}  # fmt: skip
MONEY_BAD = {
    "NaN": "is not a number", "nan": "is not a number", "Infinity": "is not a number",
    "-Infinity": "is not a number", "N/A": "is not a number", "1e5": "is not a number",
    "1,23": "is not a number", "1.234.56": "is not a number", "(-5)": "is not a number",
    "--5": "is not a number", "$": "is not a number", "(5": "is not a number", "12abc": "is not a number",
    "1.234": "has more than 2 decimal places", "12345678901234567.00": "is out of range (an amount must be below 10,000,000,000,000 in size)",
    "10000000000000.00": "is out of range (an amount must be below 10,000,000,000,000 in size)",
    "-00010000000000000": "is out of range (an amount must be below 10,000,000,000,000 in size)",
    "1,234.5,6": "is not a number",
}  # fmt: skip


def test_money_spellings_parse_exactly(backend):
    got = parse(backend, "money", list(MONEY_OK))
    assert got == [Decimal(v) for v in MONEY_OK.values()]
    assert all(isinstance(g, Decimal) for g in got)


def test_money_rejects_name_field_value_and_problem(backend):
    got = parse(backend, "money", list(MONEY_BAD))
    expected = [("reject", f"field 'Amount': '{v.strip()}' {why}") for v, why in MONEY_BAD.items()]
    assert got == expected


def test_empty_money_is_null_unless_required(backend):
    assert parse(backend, "money", ["", None, "  "]) == [None, None, None]
    assert parse(backend, "money", ["", "1"], required=True) == [
        ("reject", "field 'Amount' is empty"),
        Decimal("1"),
    ]


def test_rates_and_quantities_keep_their_scale(backend):
    assert parse(backend, "rate", ["1.08123456", "0.5", "1.081234567"]) == [
        Decimal("1.08123456"), Decimal("0.5"), ("reject", "field 'Amount': '1.081234567' has more than 8 decimal places"),
    ]  # fmt: skip
    assert parse(backend, "quantity", ["2.5", "1,000", "0.00001"]) == [
        Decimal("2.5"), Decimal("1000"), ("reject", "field 'Amount': '0.00001' has more than 4 decimal places"),
    ]  # fmt: skip


DATES = [
    ("YYYY-MM-DD", "2026-03-31", date(2026, 3, 31)),
    ("YYYY-MM-DD", "2026-3-5", date(2026, 3, 5)),
    ("YYYY-MM-DD", "2026-03-31T00:00:00.000+0000", date(2026, 3, 31)),
    ("YYYY-MM-DD", "2017-05-07 0:00:00", date(2017, 5, 7)),  # Fivetran NetSuite seeds
    ("YYYY-MM-DD", "2026-02-30", None),
    ("YYYY-MM-DD", "26-03-31", None),
    ("YYYY-MM-DD", "3/31/2026", None),
    ("M/D/YYYY", "3/31/2026", date(2026, 3, 31)),
    ("M/D/YYYY", "12/1/2026", date(2026, 12, 1)),
    ("M/D/YYYY", "3/31/2026 0:00:00", date(2026, 3, 31)),
    ("M/D/YYYY", "2/30/2026", None),
    ("M/D/YYYY", "2/29/2024", date(2024, 2, 29)),
    ("M/D/YYYY", "2/29/2026", None),
    ("M/D/YYYY", "3/31/26", None),
    ("M/D/YYYY", "31/3/2026", None),
    ("D/M/YYYY", "31/3/2026", date(2026, 3, 31)),
    ("D.M.YYYY", "31.3.2026", date(2026, 3, 31)),
    ("D.M.YYYY", "31.02.2026", None),
    ("D-MON-YYYY", "31-Mar-2026", date(2026, 3, 31)),
    ("D-MON-YYYY", "1-JAN-2026", date(2026, 1, 1)),
    ("D-MON-YYYY", "1-Foo-2026", None),
]


@pytest.mark.parametrize("fmt", sorted({d[0] for d in DATES}))
def test_dates_in_each_format(backend, fmt):
    cases = [(v, want) for f, v, want in DATES if f == fmt]
    got = parse(backend, "date", [v for v, _ in cases], fmt=fmt)
    expected = [
        want or ("reject", f"field 'Amount': '{v}' is not a valid date (expected {fmt})")
        for v, want in cases
    ]
    assert got == expected


DATETIMES = [
    ("YYYY-MM-DD", "2026-03-31T12:00:00.000+0000", datetime(2026, 3, 31, 12, 0)),
    ("YYYY-MM-DD", "2026-03-31T12:00:00Z", datetime(2026, 3, 31, 12, 0)),
    ("YYYY-MM-DD", "2026-03-31T12:00:00.123Z", datetime(2026, 3, 31, 12, 0, 0, 123000)),
    ("YYYY-MM-DD", "2026-03-31T14:30:00+02:00", datetime(2026, 3, 31, 12, 30)),
    ("YYYY-MM-DD", "2026-03-31T01:00:00.000-0500", datetime(2026, 3, 31, 6, 0)),
    ("YYYY-MM-DD", "2017-05-07 0:00:00", datetime(2017, 5, 7)),
    ("YYYY-MM-DD", "2017-05-12 3:41:25", datetime(2017, 5, 12, 3, 41, 25)),
    ("YYYY-MM-DD", "2026-03-31", datetime(2026, 3, 31)),
    ("YYYY-MM-DD", "2026-03-31 25:00:00", None),
    ("YYYY-MM-DD", "2026-02-30T00:00:00Z", None),
    ("YYYY-MM-DD", "yesterday", None),
    ("M/D/YYYY", "3/31/2026 1:05 pm", datetime(2026, 3, 31, 13, 5)),
    ("M/D/YYYY", "3/31/2026 12:05 AM", datetime(2026, 3, 31, 0, 5)),
    ("M/D/YYYY", "3/31/2026 12:05 PM", datetime(2026, 3, 31, 12, 5)),
    ("M/D/YYYY", "3/31/2026 13:00 pm", None),
    ("M/D/YYYY", "3/31/2026", datetime(2026, 3, 31)),
]


@pytest.mark.parametrize("fmt", ["YYYY-MM-DD", "M/D/YYYY"])
def test_datetimes_are_utc(backend, fmt):
    cases = [(v, want) for f, v, want in DATETIMES if f == fmt]
    got = parse(backend, "datetime", [v for v, _ in cases], fmt=fmt)
    assert got == [
        want or ("reject", f"field 'Amount': '{v}' is not a valid date-time ({fmt})")
        for v, want in cases
    ]


def test_booleans_currencies_and_domains(backend):
    assert parse(backend, "bool", ["T", "F", "true", "FALSE", "", "X"]) == [
        True, False, True, False, None, ("reject", "field 'Amount': 'X' is not T/F or true/false"),
    ]  # fmt: skip
    assert parse(backend, "currency", ["usd", "EUR", "US$", ""]) == [
        "USD", "EUR", ("reject", "field 'Amount': 'US$' is not a three-letter currency code"), None,
    ]  # fmt: skip
    assert parse(backend, "domain", [
        "https://www.acme.com/about", "ap@Acme.com", "WWW.Beta.IO", "acme.com:8080/x", "http://sub.x.org?q=1",
    ]) == ["acme.com", "acme.com", "beta.io", "acme.com", "sub.x.org"]  # fmt: skip


def test_currency_ids_resolve_through_a_lookup(backend):
    raw_table(backend, [("1",), ("usd",), ("9",)], ["v"])
    backend.sql("CREATE OR REPLACE TEMP TABLE cur AS SELECT '1' AS id, 'EUR' AS symbol")
    source = "raw AS b LEFT JOIN cur c ON c.id = b.v"
    spec = LoadSpec(
        "t", "Obj", source, (Field("x", "b.v", "currency", "currency", lookup="c.symbol"),)
    )
    loaded, rejects = run(backend, spec)
    assert loaded == {2: ("EUR",), 3: ("USD",)}
    assert (
        rejects[4]["reason"]
        == "field 'currency': '9' is not a three-letter currency code or an id in the currency export"
    )


def test_first_bad_field_is_named_then_checks_then_duplicates(backend):
    rows = [("A", "1", "2026-01-01"), ("B", "x", "bad"), ("C", "1", "bad"), ("A", "2", "2026-01-01"),
            ("C", "-3", "2026-01-01"), ("", "1", "2026-01-01"), Paged(("A", "4", "2026-01-01"))]  # fmt: skip
    raw_table(backend, rows, ["id", "amount", "day"])
    spec = LoadSpec(
        "t", "Obj", "raw AS b",
        (Field("id", "b.id", "id", "Id", True), Field("amount", "b.amount", "money", "Amount"),
         Field("day", "b.day", "date", "Day")),
        key=("id",),
        checks=(Check("amount < 0", "Amount", "_v_amount", "'field ''Amount'' must not be negative'"),),
    )  # fmt: skip
    loaded, rejects = run(backend, spec)
    assert loaded == {2: ("A", Decimal("1.00"), date(2026, 1, 1))}
    assert {line: (r["field"], r["value"], r["reason"]) for line, r in rejects.items()} == {
        3: ("Amount", "x", "field 'Amount': 'x' is not a number"),
        4: ("Day", "bad", "field 'Day': 'bad' is not a valid date (expected YYYY-MM-DD)"),
        5: ("Id", "A", "duplicate id 'A', first at line 2"),
        6: ("Amount", "-3", "field 'Amount' must not be negative"),
        7: ("Id", None, "field 'Id' is empty"),
        8: ("Id", "A", "duplicate id 'A', first at a.csv:2"),
    }


def test_composite_keys_and_custom_duplicate_text(backend):
    raw_table(backend, [("1", "10"), ("2", "10"), ("1", "10")], ["line", "doc"])
    fields = (
        Field("line_id", "b.line", "id", "id", True),
        Field("doc_id", "b.doc", "id", "transaction", True),
    )
    spec = LoadSpec("t", "Obj", "raw AS b", fields, key=("doc_id", "line_id"),
                    duplicate="'line ''' || line_id || ''' of transaction ''' || doc_id || ''''")  # fmt: skip
    loaded, rejects = run(backend, spec)
    assert sorted(loaded) == [2, 3]
    assert rejects[4]["reason"] == "duplicate line '1' of transaction '10', first at line 2"
    assert rejects[4]["value"] == "10/1"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["3/31/2026", "4/1/2026"], "M/D/YYYY"),
        (["1/2/2026", "2/1/2026"], "M/D/YYYY"),  # ambiguous: month first
        (["13/1/2026", "1/2/2026"], "D/M/YYYY"),
        (["2026-01-02", None, ""], "YYYY-MM-DD"),
        (["2017-05-07 0:00:00", "2015-09-10 0:00:00"], "YYYY-MM-DD"),
        (["2026-03-31T12:00:00.000+0000"], "YYYY-MM-DD"),
        (["31.3.2026"], "D.M.YYYY"),
        (["31-Mar-2026", "1-OCT-2026"], "D-MON-YYYY"),
        (
            ["3/31/2026", "3/30/2026", "2026-01-01"],
            "M/D/YYYY",
        ),  # the majority wins; the rest is rejected
        ([None], "YYYY-MM-DD"),
    ],
)
def test_date_format_detection(backend, values, expected):
    raw_table(backend, [(v,) for v in values], ["v"])
    assert detect_date_format(backend.sql, "raw AS b", ["b.v"], "auto") == expected
    assert detect_date_format(backend.sql, "raw AS b", ["b.v"], "D.M.YYYY") == "D.M.YYYY"


@pytest.mark.parametrize("kind", ["date", "datetime"])
def test_years_python_cannot_hold_are_out_of_range(backend, kind):
    # DuckDB reads year 0 (and a UTC shift into year 10000); a close date there
    # crashed the run where Python took the value
    values = ["0000-01-01", "0000-06-30T00:00:00.000+0000", "0001-01-01"]
    out = "is out of range (years 1 to 9999)"
    first = date(1, 1, 1) if kind == "date" else datetime(1, 1, 1)
    assert parse(backend, kind, values) == [
        ("reject", f"field 'Amount': '{values[0]}' {out}"),
        ("reject", f"field 'Amount': '{values[1]}' {out}"),
        first,
    ]
    if kind == "datetime":
        late = "9999-12-31T23:59:59.000-0500"  # 10000-01-01 in UTC
        assert parse(backend, kind, [late]) == [("reject", f"field 'Amount': '{late}' {out}")]
