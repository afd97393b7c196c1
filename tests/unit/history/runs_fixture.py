"""Hand-built runs for the history tests: a RunResult from a few exception rows and a bridge.

``kept`` records a run exactly as ``api.run`` does after the engine
(``history.keep.keep_run``), so lifecycle, diff and the Excel worklist are
tested on the real store code without the engine's seconds per run.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa

from crossfoot.diagnostic.findings import EXCEPTION_COLUMNS, RunResult
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.history.keep import keep_run

MONEY = pa.decimal128(18, 2)
D = Decimal
T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)

EXCEPTION_SCHEMA = pa.schema(
    [(c, MONEY if c in ("amount_crm", "amount_erp", "impact") else pa.string()) for c in EXCEPTION_COLUMNS]
)
BRIDGE_SCHEMA = pa.schema(
    [("period", pa.string()), ("step", pa.string()), ("kind", pa.string()),
     ("amount", MONEY), ("currency", pa.string())]
)  # fmt: skip


def exc(eid: str, cause: str, impact: str, *, customer: str = "Acme, Inc.", period: str = "2026-01",
        explanation: str = "a difference", crm: str | None = None, erp: str | None = None) -> dict[str, Any]:  # fmt: skip
    return {
        "exception_id": eid, "cause": cause, "period": period, "crm_system": "salesforce",
        "crm_record_id": crm or f"006{eid}", "erp_system": "netsuite", "erp_record_id": erp,
        "customer": customer, "amount_crm": D("1000.00"), "amount_erp": D("1000.00") + D(impact),
        "impact": D(impact), "currency": "USD", "explanation": explanation,
        "suggested_fix": "see the cause",
    }  # fmt: skip


def bridge(unexplained: dict[str, str], causes: dict[tuple[str, str], str] | None = None) -> pa.Table:
    """A bridge per period: expected 1000, the given cause steps and unexplained, ERP the sum."""
    out = []
    for period, unexp in unexplained.items():
        steps = {k[1]: D(v) for k, v in (causes or {}).items() if k[0] == period}
        erp = D("1000.00") + sum(steps.values(), D(0)) + D(unexp)
        out += [{"period": period, "step": "expected_revenue", "kind": "total", "amount": D("1000.00")}]
        out += [{"period": period, "step": s, "kind": "cause", "amount": a} for s, a in steps.items()]
        out += [{"period": period, "step": "unexplained", "kind": "cause", "amount": D(unexp)},
                {"period": period, "step": "erp_revenue", "kind": "total", "amount": erp}]  # fmt: skip
    return pa.Table.from_pylist([dict(r, currency="USD") for r in out], BRIDGE_SCHEMA)


def _empty(schema: list[tuple[str, pa.DataType]]) -> pa.Table:
    return pa.Table.from_pylist([], pa.schema(schema))


def result(n: int, exceptions: list[dict[str, Any]], bridge_table: pa.Table | None = None) -> RunResult:
    """Run number ``n`` (its start time is T0 + n hours)."""
    started = T0 + timedelta(hours=n)
    text = pa.string()
    return RunResult(
        version="0.1.0", company="Northwind", currency="USD", period_kind="month",
        definitions_hash="d" * 64, crm_system="salesforce", erp_system="netsuite",
        started_at=started, finished_at=started + timedelta(minutes=1), inputs=(),
        bridge=bridge_table if bridge_table is not None else bridge({"2026-01": "0.00"}),
        bridge_by_product_line=_empty([("product_line", text), *zip(BRIDGE_SCHEMA.names, BRIDGE_SCHEMA.types, strict=True)]),
        exceptions=pa.Table.from_pylist(exceptions, EXCEPTION_SCHEMA),
        exception_effects=pa.Table.from_pylist(
            [{"exception_id": e["exception_id"], "period": e["period"], "amount": e["impact"]} for e in exceptions],
            pa.schema([("exception_id", text), ("period", text), ("amount", MONEY)]),
        ),
        matches=_empty([("crm_object", text), ("crm_record_id", text), ("erp_object", text),
                        ("erp_record_id", text), ("method", text), ("score", pa.decimal128(5, 4))]),
        rejects=_empty([("source_system", text), ("source_file", text), ("source_line", pa.int64()),
                        ("table", text), ("field", text), ("value", text), ("reason", text)]),
    )  # fmt: skip


def kept(backend: DuckDBBackend, run: RunResult, out: Path | None = None) -> RunResult:
    """Record ``run`` in one transaction, its outputs into ``out`` (written directly)."""
    backend.raw.begin()
    kept_run = keep_run(backend, run, pending=out, out=out)
    backend.raw.commit()
    return kept_run


def with_exceptions(run: RunResult, rows: list[dict[str, Any]]) -> RunResult:
    return replace(run, exceptions=pa.Table.from_pylist(rows, EXCEPTION_SCHEMA))
