"""The demo company in an ERP without sales orders (QuickBooks Online, Xero).

The integration books a deal there by invoicing it, so what NetSuite holds as an
order is, in these ERPs, the invoices billed from it:

* a label naming an order names its invoices instead (an order never billed, such
  as an undelivered one, leaves nothing to name); a renewal keyed straight into
  the ERP (``missing_in_crm``) is one record per invoice, so one label each;
* a sync that ran twice (``duplicate_in_erp``) created a second copy of the deal's
  first invoice, a few days later, where NetSuite got a second order.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from crossfoot.demo.records import Customer, Txn, TxnLine
from crossfoot.demo.world import PendingLabel, World, period

#: the demo's ERPs that hold no sales orders
INVOICE_ONLY = ("quickbooks", "xero")


def adapt(w: World) -> None:
    """Add the duplicate invoices and relabel orders as invoices; before numbering."""
    billed: dict[int, list[Txn]] = {}
    for t in w.ledger.transactions:
        if t.type == "CustInvc" and t.created_from is not None:
            billed.setdefault(id(t.created_from), []).append(t)
    deals = {d.sf_id: d for d in w.deals}
    labels: list[PendingLabel] = []
    for p in w.labels:
        if p.cause == "duplicate_in_erp":
            deal = deals[p.crm]
            first = min(billed.get(id(deal.sales_order), []), key=_when,
                        default=None)  # fmt: skip
            dup = p.erp[0]
            assert isinstance(dup, Txn)
            p.erp = []
            if first is not None:
                copy = _copy(w, first, dup.created - dup.trandate)
                w.stand_ins[id(dup)] = copy  # the GL books the duplicate's revenue on it
                p.erp = [copy]
            labels.append(p)
            continue
        erp: list[Txn | Customer] = []
        for r in p.erp:
            if isinstance(r, Txn) and r.type == "SalesOrd":
                invoices: list[Txn] = sorted(billed.get(id(r), []), key=_when)
                erp += invoices
            else:
                erp.append(r)
        if p.cause == "missing_in_crm":
            labels += [replace(p, erp=[t], period=period(t.trandate)) for t in erp
                       if isinstance(t, Txn)]  # fmt: skip
        else:
            p.erp = erp
            labels.append(p)
    w.labels[:] = labels


def _when(t: Txn) -> tuple[date, int]:
    return (t.trandate, t.seq)


def _copy(w: World, invoice: Txn, later: timedelta) -> Txn:
    """The same invoice entered again ``later`` (dated as the first: a copy of it)."""
    copy = w.ledger._new(
        "CustInvc", invoice.trandate, invoice.created + later, invoice.customer,
        invoice.currency, invoice.rate, invoice.opportunity, invoice.status,
        created_from=invoice.created_from,
    )  # fmt: skip
    items = [TxnLine("item", x.amount, x.item, x.product_line, None, x.rev_start, x.rev_end)
             for x in invoice.items]  # fmt: skip
    w.ledger.finish(copy, items)
    return copy
