"""The report in real headless Chromium: it renders offline, every chart draws, its
figures are bridge.csv's and exception_effects.csv's, and it reads on a laptop and a phone."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, LAPTOP, PHONE, Report, open_report

pytestmark = pytest.mark.slow


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def shown(text: str) -> Decimal:
    """``-1,234.50`` as the report shows it -> Decimal."""
    return Decimal(text.strip().replace(",", ""))


def test_no_console_errors_and_no_network(browser: Any, report: Report) -> None:
    opened = open_report(browser, report, LAPTOP)
    assert opened.console_errors == []
    assert opened.network == []  # self-contained: nothing fetched at view time
    html = (report.out / "report.html").read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html and "https://" not in html
    opened.page.context.close()


def test_every_chart_is_rendered(browser: Any, report: Report) -> None:
    page = open_report(browser, report, LAPTOP).page
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    charts = page.evaluate(
        """[...document.querySelectorAll('svg.chart')].map(svg => {
            const box = svg.getBoundingClientRect();
            const drawn = [...svg.querySelectorAll('rect, line')].filter(el => {
                const r = el.getBoundingClientRect(); return r.width > 0 || r.height > 0; });
            return {cls: svg.getAttribute('class'), w: box.width, h: box.height, drawn: drawn.length};
        })"""
    )
    kinds = defaultdict(int)
    for c in charts:
        assert c["w"] > 100 and c["h"] > 20, c
        assert c["drawn"] > 0, c
        kinds[c["cls"]] += 1
    periods = {r["period"] for r in read_csv(report.out / "bridge.csv")}
    assert kinds["chart waterfall"] == len(periods)
    assert kinds["chart flow"] == 1 and kinds["chart trend"] == 1 and kinds["chart causes"] == 1
    page.context.close()


def test_waterfall_figures_equal_bridge_csv(browser: Any, report: Report) -> None:
    page = open_report(browser, report, LAPTOP).page
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    bars = page.evaluate(
        """[...document.querySelectorAll('svg.waterfall')].flatMap(svg =>
            [...svg.querySelectorAll('g[data-key]')].map(g => ({
                period: svg.dataset.period, step: g.dataset.key,
                value: g.querySelector('text.value').textContent })))"""
    )
    expected = {(r["period"], r["step"]): Decimal(r["amount"]) for r in read_csv(report.out / "bridge.csv")}
    assert len(bars) == len(expected)
    for bar in bars:
        assert shown(bar["value"]) == expected[(bar["period"], bar["step"])], bar
    totals = [b for b in bars if b["step"] in ("crm_bookings", "booked", "expected_revenue", "erp_revenue")]
    assert len(totals) == 4 * len({p for p, _ in expected})
    page.context.close()


def test_roadmap_money_equals_the_sum_of_its_exceptions(browser: Any, report: Report) -> None:
    page = open_report(browser, report, LAPTOP).page
    rows = page.evaluate(
        """[...document.querySelectorAll('table.roadmap tr[data-rank]')].map(tr => ({
            rank: +tr.dataset.rank, cause: tr.dataset.cause, ids: tr.dataset.exceptions,
            money: tr.querySelectorAll('td.num')[3].textContent,
            records: tr.querySelectorAll('td.num')[2].textContent }))"""
    )
    exceptions = {r["exception_id"]: r for r in read_csv(report.out / "exceptions.csv")}
    moved: dict[str, Decimal] = defaultdict(Decimal)
    for e in read_csv(report.out / "exception_effects.csv"):
        moved[e["exception_id"]] += abs(Decimal(e["amount"]))
    assert sorted(r["rank"] for r in rows) == list(range(1, len(rows) + 1))
    seen: set[str] = set()
    for r in rows:
        ids = r["ids"].split(";")
        assert all(exceptions[i]["cause"] == r["cause"] for i in ids), r["rank"]
        assert shown(r["money"]) == sum((moved[i] for i in ids), Decimal(0)), r["rank"]
        assert int(r["records"]) == len(ids)
        seen.update(ids)
    assert seen == set(exceptions)  # every exception is in exactly one fix
    # the roadmap.csv and the report agree
    csv_rows = {int(r["rank"]): r for r in read_csv(report.out / "roadmap.csv")}
    assert {r["rank"]: shown(r["money"]) for r in rows} == {
        k: Decimal(v["amount"]) for k, v in csv_rows.items()
    }
    page.context.close()


def test_top_fixes_are_the_causes_that_move_the_most_money(browser: Any, report: Report) -> None:
    page = open_report(browser, report, LAPTOP).page
    top = page.evaluate("[...document.querySelectorAll('ol.fixes li')].map(li => li.dataset.cause)")
    summary = json.loads((report.out / "summary.json").read_text(encoding="utf-8"))
    by_money = sorted(summary["causes"], key=lambda c: -Decimal(c["abs_effects"]))
    assert top == [c["cause"] for c in by_money[:3]]
    page.context.close()


@pytest.mark.parametrize(("name", "viewport"), [("laptop", LAPTOP), ("phone", PHONE)])
def test_readable_at_laptop_and_phone_widths(
    browser: Any, report: Report, name: str, viewport: dict[str, int]
) -> None:
    page = open_report(browser, report, viewport).page
    metrics = page.evaluate(
        """({scroll: document.documentElement.scrollWidth, inner: window.innerWidth,
             font: parseFloat(getComputedStyle(document.body).fontSize),
             smallest: Math.min(...[...document.querySelectorAll('p, td, th, li')]
                .map(el => parseFloat(getComputedStyle(el).fontSize)))})"""
    )
    assert metrics["scroll"] <= metrics["inner"], metrics  # wide tables scroll inside their box
    assert metrics["font"] >= 14 and metrics["smallest"] >= 11, metrics
    # chart text keeps a legible size: charts scroll sideways rather than shrink
    smallest_svg_text = page.evaluate(
        """Math.min(...[...document.querySelectorAll('svg.chart text')]
            .map(t => t.getBoundingClientRect().height).filter(h => h > 0))"""
    )
    assert smallest_svg_text >= 8, smallest_svg_text
    h1 = page.locator("h1").bounding_box()
    assert h1 is not None and h1["x"] >= 0 and h1["x"] + h1["width"] <= viewport["width"]
    # every chart's box fits the screen (a wide chart scrolls inside it)
    boxes = page.evaluate(
        "[...document.querySelectorAll('.chart-box')].map(b => b.getBoundingClientRect().right)"
    )
    assert boxes and max(boxes) <= viewport["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-{name}.png"), full_page=True)
    page.locator("section#roadmap").screenshot(path=str(ARTIFACTS / f"roadmap-{name}.png"))
    page.locator("section#flow").screenshot(path=str(ARTIFACTS / f"flow-{name}.png"))
    page.context.close()


def test_prints_to_pdf(report: Report) -> None:
    pdf = report.out / "report.pdf"
    assert pdf.read_bytes().startswith(b"%PDF-")
    assert pdf.stat().st_size > 10_000
    summary = json.loads((report.out / "summary.json").read_text(encoding="utf-8"))
    assert summary["report_pdf"]["written"] is True
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report.pdf").write_bytes(pdf.read_bytes())


def test_print_media_shows_every_period(browser: Any, report: Report) -> None:
    page = open_report(browser, report, LAPTOP).page
    page.emulate_media(media="print")
    hidden = page.evaluate(
        """[...document.querySelectorAll('svg.waterfall')]
            .filter(svg => svg.getBoundingClientRect().height === 0).length"""
    )
    assert hidden == 0  # folded periods print unfolded
    page.context.close()
