"""The demo company: a deterministic Salesforce + NetSuite pair with labelled differences.

"Acme Robotics (demo)" sells subscriptions (ratable, daily), support (ratable,
monthly), hardware (at delivery), services (at close) and a "Data Add-on" that
has no recognition rule in its ``crossfoot.yaml``. All deals close in 2026 and
the numbers are as of 2026-12-31.

Most won deals reach NetSuite cleanly: a correct engine finds no difference on
them. About 2% of the deals per cause (at least 5) carry exactly one injected
difference, and ``labels.csv`` lists each one with the record ids a correct
engine must report (``cause, crm_record_id, erp_record_id, period, note``).
See ``inject.py`` for how each cause is made.

``generate`` is deterministic: the same seed writes the same bytes.
"""

from __future__ import annotations

import csv
import gc
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from crossfoot.causes import CAUSE_CODES
from crossfoot.demo import gl, inject, invoice_only
from crossfoot.demo import schedule_oracle as oracle
from crossfoot.demo.catalog import SUPPORT, FxRates
from crossfoot.demo.erp_writers import ERP_WRITERS, ERPS, demo_definitions
from crossfoot.demo.hubspot import CRM_DEFINITIONS, HubSpotIds, write_hubspot
from crossfoot.demo.ledger import AS_OF
from crossfoot.demo.records import Customer, Txn
from crossfoot.demo.world import World
from crossfoot.demo.writers import (
    write_fx,
    write_netsuite,
    write_salesforce,
)

#: the causes injected on deals (the other two are injected on NetSuite records)
DEAL_CAUSES = tuple(inject.BOOK)
MIN_DEALS = 150
STAGE_SHARES = (("won", 0.72), ("pending", 0.06), ("lost", 0.12))  # the rest is open
UNLINKED_DEAL_SHARE = 0.05


@dataclass(frozen=True)
class Label:
    """One difference a correct engine must report."""

    cause: str
    crm_record_id: str
    erp_record_id: str
    period: str
    note: str


@dataclass(frozen=True)
class DemoCompany:
    """What ``generate`` wrote."""

    root: Path
    definitions: Path
    labels: tuple[Label, ...]
    counts: Mapping[str, int]  # rows per file (a paged NetSuite table counts all its pages)

    def cause_counts(self) -> dict[str, int]:
        return {c: sum(1 for x in self.labels if x.cause == c) for c in CAUSE_CODES}


def per_cause(n_deals: int) -> int:
    """How many records carry each cause: ~2% of the deals, at least 5."""
    return max(5, round(n_deals * 0.02))


def generate(
    out_dir: Path,
    *,
    seed: int = 7,
    n_deals: int = 360,
    erp_format: Literal["json", "csv"] = "json",
    crm: Literal["salesforce", "hubspot"] = "salesforce",
    crm_format: Literal["json", "csv"] = "json",
    erp: str = "netsuite",
) -> DemoCompany:
    """Write the demo company to ``out_dir`` and return what was written.

    ``crm="hubspot"`` writes the same company's CRM side as HubSpot API pages (or,
    with ``crm_format="csv"``, as UI export CSV files); its records get HubSpot
    ids, which the ERP's references and ``labels.csv`` then carry.

    ``erp`` writes the ERP side as NetSuite (SuiteQL pages or CSV, with revenue
    schedules) or as QuickBooks Online, Xero or Business Central API pages
    (``erp_writers.py``) with NetSuite's recognized revenue as each ledger's own GL
    export (``gl.py``, read with ``erp.revenue: gl``).
    """
    if erp not in ERPS:
        raise ValueError(f"erp must be one of {', '.join(ERPS)} (got {erp!r})")
    if n_deals < MIN_DEALS:
        raise ValueError(f"n_deals must be at least {MIN_DEALS} (got {n_deals})")
    if erp_format not in ("json", "csv"):
        raise ValueError(f"erp_format must be json or csv (got {erp_format!r})")
    if crm not in ("salesforce", "hubspot"):
        raise ValueError(f"crm must be salesforce or hubspot (got {crm!r})")
    if crm_format not in ("json", "csv"):
        raise ValueError(f"crm_format must be json or csv (got {crm_format!r})")
    # millions of small objects and no cycles: the cyclic collector would only slow us down
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _generate(Path(out_dir), seed, n_deals, erp_format, crm, crm_format, erp)
    finally:
        if was_enabled:
            gc.enable()


def _generate(
    out_dir: Path, seed: int, n_deals: int, erp_format: str, crm: str, crm_format: str, erp: str
) -> DemoCompany:
    rng = random.Random(seed)
    w = World(rng, FxRates(rng), n_deals)
    w.build_accounts(round(n_deals / 3))
    _deals(w, n_deals)
    _erp_only(w)
    if erp in invoice_only.INVOICE_ONLY:
        invoice_only.adapt(w)
    _definition_drift(w)
    w.ledger.number()
    labels = _labels(w)

    data = out_dir / "data"
    counts: dict[str, int] = {}
    customers = [a.customer for a in w.accounts] + w.extra_customers
    definitions_text = demo_definitions(erp)
    if crm == "hubspot":
        ids = HubSpotIds.assign(w.accounts, w.deals)
        ids.relink(customers, w.ledger.transactions)
        labels = tuple(replace(x, crm_record_id=ids.of(x.crm_record_id) or "") for x in labels)
        counts.update(write_hubspot(data / "hubspot", w.accounts, w.deals, ids, crm_format))
        definitions_text = _with_crm(definitions_text, CRM_DEFINITIONS)
    else:
        counts.update(write_salesforce(data / "salesforce", [a for a in w.accounts], w.deals))
    txns = w.ledger.transactions
    if erp == "netsuite":
        counts.update(
            write_netsuite(data / "netsuite", erp_format, customers, txns, w.ledger.revenue)
        )
    else:
        counts.update(ERP_WRITERS[erp](data / erp, customers, txns))
        has_orders = erp not in invoice_only.INVOICE_ONLY
        posts = gl.postings(w.ledger.revenue, txns, has_orders=has_orders, stand_ins=w.stand_ins)
        counts.update(gl.GL_WRITERS[erp](data / erp, posts))
    counts["fx_rates"] = write_fx(data / "fx_rates.csv", w.fx)
    definitions = out_dir / "crossfoot.yaml"
    definitions.write_text(definitions_text, encoding="utf-8")
    with (out_dir / "labels.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("cause", "crm_record_id", "erp_record_id", "period", "note"))
        writer.writerows(
            (x.cause, x.crm_record_id, x.erp_record_id, x.period, x.note) for x in labels
        )
    counts["labels"] = len(labels)
    return DemoCompany(out_dir, definitions, labels, counts)


def _with_crm(definitions: str, crm_block: str) -> str:
    """The definitions with their ``crm:`` block replaced."""
    start = definitions.index("\ncrm:\n") + 1
    end = definitions.index("\nerp:\n", start) + 1
    return definitions[:start] + crm_block + definitions[end:]


def _deals(w: World, n_deals: int) -> None:
    """Stages in their shares; among the won deals, ``per_cause`` of each deal cause."""
    rng = w.rng
    stages: list[str] = []
    for stage, share in STAGE_SHARES:
        stages += [stage] * round(n_deals * share)
    stages += ["open"] * (n_deals - len(stages))
    rng.shuffle(stages)
    won = [i for i, s in enumerate(stages) if s == "won"]
    k = per_cause(n_deals)
    roles = [c for c in DEAL_CAUSES for _ in range(k)]
    roles += ["clean"] * (len(won) - len(roles))
    rng.shuffle(roles)
    role_of = dict(zip(won, roles, strict=True))
    clean = [i for i in won if role_of[i] == "clean"]
    unlinked = frozenset(rng.sample(clean, round(len(clean) * UNLINKED_DEAL_SHARE)))
    stale = [i for i in won if role_of[i] == "stale_delivery_status"]
    reverse_stale = frozenset(stale[: max(1, round(k * 0.25))])

    foreign = [a for a in w.accounts if a.currency != "USD"]
    domestic = [a for a in w.accounts if a.currency == "USD"]
    pools = {"fx_difference": foreign, "sync_timing_gap": domestic}
    for i, stage in enumerate(stages):
        role = role_of.get(i, stage)
        deal = w.new_deal(i, role, stage, pools.get(role, w.accounts))
        if role == "clean":
            inject.clean(w, deal, linked=i not in unlinked)
        elif role == "stale_delivery_status":
            inject.stale_delivery_status(w, deal, reverse=i in reverse_stale)
        elif role in inject.BOOK:
            inject.BOOK[role](w, deal)
        elif stage == "pending" and deal.has("Hardware"):
            deal.delivery_status = "Pending"


def _erp_only(w: World) -> None:
    """Renewals keyed into NetSuite and duplicate customers, on distinct booked accounts."""
    k = per_cause(w.n_deals)
    booked = sorted({d.account.index for d in w.deals if d.sales_order is not None})
    candidates = [w.accounts[i] for i in booked if w.accounts[i].linked]
    if len(candidates) < 2 * k:
        raise ValueError("too few booked accounts for the NetSuite-only differences")
    chosen = w.rng.sample(candidates, 2 * k)
    inject.missing_in_crm(w, chosen[:k])
    inject.duplicate_customers(w, chosen[k:])


def _definition_drift(w: World) -> None:
    """The definitions say Support is daily; the ERP's rule is monthly (``ledger.erp_schedule``).

    Every booked deal the ERP has, with a Support line whose two schedules differ by
    the as-of date, is a ``definition_drift`` difference.
    """
    for deal in w.deals:
        if deal.stage != "Closed Won" or deal.role == "missing_in_erp":
            continue
        for line in deal.lines:
            if line.product.family != SUPPORT or line.start is None or line.end is None:
                continue
            as_defined = oracle.until(oracle.daily(line.amount, line.start, line.end), AS_OF)
            as_erp = oracle.until(oracle.monthly(line.amount, line.start, line.end), AS_OF)
            if as_defined != as_erp:
                w.label("definition_drift", deal, [], "Support: ERP monthly, definitions daily")
                break


def _erp_id(record: Txn | Customer) -> str:
    return str(record.id if isinstance(record, Txn) else record.ns_id)


def _labels(w: World) -> tuple[Label, ...]:
    order = {c: i for i, c in enumerate(CAUSE_CODES)}
    labels = [
        Label(p.cause, p.crm, ";".join(sorted(_erp_id(r) for r in p.erp)), p.period, p.note)
        for p in w.labels
    ]
    labels.sort(key=lambda x: (order[x.cause], x.period, x.crm_record_id, x.erp_record_id))
    return tuple(labels)
