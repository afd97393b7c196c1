"""Exceptions (SPEC §6, §8): one row per record-level difference, with exactly one cause.

``impact`` is ERP minus CRM over the record's whole life (SPEC §8): a missing
order is minus the deal, a duplicate plus the duplicate. Causes that move money
between periods or product lines (timing, delivery, product line) have a
whole-life impact of zero; what they move per period is in ``exception_effect``.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from crossfoot.config import Definitions
from crossfoot.engine.backend import Backend
from crossfoot.engine.classify import residual_cause
from crossfoot.engine.money import convert_cents, from_cents
from crossfoot.engine.periods import period_of
from crossfoot.engine.portable import sorted_join

_NULL = ibis.null("string")


def _money(cents: ir.IntegerValue) -> ir.StringValue:
    return from_cents(cents).cast("string")


def _row(t: ir.Table, cause: str, **cols: ir.Value) -> ir.Table:
    defaults: dict[str, ir.Value] = {
        "crm_record_id": _NULL,
        "erp_record_id": _NULL,
        "customer": _NULL,
        "period": _NULL,
        "amount_crm_cents": ibis.null("int64"),
        "amount_erp_cents": ibis.null("int64"),
        "impact_cents": ibis.literal(0, "int64"),
        "explanation": _NULL,
        "key": _NULL,
    }
    defaults.update(cols)
    return t.select(cause=ibis.literal(cause), **{k: v for k, v in defaults.items()})


def _text(*parts: str | ir.Value) -> ir.StringValue:
    """Concatenate literal text and string columns into one explanation."""
    values = [ibis.literal(p) if isinstance(p, str) else p for p in parts]
    out = values[0]
    for v in values[1:]:
        out = out + v
    return out


def _deal_rows(f: ir.Table, defs: Definitions) -> list[ir.Table]:
    cur = defs.reporting.currency
    deal_amt = _text(f"{cur} ", _money(f.rc_cents))
    book_rc = f.book_rc_cents.fill_null(0)
    label = _text(
        "Deal '", f.name.fill_null(f.deal_id), "' (closed ", f.close_date.cast("string"), ")"
    )
    common = dict(
        crm_record_id=f.deal_id, customer=f.account_name, period=f.close_period,
        amount_crm_cents=f.rc_cents, key=f.deal_id,
    )  # fmt: skip
    with_doc = dict(common, erp_record_id=f.p_doc, amount_erp_cents=book_rc)
    cause = residual_cause(f)
    shipped = ibis.ifelse(
        f.erp_shipped.fill_null(False), "shows the goods shipped", "shows no shipment"
    )
    # fmt: off
    return [
        _row(f.filter(cause == "missing_in_erp"), "missing_in_erp", **common,
             amount_erp_cents=ibis.literal(0, "int64"), impact_cents=-f.rc_cents,
             explanation=_text(label, " for ", deal_amt,
                               " is won but has no sales order, invoice or revenue in the ERP.")),
        _row(f.filter(f.dup_ids.notnull()), "duplicate_in_erp", **common, erp_record_id=f.dup_ids,
             amount_erp_cents=f.dup_rc_cents, impact_cents=f.dup_rc_cents,
             explanation=_text(label, " has more than one sales order: ", f.p_doc, " and duplicate(s) ",
                               f.dup_ids, f" ({cur} ", _money(f.dup_rc_cents), " counted twice).")),
        _row(f.filter(f.cm_layer), "erp_adjustment_not_in_crm", **common, erp_record_id=f.cm_ids,
             amount_erp_cents=book_rc + f.cm_rc_cents, impact_cents=f.cm_rc_cents,
             explanation=_text(label, " still shows ", deal_amt, f"; the ERP credited {cur} ",
                               _money(-f.cm_rc_cents), " (", f.cm_ids,
                               ") and the CRM never received it.")),
        _row(f.filter(f.fx_flag), "fx_difference", **with_doc, impact_cents=f.fx_rc_effect,
             explanation=_text(label, " in ", f.currency, ": the ERP converted at ",
                               f.p_rate.cast("string"), ", the close-date rate is ",
                               f.rate.cast("string"), ".")),
        _row(f.filter(f.unmapped), "unmapped_product_rule", **with_doc, impact_cents=f.unmapped_cents,
             explanation=_text(label, " has product lines without a recognition rule in the "
                               f"definitions ({cur} ", _money(f.unmapped_cents), " never expected).")),
        _row(f.filter(f.stale), "stale_delivery_status", **with_doc,
             explanation=_text(label, ": the CRM delivery status is '",
                               f.delivery_status.fill_null("(empty)"), "' while the ERP ", shipped, ".")),
        _row(f.filter(f.pl_mismatch), "product_line_mismatch", **with_doc,
             explanation=_text(label, " is ", f.crm_pls, " in the CRM and ", f.erp_pls,
                               " in the ERP (", f.p_doc, ").")),
        _row(f.filter(f.pl_not_synced), "field_not_synced", **with_doc,
             explanation=_text(label, ": product line is set on one side only (CRM: ",
                               f.crm_pls.fill_null("empty"), "; ERP ", f.p_doc, ": ",
                               f.erp_pls.fill_null("empty"), ").")),
        _row(f.filter(f.id_not_synced & ~f.pl_not_synced), "field_not_synced", **with_doc,
             explanation=_text(label, ": the cross-system id is stamped on one side only "
                               "(CRM erp_ref ", f.erp_ref.fill_null("empty"), ", ERP crm_deal_ref ",
                               f.p_ref.fill_null("empty"), ").")),
        _row(f.filter(f.timing), "sync_timing_gap", **with_doc,
             explanation=_text(label, " reached the ERP on ", f.p_date.cast("string"),
                               ", in a later period, within the sync lag.")),
        _row(f.filter(f.amount_mismatch), "amount_mismatch", **with_doc,
             impact_cents=book_rc - f.fx_rc_effect - f.rc_cents,
             explanation=_text(label, " is ", deal_amt, f" in the CRM and {cur} ", _money(book_rc),
                               " in the ERP (", f.p_doc, ") with no credit memo to explain it.")),
    ]
    # fmt: on


def build_exceptions(backend: Backend, defs: Definitions) -> None:
    facts = backend.table("deal_facts")
    account = backend.table("account").select(a_id="account_id", account_name="name")
    rev = backend.table("revenue_value")
    f = facts.left_join(account, facts.account_id == account.a_id)
    f = f.left_join(_listed_product_lines(backend), "deal_id").drop("deal_id_right")
    f = f.mutate(
        fx_rc_effect=ibis.ifelse(
            f.fx_flag, f.book_rc_cents.fill_null(0) - _at_rate(f.book_cents, f.rate), 0
        )
    )
    rows = _deal_rows(f, defs)
    rows.append(_drift_rows(backend, f, defs))

    # revenue with no deal: one exception per ERP chain
    nodeal = rev.filter(rev.deal_id.isnull())
    dv = backend.table("doc_value")
    cust = backend.table("customer").select(c_id="customer_id", c_name="name")
    chains = nodeal.group_by("root_id").aggregate(
        rev_cents=lambda t: t.rc_cents.sum(), customer_id=lambda t: t.customer_id.max()
    )
    docs = dv.select(d_id="doc_id", d_rc="rc_cents", d_date="date", d_no="number")
    chains = chains.left_join(docs, chains.root_id == docs.d_id)
    chains = chains.left_join(cust, chains.customer_id == cust.c_id)
    erp_amt = ibis.coalesce(chains.d_rc, chains.rev_cents)
    rows.append(
        _row(
            chains,
            "missing_in_crm",
            erp_record_id=chains.root_id,
            customer=chains.c_name,
            period=period_of(chains.d_date, defs),
            amount_crm_cents=ibis.literal(0, "int64"),
            amount_erp_cents=erp_amt,
            impact_cents=erp_amt,
            key=ibis.literal("erp:") + chains.root_id,
            explanation=_text(
                "ERP document ",
                chains.d_no.fill_null(chains.root_id),
                f" has {defs.reporting.currency} ",
                _money(chains.rev_cents),
                " of recognized revenue and no CRM deal.",
            ),
        )
    )
    rows.append(_duplicate_customers(backend))
    out = ibis.union(*rows)
    ident = (
        out.cause + "|" + out.crm_record_id.fill_null("") + "|" + out.erp_record_id.fill_null("")
    )
    backend.run_stage(
        "exception_rows", out.mutate(exception_id="X-" + ident.hexdigest("sha256").substr(0, 12))
    )
    _effects(backend)


def _drift_rows(backend: Backend, f: ir.Table, defs: Definitions) -> ir.Table:
    """One row per deal of a drifting product line: the revenue its ERP rule moves."""
    drift = backend.table("drift")
    eff = backend.table("drift_effect").join(drift, "product_line")
    what = eff.product_line + " as " + eff.inferred + " (the definitions: " + eff.defined + ")"
    per_deal = eff.mutate(what=what).group_by("deal_id").aggregate(
        moved=lambda t: t.cents.abs().sum(), what=lambda t: sorted_join(t.what, "; ")
    )
    d = f.join(per_deal, "deal_id")
    label = _text("Deal '", d.name.fill_null(d.deal_id), "' (closed ", d.close_date.cast("string"), ")")
    return _row(
        d, "definition_drift", crm_record_id=d.deal_id, erp_record_id=d.p_doc,
        customer=d.account_name, period=d.close_period, amount_crm_cents=d.rc_cents,
        amount_erp_cents=d.book_rc_cents, key=d.deal_id,
        explanation=_text(label, ": the ERP recognizes ", d.what, f"; {defs.reporting.currency} ",
                          _money(d.moved), " lands in other periods."),
    )  # fmt: skip


def _at_rate(cents: ir.IntegerValue, rate: ir.DecimalValue) -> ir.IntegerValue:
    return convert_cents(cents.fill_null(0), rate)


def _duplicate_customers(backend: Backend) -> ir.Table:
    cl = backend.table("customer_cluster")
    sizes = cl.group_by("cluster_id").aggregate(
        n=lambda t: t.count(), ids=lambda t: sorted_join(t.customer_id, ";")
    )
    dup = sizes.filter(sizes.n > 1)
    links = backend.table("account_customer").join(cl, "customer_id")
    acc = links.group_by("cluster_id").aggregate(
        accounts=lambda t: sorted_join(t.account_id, ";")
    )
    cust = backend.table("customer").select(c_id="customer_id", c_name="name")
    d = dup.left_join(acc, "cluster_id").left_join(cust, dup.cluster_id == cust.c_id)
    return _row(
        d,
        "duplicate_customer",
        crm_record_id=d.accounts,
        erp_record_id=d.ids,
        customer=d.c_name,
        key=ibis.literal("cust:") + d.cluster_id,
        explanation=_text(
            "ERP customers ", d.ids, " are one company ('", d.c_name, "') under name variants."
        ),
    )


def _effects(backend: Backend) -> None:
    ex = backend.table("exception_rows")
    contrib = backend.table("contribution")
    eff = contrib.join(ex.select("key", "cause", "exception_id"), ["key", "cause"])
    per_period = eff.group_by(["exception_id", "period"]).aggregate(cents=lambda t: t.cents.sum())
    backend.run_stage("exception_effect", per_period.filter(per_period.cents != 0))


def _listed_product_lines(backend: Backend) -> ir.Table:
    """deal_id, crm_pls, erp_pls ("A, B"): for the explanations of product-line exceptions only."""
    facts = backend.table("deal_facts")
    flagged = facts.filter(facts.pl_mismatch | facts.pl_not_synced).select("deal_id")
    pairs = backend.table("deal_product_lines").semi_join(flagged, "deal_id")
    return pairs.group_by("deal_id").aggregate(
        crm_pls=lambda t: sorted_join(
            ibis.ifelse(t.side == "crm", t.product_line, ibis.null("string")), ", "
        ),
        erp_pls=lambda t: sorted_join(
            ibis.ifelse(t.side == "erp", t.product_line, ibis.null("string")), ", "
        ),
    )
