"""The bridge (SPEC §7): from CRM bookings to ERP revenue, per period, footing to the cent.

Every step is a sum of rows that the earlier stages computed; ``unexplained``
is whatever is left between expected revenue plus the causes and the ERP's
revenue, so the bridge foots by construction and the remainder is shown.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from crossfoot.causes import BRIDGE_STEPS, CAUSE_CODES
from crossfoot.config import Definitions
from crossfoot.engine.backend import Backend
from crossfoot.engine.periods import period_of

NO_PRODUCT_LINE = "(none)"
NO_OWNER = "(no deal)"  # ERP revenue that no CRM deal (so no owner) stands behind
NO_CUSTOMER = "(none)"
#: the bridge's own working tables: no later stage reads them
SCRATCH = (
    "bridge_steps", "bridge_steps_by_party", "bridge_sums_by_owner", "bridge_sums_by_customer",
)  # fmt: skip


def _step(
    t: ir.Table,
    period: ir.Value,
    step: str | ir.Value,
    cents: ir.Value,
    deal_id: ir.Value | None = None,
    customer_id: ir.Value | None = None,
) -> ir.Table:
    """One contribution to the bridge: period, product_line, step, cents, and whose it is.

    ``deal_id`` names the CRM deal behind the money (its owner and account);
    ``customer_id`` the ERP customer, for money no deal stands behind.
    """
    name = ibis.literal(step) if isinstance(step, str) else step
    return t.select(
        period=period,
        product_line=t.product_line,
        step=name,
        cents=cents,
        deal_id=(t.deal_id if deal_id is None else deal_id).cast("string"),
        customer_id=ibis.null("string") if customer_id is None else customer_id.cast("string"),
    )


def _steps(backend: Backend, defs: Definitions, as_of_period: str) -> ir.Table:
    """Long table: period, product_line, step, cents (before totals and unexplained)."""
    dv = backend.table("deal_value")
    lv = backend.table("line_value").join(
        dv.select("deal_id", "stage_class", "close_date"), "deal_id"
    )
    lv = lv.mutate(close_period=period_of(lv.close_date, defs))
    wnb = lv.filter(lv.stage_class == "won_not_booked")
    # a deal changed after its close is booked at its amount then, and the change when it happened
    mods = backend.table("deal_mod")
    mods = mods.select(
        m_deal="deal_id", m_line="line_id", delta=mods.alloc_cents - mods.before_cents,
        change_period=period_of(mods.changed_on, defs),
    )  # fmt: skip
    won = lv.filter(lv.stage_class == "won")
    won = won.left_join(mods, [won.deal_id == mods.m_deal, won.line_id == mods.m_line])
    won = won.mutate(at_close=won.alloc_cents - won.delta.fill_null(0))
    changed = won.filter(won.delta.notnull())

    exp = backend.table("expected").join(dv.select("deal_id", "close_date"), "deal_id")
    exp = exp.mutate(period=period_of(exp.date, defs), close_period=period_of(exp.close_date, defs))
    same = exp.filter(exp.period == exp.close_period)
    other = exp.filter(exp.period != exp.close_period)
    contrib = backend.table("contribution")
    causes = contrib.filter(contrib.cause != "unexplained")
    rev = backend.table("revenue_value")
    roots = backend.table("doc_value").select(root_key="doc_id", root_customer="customer_id")
    causes = causes.left_join(roots, "erp:" + roots.root_key == causes.key)
    cause_deal = ibis.ifelse(causes.key.startswith("erp:"), ibis.null("string"), causes.key)

    parts = [
        _step(wnb, wnb.close_period, "crm_bookings", wnb.alloc_cents),
        _step(won, won.close_period, "crm_bookings", won.at_close),
        _step(changed, changed.change_period, "crm_bookings", changed.delta),
        _step(wnb, wnb.close_period, "won_not_booked", -wnb.alloc_cents),
        # deferred(p) = recognized in p from p's bookings − p's bookings
        _step(same, same.period, "deferred", same.cents),
        _step(won, won.close_period, "deferred", -won.at_close),
        _step(changed, changed.change_period, "deferred", -changed.delta),
        _step(other, other.period, "recognized_from_prior", other.cents),
        _step(causes, causes.period, causes.cause, causes.cents, cause_deal, causes.root_customer),
        _step(rev, period_of(rev.date, defs), "erp_revenue", rev.rc_cents, None, rev.customer_id),
    ]
    allsteps = ibis.union(*parts)
    return allsteps.filter(allsteps.period <= as_of_period).mutate(
        product_line=allsteps.product_line.fill_null(NO_PRODUCT_LINE)
    )


#: the steps no stage computes, as signed sums of those that they do (SPEC §7):
#: ``unexplained`` is what is left of the ERP's revenue, so every bridge foots
_BOOKED = {"crm_bookings": 1, "won_not_booked": 1}
_EXPECTED = {**_BOOKED, "deferred": 1, "recognized_from_prior": 1}
DERIVED: dict[str, dict[str, int]] = {
    "booked": _BOOKED,
    "expected_revenue": _EXPECTED,
    "unexplained": {"erp_revenue": 1, **dict.fromkeys((*_EXPECTED, *CAUSE_CODES), -1)},
}
_COMPUTED = [s for s, _ in BRIDGE_STEPS if s not in DERIVED]


def _wide(long: ir.Table, by: list[str]) -> ir.Table:
    """One row per group, one column per step, the derived steps included."""
    # summed per step first: the pivot's conditional sums then read one row per step
    long = long.group_by([*by, "step"]).aggregate(cents=long.cents.sum().cast("int64"))
    wide = long.group_by(by).aggregate(
        **{s: ibis.ifelse(long.step == s, long.cents, 0).sum().cast("int64") for s in _COMPUTED}
    )
    zero = ibis.literal(0, "int64")
    return wide.mutate(
        **{d: sum((wide[s] * w for s, w in ws.items()), zero) for d, ws in DERIVED.items()}
    )


def _long(wide: ir.Table, by: list[str]) -> ir.Table:
    """The wide table back to one row per group and step, zeros included.

    The overall and product-line bridges keep every step, so each period shows
    the whole bridge.
    """
    kinds = dict(BRIDGE_STEPS)
    rows = [
        wide.select(*by, step=ibis.literal(s), kind=ibis.literal(kinds[s]), cents=wide[s])
        for s, _ in BRIDGE_STEPS
    ]
    return ibis.union(*rows)


def _nonzero_long(sums: ir.Table, by: list[str]) -> ir.Table:
    """Per group and step, the money: only the non-zero steps, the derived ones included.

    The owner and customer bridges are groups × periods × 25 steps and mostly
    zero, so they are derived in long form from ``sums`` (one row per group and
    computed step) instead of pivoting and unpivoting 25 columns.
    """

    # ``sums`` has one row per group and step already: only the derived steps need
    # summing, each a signed sum over the group's rows (one pass for all three)
    def signed_sum(weights: dict[str, int]) -> ir.IntegerValue:
        sign = sums.step.substitute(weights, else_=0).cast("int64")
        return (sums.cents * sign).sum().cast("int64")

    derived = sums.group_by(by).aggregate(**{d: signed_sum(w) for d, w in DERIVED.items()})
    parts = [sums.select(*by, "step", "cents")]
    parts += [derived.select(*by, step=ibis.literal(d), cents=derived[d]) for d in DERIVED]
    steps = ibis.union(*parts)
    out = steps.filter(steps.cents != 0)
    kind = out.step.substitute(dict(BRIDGE_STEPS), else_="cause")
    return out.select(*by, "step", kind=kind, cents=out.cents)


def _with_parties(backend: Backend, long: ir.Table) -> ir.Table:
    """``long`` with the deal owner and the customer each amount belongs to.

    The customer is the CRM account of the deal; money without a deal (ERP
    revenue with no CRM deal) goes to its ERP customer, named as the matched
    CRM account when there is one, so one company is one row either way.
    """
    # one row per deal (or customer), period and step before the joins: the long
    # table has a row per schedule line and revenue line (11.7 million at 1M deals)
    long = long.group_by(["deal_id", "customer_id", "period", "step"]).aggregate(
        cents=long.cents.sum().cast("int64")
    )
    deal = backend.table("deal").select(d_id="deal_id", d_owner="owner", d_account="account_id")
    account = backend.table("account").select(a_id="account_id", a_name="name")
    ac = backend.table("account_customer")
    links = ac.join(account, ac.account_id == account.a_id)
    linked = links.group_by(l_customer="customer_id").aggregate(l_name=lambda t: t.a_name.min())
    customer = backend.table("customer").select(c_id="customer_id", c_name="name")
    j = long.left_join(deal, long.deal_id == deal.d_id)
    j = j.left_join(account, j.d_account == account.a_id)
    j = j.left_join(linked, j.customer_id == linked.l_customer)
    j = j.left_join(customer, j.customer_id == customer.c_id)
    has_deal = j.deal_id.notnull() & j.d_id.notnull()
    owner = ibis.ifelse(has_deal, j.d_owner.fill_null("(no owner)"), NO_OWNER)
    company = ibis.ifelse(has_deal, j.a_name, ibis.coalesce(j.l_name, j.c_name))
    return j.select("period", "step", "cents", owner=owner, customer=company.fill_null(NO_CUSTOMER))


def build_bridge(backend: Backend, defs: Definitions, as_of_period: str) -> None:
    long = backend.run_stage("bridge_steps", _steps(backend, defs, as_of_period))
    for by, name in (
        (["period"], "bridge"),
        (["product_line", "period"], "bridge_by_product_line"),
    ):
        backend.run_stage(name, _long(_wide(long, by), by))
    parties = backend.run_stage("bridge_steps_by_party", _with_parties(backend, long))
    for group in ("owner", "customer"):
        by = [group, "period"]
        # materialized first: the derived steps read it three more times
        sums = parties.group_by([*by, "step"]).aggregate(cents=parties.cents.sum().cast("int64"))
        sums = backend.run_stage(f"bridge_sums_by_{group}", sums)
        backend.run_stage(f"bridge_by_{group}", _nonzero_long(sums, by))
    # the step rows are the largest tables of a run (11.7 million rows at 1M deals):
    # dropped, their memory goes to collecting the results instead of spilling
    for name in SCRATCH:
        backend.drop(name)
