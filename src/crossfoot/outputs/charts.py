"""Geometry of the report's inline SVG charts, computed in Python (no JavaScript).

Amounts stay Decimal; a bar's position is a Decimal ratio of the chart's range,
and only the final pixel coordinate (a name ending in ``_px``) is a float,
rounded to 0.1 px so the SVG text is identical run to run. The template turns
these dataclasses into ``<svg>`` markup with autoescaping on.

The waterfall is horizontal, one row per bridge step (top to bottom in bridge
order), so every label stays readable however many cause steps a period has:
totals are full bars from zero, every other step floats from the running total
before it to the running total after it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal

from crossfoot.outputs.safe import display_money
from crossfoot.outputs.view import DIFFERENCE_STEP, CauseTotal, PeriodBridge, Step

LABEL_WIDTH_PX = 270  # step names, right-aligned
PLOT_WIDTH_PX = 400
VALUE_WIDTH_PX = 130  # amounts, right-aligned
ROW_HEIGHT_PX = 24
BAR_HEIGHT_PX = 16
PAD_PX = 8
CHART_WIDTH_PX = LABEL_WIDTH_PX + PLOT_WIDTH_PX + VALUE_WIDTH_PX


@dataclass(frozen=True)
class Bar:
    key: str  # step code or cause code
    label: str
    amount: Decimal
    amount_text: str  # display_money(amount)
    tone: str  # total | positive | negative | zero
    x_px: float
    y_px: float
    width_px: float
    height_px: float
    label_y_px: float  # text baseline for the label and the value


@dataclass(frozen=True)
class Connector:
    """The dashed line that carries a running total from one bar to the next."""

    x_px: float
    y1_px: float
    y2_px: float


@dataclass(frozen=True)
class Chart:
    title: str
    width_px: float
    height_px: float
    label_x_px: float  # right edge of the labels
    value_x_px: float  # right edge of the amounts
    zero_x_px: float  # the zero axis
    plot_top_px: float
    plot_bottom_px: float
    bars: tuple[Bar, ...]
    connectors: tuple[Connector, ...] = ()


class _Scale:
    """Maps an amount in [low, high] to a pixel in the plot area."""

    def __init__(self, values: list[Decimal]) -> None:
        self.low = min([Decimal(0), *values])
        high = max([Decimal(0), *values])
        self.span = (high - self.low) or Decimal(1)

    def x_px(self, amount: Decimal) -> float:
        ratio = (amount - self.low) / self.span
        return _px(Decimal(LABEL_WIDTH_PX) + ratio * PLOT_WIDTH_PX)


def waterfall(bridge: PeriodBridge) -> Chart:
    """One bar per step of ``bridge``, in bridge order."""
    spans: list[tuple[Decimal, Decimal]] = []  # (start, end) of each bar in money
    running = Decimal(0)
    for s in bridge.steps:
        if s.kind == "total":
            spans.append((Decimal(0), s.amount))
            running = s.amount
        else:
            spans.append((running, running + s.amount))
            running += s.amount
    scale = _Scale([v for span in spans for v in span])
    bars: list[Bar] = []
    connectors: list[Connector] = []
    for i, (s, (start, end)) in enumerate(zip(bridge.steps, spans, strict=True)):
        y_px = _row_y_px(i)
        left_px, right_px = sorted((scale.x_px(start), scale.x_px(end)))
        tone = "total" if s.kind == "total" else _tone(s.amount)
        bars.append(_bar(s.step, s.label, s.amount, tone, left_px, right_px, y_px))
        if i + 1 < len(spans):
            connectors.append(
                Connector(scale.x_px(end), round(y_px + BAR_HEIGHT_PX, 1), _row_y_px(i + 1))
            )
    return _chart(f"Bridge {bridge.period}", scale, bars, connectors)


def difference_waterfall(bridge: PeriodBridge) -> Chart | None:
    """The cause steps alone, zoomed: from expected revenue (0) to ERP revenue.

    In the full waterfall the bookings dwarf the causes; here each non-zero
    cause step floats from zero and the last bar is their sum, ERP revenue
    minus expected revenue. None when the period has no non-zero cause step.
    """
    causes = [s for s in bridge.steps if s.kind == "cause" and s.amount]
    if not causes:
        return None
    total = sum((s.amount for s in causes), Decimal(0))
    difference = Step(bridge.period, DIFFERENCE_STEP, "total", total, causes[0].currency)
    chart = waterfall(PeriodBridge(bridge.period, (*causes, difference)))
    return dataclasses.replace(chart, title=f"Expected revenue to ERP revenue {bridge.period}")


def cause_bars(causes: tuple[CauseTotal, ...]) -> Chart:
    """Causes by the money they move in the bridge (sum of |effect|), largest first."""
    scale = _Scale([c.abs_effects for c in causes])
    bars = [
        _bar(
            c.cause.code,
            c.cause.title,
            c.abs_effects,
            "cause",
            scale.x_px(Decimal(0)),
            scale.x_px(c.abs_effects),
            _row_y_px(i),
        )
        for i, c in enumerate(causes)
    ]
    return _chart("Causes by money", scale, bars, [])


def _bar(
    key: str, label: str, amount: Decimal, tone: str, left_px: float, right_px: float, y_px: float
) -> Bar:
    return Bar(
        key=key,
        label=label,
        amount=amount,
        amount_text=display_money(amount),
        tone=tone,
        x_px=left_px,
        y_px=y_px,
        width_px=max(round(right_px - left_px, 1), 1.0),  # a zero step stays visible
        height_px=float(BAR_HEIGHT_PX),
        label_y_px=round(y_px + BAR_HEIGHT_PX - 4, 1),
    )


def _chart(title: str, scale: _Scale, bars: list[Bar], connectors: list[Connector]) -> Chart:
    return Chart(
        title=title,
        width_px=float(CHART_WIDTH_PX),
        height_px=_px(Decimal(2 * PAD_PX + ROW_HEIGHT_PX * max(len(bars), 1))),
        label_x_px=float(LABEL_WIDTH_PX - PAD_PX),
        value_x_px=float(CHART_WIDTH_PX - PAD_PX),
        zero_x_px=scale.x_px(Decimal(0)),
        plot_top_px=float(PAD_PX),
        plot_bottom_px=_px(Decimal(PAD_PX + ROW_HEIGHT_PX * max(len(bars), 1))),
        bars=tuple(bars),
        connectors=tuple(connectors),
    )


def _tone(amount: Decimal) -> str:
    return "positive" if amount > 0 else "negative" if amount < 0 else "zero"


def _row_y_px(index: int) -> float:
    return _px(Decimal(PAD_PX + index * ROW_HEIGHT_PX + (ROW_HEIGHT_PX - BAR_HEIGHT_PX) // 2))


def _px(value: Decimal) -> float:
    """A pixel coordinate, rounded to 0.1 px (floats are for pixels only)."""
    return float(round(value, 1))
