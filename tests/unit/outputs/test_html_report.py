"""report.html: self-contained, waterfall per period, figures equal to bridge.csv."""

from __future__ import annotations

import csv
import re
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

from crossfoot.diagnostic.findings import RunResult


class Parsed(HTMLParser):
    """Collects tags with their attributes, and the text of cells with data-step."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.svg_stack: list[str] = []
        self.bars: dict[str, list[str]] = {}  # period -> bar tones of its waterfall
        self.cells: dict[tuple[str, str], str] = {}
        self._cell: tuple[str, str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "svg":
            period = a.get("data-period") if "waterfall" in (a.get("class") or "") else None
            self.svg_stack.append(period or "")
            if period:
                self.bars[period] = []
        if tag == "rect" and self.svg_stack and self.svg_stack[-1]:
            classes = (a.get("class") or "").split()
            if "bar" in classes:
                self.bars[self.svg_stack[-1]].append(classes[1])
        if tag == "td" and a.get("data-step"):
            self._cell = (a["data-period"] or "", a["data-step"] or "")
            self.cells[self._cell] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self.svg_stack.pop()
        if tag == "td":
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell:
            self.cells[self._cell] += data


@pytest.fixture(scope="module")
def html(written: dict[str, Path]) -> str:
    return written["report.html"].read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def parsed(html: str) -> Parsed:
    parser = Parsed()
    parser.feed(html)
    parser.close()
    return parser


@pytest.fixture(scope="module")
def bridge_csv(written: dict[str, Path]) -> list[dict[str, str]]:
    with written["bridge.csv"].open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_self_contained(html: str, parsed: Parsed) -> None:
    assert "http://" not in html
    assert "https://" not in html
    for tag, attrs in parsed.tags:
        assert tag not in {"script", "link", "img", "iframe", "object", "embed"}, tag
        assert "src" not in attrs, (tag, attrs)
        assert "href" not in attrs, (tag, attrs)
    assert "@import" not in html
    assert "url(" not in html


def test_user_text_is_escaped(html: str) -> None:
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "Northwind &lt;Demo&gt; &amp; Co" in html


def test_waterfall_per_period_with_one_bar_per_step(
    parsed: Parsed, bridge_csv: list[dict[str, str]]
) -> None:
    periods = sorted({r["period"] for r in bridge_csv})
    assert sorted(parsed.bars) == periods
    for period in periods:
        steps = [r for r in bridge_csv if r["period"] == period]
        assert len(parsed.bars[period]) == len(steps)
        expected = [
            "total"
            if r["kind"] == "total"
            else {1: "positive", -1: "negative", 0: "zero"}[_sign(Decimal(r["amount"]))]
            for r in steps
        ]
        assert parsed.bars[period] == expected


def _sign(amount: Decimal) -> int:
    return (amount > 0) - (amount < 0)


def test_latest_period_is_open_and_others_fold(html: str) -> None:
    latest = html.index('data-period="2024-03"')
    assert latest < html.index("<details>")
    assert html.count("<details>") == 2
    assert html.index("Bridge 2024-02") < html.index("Bridge 2024-01</summary>")


def test_bridge_table_figures_equal_bridge_csv(
    parsed: Parsed, bridge_csv: list[dict[str, str]]
) -> None:
    assert len(parsed.cells) == len(bridge_csv)
    for r in bridge_csv:
        shown = parsed.cells[(r["period"], r["step"])]
        assert Decimal(shown.replace(",", "")) == Decimal(r["amount"])
        assert shown == f"{Decimal(r['amount']):,.2f}"


def test_figures_are_formatted_with_grouping(html: str) -> None:
    assert "1,234,567.89" in html
    assert "-34,567.89" in html
    assert "-900,000.00" in html


def test_header_and_sections(html: str, result: RunResult) -> None:
    for text in (
        "2024-01 to 2024-03",
        "USD",
        "2024-04-02T06:31:05Z",
        "<b>420</b> read",
        "<b>3</b> rejected",
        "Causes by money",
        "Top exceptions by impact",
        "Rejected rows",
        "Reading the signs",
        "@media print",
        'class="scroll"',
    ):
        assert text in html, text


def test_causes_ranked_by_money_with_fix_and_owner(html: str) -> None:
    order = re.findall(r'<tr data-cause="([a-z_]+)">', html)
    assert order[:2] == ["missing_in_erp", "sync_timing_gap"]
    assert "Create the sales order in the ERP" in html
    assert len(re.findall(r'<svg class="chart causes"', html)) == 1


def test_top_exceptions_largest_first(html: str) -> None:
    table = html[html.index('<table class="exceptions">') :]
    ids = re.findall(r'<tr><td class="id">(EX-\d+)</td>', table)
    assert ids[:3] == ["EX-001", "EX-003", "EX-009"]
    assert len(ids) == 11
    assert "=cmd|&#39; /C calc&#39;!A0" in table  # shown as it is, HTML-escaped


def test_rejects_summary(html: str) -> None:
    section = html[html.index('<section id="rejects">') :]
    assert "<b>3</b> input rows could not be read" in section
    assert "not a date" in section


def test_zoom_ends_at_erp_minus_expected(html: str, bridge_csv: list[dict[str, str]]) -> None:
    march = {r["step"]: Decimal(r["amount"]) for r in bridge_csv if r["period"] == "2024-03"}
    zooms = re.findall(r'<svg class="chart zoom".*?data-period="([^"]+)">(.*?)</svg>', html, re.S)
    assert [period for period, _ in zooms] == ["2024-03", "2024-02", "2024-01"]
    svg = zooms[0][1]
    non_zero_causes = [
        s for s, a in march.items() if a and s not in {"crm_bookings", "won_not_booked", "booked",
        "deferred", "recognized_from_prior", "expected_revenue", "erp_revenue"}
    ]  # fmt: skip
    assert svg.count('<rect class="bar') == len(non_zero_causes) + 1
    difference = march["erp_revenue"] - march["expected_revenue"]
    assert f">{difference:,.2f}</text>" in svg.rsplit("<g ", 1)[1]


def test_only_the_top_fifty_are_listed(result: RunResult, tmp_path: Path) -> None:
    import dataclasses

    import pyarrow as pa

    from crossfoot.outputs import write_outputs

    def copies(table: pa.Table) -> pa.Table:
        ids = table.column("exception_id").to_pylist()
        return pa.concat_tables(
            table.set_column(0, "exception_id", pa.array([f"{i}-{n}" for i in ids]))
            for n in range(6)
        )

    many = dataclasses.replace(
        result,
        exceptions=copies(result.exceptions),
        exception_effects=copies(result.exception_effects),
    )
    html = write_outputs(many, tmp_path)["report.html"].read_text(encoding="utf-8")
    table = html[html.index('<table class="exceptions">') :]
    assert len(re.findall(r'<tr><td class="id">EX-', table)) == 50
    assert "The 50 largest of 66" in html
