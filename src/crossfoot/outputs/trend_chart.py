"""Geometry of the trend chart: expected revenue and ERP revenue per period (inline SVG).

Two columns per period, both from zero, so the gap between the systems reads
period by period; the amounts are the bridge's totals (Decimal ratios, pixels
rounded to 0.1 px as in ``charts.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from crossfoot.outputs.safe import display_money
from crossfoot.outputs.view import PeriodBridge, step_label

WIDTH_PX = 800.0
HEIGHT_PX = 240.0
LEFT_PX = 20.0
TOP_PX = 10.0
BOTTOM_PX = 40.0  # period labels
SERIES = ("expected_revenue", "erp_revenue")


@dataclass(frozen=True)
class Column:
    period: str
    series: str
    amount: Decimal
    title: str
    x_px: float
    y_px: float
    width_px: float
    height_px: float


@dataclass(frozen=True)
class TrendChart:
    title: str
    width_px: float
    height_px: float
    zero_y_px: float
    columns: tuple[Column, ...]
    labels: tuple[tuple[str, float], ...]  # (period, x of its centre)
    legend: tuple[tuple[str, str], ...]  # (series, label)


def trend_chart(periods: tuple[PeriodBridge, ...]) -> TrendChart | None:
    if not periods:
        return None
    values = [p.amount(s) or Decimal(0) for p in periods for s in SERIES]
    low = min([Decimal(0), *values])
    high = max([Decimal(0), *values])
    span = (high - low) or Decimal(1)
    plot_h = Decimal(str(HEIGHT_PX - TOP_PX - BOTTOM_PX))
    slot = (WIDTH_PX - LEFT_PX) / len(periods)
    bar = max(min(slot * 0.35, 40.0), 2.0)

    def y_of(amount: Decimal) -> float:
        return round(float(Decimal(str(TOP_PX)) + (high - amount) / span * plot_h), 1)

    zero = y_of(Decimal(0))
    columns: list[Column] = []
    labels: list[tuple[str, float]] = []
    for i, p in enumerate(periods):
        centre = LEFT_PX + slot * i + slot / 2
        labels.append((p.period, round(centre, 1)))
        for j, series in enumerate(SERIES):
            amount = p.amount(series) or Decimal(0)
            top, bottom = sorted((y_of(amount), zero))
            columns.append(
                Column(
                    period=p.period,
                    series=series,
                    amount=amount,
                    title=f"{p.period} {step_label(series)}: {display_money(amount)}",
                    x_px=round(centre - bar + j * bar, 1),
                    y_px=top,
                    width_px=round(bar - 1, 1),
                    height_px=max(round(bottom - top, 1), 1.0),
                )
            )
    return TrendChart(
        title="Expected revenue and ERP revenue by period",
        width_px=WIDTH_PX,
        height_px=HEIGHT_PX,
        zero_y_px=zero,
        columns=tuple(columns),
        labels=tuple(labels),
        legend=tuple((s, step_label(s)) for s in SERIES),
    )
