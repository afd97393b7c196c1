"""The engine's stages in order (SPEC §10): match → schedules → causes → bridge.

Each step reads tables the earlier ones wrote and writes its own; the order
below is the data flow, so a linear list is all the DAG this engine needs.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

import ibis

from crossfoot.config import Definitions
from crossfoot.engine.allocation import line_values
from crossfoot.engine.backend import Backend
from crossfoot.engine.bridge import build_bridge
from crossfoot.engine.classify import contributions
from crossfoot.engine.deal_facts import deal_facts, deal_roots
from crossfoot.engine.drift import definition_drift
from crossfoot.engine.erp_values import doc_values, revenue_values
from crossfoot.engine.exceptions import build_exceptions
from crossfoot.engine.fx import rate_ranges
from crossfoot.engine.match_accounts import match_accounts
from crossfoot.engine.match_deals import match_deals
from crossfoot.engine.milestones import milestone_pending
from crossfoot.engine.modifications import deal_modifications
from crossfoot.engine.periods import period_of
from crossfoot.engine.schedule import booked_lines, deal_values, expected_revenue
from crossfoot.model.schema import CANONICAL

Step = tuple[str, Callable[[Backend, Definitions], object]]


def _fx(backend: Backend, defs: Definitions) -> None:
    backend.run_stage("fx_ranges", rate_ranges(backend.table("fx_rate"), defs.reporting.currency))


def _expected(backend: Backend, defs: Definitions) -> None:
    backend.run_stage("expected", expected_revenue(backend, defs))
    backend.run_stage(
        "milestone_pending", milestone_pending(backend, defs, booked_lines(backend, defs))
    )


STEPS: tuple[Step, ...] = (
    ("fx rates", _fx),
    ("match accounts", match_accounts),
    ("match deals", match_deals),
    ("deal values", deal_values),
    ("document values", doc_values),
    ("revenue values", revenue_values),
    ("line allocation", line_values),
    ("deal changes", lambda b, d: b.run_stage("deal_mod", deal_modifications(b, d))),
    ("expected revenue", _expected),
    ("deal documents", lambda b, d: deal_roots(b)),
    ("deal facts", deal_facts),
)


def as_of_period(backend: Backend, defs: Definitions) -> str:
    """The last period the bridge covers: ``reporting.as_of`` or the ERP's latest revenue."""
    if defs.reporting.as_of:
        d = defs.reporting.as_of
    else:
        latest = backend.scalar(backend.table("revenue").date.max())
        latest_close = backend.scalar(backend.table("deal").close_date.max())
        d = latest or latest_close or date.today()
    return str(backend.scalar(period_of(ibis.literal(d, type="date"), defs)))


#: what ``reconcile`` reports to ``progress``, in order
STAGE_LABELS = (
    *(label for label, _ in STEPS),
    "definition drift",
    "causes",
    "bridge",
    "exceptions",
)


def reconcile(
    backend: Backend, defs: Definitions, progress: Callable[[str], None] | None = None
) -> str:
    """Run every stage on the canonical tables in ``backend``; return the as-of period."""
    period = as_of_period(backend, defs)
    steps: tuple[Step, ...] = (
        *STEPS,
        ("definition drift", lambda b, d: definition_drift(b, d, period)),
        ("causes", lambda b, d: contributions(b, d, period)),
        ("bridge", lambda b, d: build_bridge(b, d, period)),
        ("exceptions", build_exceptions),
    )
    # the stages compile here while DuckDB executes the ones before (stage_queue.py);
    # a label is reported when execution reaches its stage, not when it is queued
    with backend.pipelined(inputs=CANONICAL):
        for label, step in steps:
            if progress:
                backend.in_order(partial(progress, label))
            step(backend, defs)
    return period
