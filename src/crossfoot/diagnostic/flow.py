"""The lead-to-cash flow map observed from the data (SPEC §9, issue 5).

For every field that carries across the systems it measures, on matched
records, where the field is set and whether the two sides agree; which side
changed first (the deal's ``last_modified`` against the document's
``created_at``); the lag from the CRM close to the ERP document; and the
one-way flows: changes made in the ERP that the CRM never saw.

Everything is a relational expression over the engine's tables
(``deal_facts``, ``doc_value``, ``revenue_value``, ``account_customer``);
only the handful of aggregate rows reach Python.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from crossfoot.config import Definitions
from crossfoot.diagnostic.findings import FieldFlow, FlowMap, OneWayFlow, SyncLag
from crossfoot.engine.backend import Backend
from crossfoot.engine.match_deals import within_tolerance_cents
from crossfoot.engine.money import cents_to_decimal
from crossfoot.engine.periods import period_of

#: where each system keeps the fields every export has (the definitions' field
#: map names the rest); used only to label the flow map
SYSTEM_FIELDS: dict[str, dict[str, str]] = {
    "salesforce": {
        "objects": "Account, Opportunity, OpportunityLineItem",
        "amount": "Opportunity.Amount",
        "close_date": "Opportunity.CloseDate",
        "stage": "Opportunity.StageName",
        "ids": "Opportunity.Id",
        "customer_ids": "Account.Id",
        "product_line": "Product2.Family",
    },
    "hubspot": {
        "objects": "companies, deals, line_items",
        "amount": "deals.amount",
        "close_date": "deals.closedate",
        "stage": "deals.dealstage",
        "ids": "deals.hs_object_id",
        "customer_ids": "companies.hs_object_id",
        "product_line": "line_items.product line",
    },
    "netsuite": {
        "objects": "customer, transaction, transactionline, revenue",
        "amount": "transactionline.netamount",
        "close_date": "transaction.trandate",
        "stage": "transaction.type (SalesOrd, CustInvc, CustCred)",
        "ids": "transaction.id",
        "customer_ids": "customer.id",
        "product_line": "transactionline.class",
    },
    "quickbooks": {
        "objects": "Customer, Invoice, CreditMemo, Item, Class",
        "amount": "Invoice.Line.Amount",
        "close_date": "Invoice.TxnDate",
        "stage": "Invoice / CreditMemo",
        "ids": "Invoice.Id",
        "customer_ids": "Customer.Id",
        "product_line": "Line.ClassRef",
    },
    "xero": {
        "objects": "Contacts, Invoices (ACCREC), CreditNotes",
        "amount": "LineItems.LineAmount",
        "close_date": "Invoices.Date",
        "stage": "Invoices.Status",
        "ids": "Invoices.InvoiceID",
        "customer_ids": "Contacts.ContactID",
        "product_line": "LineItems.Tracking",
    },
    "business_central": {
        "objects": "customers, salesOrders, salesInvoices, salesCreditMemos",
        "amount": "salesOrderLines.netAmount",
        "close_date": "salesOrders.orderDate",
        "stage": "salesOrders / salesInvoices",
        "ids": "salesOrders.id",
        "customer_ids": "customers.id",
        "product_line": "dimensionSetLines",
    },
}

SYSTEM_LABELS = {
    "salesforce": "Salesforce",
    "hubspot": "HubSpot",
    "netsuite": "NetSuite",
    "quickbooks": "QuickBooks Online",
    "xero": "Xero",
    "business_central": "Business Central",
}


def system_label(system: str) -> str:
    return SYSTEM_LABELS.get(system, system)


#: field key -> (label, canonical CRM field, canonical ERP field)
FIELDS: tuple[tuple[str, str, str, str], ...] = (
    ("ids", "Cross-system deal id", "erp_ref", "crm_deal_ref"),
    ("customer_ids", "Cross-system customer id", "erp_customer_ref", "crm_account_ref"),
    ("amount", "Amount", "amount", "amount"),
    ("close_date", "Close date / document date", "close_date", "close_date"),
    ("product_line", "Product line", "product_line", "product_line"),
    ("stage", "Stage (won = booked)", "stage", "stage"),
    ("delivery_status", "Delivery status", "delivery_status", "fulfilled_on"),
)


def field_name(defs: Definitions, side: str, canonical: str) -> str:
    """Where ``side`` (crm | erp) keeps ``canonical``: the definitions first, then the default."""
    system = defs.crm if side == "crm" else defs.erp
    if canonical in system.fields:
        return system.fields[canonical]
    return SYSTEM_FIELDS.get(system.system, {}).get(canonical, "(not mapped)")


def _measure(
    t: ir.Table,
    field: str,
    crm_set: ir.BooleanValue,
    erp_set: ir.BooleanValue,
    agree: ir.BooleanValue,
    crm_first: ir.BooleanValue | None = None,
) -> ir.Table:
    both = crm_set & erp_set
    first = ibis.null("boolean") if crm_first is None else ibis.ifelse(both, crm_first, None)
    return t.select(
        field=ibis.literal(field),
        crm_set=crm_set.fill_null(False),
        erp_set=erp_set.fill_null(False),
        agree=(both & agree).fill_null(False),
        crm_first=first,
    )


def field_measures(backend: Backend, defs: Definitions) -> ir.Table:
    """One row per (field, matched record): set on each side, agree, which side changed first."""
    facts = backend.table("deal_facts")
    dv = backend.table("doc_value")
    deal = backend.table("deal").select(m_id="deal_id", last_modified="last_modified")
    pdoc = dv.select(pd_id="doc_id", p_number="number", p_created="created_at")
    f = facts.filter(facts.has_docs)
    f = f.left_join(deal, f.deal_id == deal.m_id)
    f = f.left_join(pdoc, f.p_doc == pdoc.pd_id)
    crm_first = f.last_modified <= f.p_created  # null when either timestamp is missing

    same_currency = f.p_currency == f.currency
    diff = ibis.ifelse(
        same_currency,
        f.book_cents - f.cents,
        f.book_rc_cents - f.rc_cents,
    ).abs()
    delivered = [v.lower() for v in defs.delivered_values]

    parts = [
        _measure(
            f, "ids", f.erp_ref.notnull(), f.p_ref.notnull(),
            f.erp_ref.isin([f.p_doc, f.p_number]) & (f.p_ref == f.deal_id), crm_first,
        ),
        _measure(
            f, "amount", f.cents.notnull(), f.book_cents.notnull(),
            diff <= within_tolerance_cents(f.rc_cents, defs), crm_first,
        ),
        _measure(
            f, "close_date", f.close_date.notnull(), f.p_date.notnull(),
            period_of(f.close_date, defs) == period_of(f.p_date, defs), crm_first,
        ),
        _measure(
            f, "product_line", f.crm_n.fill_null(0) > 0, f.erp_n.fill_null(0) > 0,
            f.n_only_crm.fill_null(0) == 0, crm_first,
        ),
    ]  # fmt: skip
    # delivery: only deals sold with a product line recognized at delivery
    g = f.filter(f.has_delivery_rule.fill_null(False))
    g_delivered = (
        g.delivery_date.notnull()
        if "delivery_date" in defs.crm.fields
        else g.delivery_status.lower().strip().isin(delivered).fill_null(False)
    )
    g_status = (
        (g.delivery_date.notnull() | g.delivery_status.notnull())
        if "delivery_date" in defs.crm.fields
        else g.delivery_status.notnull()
    )
    erp_tracks = ibis.literal("fulfilled_on" in defs.erp.fields) | g.erp_shipped.fill_null(False)
    parts.append(
        _measure(
            g, "delivery_status", g_status, erp_tracks,
            g_delivered == g.erp_shipped.fill_null(False),
            g.last_modified <= g.p_created,
        )
    )  # fmt: skip
    parts.append(_stage_measures(backend))
    parts.append(_customer_id_measures(backend))
    return ibis.union(*parts)


def _stage_measures(backend: Backend) -> ir.Table:
    """Every deal with an ERP document: the ERP booked it, so the CRM should say won."""
    dv = backend.table("doc_value")
    with_docs = dv.filter(dv.deal_id.notnull() & (dv.doc_type != "credit_memo"))
    booked = with_docs.group_by("deal_id").aggregate(first_doc=lambda t: t.created_at.min())
    cls = backend.table("deal_class")
    deal = backend.table("deal").select(m_id="deal_id", last_modified="last_modified")
    j = booked.join(cls, "deal_id")
    j = j.left_join(deal, j.deal_id == deal.m_id)
    return _measure(
        j, "stage", ibis.literal(True), ibis.literal(True), j.stage_class == "won",
        j.last_modified <= j.first_doc,
    )  # fmt: skip


def _customer_id_measures(backend: Backend) -> ir.Table:
    ac = backend.table("account_customer").select("account_id", "customer_id")
    account = backend.table("account").select(a_id="account_id", a_ref="erp_customer_ref")
    customer = backend.table("customer").select(c_id="customer_id", c_ref="crm_account_ref")
    j = ac.join(account, ac.account_id == account.a_id).join(
        customer, ac.customer_id == customer.c_id
    )
    return _measure(
        j, "customer_ids", j.a_ref.notnull(), j.c_ref.notnull(),
        (j.a_ref == j.customer_id) & (j.c_ref == j.account_id),
    )  # fmt: skip


def field_flows(backend: Backend, defs: Definitions) -> tuple[FieldFlow, ...]:
    m = field_measures(backend, defs)
    agg = m.group_by("field").aggregate(
        matched=m.count(),
        crm_set=m.crm_set.sum(),
        erp_set=m.erp_set.sum(),
        both_set=(m.crm_set & m.erp_set).sum(),
        agree=m.agree.sum(),
        crm_first=(m.crm_first == True).sum(),  # noqa: E712 (SQL three-valued logic)
        erp_first=(m.crm_first == False).sum(),  # noqa: E712
    )
    rows = {r["field"]: r for r in backend.to_arrow(agg).to_pylist()}
    out = []
    for key, label, crm_canon, erp_canon in FIELDS:
        r = rows.get(key, {})
        out.append(
            FieldFlow(
                field=key,
                label=label,
                crm_field=field_name(defs, "crm", crm_canon if key != "ids" else "erp_ref"),
                erp_field=field_name(defs, "erp", erp_canon),
                **{
                    k: int(r.get(k) or 0)
                    for k in ("matched", "crm_set", "erp_set", "both_set", "agree")
                },
                crm_first=int(r.get("crm_first") or 0),
                erp_first=int(r.get("erp_first") or 0),
            )
        )
    return tuple(out)


def lag_days(backend: Backend) -> ir.Table:
    """deal_id, lag: days from the close date to the primary ERP document, matched won deals."""
    f = backend.table("deal_facts")
    won = f.filter(f.has_docs & (f.stage_class == "won") & f.p_date.notnull())
    return won.select("deal_id", lag=won.p_date.delta(won.close_date, unit="day").cast("int64"))


def sync_lag(backend: Backend, defs: Definitions) -> SyncLag:
    window = defs.tolerances.sync_lag_days
    lags = lag_days(backend)
    n = lags.count().over()
    ranked = lags.mutate(pos=ibis.row_number().over(order_by=[lags.lag, lags.deal_id]) + 1, n=n)

    def nearest_rank(q_num: int, q_den: int) -> ir.Value:
        # nearest-rank percentile: the value at position ceil(q·n), an observed lag
        target = (ranked.n * q_num + q_den - 1) // q_den
        return ibis.ifelse(ranked.pos == target, ranked.lag, None).max()

    agg = ranked.aggregate(
        documents=ranked.count(),
        median=nearest_rank(1, 2),
        p90=nearest_rank(9, 10),
        max=ranked.lag.max(),
        beyond=(ranked.lag > window).sum(),
        before=(ranked.lag < 0).sum(),
    )
    r = backend.to_arrow(agg).to_pylist()[0]
    return SyncLag(
        documents=int(r["documents"] or 0),
        median_days=r["median"],
        p90_days=r["p90"],
        max_days=r["max"],
        window_days=window,
        beyond_window=int(r["beyond"] or 0),
        before_close=int(r["before"] or 0),
    )


def one_way_flows(backend: Backend, defs: Definitions) -> tuple[OneWayFlow, ...]:
    f = backend.table("deal_facts").filter(lambda t: t.has_docs)
    crm, erp = system_label(defs.crm.system), system_label(defs.erp.system)
    book_rc = f.book_rc_cents.fill_null(0)
    cm_rc = f.cm_rc_cents.fill_null(0)
    tol = within_tolerance_cents(f.rc_cents, defs)
    cm_unseen = f.cm_ids.notnull() & ((f.rc_cents - (book_rc + cm_rc)).abs() > tol)
    delivered = [v.lower() for v in defs.delivered_values]
    crm_delivered = (
        f.delivery_date.notnull()
        if "delivery_date" in defs.crm.fields
        else f.delivery_status.lower().strip().isin(delivered).fill_null(False)
    )
    shipped = f.erp_shipped.fill_null(False) & f.has_delivery_rule.fill_null(False)
    rev = backend.table("revenue_value")
    erp_only = (
        rev.filter(rev.deal_id.isnull())
        .group_by("root_id")
        .aggregate(cents=lambda t: t.rc_cents.sum())
    )
    zero = ibis.literal(0, "int64")
    stats = [
        f.aggregate(
            key=ibis.literal("credit_memos"),
            records=f.cm_ids.notnull().sum(),
            not_seen=cm_unseen.sum(),
            cents=ibis.ifelse(cm_unseen, -cm_rc, zero).sum(),
        ),
        f.aggregate(
            key=ibis.literal("fulfilments"),
            records=shipped.sum(),
            not_seen=(shipped & ~crm_delivered).sum(),
            cents=ibis.ifelse(shipped & ~crm_delivered, f.rc_cents, zero).sum(),
        ),
        f.aggregate(
            key=ibis.literal("erp_amount_changes"),
            records=(f.cm_ids.isnull() & f.book_cents.notnull()).sum(),
            not_seen=f.amount_mismatch.sum(),
            cents=ibis.ifelse(f.amount_mismatch, (book_rc - f.rc_cents).abs(), zero).sum(),
        ),
        erp_only.aggregate(
            key=ibis.literal("erp_only_documents"),
            records=erp_only.count(),
            not_seen=erp_only.count(),
            cents=erp_only.cents.sum(),
        ),
    ]
    casted = [s.mutate(records=s.records.cast("int64"), not_seen=s.not_seen.cast("int64"),
                       cents=s.cents.cast("int64")) for s in stats]  # fmt: skip
    rows = {r["key"]: r for r in backend.to_arrow(ibis.union(*casted)).to_pylist()}
    what = {
        "credit_memos": (
            erp, crm,
            f"credit memos → {field_name(defs, 'crm', 'amount')} (deal amount still the original)",
        ),
        "fulfilments": (
            erp, crm,
            f"{field_name(defs, 'erp', 'fulfilled_on')} → {field_name(defs, 'crm', 'delivery_status')}",
        ),
        "erp_amount_changes": (
            erp, crm, f"price changes on the order → {field_name(defs, 'crm', 'amount')}",
        ),
        "erp_only_documents": (
            erp, crm, "documents keyed straight into the ERP (renewals) → no CRM deal",
        ),
    }  # fmt: skip
    return tuple(
        OneWayFlow(
            key=key,
            source=source,
            target=target,
            what=text,
            records=int(rows.get(key, {}).get("records") or 0),
            not_seen=int(rows.get(key, {}).get("not_seen") or 0),
            amount=cents_to_decimal(int(rows.get(key, {}).get("cents") or 0)),
        )
        for key, (source, target, text) in what.items()
    )


def flow_map(backend: Backend, defs: Definitions) -> FlowMap:
    def objects(system: str) -> tuple[str, ...]:
        return tuple(SYSTEM_FIELDS.get(system, {}).get("objects", system).split(", "))

    return FlowMap(
        crm_system=defs.crm.system,
        erp_system=defs.erp.system,
        crm_objects=objects(defs.crm.system),
        erp_objects=objects(defs.erp.system),
        fields=field_flows(backend, defs),
        lag=sync_lag(backend, defs),
        one_way=one_way_flows(backend, defs),
    )
