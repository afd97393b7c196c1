"""The roadmap and the platform-fit findings on the small company of test_flow."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from crossfoot.diagnostic.roadmap import LAYERS, build_roadmap
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.engine.money import cents_to_decimal
from tests.unit.diagnostic.test_flow import DEFS, company  # noqa: F401 (fixture)


def test_item_money_is_the_sum_of_its_exceptions_effects(company: DuckDBBackend) -> None:  # noqa: F811
    items = build_roadmap(company, DEFS)
    assert items, "the company has exceptions"
    effects = company.to_arrow(company.table("exception_effect")).to_pylist()
    moved: dict[str, Decimal] = defaultdict(Decimal)
    for e in effects:
        moved[e["exception_id"]] += abs(cents_to_decimal(e["cents"]))
    for item in items:
        assert item.money == sum((moved[x] for x in item.exception_ids), Decimal(0))
        assert item.records == len(item.exception_ids)
        assert item.layer in LAYERS
    every = [x for i in items for x in i.exception_ids]
    assert len(every) == len(set(every))  # each exception in one item
    rows = company.to_arrow(company.table("exception_rows")).num_rows
    assert len(every) == rows


def test_items_are_ranked_by_money_per_day(company: DuckDBBackend) -> None:  # noqa: F811
    items = build_roadmap(company, DEFS)
    assert [i.rank for i in items] == list(range(1, len(items) + 1))
    ratios = [Fraction(i.money) / i.effort_days for i in items]
    assert ratios == sorted(ratios, reverse=True)


def test_items_name_the_concrete_field(company: DuckDBBackend) -> None:  # noqa: F811
    by_cause = {i.cause: i for i in build_roadmap(company, DEFS)}
    timing = by_cause["sync_timing_gap"]
    assert timing.title.startswith("Run the sync hourly in the last three days of the month")
    assert "D2" in timing.detail
    credit = by_cause["erp_adjustment_not_in_crm"]
    assert "CM3" in credit.detail and "Opportunity" in credit.title
    stale = by_cause["stale_delivery_status"]
    # no fulfilment date is mapped in these definitions: the fix says which key to add
    assert stale.title.startswith("Update Opportunity.Status__c from NetSuite invoices")
    assert "erp.fields.fulfilled_on" in stale.title
