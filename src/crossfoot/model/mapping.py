"""Per-system field maps as data: which source field fills which canonical column.

A reader does not hard-code columns: it walks these maps. A source is written
``Object.Field`` in the system's own spelling (matched case-insensitively); a
column with several sources takes the first non-empty one. A field on another
object is reached through :data:`SystemMap.relations` (for example a
Salesforce line's ``Product2.Family`` through its ``Product2Id``). The keys of
``crm.fields`` / ``erp.fields`` replace a column's sources.

Columns whose name starts with ``_`` are helpers the reader needs (flags,
existence checks); they never reach a canonical table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

#: how a source value is typed: ``id`` and ``text`` are trimmed strings, money
#: is DECIMAL(18,2), rate DECIMAL(18,8), quantity DECIMAL(18,4); ``currency`` is
#: a three-letter code (or an id resolved through a lookup); ``domain`` is a
#: host name taken from a URL or an e-mail address.
Kind = Literal[
    "id", "text", "money", "rate", "quantity", "date", "datetime", "bool", "currency", "domain"
]  # fmt: skip


@dataclass(frozen=True)
class ObjectSpec:
    """One exported object (a file, or a set of JSON pages)."""

    name: str  # as the system names it; also the file stem (Opportunity.csv)
    required: tuple[str, ...]  # header columns that must exist; "a|b" means one of them
    core: bool = False  # the folder must contain it


@dataclass(frozen=True)
class FieldMap:
    column: str  # column of the staged table (canonical name, or _helper)
    sources: tuple[str, ...]  # Object.Field candidates; () = only when the definitions map it
    kind: Kind = "text"
    required: bool = False  # an empty value rejects the row
    lookup: str | None = None  # currency given as an id: Object.Field holding its code


@dataclass(frozen=True)
class TableMap:
    table: str  # canonical table, or _lookup for objects used only to resolve ids
    base: str  # the object whose rows become this table's rows
    fields: tuple[FieldMap, ...]
    key: tuple[str, ...] = ()  # staged columns identifying a row: later duplicates are rejected


@dataclass(frozen=True)
class SystemMap:
    system: str
    objects: tuple[ObjectSpec, ...]
    #: base object -> {other object: (column on base, column on other)}
    relations: dict[str, dict[str, tuple[str, str]]]
    tables: tuple[TableMap, ...]  # in load order: a table may read the ones before it

    def object(self, name: str) -> ObjectSpec:
        return next(o for o in self.objects if o.name.lower() == name.lower())


F = FieldMap

SALESFORCE = SystemMap(
    system="salesforce",
    objects=(
        ObjectSpec("User", ("Id", "Name")),
        ObjectSpec("Product2", ("Id", "Name")),
        ObjectSpec("Account", ("Id", "Name")),
        ObjectSpec(
            "Opportunity",
            ("Id", "AccountId", "Name", "StageName", "CloseDate", "Amount"),
            core=True,
        ),
        ObjectSpec("OpportunityLineItem", ("Id", "OpportunityId", "TotalPrice")),
        # one row per change of an opportunity's stage, amount or close date
        ObjectSpec("OpportunityHistory", ("OpportunityId", "Amount", "CreatedDate")),
    ),
    relations={
        "Opportunity": {"User": ("OwnerId", "Id"), "Account": ("AccountId", "Id")},
        "OpportunityLineItem": {
            "Opportunity": ("OpportunityId", "Id"),
            "Product2": ("Product2Id", "Id"),
        },
    },
    tables=(
        TableMap(
            "_user", "User", (F("id", ("User.Id",), "id", True), F("name", ("User.Name",))), ("id",)
        ),
        TableMap(
            "_product2",
            "Product2",
            (
                F("id", ("Product2.Id",), "id", True),
                F("name", ("Product2.Name",)),
                F("product_code", ("Product2.ProductCode",)),
            ),
            ("id",),
        ),
        TableMap(
            "account",
            "Account",
            (
                F("account_id", ("Account.Id",), "id", True),
                F("name", ("Account.Name",), "text", True),
                F("domain", ("Account.Website",), "domain"),
                F("country", ("Account.BillingCountry",)),
                F("erp_customer_ref", ()),
            ),
            ("account_id",),
        ),
        TableMap(
            "deal",
            "Opportunity",
            (
                F("deal_id", ("Opportunity.Id",), "id", True),
                F("account_id", ("Opportunity.AccountId",)),
                F("name", ("Opportunity.Name",)),
                F("stage", ("Opportunity.StageName",), "text", True),
                F("close_date", ("Opportunity.CloseDate",), "date", True),
                F("amount", ("Opportunity.Amount",), "money"),
                F("currency", ("Opportunity.CurrencyIsoCode",), "currency"),
                F("owner", ("User.Name", "Owner.Name", "Opportunity.OwnerId")),
                F("delivery_status", ()),
                F("delivery_date", (), "date"),
                F("erp_ref", ()),
                F("last_modified", ("Opportunity.LastModifiedDate",), "datetime"),
            ),
            ("deal_id",),
        ),
        TableMap(
            "deal_line",
            "OpportunityLineItem",
            (
                F("line_id", ("OpportunityLineItem.Id",), "id", True),
                F("deal_id", ("OpportunityLineItem.OpportunityId",), "id", True),
                F("product_code", ("OpportunityLineItem.ProductCode", "Product2.ProductCode")),
                F("product_line", ("Product2.Family",)),
                F("quantity", ("OpportunityLineItem.Quantity",), "quantity"),
                F("unit_price", ("OpportunityLineItem.UnitPrice",), "quantity"),
                F("list_price", ("OpportunityLineItem.ListPrice",), "quantity"),
                F("amount", ("OpportunityLineItem.TotalPrice",), "money", True),
                F("service_start", ("OpportunityLineItem.ServiceDate",), "date"),
                F("service_end", (), "date"),
                F("_deal", ("Opportunity.Id",)),
            ),
            ("line_id",),
        ),
        TableMap(
            "_opportunity_history",
            "OpportunityHistory",
            (
                F("id", ("OpportunityHistory.Id",), "id"),
                F("deal_id", ("OpportunityHistory.OpportunityId",), "id", True),
                F("amount", ("OpportunityHistory.Amount",), "money"),
                F("created", ("OpportunityHistory.CreatedDate",), "datetime", True),
            ),
        ),
    ),
)

#: NetSuite transaction types that are sales documents, and their canonical doc_type
#: (the internal code, and the display name BUILTIN.DF(type) returns).
NETSUITE_DOC_TYPES: dict[str, str] = {
    "SalesOrd": "order",
    "Sales Order": "order",
    "CustInvc": "invoice",
    "Invoice": "invoice",
    "CustCred": "credit_memo",
    "Credit Memo": "credit_memo",
}

NETSUITE = SystemMap(
    system="netsuite",
    objects=(
        ObjectSpec("currency", ("id", "symbol")),
        ObjectSpec("classification", ("id", "name")),
        ObjectSpec("item", ("id", "itemid|fullname")),  # Fivetran NetSuite2: fullname
        ObjectSpec("customer", ("id", "companyname")),
        ObjectSpec("transaction", ("id", "type", "entity", "trandate"), core=True),
        ObjectSpec("transactionline", ("id", "transaction", "netamount")),
        ObjectSpec("revenue", ("trandate|date|postingperiod", "amount", "transaction")),
    ),
    relations={
        "transaction": {"currency": ("currency", "id")},
        "transactionline": {"transaction": ("transaction", "id"), "item": ("item", "id")},
        "revenue": {"currency": ("currency", "id")},
    },
    tables=(
        TableMap(
            "_currency",
            "currency",
            (F("id", ("currency.id",), "id", True), F("symbol", ("currency.symbol",))),
            ("id",),
        ),
        TableMap(
            "_classification",
            "classification",
            (F("id", ("classification.id",), "id", True), F("name", ("classification.name",))),
            ("id",),
        ),
        TableMap(
            "_item",
            "item",
            (F("id", ("item.id",), "id", True), F("itemid", ("item.itemid", "item.fullname"))),
            ("id",),
        ),
        TableMap(
            "customer",
            "customer",
            (
                F("customer_id", ("customer.id",), "id", True),
                F("name", ("customer.companyname", "customer.entityid", "customer.altname")),
                F("domain", ("customer.url", "customer.email"), "domain"),
                F("country", ("customer.country", "customer.billcountry")),
                F("crm_account_ref", ()),
            ),
            ("customer_id",),
        ),
        TableMap(
            "document",
            "transaction",
            (
                F("doc_id", ("transaction.id",), "id", True),
                F("doc_type", ("transaction.type",), "text", True),
                F("number", ("transaction.tranid", "transaction.transactionnumber")),
                F("customer_id", ("transaction.entity",), "id", True),
                F("date", ("transaction.trandate",), "date", True),
                F("currency", ("transaction.currency",), "currency", lookup="currency.symbol"),
                F("exchange_rate", ("transaction.exchangerate",), "rate"),
                F("crm_deal_ref", ()),
                F("status", ("transaction.status",)),
                F("created_at", ("transaction.createddate",), "datetime"),
                F("created_from", ("transaction.createdfrom",)),
            ),
            ("doc_id",),
        ),
        TableMap(
            "document_line",
            "transactionline",
            (
                F("doc_id", ("transactionline.transaction",), "id", True),
                F("line_id", ("transactionline.id",), "id", True),
                F("item_code", ("item.itemid", "item.fullname", "transactionline.item")),
                F("product_line", ("transactionline.class",)),
                F("amount", ("transactionline.netamount",), "money"),
                F("rev_start", (), "date"),
                F("rev_end", (), "date"),
                F("fulfilled_on", ("transactionline.actualshipdate",), "date"),
                F("_mainline", ("transactionline.mainline",), "bool"),
                F("_taxline", ("transactionline.taxline",), "bool"),
                F("_iscogs", ("transactionline.iscogs",), "bool"),
                F("_created_from", ("transactionline.createdfrom",)),
                F("_doc", ("transaction.id",)),
            ),
            ("doc_id", "line_id"),
        ),
        TableMap(
            "revenue",
            "revenue",
            (
                F(
                    "date",
                    ("revenue.trandate", "revenue.date", "revenue.postingperiod"),
                    "date",
                    True,
                ),
                F("amount", ("revenue.amount",), "money", True),
                F("currency", ("revenue.currency",), "currency", lookup="currency.symbol"),
                F("customer_id", ("revenue.entity",)),
                F("doc_id", ("revenue.transaction",), "id", True),
                F("line_id", ("revenue.transactionline",)),
                F("product_line", ("revenue.class",)),
            ),
        ),
    ),
)

FX = SystemMap(
    system="fx",
    objects=(ObjectSpec("fx_rates", ("date", "from_currency", "to_currency", "rate"), core=True),),
    relations={},
    tables=(
        TableMap(
            "fx_rate",
            "fx_rates",
            (
                F("date", ("fx_rates.date",), "date", True),
                F("from_currency", ("fx_rates.from_currency",), "currency", True),
                F("to_currency", ("fx_rates.to_currency",), "currency", True),
                F("rate", ("fx_rates.rate",), "rate", True),
            ),
            ("date", "from_currency", "to_currency"),
        ),
    ),
)

SYSTEMS: dict[str, SystemMap] = {m.system: m for m in (SALESFORCE, NETSUITE, FX)}
