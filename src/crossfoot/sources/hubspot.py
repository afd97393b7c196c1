"""HubSpot: CRM API v3 pages, UI exports or Fivetran tables -> account, deal, deal_line.

The layouts and how their columns become property names are in
:mod:`crossfoot.sources.hubspot_files`. Sources below are written
``<object>.<property>`` (``deals.dealstage``, ``line_items.hs_product_id``);
``crm.fields`` uses the same form (``deals.delivery_status``,
``products.product_family``).

* A deal's stage is the stage *label* when a pipelines file is present
  (``pipelines.json`` or Fivetran's ``deal_pipeline_stage_data.csv``): internal ids
  such as ``closedwon`` or ``12345678`` resolve to what users see (``Closed Won``),
  so ``stages:`` in crossfoot.yaml is written with labels. Without one, the value
  is kept as exported (UI exports already hold labels).
* A line's term ``hs_recurring_billing_period`` (ISO 8601 ``P12M``, ``P1Y``) and
  its start ``hs_recurring_billing_start_date`` give its service end
  (start + term - 1 day) unless ``crm.fields.service_end`` names a property.
* Records deleted in HubSpot (``archived`` in the API, ``is_deleted`` /
  ``_fivetran_deleted`` in Fivetran) are rejected with that reason: counted, never loaded.
"""

from __future__ import annotations

from typing import ClassVar

from crossfoot.config import CRM_MAPPABLE, WarehouseSource
from crossfoot.errors import InputError
from crossfoot.model.load import Check, lit, q
from crossfoot.model.mapping import FieldMap, ObjectSpec, SystemMap, TableMap
from crossfoot.sources import hubspot_files as files
from crossfoot.sources import warehouse
from crossfoot.sources.base import LoadContext, quantity_times_price_check
from crossfoot.sources.files import RawTable

F = FieldMap


def _deleted(obj: str) -> FieldMap:
    return F("_deleted", (f"{obj}.archived",), "bool")


HUBSPOT = SystemMap(
    system=files.SYSTEM,
    objects=tuple(ObjectSpec(o, ()) for o in ("pipelines", *files.OBJECTS)),
    relations={
        "deals": {"companies": ("company_id", "id"), "owners": ("hubspot_owner_id", "id")},
        "line_items": {"deals": ("deal_id", "id"), "products": ("hs_product_id", "id")},
    },
    tables=(
        TableMap(
            "_stage",
            "pipelines",
            (
                F("pipeline_id", ("pipelines.pipeline_id",), "id"),
                F("id", ("pipelines.id",), "id", True),
                F("label", ("pipelines.label",), "text", True),
                _deleted("pipelines"),
            ),
            ("pipeline_id", "id"),
        ),
        TableMap(
            "_owner",
            "owners",
            (
                F("id", ("owners.id",), "id", True),
                F("name", ("owners.name",)),
                F("email", ("owners.email",)),
            ),
            ("id",),
        ),
        TableMap(
            "_product",
            "products",
            (
                F("id", ("products.id",), "id", True),
                F("name", ("products.name",)),
                F("sku", ("products.hs_sku",)),
                _deleted("products"),
            ),
            ("id",),
        ),
        TableMap(
            "account",
            "companies",
            (
                F("account_id", ("companies.id",), "id", True),
                F("name", ("companies.name",), "text", True),
                F("domain", ("companies.domain", "companies.website"), "domain"),
                F("country", ("companies.country",)),
                F("erp_customer_ref", ()),
                _deleted("companies"),
            ),
            ("account_id",),
        ),
        TableMap(
            "deal",
            "deals",
            (
                F("deal_id", ("deals.id",), "id", True),
                F("account_id", ("deals.company_id",)),
                F("name", ("deals.dealname",)),
                F("stage", ("deals.dealstage",), "text", True),
                F("close_date", ("deals.closedate",), "date", True),
                F("amount", ("deals.amount",), "money"),
                F("currency", ("deals.deal_currency_code",), "currency"),
                F("owner", ("owners.name", "owners.email", "deals.hubspot_owner_id")),
                F("delivery_status", ()),
                F("delivery_date", (), "date"),
                F("erp_ref", ()),
                F("last_modified", ("deals.hs_lastmodifieddate", "deals.updatedat"), "datetime"),
                F("_pipeline", ("deals.pipeline",)),
                _deleted("deals"),
            ),
            ("deal_id",),
        ),
        TableMap(
            "deal_line",
            "line_items",
            (
                F("line_id", ("line_items.id",), "id", True),
                F("deal_id", ("line_items.deal_id",), "id", True),
                F("product_code", ("line_items.hs_sku", "products.hs_sku")),
                F("product_line", ()),
                F("quantity", ("line_items.quantity",), "quantity"),
                F("unit_price", ("line_items.price",), "quantity"),
                # HubSpot's unit price is before the line's discount: the price book's price
                F("list_price", ("line_items.price",), "quantity"),
                F("amount", ("line_items.amount",), "money", True),
                F("service_start", ("line_items.hs_recurring_billing_start_date",), "date"),
                F("service_end", (), "date"),
                F("_term", ("line_items.hs_recurring_billing_period",)),
                F("_deal", ("deals.id",)),
                _deleted("line_items"),
            ),
            ("line_id",),
        ),
    ),
)


#: a term as the API writes it (ISO 8601: P12M, P1Y6M, P2W) or as an export shows it (12 months)
_TERM = r"P(?:[0-9]+Y)?(?:[0-9]+M)?(?:[0-9]+W)?(?:[0-9]+D)?|[0-9]+\s*(?:MONTHS?|YEARS?)"
#: its whole months (weeks and days make none: the term then comes from product_lines)
_MONTHS = (
    r"(coalesce(TRY_CAST(regexp_extract(upper(_term), '([0-9]+)\s*Y', 1) AS INT), 0) * 12 + "
    r"coalesce(TRY_CAST(regexp_extract(upper(_term), '([0-9]+)\s*M', 1) AS INT), 0))"
)


#: canonical (or helper) table -> the object its rows come from
BASES = {"_stage": "pipelines", "_product": "products", "account": "companies",
         "deal": "deals", "deal_line": "line_items"}  # fmt: skip


def _deleted_check(flag: str) -> Check:
    """Deleted records are rejected before any other check: the reason says why they are out."""
    return Check(
        when="coalesce(_deleted, false)",
        field=flag,
        value="'true'",
        reason=lit(f"deleted in HubSpot ({flag} = true): excluded"),
        first=True,
    )


CHECKS = {
    "deal_line": (
        # price is both the unit and the list price (see the field map)
        quantity_times_price_check("unit_price", "price", "quantity"),
        Check(
            when="_deal IS NULL",
            field="deal",
            value="deal_id",
            reason="'associated deal ''' || deal_id || ''' is not a loaded deal "
            "(missing from the deals export, deleted or rejected)'",
        ),
        Check(
            when=f"_term IS NOT NULL AND NOT regexp_full_match(upper(_term), {lit(_TERM)})",
            field="hs_recurring_billing_period",
            value="_term",
            reason="'term ''' || _term || ''' is not a period such as P12M or 12 months'",
        ),
    ),
}


class HubSpot:
    system: ClassVar[str] = files.SYSTEM

    def load(self, ctx: LoadContext) -> None:
        crm = ctx.defs.crm
        raw: dict[str, RawTable | None]
        if isinstance(crm.source, WarehouseSource):
            layout: files.Layout = "fivetran"
            raw = self._tables(ctx, crm.source)
        else:
            folder = ctx.folder(crm.source, "crm.source")
            layout = files.layout(ctx, folder)
            stems = files.STEMS[layout]
            raw = {obj: files.read_object(ctx, obj, ctx.locate(folder, stem))
                   for obj, stem in stems.items()}  # fmt: skip
        date_props = {
            v.partition(".")[2].lower()
            for k, v in crm.fields.items()
            if k in ("close_date", "delivery_date", "service_start", "service_end")
        }
        joins = self._links(ctx, raw)
        for obj in (*files.OBJECTS, "pipelines"):
            table = raw.get(obj)
            if table is not None:
                ctx.raw[(self.system, obj)] = files.rename(
                    ctx, table, obj, layout, date_props, joins.get(obj)
                )
        stg = ctx.stage_all(
            HUBSPOT, crm.fields, CRM_MAPPABLE, "crm.fields", crm.date_format, self._checks(ctx)
        )
        self._write(ctx, stg)

    def _tables(self, ctx: LoadContext, source: WarehouseSource) -> dict[str, RawTable | None]:
        """Fivetran's HubSpot tables (``deal``, ``company``, ``deal_company``...), read in place."""
        wh = warehouse.open_source(ctx, self.system, source, "crm.source")
        try:
            raw: dict[str, RawTable | None] = {}
            for obj, stem in files.STEMS["fivetran"].items():
                table = warehouse.find_table(wh, source, stem.removesuffix("_data"), "crm.source")
                raw[obj] = None if table is None else warehouse.read_table(
                    ctx, wh, self.system, obj, table, set()
                )
            if raw["deals"] is None:
                raise InputError(f"no deal table in {wh.kind} {wh.schema}: deals are required",
                                 location="crm.source")  # fmt: skip
            return raw
        finally:
            wh.close()

    def _checks(self, ctx: LoadContext) -> dict[str, tuple[Check, ...]]:
        """CHECKS, each table's led by its deleted-record check naming the flag as exported."""
        out = {}
        for table, obj in BASES.items():
            raw = ctx.raw.get((self.system, obj))
            flag = raw.label("archived") if raw else "archived"
            out[table] = (_deleted_check(flag), *CHECKS.get(table, ()))
        return out

    def _links(
        self, ctx: LoadContext, raw: dict[str, RawTable | None]
    ) -> dict[str, dict[str, tuple[str, str]]]:
        """Association columns that live in another file: Fivetran's link tables, or
        the line items listed on the deals' pages (``associations.line_items``)."""
        joins: dict[str, dict[str, tuple[str, str]]] = {}
        link = raw.get("deal_company")
        if link is not None:
            self._stage_link(ctx, link, ("deal_id", "company_id"))
            primary = (
                "CASE WHEN trim(type_id) = '5' THEN 0 ELSE 1 END"  # 5: deal_to_company primary
            )
            agg = (f"(SELECT trim(deal_id) AS _d, string_agg(trim(company_id), ';' ORDER BY "
                   f"{primary}, source_line) AS ids FROM {q(link.name)} GROUP BY 1)")  # fmt: skip
            joins["deals"] = {
                "associations.companies": (
                    "dc.ids",
                    f"LEFT JOIN {agg} dc ON dc._d = trim(b.deal_id)",
                )
            }
        link = raw.get("line_item_deal")
        if link is not None:
            self._stage_link(ctx, link, ("line_item_id", "deal_id"))
            agg = (f"(SELECT trim(line_item_id) AS _l, string_agg(trim(deal_id), ';' ORDER BY "
                   f"source_line) AS ids FROM {q(link.name)} GROUP BY 1)")  # fmt: skip
            joins["line_items"] = {
                "associations.deals": ("ld.ids", f"LEFT JOIN {agg} ld ON ld._l = trim(b.id)")
            }
        deals, lines = raw.get("deals"), raw.get("line_items")
        if deals and lines and deals.has("associations.line_items") and "line_items" not in joins:
            listed = (f"SELECT trim(unnest(string_split(\"associations.line_items\", ';'))) AS _l, "
                      f"trim(id) AS _d FROM {q(deals.name)}")  # fmt: skip
            pairs = f"(SELECT _l, min(_d) AS ids FROM ({listed}) GROUP BY 1)"
            own = lines.has("associations.deals")
            expr = "coalesce(nullif(b.\"associations.deals\", ''), dl.ids)" if own else "dl.ids"
            joins["line_items"] = {
                "associations.deals": (expr, f"LEFT JOIN {pairs} dl ON dl._l = trim(b.id)")
            }
        return joins

    def _stage_link(self, ctx: LoadContext, link: RawTable, keys: tuple[str, str]) -> None:
        """A Fivetran link table: every row loaded unless a key is empty (then rejected)."""
        for key in keys:
            if not link.has(key):
                ctx.missing_column(link, key, f"{link.object} links {keys[0]} to {keys[1]}")
        fields = tuple(F(k, (f"{link.object}.{k}",), "id", True) for k in keys)
        smap = SystemMap(self.system, (ObjectSpec(link.object, ()),), {},
                         (TableMap("_" + link.object, link.object, fields),))  # fmt: skip
        ctx.raw[(self.system, link.object)] = link
        ctx.stage_all(smap, {}, {}, "crm.fields", "auto", {})

    def _write(self, ctx: LoadContext, stg: dict[str, str]) -> None:
        currency = lit(ctx.defs.reporting.currency)
        stages = stg["_stage"]
        ctx.write("account", f"SELECT * FROM {stg['account']}", self.system)
        ctx.write(
            "deal",
            f"""SELECT d.* REPLACE (coalesce(d.currency, {currency}) AS currency,
                    coalesce(sp.label, s1.label, d.stage) AS stage)
            FROM {stg["deal"]} d
            LEFT JOIN {stages} sp ON sp.id = d.stage AND sp.pipeline_id = d._pipeline
            LEFT JOIN (SELECT id, min(label) AS label FROM {stages} GROUP BY id) s1
                ON s1.id = d.stage""",
            self.system,
        )
        end = f"CAST(service_start + to_months({_MONTHS}) - INTERVAL 1 DAY AS DATE)"
        ctx.write(
            "deal_line",
            f"""SELECT * REPLACE (coalesce(service_end, CASE WHEN service_start IS NOT NULL
                    AND {_MONTHS} > 0 THEN {end} END) AS service_end)
            FROM {stg["deal_line"]}""",
            self.system,
        )
