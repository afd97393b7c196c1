"""The demo company's NetSuite: sales orders, invoices, credit memos and recognized revenue."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from crossfoot.demo import schedule_oracle as oracle
from crossfoot.demo.catalog import DATA_ADD_ON, HARDWARE, SERVICES, SUBSCRIPTION, SUPPORT
from crossfoot.demo.records import Customer, Deal, Revenue, Txn, TxnLine

AS_OF = date(2026, 12, 31)

#: sales tax or VAT by customer country (tax lines are not revenue)
TAX_RATES = {
    "US": Decimal("0.0725"),
    "DE": Decimal("0.19"),
    "FR": Decimal("0.20"),
    "NL": Decimal("0.21"),
    "IE": Decimal("0.23"),
    "GB": Decimal("0.20"),
}
_PREFIX = {"SalesOrd": "SO", "CustInvc": "INV", "CustCred": "CM"}
_FIRST_NUMBER = {"SalesOrd": 1001, "CustInvc": 2001, "CustCred": 301}


def erp_schedule(txn: Txn, line: TxnLine) -> oracle.Schedule:
    """How the ERP recognizes one line of a sales order: by its class, as the definitions say.

    A line without a class (not synced) is recognized whole in the order's month,
    and so is a ``Data Add-on`` line (the ERP's own rule; crossfoot.yaml has none).
    """
    cls = line.product_line
    if cls == HARDWARE:
        return oracle.point_in_time(line.amount, line.ship) if line.ship else []
    if cls in (SUBSCRIPTION, SUPPORT):
        assert line.rev_start is not None and line.rev_end is not None
        rule = oracle.daily if cls == SUBSCRIPTION else oracle.monthly
        return rule(line.amount, line.rev_start, line.rev_end)
    assert cls in (SERVICES, DATA_ADD_ON, None)
    return oracle.point_in_time(line.amount, txn.trandate)


class Ledger:
    """Creates NetSuite documents; numbers them chronologically once all exist."""

    def __init__(self) -> None:
        self.transactions: list[Txn] = []
        self.revenue: list[Revenue] = []

    def _new(
        self,
        type_: str,
        on: date,
        created: date,
        customer: Customer,
        currency: str,
        rate: Decimal,
        opportunity: str | None,
        status: str,
        memo: str = "",
        created_from: Txn | None = None,
    ) -> Txn:
        txn = Txn(
            type_,
            len(self.transactions),
            on,
            created,
            customer,
            currency,
            rate,
            opportunity,
            status,
            memo,
            created_from,
        )
        self.transactions.append(txn)
        return txn

    @staticmethod
    def finish(txn: Txn, items: list[TxnLine]) -> None:
        """Add the mainline and the tax line around the revenue lines."""
        net = sum((line.amount for line in items), Decimal(0))
        tax = oracle.round_cent(net * TAX_RATES[txn.customer.country])
        main = TxnLine("main", net + tax, created_from=txn.created_from)
        tax_line = TxnLine("tax", tax, created_from=txn.created_from)
        for line in items:
            line.created_from = txn.created_from
        txn.lines = [main, *items, tax_line]

    def sales_order(
        self,
        deal: Deal,
        on: date,
        rate: Decimal,
        *,
        created: date | None = None,
        opportunity: str | None = None,
        ship: date | None = None,
    ) -> Txn:
        """A sales order mirroring the deal's lines (class = product line, service dates)."""
        account = deal.account
        so = self._new(
            "SalesOrd",
            on,
            created or on,
            account.customer,
            account.currency,
            rate,
            opportunity,
            "F",
        )
        items = [
            TxnLine(
                "item",
                line.amount,
                line.product,
                line.product.family,
                ship if line.product.family == HARDWARE else None,
                line.start,
                line.end,
            )
            for line in deal.lines
        ]
        self.finish(so, items)
        return so

    def renewal(
        self,
        customer: Customer,
        currency: str,
        on: date,
        rate: Decimal,
        lines: list[TxnLine],
        memo: str,
    ) -> Txn:
        so = self._new("SalesOrd", on, on, customer, currency, rate, None, "F", memo)
        self.finish(so, lines)
        return so

    def recognize(self, so: Txn) -> None:
        """Post the order's revenue rows, up to the as-of date."""
        for line in so.items:
            for month, amount in erp_schedule(so, line):
                if month <= AS_OF:
                    self.revenue.append(Revenue(month, amount, so, line))

    def _invoice(self, so: Txn, on: date, parts: list[tuple[TxnLine, Decimal]]) -> Txn:
        status = "B" if (AS_OF - on).days > 30 else "A"  # Paid In Full / Open
        inv = self._new(
            "CustInvc",
            on,
            on,
            so.customer,
            so.currency,
            so.rate,
            so.opportunity,
            status,
            created_from=so,
        )
        items = [
            TxnLine(
                "item", amount, line.item, line.product_line, None, line.rev_start, line.rev_end
            )
            for line, amount in parts
        ]
        self.finish(inv, items)
        return inv

    def bill(self, so: Txn) -> list[Txn]:
        """Invoices created from the order, dated up to the as-of date.

        Subscriptions are billed quarterly from the order date (the other lines on
        the first invoice); hardware deals once, when shipped; the rest once, at
        the order date.
        """
        items = so.items
        families = {line.item.family for line in items if line.item is not None}
        if HARDWARE in families:
            ships = [line.ship for line in items if line.ship is not None]
            if not ships:
                so.status = "B"  # Pending Fulfillment
                return []
            so.status = "G"  # Billed
            return [self._invoice(so, max(ships), [(line, line.amount) for line in items])]
        if SUBSCRIPTION not in families:
            so.status = "G"
            return [self._invoice(so, so.trandate, [(line, line.amount) for line in items])]
        invoices = []
        for quarter in range(4):
            on = oracle.add_months(so.trandate, 3 * quarter)
            if on > AS_OF:
                break
            parts = []
            for line in items:
                assert line.item is not None
                if line.item.family == SUBSCRIPTION:
                    share = oracle.round_cent(line.amount / 4)
                    parts.append((line, share if quarter < 3 else line.amount - 3 * share))
                elif quarter == 0:
                    parts.append((line, line.amount))
            invoices.append(self._invoice(so, on, parts))
        so.status = "G" if len(invoices) == 4 else "F"
        return invoices

    def credit_memo(self, invoice: Txn, on: date, source: TxnLine, amount: Decimal) -> Txn:
        """A credit memo for ``amount`` of one invoice line; its revenue is reversed at once."""
        cm = self._new(
            "CustCred",
            on,
            on,
            invoice.customer,
            invoice.currency,
            invoice.rate,
            invoice.opportunity,
            "B",
            "Price adjustment",
            created_from=invoice,
        )
        line = TxnLine("item", -amount, source.item, source.product_line)
        self.finish(cm, [line])
        self.revenue.append(Revenue(oracle.month_start(on), -amount, cm, line))
        return cm

    def number(self) -> None:
        """Internal ids in creation order (by created date), tranids per type, line ids."""
        ordered = sorted(self.transactions, key=lambda t: (t.created, t.trandate, t.seq))
        counters = dict(_FIRST_NUMBER)
        line_id = 1
        for i, txn in enumerate(ordered):
            txn.id = 5001 + i
            txn.ref = str(txn.id)
            txn.tranid = f"{_PREFIX[txn.type]}{counters[txn.type]}"
            counters[txn.type] += 1
            for line in txn.lines:
                line.id = line_id
                line.ref = str(line_id)
                line_id += 1
        self.transactions = ordered
        self.revenue.sort(key=lambda r: (r.txn.id, r.line.id, r.month))
