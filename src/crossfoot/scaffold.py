"""``crossfoot init``: a commented crossfoot.yaml and the data folders it points at."""

from __future__ import annotations

from pathlib import Path

from crossfoot.errors import InputError

TEMPLATE = """\
# crossfoot.yaml — the definitions sales and finance agreed on (SPEC §4).
# Review this file like code: every business rule of the reconciliation is here.
# Paths are relative to this file. Secrets never go here: name environment variables.
company: {company}

reporting:
  currency: USD                 # reporting currency (ISO 4217)
  period: month                 # month | quarter; periods are written 2026-03 / 2026-Q1
  fiscal_calendar: calendar     # calendar | 4-4-5 | 4-5-4 | 5-4-4 (then set fiscal_year_start)
  # fiscal_year_start: 2026-01-01 # the first day of a fiscal year
  # as_of: 2026-12-31           # last day covered; default: the ERP's latest revenue period

crm:
  system: salesforce
  source: data/salesforce       # Account.csv, Opportunity.csv, OpportunityLineItem.csv, Product2.csv
  fields:                       # canonical field: Object.Field where your org keeps it
    product_line: Product2.Family
    # delivery_status: Opportunity.Delivery_Status__c
    # erp_ref: Opportunity.NetSuite_Sales_Order__c
    # erp_customer_ref: Account.NetSuite_Customer_Id__c
    service_start: OpportunityLineItem.ServiceDate
    # service_end: OpportunityLineItem.Service_End_Date__c

erp:
  system: netsuite
  source: data/netsuite         # customer, transaction, transactionline, item, classification, revenue
  date_format: auto             # auto | M/D/YYYY | D/M/YYYY | YYYY-MM-DD | D.M.YYYY | D-MON-YYYY
  fields:
    product_line: transactionline.class
    # crm_deal_ref: transaction.custbody_sf_opportunity_id
    # crm_account_ref: customer.custentity_sf_account_id
    # rev_start: transactionline.custcol_rev_start
    # rev_end: transactionline.custcol_rev_end

fx_rates: data/fx_rates.csv     # date,from_currency,to_currency,rate

stages:                         # each CRM stage: open | won | won_not_booked | lost
  Closed Won: won
  Closed Lost: lost
  "*": open                     # every other stage

product_lines:                  # product line: its recognition rule
  Subscription: {{rule: ratable, convention: daily}}       # daily | monthly
  Services: {{rule: point_in_time, at: close}}
  Hardware: {{rule: point_in_time, at: delivery}}         # `at`, not `on` (YAML reads on as true)

delivered_values: [Delivered, Shipped, Fulfilled, Complete, Completed]

tolerances:
  amount_abs: 1.00              # amounts closer than this are equal
  amount_rel: 0.005             # ... or closer than this share of the amount
  match_window_days: 45         # deal close date vs ERP document date, for matching by rule
  sync_lag_days: 7              # a document this many days after the close is a sync timing gap
"""


def scaffold(folder: Path, company: str = "My Company") -> list[Path]:
    target = folder / "crossfoot.yaml"
    if target.exists():
        raise InputError("already exists; remove it or choose another folder", location=str(target))
    written = []
    for sub in ("data/salesforce", "data/netsuite"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
        written.append(folder / sub)
    folder.mkdir(parents=True, exist_ok=True)
    target.write_text(TEMPLATE.format(company=company), encoding="utf-8")
    rates = folder / "data" / "fx_rates.csv"
    if not rates.exists():
        rates.write_text("date,from_currency,to_currency,rate\n", encoding="utf-8")
        written.append(rates)
    return [target, *written]
