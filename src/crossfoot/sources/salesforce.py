"""Salesforce: Data Loader / Bulk API CSV exports or REST query JSON -> account, deal, deal_line.

Headers are API field names in any case; dates are ISO (``crm.date_format`` can
set another format for exports that went through a spreadsheet). Custom fields
come from ``crm.fields``; a field of another object is read through the
relationship (a line's
``Product2.Family`` through ``Product2Id``, its ``Opportunity.X`` through
``OpportunityId``; an opportunity's ``User.Name`` through ``OwnerId``).
"""

from __future__ import annotations

from typing import ClassVar

from crossfoot.config import CRM_MAPPABLE, WarehouseSource
from crossfoot.model.load import Check, lit
from crossfoot.model.mapping import SALESFORCE
from crossfoot.sources import warehouse
from crossfoot.sources.base import LoadContext, quantity_times_price_check

CHECKS = {
    "deal_line": (
        quantity_times_price_check("unit_price", "UnitPrice"),
        quantity_times_price_check("list_price", "ListPrice"),
        Check(
            when="_deal IS NULL",
            field="OpportunityId",
            value="deal_id",
            reason="'OpportunityId ''' || deal_id || ''' is not a loaded opportunity "
            "(missing from the Opportunity export, or rejected)'",
        ),
    ),
}


class Salesforce:
    system: ClassVar[str] = "salesforce"

    def load(self, ctx: LoadContext) -> None:
        crm = ctx.defs.crm
        # Data Loader, Bulk API and REST always write ISO dates; a report export needs the setting
        dates = "YYYY-MM-DD" if crm.date_format == "auto" else crm.date_format
        if isinstance(crm.source, WarehouseSource):
            warehouse.read_system(ctx, SALESFORCE, crm.source, "crm.source", crm.fields)
        else:
            ctx.read_system(SALESFORCE, ctx.folder(crm.source, "crm.source"))
        stg = ctx.stage_all(SALESFORCE, crm.fields, CRM_MAPPABLE, "crm.fields", dates, CHECKS)
        currency = lit(ctx.defs.reporting.currency)
        ctx.write("account", f"SELECT * FROM {stg['account']}", self.system)
        ctx.write(
            "deal",
            f"SELECT * REPLACE (coalesce(currency, {currency}) AS currency) FROM {stg['deal']}",
            self.system,
        )
        ctx.write("deal_line", f"SELECT * FROM {stg['deal_line']}", self.system)
        ctx.write("deal_change", _amount_changes(stg["_opportunity_history"], stg["deal"]), self.system)


def _amount_changes(history: str, deal: str) -> str:
    """Amount changes after the close, from OpportunityHistory (the term is not in it)."""
    return f"""
        SELECT h.deal_id, h.changed_on, h.before AS amount_before, h.amount AS amount_after,
               NULL AS end_before, NULL AS end_after, h.source_file, h.source_line
        FROM (SELECT *, CAST(created AS DATE) AS changed_on,
                     lag(amount) OVER (PARTITION BY deal_id ORDER BY created, source_line) AS before
              FROM {history} WHERE amount IS NOT NULL) h
        JOIN {deal} d USING (deal_id)
        WHERE h.changed_on > d.close_date AND h.before IS DISTINCT FROM h.amount
          AND h.before IS NOT NULL"""
