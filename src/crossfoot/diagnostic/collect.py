"""Turn the engine's tables into a RunResult: the only place cents become Decimals."""

from __future__ import annotations

from datetime import datetime

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from crossfoot import __version__
from crossfoot.causes import CAUSE_BY_CODE, CAUSES, STEP_ORDER
from crossfoot.config import Definitions
from crossfoot.diagnostic.findings import (
    EXCEPTION_COLUMNS,
    MATCH_COLUMNS,
    PENDING_MILESTONE_COLUMNS,
    REJECT_COLUMNS,
    DriftFinding,
    InputFile,
    RunResult,
)
from crossfoot.diagnostic.flow import flow_map
from crossfoot.diagnostic.platform_fit import platform_fit
from crossfoot.diagnostic.roadmap import build_roadmap
from crossfoot.engine.backend import Backend
from crossfoot.engine.money import cents_to_decimal, from_cents


def _bridge(t: ir.Table, defs: Definitions, extra: tuple[str, ...] = ()) -> ir.Table:
    """A bridge in the order of its file: by group, period, then step (SPEC §7 order).

    Sorted here, in the engine, because the view would otherwise sort it in Arrow
    (``outputs/view.py`` checks the order and sorts only what is not in it): at
    1M deals the per-customer bridge has 10 million rows.
    """
    rank = t.step.substitute(STEP_ORDER, else_=len(STEP_ORDER))
    keys = [*extra, "period"]
    return t.select(
        *extra,
        period=t.period,
        step=t.step,
        kind=t.kind,
        amount=from_cents(t.cents),
        currency=ibis.literal(defs.reporting.currency),
    ).order_by(
        [*(ibis.asc(k, nulls_first=True) for k in keys), rank, ibis.asc("step", nulls_first=True)]
    )


def _exceptions(backend: Backend, defs: Definitions) -> ir.Table:
    ex = backend.table("exception_rows")
    fixes = {code: c.suggested_fix for code, c in CAUSE_BY_CODE.items()}
    out = ex.select(
        exception_id=ex.exception_id,
        cause=ex.cause,
        period=ex.period,
        crm_system=ibis.literal(defs.crm.system),
        crm_record_id=ex.crm_record_id,
        erp_system=ibis.literal(defs.erp.system),
        erp_record_id=ex.erp_record_id,
        customer=ex.customer,
        amount_crm=from_cents(ex.amount_crm_cents),
        amount_erp=from_cents(ex.amount_erp_cents),
        impact=from_cents(ex.impact_cents),
        currency=ibis.literal(defs.reporting.currency),
        explanation=ex.explanation,
        suggested_fix=ex.cause.substitute(fixes),
    )
    out = out.select(*EXCEPTION_COLUMNS)
    # the order of exceptions.csv (outputs/view.py): cause, largest impact first
    rank = out.cause.substitute({c.code: i for i, c in enumerate(CAUSES)}, else_=len(CAUSES))
    return out.order_by([rank, ibis.asc("cause", nulls_first=True), ibis.desc(out.impact.abs()),
                         ibis.asc("exception_id", nulls_first=True)])  # fmt: skip


def _by_every_column(t: ir.Table) -> ir.Table:
    """The order of the tables without a natural one (matches, rejects, effects)."""
    return t.order_by([ibis.asc(c, nulls_first=True) for c in t.columns])


def _matches(backend: Backend) -> ir.Table:
    ac = backend.table("account_customer")
    accounts = ac.select(
        crm_object=ibis.literal("account"),
        crm_record_id=ac.account_id,
        erp_object=ibis.literal("customer"),
        erp_record_id=ac.customer_id,
        method=ac.method,
        score=ac.score.cast("float64"),
    )
    dd = backend.table("doc_deal").filter(lambda t: t.deal_id.notnull())
    deals = dd.select(
        crm_object=ibis.literal("deal"),
        crm_record_id=dd.deal_id,
        erp_object=dd.doc_type,
        erp_record_id=dd.doc_id,
        method=dd.method,
        score=dd.score.cast("float64"),
    )
    return _by_every_column(accounts.union(deals).select(*MATCH_COLUMNS))


def collect(
    backend: Backend,
    defs: Definitions,
    inputs: tuple[InputFile, ...],
    started_at: datetime,
    finished_at: datetime,
    notes: tuple[str, ...] = (),
) -> RunResult:
    eff = backend.table("exception_effect")
    rejects = backend.table("rejects")

    def arrow(expr: ir.Table) -> pa.Table:
        return backend.to_arrow(expr)

    return RunResult(
        version=__version__,
        company=defs.company,
        currency=defs.reporting.currency,
        period_kind=defs.reporting.period,
        definitions_hash=defs.source_hash,
        crm_system=defs.crm.system,
        erp_system=defs.erp.system,
        started_at=started_at,
        finished_at=finished_at,
        inputs=inputs,
        # in a fixed order (the engine's union of steps has none): two runs on the
        # same data give equal tables, not just equal files
        bridge=arrow(_bridge(backend.table("bridge"), defs)),
        bridge_by_product_line=arrow(
            _bridge(backend.table("bridge_by_product_line"), defs, ("product_line",))
        ),
        exceptions=arrow(_exceptions(backend, defs)),
        exception_effects=arrow(
            _by_every_column(eff.select("exception_id", "period", amount=from_cents(eff.cents)))
        ),
        matches=arrow(_matches(backend)),
        rejects=arrow(_by_every_column(rejects.select(*REJECT_COLUMNS))),
        notes=notes,
        definition_drift=_drift(backend),
        # the engine keeps only their non-zero rows (engine/bridge.py)
        bridge_by_owner=arrow(_bridge(backend.table("bridge_by_owner"), defs, ("owner",))),
        bridge_by_customer=arrow(_bridge(backend.table("bridge_by_customer"), defs, ("customer",))),
        flow=flow_map(backend, defs),
        platform_fit=platform_fit(defs, _platform_tables(backend)),
        roadmap=build_roadmap(backend, defs),
        milestones_pending=arrow(_pending(backend, defs)),
    )


def _pending(backend: Backend, defs: Definitions) -> ir.Table:
    p = backend.table("milestone_pending")
    return p.select(
        *PENDING_MILESTONE_COLUMNS[:4],
        amount=from_cents(p.cents),
        currency=ibis.literal(defs.reporting.currency),
    )


def _platform_tables(backend: Backend) -> dict[str, pa.Table]:
    """The canonical lines platform fit reads: only their product line and amount."""
    return {
        name: backend.to_arrow(backend.table(name).select("product_line", "amount"))
        for name in ("document_line", "deal_line")
    }


def _drift(backend: Backend) -> tuple[DriftFinding, ...]:
    rows = backend.to_arrow(backend.table("drift").order_by("product_line")).to_pylist()
    return tuple(
        DriftFinding(
            product_line=r["product_line"],
            defined=r["defined"],
            inferred=r["inferred"],
            deals_compared=r["deals_compared"],
            defined_fit=cents_to_decimal(r["defined_fit_cents"]),
            inferred_fit=cents_to_decimal(r["inferred_fit_cents"]),
            moved=cents_to_decimal(r["moved_cents"]),
        )
        for r in rows
    )
