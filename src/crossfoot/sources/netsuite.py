"""NetSuite: SuiteQL results (REST pages or CSV) -> customer, document, document_line, revenue.

Sign convention: ``netamount`` is negative on the revenue lines of invoices and
sales orders and positive on credit memos; canonical amounts are revenue-signed
(``-netamount``). Lines with ``mainline``, ``taxline`` or ``iscogs`` = T, or
without a ``netamount``, are valid rows (counted as loaded) but not revenue, so
they are not document lines. Transactions of other types (``VendBill``...) are
rejected, and so are the lines of a transaction that is not loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import ClassVar

from crossfoot.config import ERP_MAPPABLE, WarehouseSource
from crossfoot.model.load import Check, Field, LoadSpec, lit, q
from crossfoot.model.mapping import NETSUITE, NETSUITE_DOC_TYPES
from crossfoot.sources import warehouse
from crossfoot.sources.base import LoadContext, relation_join

_SALES = "[" + ", ".join(lit(t) for t in NETSUITE_DOC_TYPES) + "]"
_CODES = "SalesOrd, CustInvc, CustCred"
REVENUE_LINE = (
    "NOT coalesce(_mainline, false) AND NOT coalesce(_taxline, false) "
    "AND NOT coalesce(_iscogs, false) AND amount IS NOT NULL"
)
_POS = "_file_no * 10000000000 + source_line"
_DOC = "'transaction ''' || doc_id || ''''"

CHECKS = {
    "document": (
        Check(
            when=f"NOT list_contains({_SALES}, doc_type)",
            field="type",
            value="doc_type",
            reason=f"'transaction type ''' || doc_type || ''' is not a sales document ({_CODES})'",
        ),
    ),
    "document_line": (
        Check(
            when="_doc IS NULL",
            field="transaction",
            value="doc_id",
            reason=f"""CASE WHEN _raw_type IS NULL THEN {_DOC} || ' is not in the transaction export'
                WHEN NOT list_contains({_SALES}, _raw_type) THEN 'belongs to ' || {_DOC} || ' of type '''
                    || _raw_type || ''', not a sales document'
                ELSE 'belongs to ' || {_DOC} || ', which was rejected' END""",
        ),
    ),
}
DUPLICATES = {"document_line": "'line ''' || line_id || ''' of transaction ''' || doc_id || ''''"}


def _with_raw_type(ctx: LoadContext, raw_transaction: str) -> Callable[[LoadSpec], LoadSpec]:
    """Add ``_raw_type``: the type of the line's transaction as exported, loaded or not.

    One join gives both it and ``_doc`` (the line's transaction, if it was loaded): the
    exported transactions grouped by id, with the loaded one among them, instead of a
    join of the loaded transactions and a second one of the exported types (unless a
    mapped field of the line reads another column of its transaction).
    """

    def extend(spec: LoadSpec) -> LoadSpec:
        staged, key = ctx.staged[("netsuite", "transaction")]
        loaded = relation_join("j_transaction", raw_transaction, staged, key, "transaction")
        others = [f for f in spec.fields
                  if f.name != "_doc" and "j_transaction." in f"{f.expr} {f.lookup}"]  # fmt: skip
        doc = next((f for f in spec.fields if f.name == "_doc"), None)
        if others or doc is None or doc.expr != 'j_transaction."id"' or loaded not in spec.source:
            types = f'SELECT trim("id") AS id, min(trim("type")) AS type FROM {q(raw_transaction)} GROUP BY 1'
            return replace(
                spec,
                source=f'{spec.source} LEFT JOIN ({types}) rt ON rt.id = trim(b."transaction")',
                fields=(*spec.fields, Field("_raw_type", "rt.type")),
            )
        # a loaded transaction's key is its trimmed id (doc_id is always transaction.id)
        types = (
            f'SELECT trim(r."id") AS id, min(trim(r."type")) AS type, min(s.{q(key)}) AS doc '
            f"FROM {q(raw_transaction)} r LEFT JOIN {q(staged)} s USING (source_file, source_line) "
            "GROUP BY 1"
        )
        fields = tuple(replace(f, expr="rt.doc") if f.name == "_doc" else f for f in spec.fields)
        return replace(
            spec,
            source=spec.source.replace(loaded, f'LEFT JOIN ({types}) rt ON rt.id = trim(b."transaction")'),
            fields=(*fields, Field("_raw_type", "rt.type")),
        )

    return extend


class NetSuite:
    system: ClassVar[str] = "netsuite"

    def load(self, ctx: LoadContext) -> None:
        erp = ctx.defs.erp
        if isinstance(erp.source, WarehouseSource):
            warehouse.read_system(ctx, NETSUITE, erp.source, "erp.source", erp.fields)
        else:
            ctx.read_system(NETSUITE, ctx.folder(erp.source, "erp.source"))
        raw = ctx.raw[(self.system, "transaction")]  # a core object: always there
        extend = {"document_line": _with_raw_type(ctx, raw.name)}
        stg = ctx.stage_all(NETSUITE, erp.fields, ERP_MAPPABLE, "erp.fields", erp.date_format,
                            CHECKS, DUPLICATES, extend)  # fmt: skip
        currency = lit(ctx.defs.reporting.currency)
        by_class = (
            erp.fields.get("product_line", "transactionline.class").lower().endswith(".class")
        )
        doc_type = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in NETSUITE_DOC_TYPES.items())
        lines, classes = stg["document_line"], stg["_classification"]
        ctx.write("customer", f"SELECT * FROM {stg['customer']}", self.system)
        ctx.write(
            "document",
            f"""SELECT t.* REPLACE (CASE t.doc_type {doc_type} END AS doc_type,
                    coalesce(t.currency, {currency}) AS currency,
                    coalesce(t.exchange_rate, 1) AS exchange_rate,
                    coalesce(t.created_from, a.created_from) AS created_from),
                coalesce(a.amount, 0) AS amount
            FROM {stg["document"]} t
            LEFT JOIN (SELECT doc_id, sum(-amount) FILTER ({REVENUE_LINE}) AS amount,
                       arg_min(_created_from, {_POS}) FILTER (_created_from IS NOT NULL)
                       AS created_from FROM {lines} GROUP BY doc_id) a USING (doc_id)""",
            self.system,
        )
        product_line = "coalesce(c.name, l.product_line)" if by_class else "l.product_line"
        ctx.write(
            "document_line",
            f"""SELECT l.* REPLACE ({product_line} AS product_line, -l.amount AS amount)
            FROM {lines} l LEFT JOIN {classes} c ON c.id = l.product_line WHERE {REVENUE_LINE}""",
            self.system,
        )
        ctx.write(
            "revenue",
            f"""SELECT r.* REPLACE (coalesce(r.currency, d.currency, {currency}) AS currency,
                    coalesce(r.customer_id, d.customer_id) AS customer_id,
                    coalesce(c.name, r.product_line, dl.product_line) AS product_line)
            FROM {stg["revenue"]} r
            LEFT JOIN document d ON d.doc_id = r.doc_id
            LEFT JOIN document_line dl ON dl.doc_id = r.doc_id AND dl.line_id = r.line_id
            LEFT JOIN {classes} c ON c.id = r.product_line""",
            self.system,
        )
