"""``crm:`` and ``erp:``: which system, where its data comes from, its field map."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from crossfoot.config.base import Strict, check_currency

#: ``event.<name>`` keys of a field map carry milestone dates (rule ``milestones``)
EVENT_KEY = "event.*"

#: canonical fields that a CRM field map may set (SPEC §4), per canonical table
CRM_MAPPABLE = {
    "product_line": "deal_line",
    "delivery_status": "deal",
    "delivery_date": "deal",
    "erp_ref": "deal",
    "erp_customer_ref": "account",
    "service_start": "deal_line",
    "service_end": "deal_line",
    "close_date": "deal",
    "owner": "deal",
    "domain": "account",
    EVENT_KEY: "deal",  # a milestone's date on the deal: event.go_live: Opportunity.Go_Live__c
}
ERP_MAPPABLE = {
    "crm_deal_ref": "document",
    "crm_account_ref": "customer",
    "product_line": "document_line",
    "rev_start": "document_line",
    "rev_end": "document_line",
    "fulfilled_on": "document_line",
    "domain": "customer",
    EVENT_KEY: "document_line",  # a milestone's date on the ERP: event.go_live: transactionline.X
}


def mapped_table(key: str, mappable: dict[str, str]) -> str | None:
    """The canonical table a field-map key fills (``event.<name>`` keys included)."""
    if key.startswith("event."):
        return mappable.get(EVENT_KEY)
    return mappable.get(key)


#: keys of ``crm.api`` / ``erp.api`` that hold settings, not secrets (docs/pull.md)
API_SETTINGS = frozenset(
    {"instance_url", "api_version", "multi_currency", "account_id", "realm_id", "tenant_id",
     "environment", "company_id", "base_url", "page_size", "authority"}
)  # fmt: skip
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_GUID = re.compile(r"[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")
_SECRET_LIKE = re.compile(r"(?=.*[A-Za-z])(?=.*[0-9])[A-Za-z0-9+/=_!\-]{24,}|Bearer .*", re.I)


def _check_api(api: dict[str, str]) -> dict[str, str]:
    """``*_env`` keys name environment variables; the rest are non-secret settings.

    A value that looks like a token is refused even under a setting's key: secrets
    live in the environment only, never in the reviewed definitions file.
    """
    for key, value in api.items():
        if key.endswith("_env"):
            if not _ENV_NAME.fullmatch(value):
                raise ValueError(f"{key}: {value!r} is not an environment variable name")
            continue
        if key not in API_SETTINGS:
            raise ValueError(
                f"{key!r} is not an API setting; secrets go in environment variables named "
                f"by <name>_env keys; settings allowed: {', '.join(sorted(API_SETTINGS))}"
            )
        if _SECRET_LIKE.fullmatch(value) and not _GUID.fullmatch(value):
            raise ValueError(
                f"{key}: the value looks like a secret; put it in an environment variable "
                "and name the variable with a <name>_env key"
            )
    return api


class WarehouseSource(Strict):
    """Tables a loader (Fivetran, Airbyte) landed in a warehouse, read in place (docs/systems/warehouse.md)."""

    warehouse: Literal["duckdb", "parquet", "postgres"]
    #: duckdb: the database file; parquet: the folder of tables (relative to the definitions file)
    path: str | None = None
    #: postgres: the environment variable holding the connection string (never the DSN itself)
    dsn_env: str | None = None
    #: the schema the loader wrote (duckdb, postgres); default: the system's name
    schema_name: str | None = Field(default=None, alias="schema")
    loader: Literal["fivetran", "airbyte"] = "fivetran"
    #: object -> table, for tables not named as the loader names them (Opportunity: opp_v)
    tables: dict[str, str] = Field(default_factory=dict)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _where(self) -> WarehouseSource:
        if self.warehouse == "postgres":
            if not self.dsn_env or self.path:
                raise ValueError("warehouse: postgres needs dsn_env (the environment variable "
                                 "holding the connection string) and no path")  # fmt: skip
            if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", self.dsn_env):
                raise ValueError(f"dsn_env: {self.dsn_env!r} is not an environment variable name")
        elif not self.path or self.dsn_env:
            what = "database file" if self.warehouse == "duckdb" else "folder of tables"
            raise ValueError(f"warehouse: {self.warehouse} needs path (the {what}) and no dsn_env")
        if self.warehouse == "parquet" and self.schema_name:
            raise ValueError("warehouse: parquet has no schema: path is the folder of the tables")
        return self


#: systems whose warehouse tables crossfoot reads (the loaders' schemas it knows)
WAREHOUSE_SYSTEMS = ("salesforce", "hubspot", "netsuite")


class _System(Strict):
    source: str | WarehouseSource = Field(
        description="a folder of exports, relative to the definitions file, api (crossfoot pull) "
        "or warehouse tables"
    )
    fields: dict[str, str] = Field(default_factory=dict)
    #: for source: api, environment variable names (``*_env``) and non-secret settings
    api: dict[str, str] = Field(default_factory=dict)
    date_format: str = Field(
        default="auto",
        description="auto, or a pattern such as M/D/YYYY, D/M/YYYY, YYYY-MM-DD, D.M.YYYY",
    )

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, v: str) -> str:
        allowed = {"auto", "M/D/YYYY", "D/M/YYYY", "YYYY-MM-DD", "D.M.YYYY", "D-MON-YYYY"}
        if v not in allowed:
            raise ValueError(
                f"{v!r} is not a known date format; allowed: {', '.join(sorted(allowed))}"
            )
        return v

    @field_validator("api", mode="before")
    @classmethod
    def _api(cls, v: Any) -> Any:
        if isinstance(v, dict):  # YAML reads numbers and yes/no: settings are text
            v = {k: str(x).lower() if isinstance(x, bool) else str(x) for k, x in v.items()}
            return _check_api(v)
        return v

    @model_validator(mode="after")
    def _warehouse_system(self) -> _System:
        system = getattr(self, "system", "")
        if isinstance(self.source, WarehouseSource) and system not in WAREHOUSE_SYSTEMS:
            raise ValueError(f"source: warehouse tables are read for {', '.join(WAREHOUSE_SYSTEMS)}, "
                             f"not {system}: export its objects to a folder")  # fmt: skip
        if (
            isinstance(self.source, WarehouseSource)
            and self.source.loader == "airbyte"
            and (system != "salesforce")
        ):
            raise ValueError(f"source: loader airbyte is read for salesforce only; {system}'s "
                             "tables are read as Fivetran lands them")  # fmt: skip
        return self


def _check_fields(fields: dict[str, str], mappable: dict[str, str]) -> dict[str, str]:
    for key, value in fields.items():
        if key.startswith("event.") and not re.fullmatch(r"event\.[A-Za-z0-9_]+", key):
            raise ValueError(f"{key!r}: a milestone event is event.<name>, e.g. event.go_live")
        if mapped_table(key, mappable) is None:
            allowed = sorted(k.replace("*", "<name>") for k in mappable)
            raise ValueError(
                f"{key!r} is not a canonical field that can be mapped; allowed: {', '.join(allowed)}"
            )
        # the field part may be a path (ClassRef.value) or a name with spaces: Xero tracking
        # categories (Tracking.Product Line), QuickBooks custom fields (CustomField.Deal ID)
        if not re.fullmatch(
            r"[A-Za-z0-9_]+\.[A-Za-z0-9_](?:[A-Za-z0-9_ .#&/-]*[A-Za-z0-9_#])?", value
        ):
            raise ValueError(
                f"{key}: {value!r} must be Object.Field, e.g. Opportunity.Foo__c "
                "(a Xero tracking category or QuickBooks custom field: Tracking.Product Line)"
            )
    return fields


class CrmSystem(_System):
    system: Literal["salesforce", "hubspot"]

    @field_validator("fields")
    @classmethod
    def _fields(cls, v: dict[str, str]) -> dict[str, str]:
        return _check_fields(v, CRM_MAPPABLE)


#: ERPs without revenue schedules: revenue comes from their invoice lines (or a GL export)
SCHEDULELESS_ERPS = ("quickbooks", "xero", "business_central")


class ErpSystem(_System):
    system: Literal["netsuite", "quickbooks", "xero", "business_central"]
    #: where recognized revenue comes from: ``erp`` (the ERP's revenue export: NetSuite),
    #: ``invoice_lines`` (each invoice line at its invoice date; credit memos negative) or
    #: ``gl`` (a GL export). Default: ``erp`` for NetSuite, ``invoice_lines`` for the others.
    revenue: Literal["erp", "invoice_lines", "gl"] | None = None
    #: the company's local currency, for documents that leave it empty (Business Central);
    #: default: the reporting currency
    local_currency: str | None = None
    #: with ``revenue: gl``: a GL export CSV of the income-account postings (docs/inputs.md),
    #: relative to the definitions file; without it, the ERP's own GL export in ``source``
    gl: str | None = None

    @field_validator("fields")
    @classmethod
    def _fields(cls, v: dict[str, str]) -> dict[str, str]:
        return _check_fields(v, ERP_MAPPABLE)

    @field_validator("local_currency")
    @classmethod
    def _local_currency(cls, v: str | None) -> str | None:
        return v if v is None else check_currency(v)

    @model_validator(mode="after")
    def _revenue_source(self) -> ErpSystem:
        if self.gl and self.revenue != "gl":
            raise ValueError("gl: is only read with revenue: gl")
        if self.system == "netsuite" and self.revenue not in (None, "erp"):
            raise ValueError(f"revenue: {self.revenue} is not supported for netsuite: use erp")
        if self.system in SCHEDULELESS_ERPS and self.revenue == "erp":
            raise ValueError(
                f"revenue: erp: {self.system} has no revenue schedules; use invoice_lines"
            )
        return self
