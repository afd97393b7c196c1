"""crossfoot.yaml validation: the SPEC §4 example loads; every error names line, key, value."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

from crossfoot.config import PointInTime, Ratable, load_definitions
from crossfoot.errors import ConfigError

SPEC_EXAMPLE = """\
company: Acme Robotics
reporting:
  currency: USD
  period: month
  fiscal_calendar: calendar
  fiscal_year_start: 2026-01-01
crm:
  system: salesforce
  source: data/salesforce
  fields:
    product_line: Product2.Family
    delivery_status: Opportunity.Delivery_Status__c
    erp_ref: Opportunity.NetSuite_Sales_Order__c
    erp_customer_ref: Account.NetSuite_Customer_Id__c
    service_start: OpportunityLineItem.ServiceDate
    service_end: OpportunityLineItem.Service_End_Date__c
erp:
  system: netsuite
  source: data/netsuite
  fields:
    crm_deal_ref: transaction.custbody_sf_opportunity_id
    crm_account_ref: customer.custentity_sf_account_id
    product_line: transactionline.class
    rev_start: transactionline.custcol_rev_start
    rev_end: transactionline.custcol_rev_end
fx_rates: data/fx_rates.csv
stages:
  Closed Won: won
  Closed Won - Pending Signature: won_not_booked
  Closed Lost: lost
  "*": open
product_lines:
  Subscription: {rule: ratable, convention: daily}
  Hardware: {rule: point_in_time, at: delivery}
  Services: {rule: point_in_time, at: close}
tolerances:
  amount_abs: 1.00
  amount_rel: 0.005
  match_window_days: 45
  sync_lag_days: 7
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "crossfoot.yaml"
    p.write_text(text, encoding="utf-8")
    return p


def test_the_spec_example_loads(tmp_path: Path) -> None:
    defs = load_definitions(write(tmp_path, SPEC_EXAMPLE))
    assert defs.company == "Acme Robotics"
    assert defs.stage_class("Closed Won - Pending Signature") == "won_not_booked"
    assert defs.stage_class("Negotiation") == "open"
    assert isinstance(defs.product_lines["Subscription"], Ratable)
    assert defs.product_lines["Hardware"] == PointInTime(rule="point_in_time", at="delivery")
    # YAML reads 0.005 as a float; the definitions keep the exact decimal
    assert defs.tolerances.amount_rel == Decimal("0.005")
    assert defs.tolerances.amount_abs == Decimal("1.00")
    assert defs.path("data/netsuite") == tmp_path / "data/netsuite"
    assert len(defs.source_hash) == 64


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "  Closed Lost: lost",
            "  Closed Lost: lst",
            r"crossfoot.yaml:30 stages.Closed Lost: 'lst'.*'open', 'won', 'won_not_booked' or 'lost'",
        ),
        (
            "convention: daily",
            "convention: weekly",
            r":33 product_lines.Subscription.convention: 'weekly'.*'month30' or 'full_months'",
        ),
        (
            "at: delivery",
            "on: delivery",
            r":34 product_lines.Hardware: YAML reads the key `on` as true: write `at:",
        ),
        (
            "  currency: USD",
            "  currency: dollars",
            r":3 reporting.currency: .*three-letter ISO 4217",
        ),
        ("  system: netsuite", "  system: sap", r":18 erp.system: 'sap'.*'netsuite'"),
        (
            "    product_line: Product2.Family",
            "    colour: Product2.Family",
            r":11 crm.fields: 'colour' is not a canonical field.*allowed: close_date",
        ),
        (
            "  sync_lag_days: 7",
            "  sync_lag_days: 7\n  sync_lag_hours: 3",
            r":41 tolerances.sync_lag_hours: is not a known key",
        ),
        (
            "  match_window_days: 45",
            "  match_window_days: -1",
            r"tolerances.match_window_days: -1: .*greater than or equal to 0",
        ),
    ],
)
def test_errors_name_line_key_value_and_what_is_allowed(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in SPEC_EXAMPLE
    with pytest.raises(ConfigError) as err:
        load_definitions(write(tmp_path, SPEC_EXAMPLE.replace(old, new)))
    assert re.search(expected, str(err.value)), str(err.value)
    assert err.value.exit_code == 2


def test_missing_required_section(tmp_path: Path) -> None:
    text = SPEC_EXAMPLE.split("erp:")[0]
    with pytest.raises(ConfigError, match=r"erp: is required"):
        load_definitions(write(tmp_path, text))


def test_no_won_stage_is_rejected(tmp_path: Path) -> None:
    text = SPEC_EXAMPLE.replace("Closed Won: won", "Closed Won: open").replace(
        ": won_not_booked", ": lost"
    )
    with pytest.raises(ConfigError, match="no stage maps to won"):
        load_definitions(write(tmp_path, text))


@pytest.mark.parametrize("text", ["- a\n- b\n", "company: [unclosed\n", ""])
def test_not_a_mapping_or_not_yaml(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError, match=r"crossfoot.yaml"):
        load_definitions(write(tmp_path, text))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the definitions file"):
        load_definitions(tmp_path / "nope.yaml")
