"""The demo company's accounts and deals, drawn from one seeded random stream."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from crossfoot.demo import schedule_oracle as oracle
from crossfoot.demo.catalog import (
    DATA_ADD_ON,
    HARDWARE,
    SERVICES,
    SUBSCRIPTION,
    SUPPORT,
    USERS,
    FxRates,
    products_of,
)
from crossfoot.demo.ledger import AS_OF, Ledger
from crossfoot.demo.names import VARIANT_KINDS, company_names, salesforce_id
from crossfoot.demo.records import Account, Customer, Deal, DealLine, Txn

YEAR_FIRST, YEAR_LAST = date(2026, 1, 1), date(2026, 12, 31)
FIRST_CUSTOMER_ID = 1001

#: (line pattern, weight) of ordinary deals
PATTERNS: tuple[tuple[tuple[str, ...], int], ...] = (
    ((SUBSCRIPTION,), 15),
    ((SUBSCRIPTION, SERVICES), 20),
    ((SUBSCRIPTION, SUPPORT, SERVICES), 10),
    ((HARDWARE, SUPPORT), 15),
    ((HARDWARE,), 10),
    ((HARDWARE, SERVICES, SUPPORT), 10),
    ((SERVICES,), 15),
    ((SUPPORT,), 5),
)
_PATTERN_LIST = [p for p, _ in PATTERNS]
_PATTERN_WEIGHTS = list(itertools.accumulate(w for _, w in PATTERNS))
_NO_HARDWARE = tuple(p for p in _PATTERN_LIST if HARDWARE not in p)

#: the line patterns an injected cause needs (default: any pattern)
ROLE_PATTERNS: dict[str, tuple[tuple[str, ...], ...]] = {
    "duplicate_in_erp": _NO_HARDWARE,
    "erp_adjustment_not_in_crm": ((SERVICES,), (SUBSCRIPTION,), (SUBSCRIPTION, SERVICES)),
    "amount_mismatch": ((SERVICES,), (SUBSCRIPTION,), (SUBSCRIPTION, SERVICES)),
    "sync_timing_gap": ((SERVICES,),),
    "product_line_mismatch": ((SERVICES,),),
    "fx_difference": ((SERVICES,),),
    "field_not_synced": ((SUBSCRIPTION,),),
    "stale_delivery_status": ((HARDWARE,),),
    "unmapped_product_rule": ((DATA_ADD_ON,), (SUBSCRIPTION, DATA_ADD_ON)),
}
#: the last close date an injected cause allows, so that its documents are dated by as_of
LAST_CLOSE = {
    "erp_adjustment_not_in_crm": date(2026, 10, 31),
    "duplicate_in_erp": date(2026, 12, 28),
    "stale_delivery_status": date(2026, 11, 20),
}
STAGE_NAMES = {
    "won": "Closed Won",
    "pending": "Closed Won - Pending Signature",
    "lost": "Closed Lost",
}
OPEN_STAGES = ("Prospecting", "Negotiation", "Qualification")


@dataclass(slots=True)
class PendingLabel:
    """A label whose NetSuite ids are known only once the ledger is numbered."""

    cause: str
    crm: str
    erp: list[Txn | Customer]
    period: str
    note: str


def period(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def sf_datetime(d: date, seconds: int) -> str:
    """A Salesforce export datetime on day ``d``, ``seconds`` after midnight UTC."""
    h, rest = divmod(seconds % 86_400, 3600)
    return f"{d.isoformat()}T{h:02d}:{rest // 60:02d}:{rest % 60:02d}.000+0000"


@dataclass
class World:
    rng: random.Random
    fx: FxRates
    n_deals: int
    ledger: Ledger = field(default_factory=Ledger)
    accounts: list[Account] = field(default_factory=list)
    extra_customers: list[Customer] = field(default_factory=list)
    deals: list[Deal] = field(default_factory=list)
    labels: list[PendingLabel] = field(default_factory=list)
    #: id(order) -> the invoice that stands for it in an ERP without orders
    stand_ins: dict[int, Txn] = field(default_factory=dict)
    _line_count: int = 0

    def day(self, first: date, last: date) -> date:
        return first + timedelta(days=self.rng.randint(0, (last - first).days))

    # --- accounts ---------------------------------------------------------------

    def build_accounts(self, count: int) -> None:
        """``count`` accounts: ~85% USD, ~10% EUR, ~5% GBP; ~10% without cross-system ids."""
        rng = self.rng
        n_eur, n_gbp = round(count * 0.10), round(count * 0.05)
        currencies = ["EUR"] * n_eur + ["GBP"] * n_gbp + ["USD"] * (count - n_eur - n_gbp)
        rng.shuffle(currencies)
        countries = [
            {"USD": "US", "GBP": "GB"}.get(c) or rng.choice(("DE", "FR", "NL", "IE"))
            for c in currencies
        ]
        names = company_names(rng, countries)
        unlinked = frozenset(rng.sample(range(count), round(count * 0.10)))
        for i, (company, currency) in enumerate(zip(names, currencies, strict=True)):
            sf_id = salesforce_id("001", i)
            linked = i not in unlinked
            domain = company.domain
            kind = 0 if rng.random() < 0.4 else rng.randrange(1, VARIANT_KINDS)
            customer = Customer(
                FIRST_CUSTOMER_ID + i,
                company.variant(kind),
                f"{rng.choice(('ap', 'billing', 'accounts', 'finance'))}@{domain}",
                f"https://www.{domain}",
                company.country,
                sf_id if linked else None,
            )
            website = rng.choice(("www.{}", "https://www.{}", "https://{}/", "{}")).format(domain)
            created = self.day(date(2022, 1, 1), date(2025, 12, 31))
            self.accounts.append(
                Account(
                    i,
                    sf_id,
                    company,
                    currency,
                    linked,
                    website,
                    rng.choice(USERS),
                    created,
                    customer,
                )
            )

    # --- deals --------------------------------------------------------------------

    def close_date(self, role: str) -> date:
        if role == "sync_timing_gap":  # one of the last three days of January..November
            month_end = oracle.month_end(date(2026, self.rng.randint(1, 11), 1))
            return month_end - timedelta(days=self.rng.randint(0, 2))
        return self.day(YEAR_FIRST, LAST_CLOSE.get(role, YEAR_LAST))

    def _lines(self, families: tuple[str, ...], close: date) -> list[DealLine]:
        lines = []
        for family in families:
            product = self.rng.choice(products_of(family))
            quantity, unit = product.line(self.rng)
            start = end = None
            if family in (SUBSCRIPTION, SUPPORT):
                start = close + timedelta(days=self.rng.randint(0, 14))
                end = oracle.term_end(start, 12)
            lines.append(DealLine("", product, quantity, unit, quantity * unit, start, end))
        return lines

    @staticmethod
    def conflicts(account: Account, amount: Decimal, on: date, days: int = 60) -> bool:
        """Would a deal of this amount and date make rule matching ambiguous?"""
        for other, when in account.deals:
            close_amount = abs(other - amount) <= max(Decimal(2), max(other, amount) / 50)
            if close_amount and abs((when - on).days) <= days:
                return True
        return False

    def new_deal(self, index: int, role: str, stage: str, pool: list[Account]) -> Deal:
        """A deal of ``role`` for an account of ``pool``, unlike that account's other deals."""
        rng = self.rng
        patterns = ROLE_PATTERNS.get(role)
        while True:
            account = rng.choice(pool)
            close = self.close_date(role)
            if patterns is None:
                families = rng.choices(_PATTERN_LIST, cum_weights=_PATTERN_WEIGHTS)[0]
            else:
                families = rng.choice(patterns)
            lines = self._lines(families, close)
            amount = sum((line.amount for line in lines), Decimal(0))
            if not self.conflicts(account, amount, close):
                break
        account.deals.append((amount, close))
        for line in lines:
            line.sf_id = salesforce_id("00k", self._line_count)
            self._line_count += 1
        stage_name = STAGE_NAMES.get(stage) or rng.choice(OPEN_STAGES)
        product = lines[0].product.name
        deal = Deal(
            index,
            salesforce_id("006", index),
            account,
            f"{account.company.base} - {product}",
            stage_name,
            close,
            rng.choice(USERS),
            lines,
            role,
        )
        created = close - timedelta(days=rng.randint(20, 150))
        deal.created_at = sf_datetime(created, rng.randint(0, 86_399))
        deal.modified_at = sf_datetime(
            min(close + timedelta(days=rng.randint(0, 3)), AS_OF), rng.randint(0, 86_399)
        )
        self.deals.append(deal)
        return deal

    def ship_date(self, deal: Deal) -> date | None:
        """When a hardware deal shipped (5-40 days after close), or None if not by as_of."""
        ship = deal.close + timedelta(days=self.rng.randint(5, 40))
        return ship if ship <= AS_OF else None

    def label(
        self,
        cause: str,
        deal: Deal | None,
        erp: list[Txn | Customer],
        note: str,
        on: date | None = None,
        crm: str = "",
    ) -> None:
        when = on or (deal.close if deal else None)
        self.labels.append(
            PendingLabel(
                cause, deal.sf_id if deal else crm, erp, period(when) if when else "", note
            )
        )
