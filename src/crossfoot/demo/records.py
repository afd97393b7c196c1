"""The demo company's records, before they are written as Salesforce and NetSuite files."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from crossfoot.demo.catalog import Product, User
from crossfoot.demo.names import CompanyName


@dataclass(slots=True, eq=False)
class Customer:
    """A NetSuite customer."""

    ns_id: int
    name: str
    email: str
    url: str
    country: str  # ISO code, as NetSuite keeps it
    account_ref: str | None  # custentity_sf_account_id


@dataclass(slots=True, eq=False)
class Account:
    """A Salesforce account and the NetSuite customer it is (one company)."""

    index: int
    sf_id: str
    company: CompanyName
    currency: str
    linked: bool  # cross-system ids on both sides
    website: str
    owner: User
    created: date
    customer: Customer
    #: (amount, close date) of every deal, to keep rule matching unambiguous
    deals: list[tuple[Decimal, date]] = field(default_factory=list)


@dataclass(slots=True, eq=False)
class DealLine:
    sf_id: str
    product: Product
    quantity: int
    unit_price: Decimal
    amount: Decimal
    start: date | None = None
    end: date | None = None


@dataclass(slots=True, eq=False)
class Deal:
    """A Salesforce opportunity with its line items."""

    index: int
    sf_id: str
    account: Account
    name: str
    stage: str
    close: date
    owner: User
    lines: list[DealLine]
    role: str  # "clean", "pending", "lost", "open" or an injected cause code
    delivery_status: str = ""
    sales_order: Txn | None = None  # what NetSuite_Sales_Order__c points at
    created_at: str = ""  # Salesforce datetimes, as exported
    modified_at: str = ""

    @property
    def amount(self) -> Decimal:
        return sum((line.amount for line in self.lines), Decimal(0))

    def has(self, family: str) -> bool:
        return any(line.product.family == family for line in self.lines)


@dataclass(slots=True, eq=False)
class TxnLine:
    """A transaction line. ``amount`` is signed as revenue (negative on credit memos)."""

    kind: str  # "item" | "main" | "tax"
    amount: Decimal
    item: Product | None = None
    product_line: str | None = None  # the classification name; None = class not set
    ship: date | None = None
    rev_start: date | None = None
    rev_end: date | None = None
    created_from: Txn | None = None
    id: int = 0
    ref: str = ""  # str(id), set with the id

    @property
    def netamount(self) -> Decimal:
        """NetSuite's sign: revenue lines negative on orders and invoices, mainline the total."""
        return self.amount if self.kind == "main" else -self.amount


@dataclass(slots=True, eq=False)
class Txn:
    """A NetSuite transaction: ``SalesOrd``, ``CustInvc`` or ``CustCred``."""

    type: str
    seq: int  # creation order, to number transactions chronologically
    trandate: date
    created: date
    customer: Customer
    currency: str
    rate: Decimal
    opportunity: str | None
    status: str
    memo: str = ""
    created_from: Txn | None = None
    lines: list[TxnLine] = field(default_factory=list)
    id: int = 0
    ref: str = ""  # str(id), set with the id
    tranid: str = ""

    @property
    def items(self) -> list[TxnLine]:
        return [line for line in self.lines if line.kind == "item"]


@dataclass(slots=True, eq=False)
class Revenue:
    """One recognized-revenue row: a source line's amount in one posting month."""

    month: date
    amount: Decimal
    txn: Txn
    line: TxnLine
