"""Readers: source systems -> the canonical tables of SPEC §3.

``load_sources`` reads the CRM folder, the ERP folder and the FX rates file named
in the definitions, and creates in the backend the tables ``account, deal,
deal_line, customer, document, document_line, revenue, fx_rate`` (exactly the
columns of :mod:`crossfoot.model.schema`, empty when their files are absent) and
``rejects``. Each input file (or JSON page) is returned as an
:class:`~crossfoot.diagnostic.findings.InputFile`: rows read = loaded + rejected.

A new system is one module with a :class:`~crossfoot.sources.base.Source` and
one entry in :data:`CRM_SOURCES` or :data:`ERP_SOURCES`.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from crossfoot.config import Definitions
from crossfoot.diagnostic.findings import InputFile
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.model.schema import CANONICAL
from crossfoot.sources.base import LoadContext, Source
from crossfoot.sources.business_central import BusinessCentral
from crossfoot.sources.fx import FxRates
from crossfoot.sources.hubspot import HubSpot
from crossfoot.sources.netsuite import NetSuite
from crossfoot.sources.quickbooks import QuickBooks
from crossfoot.sources.salesforce import Salesforce
from crossfoot.sources.xero import Xero

#: the tables ``load_sources`` creates (the store keeps them: ``store.keep_canonical``)
LOADED_TABLES = (*CANONICAL, "rejects")

CRM_SOURCES: dict[str, type[Source]] = {"salesforce": Salesforce, "hubspot": HubSpot}
ERP_SOURCES: dict[str, type[Source]] = {
    "netsuite": NetSuite,
    "quickbooks": QuickBooks,
    "xero": Xero,
    "business_central": BusinessCentral,
}


def load_sources(defs: Definitions, backend: DuckDBBackend) -> tuple[InputFile, ...]:
    """Read every input named in ``defs`` into canonical tables; return the input files.

    Raises :class:`~crossfoot.errors.InputError` (exit 2) when a file cannot be used
    at all; rows that cannot be read go to the ``rejects`` table instead.
    """
    with tempfile.TemporaryDirectory(prefix="crossfoot-") as tmp:
        ctx = LoadContext(defs, backend, Path(tmp))
        ctx.start()
        try:
            sources: list[Source] = [
                CRM_SOURCES[defs.crm.system](),
                ERP_SOURCES[defs.erp.system](),
                FxRates(),
            ]
            for source in sources:
                source.load(ctx)
            return ctx.finish()
        finally:
            ctx.cleanup()


__all__ = ["CRM_SOURCES", "ERP_SOURCES", "LOADED_TABLES", "LoadContext", "Source", "load_sources"]
