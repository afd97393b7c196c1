"""How each deal reaches NetSuite: cleanly, or with exactly one injected difference.

Every injected difference writes a label with the ids a correct engine must report.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from crossfoot.demo import schedule_oracle as oracle
from crossfoot.demo.catalog import HARDWARE, SUBSCRIPTION, SUPPORT, products_of
from crossfoot.demo.names import VARIANT_KINDS
from crossfoot.demo.records import Account, Customer, Deal, Txn, TxnLine
from crossfoot.demo.world import FIRST_CUSTOMER_ID, World


def _order(
    w: World,
    deal: Deal,
    *,
    on: date | None = None,
    rate_on: date | None = None,
    linked: bool = True,
    ship: date | None = None,
) -> Txn:
    """The deal's sales order as the integration creates it (dated at the close date)."""
    on = on or deal.close
    rate = w.fx.rate(deal.account.currency, rate_on or on)
    so = w.ledger.sales_order(deal, on, rate, opportunity=deal.sf_id if linked else None, ship=ship)
    if linked:
        deal.sales_order = so
    return so


def _post(w: World, so: Txn) -> list[Txn]:
    w.ledger.recognize(so)
    return w.ledger.bill(so)


def clean(w: World, deal: Deal, linked: bool = True) -> None:
    ship = w.ship_date(deal) if deal.has(HARDWARE) else None
    if deal.has(HARDWARE):
        deal.delivery_status = "Delivered" if ship else "Pending"
    _post(w, _order(w, deal, linked=linked, ship=ship))


def missing_in_erp(w: World, deal: Deal) -> None:
    if deal.has(HARDWARE):
        deal.delivery_status = "Pending"
    w.label("missing_in_erp", deal, [], "won deal with no sales order in NetSuite")


def duplicate_in_erp(w: World, deal: Deal) -> None:
    clean(w, deal)
    days = w.rng.randint(1, 3)
    dup = w.ledger.sales_order(
        deal,
        deal.close,
        w.fx.rate(deal.account.currency, deal.close),
        created=deal.close + timedelta(days=days),
        opportunity=deal.sf_id,
    )
    w.ledger.recognize(dup)
    w.label(
        "duplicate_in_erp",
        deal,
        [dup],
        f"the sync ran twice: a second sales order created {days} day(s) later",
    )


def erp_adjustment_not_in_crm(w: World, deal: Deal) -> None:
    so = _order(w, deal)
    first_invoice = _post(w, so)[0]
    source = w.rng.choice(first_invoice.items)
    pct = Decimal(w.rng.randint(500, 2000)).scaleb(-4)
    so_line = next(x for x in so.items if x.item is source.item)
    amount = min(oracle.round_cent(so_line.amount * pct), source.amount)
    on = first_invoice.trandate + timedelta(days=w.rng.randint(10, 45))
    cm = w.ledger.credit_memo(first_invoice, on, source, amount)
    w.label(
        "erp_adjustment_not_in_crm",
        deal,
        [cm],
        f"credit memo of {amount} {deal.account.currency} ({pct:.2%} of a line) "
        "not synced back to the opportunity",
    )


def amount_mismatch(w: World, deal: Deal) -> None:
    so = _order(w, deal)
    line = max(so.items, key=lambda x: x.amount)
    pct = Decimal(w.rng.randint(300, 1500)).scaleb(-4) * w.rng.choice((1, -1))
    delta = oracle.round_cent(deal.amount * pct)
    line.amount += delta
    w.ledger.finish(so, so.items)
    _post(w, so)
    w.label(
        "amount_mismatch",
        deal,
        [so],
        f"sales order lines total {deal.amount + delta}, opportunity {deal.amount} "
        f"({pct:+.2%}), no credit memo",
    )


def sync_timing_gap(w: World, deal: Deal) -> None:
    month_end = oracle.month_end(deal.close)
    days = w.rng.randint(max(2, (month_end - deal.close).days + 1), 5)
    on = deal.close + timedelta(days=days)
    so = _order(w, deal, on=on)
    _post(w, so)
    w.label(
        "sync_timing_gap",
        deal,
        [so],
        f"closed {deal.close}, sales order dated {on} ({days} days later, next period)",
    )


def product_line_mismatch(w: World, deal: Deal) -> None:
    so = _order(w, deal)
    line = so.items[0]
    line.product_line = SUBSCRIPTION
    line.rev_start, line.rev_end = so.trandate, oracle.term_end(so.trandate, 12)
    _post(w, so)
    w.label(
        "product_line_mismatch",
        deal,
        [so],
        "Services in the CRM, class Subscription in NetSuite (recognized daily over 12 months)",
    )


def field_not_synced(w: World, deal: Deal) -> None:
    so = _order(w, deal)
    so.items[0].product_line = None
    _post(w, so)
    w.label(
        "field_not_synced",
        deal,
        [so],
        "product line (class) empty on the sales order line; NetSuite recognized it at once",
    )


def stale_delivery_status(w: World, deal: Deal, reverse: bool = False) -> None:
    if reverse:
        deal.delivery_status = "Delivered"
        so = _order(w, deal)
        note = "CRM says Delivered; NetSuite shows no shipment and no revenue"
    else:
        deal.delivery_status = "Pending"
        ship = w.ship_date(deal)
        assert ship is not None  # the close date is early enough
        so = _order(w, deal, ship=ship)
        note = f"shipped {ship} in NetSuite; CRM delivery status still Pending"
    _post(w, so)
    w.label("stale_delivery_status", deal, [so], note)


def fx_difference(w: World, deal: Deal) -> None:
    fx, ccy, close = w.fx, deal.account.currency, deal.close
    base = fx.rate(ccy, close)
    candidates = []
    for days in range(20, 41):
        for on in (close - timedelta(days=days), close + timedelta(days=days)):
            if (ccy, on) in fx.rates:
                candidates.append((abs(fx.rates[ccy, on] - base) / base, on))
    wide = [on for gap, on in candidates if gap >= Decimal("0.01")]
    rate_on = w.rng.choice(wide) if wide else max(candidates)[1]
    so = _order(w, deal, rate_on=rate_on)
    _post(w, so)
    w.label(
        "fx_difference",
        deal,
        [so],
        f"sales order at the {rate_on} rate {so.rate} instead of the close date's {base}",
    )


def unmapped_product_rule(w: World, deal: Deal) -> None:
    so = _order(w, deal)
    _post(w, so)
    w.label(
        "unmapped_product_rule",
        deal,
        [so],
        "Data Add-on has no recognition rule; NetSuite recognized it at close",
    )


BOOK: dict[str, Callable[[World, Deal], None]] = {
    "missing_in_erp": missing_in_erp,
    "duplicate_in_erp": duplicate_in_erp,
    "erp_adjustment_not_in_crm": erp_adjustment_not_in_crm,
    "amount_mismatch": amount_mismatch,
    "sync_timing_gap": sync_timing_gap,
    "product_line_mismatch": product_line_mismatch,
    "field_not_synced": field_not_synced,
    "stale_delivery_status": stale_delivery_status,
    "fx_difference": fx_difference,
    "unmapped_product_rule": unmapped_product_rule,
}


def missing_in_crm(w: World, accounts: list[Account]) -> None:
    """Renewals keyed straight into NetSuite, unlike any deal of the customer."""
    rng = w.rng
    for account in accounts:
        while True:
            on = w.day(date(2026, 1, 15), date(2026, 11, 30))
            end = oracle.term_end(on, 12)
            sub = rng.choice(products_of(SUBSCRIPTION))
            quantity, unit = sub.line(rng)
            lines = [TxnLine("item", quantity * unit, sub, SUBSCRIPTION, None, on, end)]
            if rng.random() < 0.5:
                support = rng.choice(products_of(SUPPORT))
                price = support.line(rng)[1]
                lines.append(TxnLine("item", price, support, SUPPORT, None, on, end))
            amount = sum((line.amount for line in lines), Decimal(0))
            if not w.conflicts(account, amount, on, days=366):
                break
        so = w.ledger.renewal(
            account.customer,
            account.currency,
            on,
            w.fx.rate(account.currency, on),
            lines,
            "Renewal",
        )
        w.ledger.recognize(so)
        w.ledger.bill(so)
        w.label("missing_in_crm", None, [so], "renewal keyed straight into NetSuite", on=on)


def duplicate_customers(w: World, accounts: list[Account]) -> None:
    """A second NetSuite customer under a name variant, without a CRM reference."""
    moved = False
    for account in accounts:
        first = account.customer
        company = account.company
        variants = [company.variant(k) for k in range(VARIANT_KINDS)]
        # prefer a variant that differs by more than case (falls back to any other spelling)
        other = [v for v in variants if v.casefold() != first.name.casefold()]
        name = w.rng.choice(other or [v for v in variants if v != first.name])
        local = "ar" if not first.email.startswith("ar@") else "invoices"
        second = Customer(
            FIRST_CUSTOMER_ID + len(w.accounts) + len(w.extra_customers),
            name,
            f"{local}@{company.domain}",
            first.url,
            first.country,
            None,
        )
        w.extra_customers.append(second)
        note = f"{first.name!r} and {second.name!r} are one company"
        if not moved and (invoice := _paid_invoice(w, account)) is not None:
            invoice.customer = second
            moved = True
            note += "; a paid invoice of its deal was entered on the duplicate"
        w.label("duplicate_customer", None, [first, second], note, crm=account.sf_id)


def _paid_invoice(w: World, account: Account) -> Txn | None:
    """The only invoice of a clean, linked deal of the account, if one is paid."""
    orders = {
        id(d.sales_order)
        for d in w.deals
        if d.account is account and d.role == "clean" and d.sales_order
    }
    invoices = [
        t for t in w.ledger.transactions if t.type == "CustInvc" and id(t.created_from) in orders
    ]
    by_order: dict[int, list[Txn]] = {}
    for inv in invoices:
        by_order.setdefault(id(inv.created_from), []).append(inv)
    for group in by_order.values():
        if len(group) == 1 and group[0].status == "B":
            return group[0]
    return None
