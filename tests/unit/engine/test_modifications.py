"""Changes to a deal after its close: separate contract at SSP, prospective otherwise."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal
from typing import Any

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.pipeline import reconcile
from tests.unit.engine import canonical
from tests.unit.engine.conftest import make_defs


def run(
    backend: DuckDBBackend, amount: str, start: date, end: date, change: dict[str, Any]
) -> tuple[dict[int, Decimal], list[dict[str, Any]], dict[str, Decimal]]:
    canonical.load(
        backend,
        {
            "account": [{"account_id": "A", "name": "Office Co"}],
            "deal": [{"deal_id": "D", "account_id": "A", "name": "Cleaning", "stage": "Closed Won",
                      "close_date": start, "amount": Decimal(amount), "currency": "USD"}],
            "deal_line": [{"line_id": "L", "deal_id": "D", "product_line": "Support",
                           "amount": Decimal(amount), "service_start": start, "service_end": end}],
            "deal_change": [{"deal_id": "D", **change}],
        },
    )  # fmt: skip
    defs = make_defs(reporting={"currency": "USD", "as_of": date(2030, 12, 31)})
    reconcile(backend, defs)
    expected = backend.to_arrow(backend.table("expected")).to_pylist()
    by_year: dict[int, Decimal] = defaultdict(Decimal)
    for r in expected:
        by_year[r["date"].year] += Decimal(r["cents"]).scaleb(-2)
    mods = backend.to_arrow(backend.table("deal_mod")).to_pylist()
    bookings: dict[str, Decimal] = defaultdict(Decimal)
    bridge = backend.to_arrow(backend.table("bridge")).to_pylist()
    for r in bridge:
        if r["step"] == "crm_bookings" and r["cents"]:
            bookings[r["period"]] += Decimal(r["cents"]).scaleb(-2)
    return dict(by_year), mods, dict(bookings)


def test_a_modification_not_at_ssp_is_prospective(backend: DuckDBBackend) -> None:
    # IFRS 15 Illustrative Example 7 (IFRS 15.IE42-IE43): a three-year service contract at
    # 100,000 a year; at the start of year 3 the fee for year 3 drops to 80,000 and the
    # contract is extended by three years for 200,000. Not at SSP, so prospective: the
    # remaining 280,000 over the remaining four years is 70,000 a year for years 3 to 6.
    by_year, mods, bookings = run(
        backend, "480000.00", date(2020, 1, 1), date(2025, 12, 31),
        {"changed_on": date(2022, 1, 1), "amount_before": Decimal("300000.00"),
         "amount_after": Decimal("480000.00"), "end_before": date(2022, 12, 31),
         "end_after": date(2025, 12, 31)},
    )  # fmt: skip
    assert [m["treatment"] for m in mods] == ["prospective"]
    # monthly pieces round to the cent: compare whole currency units as the example does
    whole = {y: int(v.quantize(Decimal(1))) for y, v in by_year.items()}
    assert whole == {2020: 100_000, 2021: 100_000, 2022: 70_000, 2023: 70_000, 2024: 70_000,
                     2025: 70_000}  # fmt: skip
    assert sum(by_year.values()) == Decimal("480000.00")
    # booked at 300,000 on the close; the 180,000 added when the contract changed
    assert bookings == {"2020-01": Decimal("300000.00"), "2022-01": Decimal("180000.00")}


def test_added_time_at_its_standalone_price_is_a_separate_contract(
    backend: DuckDBBackend,
) -> None:
    # IFRS 15.20: the same contract extended by three years at the original 100,000 a year
    # is a separate contract: the first three years keep 100,000 each, the added three too.
    by_year, mods, _ = run(
        backend, "600000.00", date(2020, 1, 1), date(2025, 12, 31),
        {"changed_on": date(2022, 1, 1), "amount_before": Decimal("300000.00"),
         "amount_after": Decimal("600000.00"), "end_before": date(2022, 12, 31),
         "end_after": date(2025, 12, 31)},
    )  # fmt: skip
    assert [m["treatment"] for m in mods] == ["separate"]
    whole = {y: int(v.quantize(Decimal(1))) for y, v in by_year.items()}
    assert whole == {y: 100_000 for y in range(2020, 2026)}
    assert sum(by_year.values()) == Decimal("600000.00")


def test_a_price_reduction_reflected_in_the_crm_reduces_revenue_from_its_date(
    backend: DuckDBBackend,
) -> None:
    # 120,000 over 2026; a credit of 12,000 reflected on the deal on 10 July: January to
    # June keep 10,000 a month, the remaining 48,000 is 8,000 a month from July.
    canonical_change = {
        "changed_on": date(2026, 7, 10), "amount_before": Decimal("120000.00"),
        "amount_after": Decimal("108000.00"),
    }  # fmt: skip
    run(backend, "108000.00", date(2026, 1, 1), date(2026, 12, 31), canonical_change)
    rows = backend.to_arrow(backend.table("expected").order_by("date")).to_pylist()
    monthly = [Decimal(r["cents"]).scaleb(-2) for r in rows]
    assert monthly == [Decimal("10000.00")] * 6 + [Decimal("8000.00")] * 6
