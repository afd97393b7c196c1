"""Reporting periods as table expressions: ``2026-03`` for months, ``2026-Q1`` for quarters."""

from __future__ import annotations

import ibis.expr.types as ir

from crossfoot.config import Definitions


def period_of(d: ir.DateValue, defs: Definitions) -> ir.StringValue:
    if defs.reporting.period == "quarter":
        quarter = ((d.month() + 2) // 3).cast("int32").cast("string")
        return d.year().cast("string") + "-Q" + quarter
    return d.strftime("%Y-%m")


def month_start(d: ir.DateValue) -> ir.DateValue:
    return d.truncate("M")
