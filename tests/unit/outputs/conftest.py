"""A hand-built RunResult: three months, a bridge that foots, eleven exceptions.

The text is hostile on purpose: formula injection (``=cmd|...``, ``+SUM(1)``,
``@x``, a leading tab, a record id starting with ``-``), unicode, a customer
with a comma and quotes, and a note with ``<script>`` for the HTML report.
"""

from __future__ import annotations

import os
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from crossfoot.causes import BRIDGE_STEPS
from crossfoot.diagnostic.findings import InputFile, RunResult
from crossfoot.outputs import write_outputs

MONEY = pa.decimal128(18, 2)
D = Decimal
PERIODS = ("2024-01", "2024-02", "2024-03")
GOLDEN = Path(__file__).parent / "golden"

INJECTION = "=cmd|' /C calc'!A0"
COMMA_QUOTES = 'Acme, Inc. "West"'
UNICODE = "Zürich Straße GmbH 日本 Ünïcødé"

# period -> definition steps (crm_bookings, won_not_booked, deferred, recognized_from_prior)
DEFINITIONS = {
    "2024-01": (D("100000.00"), D("-5000.00"), D("-60000.00"), D("20000.00")),
    "2024-02": (D("80000.50"), D("0.00"), D("-40000.00"), D("25000.00")),
    "2024-03": (D("1234567.89"), D("-34567.89"), D("-900000.00"), D("30000.00")),
}
UNEXPLAINED = {"2024-01": D("0.01"), "2024-02": D("-3.20"), "2024-03": D("10.00")}

# exception_id, cause, period, crm_id, erp_id, customer, amount_crm, amount_erp, impact,
# explanation, effects per period
EXCEPTIONS: list[tuple[object, ...]] = [
    ("EX-001", "missing_in_erp", "2024-01", "0061x000001", None, COMMA_QUOTES,
     D("12000.00"), None, D("-12000.00"), "Won deal has no sales order",
     {"2024-01": D("-4000.00"), "2024-02": D("-4000.00"), "2024-03": D("-4000.00")}),
    ("EX-002", "missing_in_erp", "2024-03", "0061x000002", None, INJECTION,
     D("500.00"), None, D("-500.00"), "Won deal has no sales order", {"2024-03": D("-500.00")}),
    ("EX-011", "missing_in_erp", "2024-03", "0061x000011", None, "Tie Corp",
     D("500.00"), None, D("-500.00"), "Won deal has no sales order", {"2024-03": D("-500.00")}),
    ("EX-003", "duplicate_in_erp", "2024-01", "0061x000003", "SO-1;SO-2", UNICODE,
     D("4800.00"), D("9600.00"), D("4800.00"), "Sales order synced twice",
     {"2024-01": D("1600.00"), "2024-02": D("1600.00"), "2024-03": D("1600.00")}),
    ("EX-004", "erp_adjustment_not_in_crm", "2024-02", "0061x000004", "CM-77", "Beta LLC",
     D("10000.00"), D("8499.75"), D("-1500.25"), "+SUM(1)", {"2024-02": D("-1500.25")}),
    ("EX-005", "amount_mismatch", "2024-03", "0061x000005", "SO-5", "@x",
     D("100.00"), D("100.10"), D("0.10"), "Rounding on the order", {"2024-03": D("0.10")}),
    ("EX-006", "amount_mismatch", "2024-01", "-0061x000006", "SO-6", "Gamma AG",
     D("1250.00"), D("1000.00"), D("-250.00"), "Discount typed on the order only",
     {"2024-01": D("-250.00")}),
    ("EX-007", "sync_timing_gap", "2024-02", "0061x000007", "SO-7", "Delta SA",
     D("3000.00"), D("3000.00"), D("0.00"), "Closed Feb 29, ordered Mar 1",
     {"2024-02": D("-3000.00"), "2024-03": D("3000.00")}),
    ("EX-008", "fx_difference", "2024-01", "0061x000008", "SO-8", "Epsilon KK",
     D("1000.00"), D("1012.34"), D("12.34"), "Rate date differs", {"2024-01": D("12.34")}),
    ("EX-009", "missing_in_crm", "2024-03", None, "SO-9", "Renewal Co",
     None, D("2400.00"), D("2400.00"), "Renewal keyed into the ERP", {"2024-03": D("2400.00")}),
    ("EX-010", "unmapped_product_rule", "2024-03", "0061x000010", "SO-10", "Zeta Ltd",
     D("999.99"), D("999.99"), D("999.99"), "\tNew product line 'Services'",
     {"2024-03": D("999.99")}),
]  # fmt: skip


def _bridge_rows() -> list[dict[str, object]]:
    effects: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for e in EXCEPTIONS:
        for period, amount in e[10].items():  # type: ignore[attr-defined]
            effects[(period, str(e[1]))] += amount
    rows: list[dict[str, object]] = []
    for period in PERIODS:
        crm, won_not_booked, deferred, prior = DEFINITIONS[period]
        running = D(0)
        for step, kind in BRIDGE_STEPS:
            amount = {
                "crm_bookings": crm,
                "won_not_booked": won_not_booked,
                "deferred": deferred,
                "recognized_from_prior": prior,
                "unexplained": UNEXPLAINED[period],
            }.get(step, effects.get((period, step), D("0.00")))
            if kind == "total":
                amount = crm if step == "crm_bookings" else running
            running = amount if kind == "total" else running + amount
            rows.append(
                {"period": period, "step": step, "kind": kind, "amount": amount, "currency": "USD"}
            )
    return rows


BRIDGE_SCHEMA = pa.schema(
    [("period", pa.string()), ("step", pa.string()), ("kind", pa.string()),
     ("amount", MONEY), ("currency", pa.string())]
)  # fmt: skip


def make_result(*, shuffle: bool = False) -> RunResult:
    bridge = _bridge_rows()
    exceptions = [
        {
            "exception_id": e[0], "cause": e[1], "period": e[2], "crm_system": "salesforce",
            "crm_record_id": e[3], "erp_system": "netsuite", "erp_record_id": e[4],
            "customer": e[5], "amount_crm": e[6], "amount_erp": e[7], "impact": e[8],
            "currency": "USD", "explanation": e[9], "suggested_fix": "see the cause",
        }
        for e in EXCEPTIONS
    ]  # fmt: skip
    effects = [
        {"exception_id": e[0], "period": p, "amount": a}
        for e in EXCEPTIONS
        for p, a in e[10].items()  # type: ignore[attr-defined]
    ]
    if shuffle:  # the input order must not matter
        bridge, exceptions, effects = bridge[::-1], exceptions[::-1], effects[::-1]
    exception_schema = pa.schema(
        [(c, MONEY if c in ("amount_crm", "amount_erp", "impact") else pa.string())
         for c in exceptions[0]]
    )  # fmt: skip
    by_line = pa.table(
        {
            "product_line": ["Hardware", "=Software", "Hardware"],
            "period": ["2024-03", "2024-03", "2024-02"],
            "step": ["erp_revenue", "crm_bookings", "crm_bookings"],
            "kind": ["total", "total", "total"],
            "amount": pa.array([D("100.00"), D("-0.50"), D("42.00")], MONEY),
            "currency": ["USD", "USD", "USD"],
        }
    )
    matches = pa.table(
        {
            "crm_object": ["Opportunity", "Account", "Opportunity"],
            "crm_record_id": ["0061x000005", "0011x000001", "0061x000003"],
            "erp_object": ["salesorder", "customer", "salesorder"],
            "erp_record_id": ["SO-5", "C-1", "SO-1;SO-2"],
            "method": ["cross_system_id", "fuzzy_name", "cross_system_id"],
            "score": pa.array([D("1.0000"), D("0.9250"), D("1.0000")], pa.decimal128(5, 4)),
        }
    )
    rejects = pa.table(
        {
            "source_system": ["netsuite", "netsuite", "salesforce"],
            "source_file": ["transactions.csv", "transactions.csv", "opportunities.csv"],
            "source_line": pa.array([214, 9, 10], pa.int64()),
            "table": ["transaction", "transaction", "Opportunity"],
            "field": ["amount", "trandate", "Amount"],
            "value": ["N/A", "31/02/2024", "=1+1"],
            "reason": ["'N/A' is not a number", "not a date", "'=1+1' is not a number"],
        }
    )
    return RunResult(
        version="0.1.0",
        company="Northwind <Demo> & Co",
        currency="USD",
        period_kind="month",
        definitions_hash="3f2a9c0d1e7b4a5f8c6d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b",
        crm_system="salesforce",
        erp_system="netsuite",
        started_at=datetime(2024, 4, 2, 6, 30, 0, tzinfo=UTC),
        finished_at=datetime(2024, 4, 2, 6, 31, 5, tzinfo=UTC),
        inputs=(
            InputFile("salesforce", "Opportunity", "in/opportunities.csv", "a" * 64, 120, 119, 1),
            InputFile("netsuite", "transaction", "in/transactions.csv", "b" * 64, 300, 298, 2),
        ),
        bridge=pa.Table.from_pylist(bridge, BRIDGE_SCHEMA),
        bridge_by_product_line=by_line,
        exceptions=pa.Table.from_pylist(exceptions, exception_schema),
        exception_effects=pa.Table.from_pylist(
            effects,
            pa.schema([("exception_id", pa.string()), ("period", pa.string()), ("amount", MONEY)]),
        ),
        matches=matches,
        rejects=rejects,
        notes=("FX rates for 2024-03 were missing a day: <script>alert(1)</script>",),
    )


@pytest.fixture(scope="session")
def result() -> RunResult:
    return make_result()


@pytest.fixture(scope="session")
def written(result: RunResult, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return write_outputs(result, tmp_path_factory.mktemp("run"))


@pytest.fixture(scope="session")
def result_factory() -> Callable[..., RunResult]:
    return make_result


def check_golden(name: str, actual: bytes) -> None:
    """Compare with tests/unit/outputs/golden/<name>; ``CROSSFOOT_REGEN=1`` rewrites it."""
    path = GOLDEN / name
    if os.environ.get("CROSSFOOT_REGEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(actual)
    assert path.exists(), f"no golden file {path}: run with CROSSFOOT_REGEN=1"
    assert actual.decode("utf-8") == path.read_bytes().decode("utf-8")  # a readable diff


@pytest.fixture(scope="session")
def golden() -> Callable[[str, bytes], None]:
    return check_golden
