"""What is true of each won deal and its ERP documents: the inputs to the cause rules.

``deal_roots``: the deal's root documents ranked; rank 0 is the primary one, and
further *orders* are duplicates (SPEC §6 duplicate_in_erp).
``deal_facts``: one row per won or won-not-booked deal with the measurements
the cause rules test (booking amounts, ids, product lines, delivery, dates).
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from crossfoot.config import Definitions
from crossfoot.engine.backend import Backend
from crossfoot.engine.match_deals import within_tolerance_cents
from crossfoot.engine.money import convert_cents
from crossfoot.engine.periods import period_of
from crossfoot.engine.portable import sorted_join
from crossfoot.engine.schedule import rule_columns


def deal_roots(backend: Backend) -> ir.Table:
    dv = backend.table("doc_value")
    roots = dv.filter((dv.doc_id == dv.root_id) & dv.deal_id.notnull())
    n_orders = (roots.doc_type == "order").cast("int64").sum().over(group_by=roots.deal_id)
    rank = ibis.row_number().over(
        group_by=roots.deal_id,
        order_by=[
            (roots.doc_type != "order").cast("int8"),
            (roots.method != "id").cast("int8"),
            roots.created_at,
            roots.date,
            roots.doc_id.length(),
            roots.doc_id,
        ],
    )
    # without orders, an invoice entered again (same date, amount and currency) is the
    # duplicate: a sync that ran twice created it a second time
    copy_no = ibis.row_number().over(
        group_by=[roots.deal_id, roots.doc_type, roots.date, roots.cents, roots.currency],
        order_by=[roots.created_at, roots.doc_id.length(), roots.doc_id],
    )
    ranked = roots.mutate(rank=rank, n_orders=n_orders, copy_no=copy_no)
    return backend.run_stage(
        "deal_roots",
        ranked.mutate(
            is_duplicate=(
                (ranked["rank"] > 0) & (ranked.doc_type == "order") & (ranked.n_orders > 1)
            )
            | ((ranked.n_orders == 0) & (ranked.doc_type == "invoice") & (ranked.copy_no > 0))
        ).drop("copy_no"),
    )


def deal_facts(backend: Backend, defs: Definitions) -> ir.Table:
    dv = backend.table("deal_value")
    deal = backend.table("deal").select("deal_id", "name", "stage", "erp_ref", "account_id")
    roots = backend.table("deal_roots")
    docs = backend.table("doc_value")
    lines = backend.table("document_line")
    tol_days = defs.tolerances.sync_lag_days

    primary = roots.filter(roots["rank"] == 0).select(
        deal_id="deal_id",
        p_doc="doc_id",
        p_type="doc_type",
        p_date="date",
        p_currency="currency",
        p_rate="doc_rate",
        p_ref="crm_deal_ref",
        p_cents="cents",
        p_rc_cents="rc_cents",
    )
    # ERP booking: the primary order; with no orders, every root invoice (SPEC §6)
    booking = (
        roots.filter(~roots.is_duplicate & (roots.doc_type != "credit_memo"))
        .filter(lambda t: (t.n_orders == 0) | (t["rank"] == 0))
        .group_by("deal_id")
        .aggregate(book_cents=lambda t: t.cents.sum(), book_rc_cents=lambda t: t.rc_cents.sum())
    )
    dups = (
        roots.filter(roots.is_duplicate)
        .group_by("deal_id")
        .aggregate(
            dup_ids=lambda t: sorted_join(t.doc_id, ";"),
            dup_rc_cents=lambda t: t.rc_cents.sum(),
        )
    )
    cms = (
        docs.filter((docs.doc_type == "credit_memo") & docs.deal_id.notnull())
        .group_by("deal_id")
        .aggregate(
            cm_ids=lambda t: sorted_join(t.doc_id, ";"),
            cm_rc_cents=lambda t: t.rc_cents.sum(),
        )
    )
    n_docs = (
        docs.filter(docs.deal_id.notnull())
        .group_by("deal_id")
        .aggregate(n_docs=lambda t: t.count())
    )

    # product lines: CRM lines of the deal vs revenue lines of its primary document
    rules = rule_columns(backend.table("line_value"), defs)
    crm_rules = rules.group_by("deal_id").aggregate(
        unmapped=lambda t: (t.product_line.notnull() & (t.rule == "none")).any(),
        unmapped_cents=lambda t: ibis.ifelse(
            t.product_line.notnull() & (t.rule == "none"), t.alloc_cents, 0
        ).sum(),
        has_delivery_rule=lambda t: (t.rule == "at_delivery").any(),
        # services at close, a subscription's days: expected whether or not goods shipped
        expects_without_delivery=lambda t: (~t.rule.isin(["at_delivery", "none"])).any(),
    )
    crm_pairs = (
        rules.filter(rules.product_line.notnull()).select("deal_id", "product_line").distinct()
    )
    erp_lines = lines.join(primary.select(doc_id="p_doc", deal_id="deal_id"), "doc_id")
    erp_pairs = (
        erp_lines.filter(erp_lines.product_line.notnull())
        .select("deal_id", "product_line")
        .distinct()
    )
    pairs = backend.run_stage(
        "deal_product_lines",
        crm_pairs.mutate(side=ibis.literal("crm")).union(
            erp_pairs.mutate(side=ibis.literal("erp"))
        ),
    )
    crm_pairs = pairs.filter(pairs.side == "crm").select("deal_id", "product_line")
    erp_pairs = pairs.filter(pairs.side == "erp").select("deal_id", "product_line")
    only_crm = crm_pairs.anti_join(erp_pairs, ["deal_id", "product_line"])
    crm_pl = (
        _counted(crm_pairs, "crm_n")
        .left_join(_counted(only_crm, "n_only_crm"), "deal_id")
        .drop("deal_id_right")
    )
    erp_pl = _counted(erp_pairs, "erp_n")
    # the ERP shows delivery: a fulfilment date, or an invoice of point-in-time goods
    # (SPEC §6) — what an ERP without orders or shipments (Xero) can show
    deal_lines = rule_columns(
        lines.join(
            docs.filter(docs.deal_id.notnull()).select("doc_id", "deal_id", "doc_type"), "doc_id"
        ),
        defs,
    )
    shipped = deal_lines.group_by("deal_id").aggregate(
        erp_shipped=lambda t: (
            t.fulfilled_on.notnull() | ((t.doc_type == "invoice") & (t.rule == "at_delivery"))
        ).any()
    )
    # an ERP without sales orders books a deal only as it bills it (SPEC §6)
    erp = docs.aggregate(
        erp_has_orders=lambda t: (t.doc_type == "order").any().fill_null(False),
        erp_now=lambda t: t.date.max(),
    )
    ratable_ends = (
        rules.filter(rules.rule == "ratable")
        .group_by("deal_id")
        .aggregate(
            ratable_end=lambda t: t.service_end.max(), ratable_term=lambda t: t.term_months.max()
        )
    )

    f = (
        dv.join(deal, "deal_id")
        .left_join(primary, "deal_id")
        .drop("deal_id_right")
        .left_join(booking, "deal_id")
        .drop("deal_id_right")
        .left_join(dups, "deal_id")
        .drop("deal_id_right")
        .left_join(cms, "deal_id")
        .drop("deal_id_right")
        .left_join(n_docs, "deal_id")
        .drop("deal_id_right")
        .left_join(crm_rules, "deal_id")
        .drop("deal_id_right")
        .left_join(crm_pl, "deal_id")
        .drop("deal_id_right")
        .left_join(erp_pl, "deal_id")
        .drop("deal_id_right")
        .left_join(shipped, "deal_id")
        .drop("deal_id_right")
        .left_join(ratable_ends, "deal_id")
        .drop("deal_id_right")
        .cross_join(erp)
    )
    delivered = [v.lower() for v in defs.delivered_values]
    if "delivery_date" in defs.crm.fields:
        crm_delivered = f.delivery_date.notnull()
    else:
        crm_delivered = f.delivery_status.lower().strip().isin(delivered).fill_null(False)
    has_docs = f.n_docs.fill_null(0) > 0
    diff = (f.book_cents.fill_null(0) - f.cents).abs()
    tol = within_tolerance_cents(f.cents, defs)
    by_invoice = ~f.erp_has_orders
    # billed in instalments and not yet to the end of the service: invoices to date are
    # not the booking, so an amount under the deal's says nothing yet
    billing_open = (
        by_invoice
        & (f.book_cents.fill_null(0) < f.cents - tol)
        & f.ratable_term.notnull()
        & (ibis.coalesce(f.ratable_end, f.close_date + f.ratable_term.as_interval("M")) > f.erp_now)
    )
    crm_has_pl = f.crm_n.fill_null(0) > 0
    erp_has_pl = f.erp_n.fill_null(0) > 0
    crm_not_in_erp = f.n_only_crm.fill_null(0) > 0
    days_late = f.p_date.delta(f.close_date, unit="day")
    ids_mapped = "erp_ref" in defs.crm.fields and "crm_deal_ref" in defs.erp.fields
    id_one_sided = (f.erp_ref.isnull() & f.p_ref.notnull()) | (
        f.erp_ref.notnull() & f.p_ref.isnull()
    )

    facts = f.mutate(
        has_docs=has_docs,
        close_period=period_of(f.close_date, defs),
        billing_open=billing_open,
        cm_layer=f.cm_ids.notnull() & ((diff <= tol) | billing_open),
        # a rate that differs only in digits that move no money (a rate written as its
        # inverse, as Xero's CurrencyRate is) is the same rate
        fx_flag=has_docs
        & (f.currency != defs.reporting.currency)
        & (f.p_currency == f.currency)
        & (
            (convert_cents(f.cents, f.p_rate) - convert_cents(f.cents, f.rate)).abs()
            > int(defs.tolerances.amount_abs * 100)
        ),
        stale=has_docs
        & f.has_delivery_rule.fill_null(False)
        & (crm_delivered != f.erp_shipped.fill_null(False)),
        pl_mismatch=has_docs & crm_has_pl & erp_has_pl & crm_not_in_erp,
        pl_not_synced=has_docs & ((crm_has_pl & ~erp_has_pl) | (~crm_has_pl & erp_has_pl)),
        # an ERP without orders invoices goods when they ship: the date is the delivery's
        timing=has_docs
        & ~(by_invoice & f.has_delivery_rule.fill_null(False))
        & (period_of(f.p_date, defs) > period_of(f.close_date, defs))
        & (days_late > 0)
        & (days_late <= tol_days),
        amount_mismatch=has_docs & f.cm_ids.isnull() & (diff > tol) & ~billing_open,
        # goods billed on delivery, not delivered yet: an ERP without orders has nothing yet
        # (unless the deal has lines expected without delivery: those should be there)
        awaiting_delivery=by_invoice
        & ~has_docs
        & f.has_delivery_rule.fill_null(False)
        & ~f.expects_without_delivery.fill_null(False)
        & ~crm_delivered,
        id_not_synced=has_docs & id_one_sided if ids_mapped else ibis.literal(False),
        unmapped=has_docs & f.unmapped.fill_null(False),
    )
    return backend.run_stage("deal_facts", facts)


def _counted(pairs: ir.Table, name: str) -> ir.Table:
    return pairs.group_by("deal_id").aggregate(**{name: lambda t: t.count()})
