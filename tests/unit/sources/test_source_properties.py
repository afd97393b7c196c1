"""Properties of the CSV readers on random files: nothing is lost, every cent and line is exact."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from source_fixtures import OPPORTUNITY_HEADER, company, load

CENTS = st.integers(min_value=-(10**12), max_value=10**12)


@st.composite
def amount_text(draw: st.DrawFn) -> tuple[str, Decimal | None, bool]:
    """(text, value, valid): a money value in one of its accepted spellings, or not a number."""
    if draw(st.integers(0, 5)) == 0:
        bad = draw(
            st.sampled_from(
                ["NaN", "Infinity", "-Infinity", "N/A", "1e5", "12abc", "1.234", "--1", "(-2)"]
            )
        )
        return bad, None, False
    if draw(st.integers(0, 9)) == 0:
        return "", None, True
    value = Decimal(draw(CENTS)) / 100
    plain = f"{abs(value):.2f}"
    grouped = f"{abs(value):,.2f}"
    neg = value < 0
    spelled = draw(st.sampled_from([
        ("-" if neg else "") + plain, ("-" if neg else "") + grouped, ("-$" if neg else "$") + grouped,
        ("USD -" if neg else "USD ") + plain, f"({grouped})" if neg else grouped, f" {'-' if neg else ''}{plain} ",
    ]))  # fmt: skip
    return spelled, value, True


@st.composite
def date_text(draw: st.DrawFn) -> tuple[str, bool]:
    if draw(st.integers(0, 7)) == 0:
        return draw(st.sampled_from(["2026-02-30", "soon", "2026-13-01", "31/12/2026", ""])), False
    d = draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2035, 12, 31)))
    return d.isoformat(), True


NAMES = st.text(alphabet=st.sampled_from(list('ab ,"\n;é€')), max_size=12)


@dataclass
class Row:
    id: str
    name: str
    day: str
    day_ok: bool
    amount: str
    value: Decimal | None
    amount_ok: bool
    short: bool  # a field is missing: a malformed record
    blanks: tuple[str, ...]  # blank or blank-looking lines written before the row


ROWS = st.builds(
    lambda i, name, d, a, short, blanks: Row(
        f"006{i:03d}", name, d[0], d[1], a[0], a[1], a[2], short, blanks
    ),
    st.integers(0, 40),
    NAMES,
    date_text(),
    amount_text(),
    st.integers(0, 12).map(lambda n: n == 0),
    st.lists(st.sampled_from(["", " ", "\t "]), max_size=2).map(tuple),
)


def render(rows: list[Row], newline: str) -> tuple[str, dict[int, int]]:
    """The CSV text and the physical line where each row starts."""
    out = io.StringIO()
    out.write(OPPORTUNITY_HEADER + newline)
    starts, line = {}, 2
    for n, r in enumerate(rows):
        fields = [r.id, "001A", r.name, "Closed Won", r.day, r.amount][: 5 if r.short else 6]
        for blank in r.blanks:
            out.write(blank + newline)
            line += 1
        buf = io.StringIO()
        csv.writer(buf, lineterminator=newline).writerow(fields)
        text = buf.getvalue()
        starts[n] = line
        line += text.count("\n")
        out.write(text)
    return out.getvalue(), starts


@settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(ROWS, max_size=30), newline=st.sampled_from(["\n", "\r\n"]), tmp=st.uuids())
def test_random_opportunity_files(
    tmp_path: Path, rows: list[Row], newline: str, tmp: object
) -> None:
    text, starts = render(rows, newline)
    root = tmp_path / str(tmp)
    loaded = load(company(root, sf={"Opportunity.csv": text.encode("utf-8")}))
    try:
        # the oracle: a row loads when well formed, typed, and the first valid row of its id
        seen: set[str] = set()
        expected: dict[str, tuple[int, Decimal | None]] = {}
        for n, r in enumerate(rows):
            if r.short or not r.day_ok or not r.amount_ok or r.id in seen:
                continue
            seen.add(r.id)
            expected[r.id] = (starts[n], r.value)
        deals = {d["deal_id"]: (d["source_line"], d["amount"]) for d in loaded.rows("deal")}
        assert deals == expected
        f = loaded.file("Opportunity.csv")
        assert f.rows_read == len(rows) == f.rows_loaded + f.rows_rejected
        assert f.rows_loaded == len(expected)
        total = sum((v for _, v in expected.values() if v is not None), Decimal(0))
        loaded_total = sum((a for _, a in deals.values() if a is not None), Decimal(0))
        assert loaded_total == total
        rejected_lines = sorted(r["source_line"] for r in loaded.rejects())
        assert rejected_lines == sorted(starts[n] for n, r in enumerate(rows) if r.id not in expected
                                        or expected[r.id][0] != starts[n])  # fmt: skip
    finally:
        loaded.backend.close()
