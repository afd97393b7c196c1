"""Waterfall geometry: totals from zero, steps float from the running total."""

from __future__ import annotations

from decimal import Decimal

from crossfoot.diagnostic.findings import RunResult
from crossfoot.outputs.charts import (
    LABEL_WIDTH_PX,
    PLOT_WIDTH_PX,
    cause_bars,
    difference_waterfall,
    waterfall,
)
from crossfoot.outputs.view import DIFFERENCE_STEP, PeriodBridge, Step, build_view


def bridge(*steps: tuple[str, str, str]) -> PeriodBridge:
    return PeriodBridge(
        "2024-01", tuple(Step("2024-01", s, k, Decimal(a), "USD") for s, k, a in steps)
    )


SMALL = bridge(
    ("crm_bookings", "total", "100.00"),
    ("won_not_booked", "definition", "-20.00"),
    ("booked", "total", "80.00"),
    ("missing_in_erp", "cause", "0.00"),
    ("duplicate_in_erp", "cause", "40.00"),
    ("erp_revenue", "total", "120.00"),
)


def right(bar_x_px: float, bar_width_px: float) -> float:
    return round(bar_x_px + bar_width_px, 1)


def test_totals_start_at_zero_and_steps_float() -> None:
    chart = waterfall(SMALL)
    bars = {b.key: b for b in chart.bars}
    assert [b.key for b in chart.bars] == [s.step for s in SMALL.steps]
    assert chart.zero_x_px == LABEL_WIDTH_PX  # nothing below zero
    for key in ("crm_bookings", "booked", "erp_revenue"):
        assert bars[key].x_px == chart.zero_x_px
    # the widest total spans the whole plot
    assert right(bars["erp_revenue"].x_px, bars["erp_revenue"].width_px) == (
        LABEL_WIDTH_PX + PLOT_WIDTH_PX
    )
    # -20 floats from 100 down to 80: it ends where "booked" ends
    drop = bars["won_not_booked"]
    assert drop.tone == "negative"
    assert drop.x_px == right(bars["booked"].x_px, bars["booked"].width_px)
    assert right(drop.x_px, drop.width_px) == right(
        bars["crm_bookings"].x_px, bars["crm_bookings"].width_px
    )
    # +40 floats from 80 to 120
    rise = bars["duplicate_in_erp"]
    assert rise.tone == "positive"
    assert rise.x_px == drop.x_px
    assert bars["missing_in_erp"].tone == "zero"
    assert bars["missing_in_erp"].width_px == 1.0  # a zero step stays visible


def test_connectors_join_each_bar_to_the_next() -> None:
    chart = waterfall(SMALL)
    assert len(chart.connectors) == len(chart.bars) - 1
    for connector, bar, after in zip(chart.connectors, chart.bars, chart.bars[1:], strict=False):
        assert connector.y1_px == bar.y_px + bar.height_px
        assert connector.y2_px == after.y_px


def test_negative_totals_put_zero_inside_the_plot() -> None:
    chart = waterfall(
        bridge(
            ("crm_bookings", "total", "50.00"),
            ("deferred", "definition", "-150.00"),
            ("expected_revenue", "total", "-100.00"),
        )
    )
    low, high = LABEL_WIDTH_PX, LABEL_WIDTH_PX + PLOT_WIDTH_PX
    assert low < chart.zero_x_px < high
    negative_total = chart.bars[2]
    assert negative_total.x_px == low
    assert right(negative_total.x_px, negative_total.width_px) == chart.zero_x_px
    assert all(low <= b.x_px and right(b.x_px, b.width_px) <= high for b in chart.bars)


def test_all_zero_period_draws_without_dividing_by_zero() -> None:
    chart = waterfall(bridge(("crm_bookings", "total", "0.00"), ("erp_revenue", "total", "0.00")))
    assert [b.width_px for b in chart.bars] == [1.0, 1.0]


def test_amount_text_is_the_display_money() -> None:
    assert [b.amount_text for b in waterfall(SMALL).bars][:2] == ["100.00", "-20.00"]


def test_cause_bars_largest_first(result: RunResult) -> None:
    ranked = build_view(result).ranked_causes
    chart = cause_bars(ranked)
    assert [b.key for b in chart.bars][:2] == ["missing_in_erp", "sync_timing_gap"]
    assert chart.bars[0].width_px == PLOT_WIDTH_PX
    assert all(b.x_px == LABEL_WIDTH_PX for b in chart.bars)


def test_zoom_shows_non_zero_causes_and_their_sum() -> None:
    zoom = difference_waterfall(SMALL)
    assert zoom is not None
    assert [b.key for b in zoom.bars] == ["duplicate_in_erp", DIFFERENCE_STEP]
    assert zoom.bars[-1].amount == Decimal("40.00")
    assert zoom.bars[-1].tone == "total"
    no_causes = bridge(("crm_bookings", "total", "1.00"), ("erp_revenue", "total", "1.00"))
    assert difference_waterfall(no_causes) is None
