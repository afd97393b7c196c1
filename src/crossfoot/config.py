"""The definitions file, ``crossfoot.yaml`` (SPEC §4), as validated pydantic models.

Every model forbids unknown keys and is frozen: the definitions are a reviewed
contract, so a typo must fail loudly rather than silently fall back to a default.
``load_definitions`` maps pydantic errors back to the YAML line that caused them.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from crossfoot.calendars import week_year_starts
from crossfoot.engine.settings import DuckDB, Spark
from crossfoot.errors import ConfigError
from crossfoot.ops.alert_config import Alerts
from crossfoot.sync.config import Sync

StageClass = Literal["open", "won", "won_not_booked", "lost"]
DEFAULT_DELIVERED = ("Delivered", "Shipped", "Fulfilled", "Complete", "Completed")

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


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Reporting(_Model):
    currency: str = "USD"
    period: Literal["month", "quarter"] = "month"
    fiscal_calendar: Literal["calendar", "4-4-5", "4-5-4", "5-4-4"] = "calendar"
    #: the first day of a fiscal year (any one); calendar: the first of a month
    fiscal_year_start: date | None = None
    #: 52-53-week years end on the weekday nearest to a month's end, or the last one in it
    fiscal_year_end: Literal["nearest", "last"] = "nearest"
    #: last day the numbers cover; default: the last day of the latest ERP revenue period
    as_of: date | None = None

    @field_validator("currency")
    @classmethod
    def _iso_currency(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Z]{3}", v):
            raise ValueError(f"{v!r} is not a three-letter ISO 4217 currency code such as USD")
        return v

    @model_validator(mode="after")
    def _fiscal_year(self) -> Reporting:
        start = self.fiscal_year_start
        if self.fiscal_calendar == "calendar":
            if start is not None and start.day != 1:
                raise ValueError(
                    f"fiscal_year_start {start} must be the first day of a month "
                    "for a calendar-month fiscal calendar"
                )
            return self
        if start is None:
            raise ValueError(
                f"fiscal_calendar {self.fiscal_calendar} needs fiscal_year_start: "
                "the first day of any of its fiscal years"
            )
        week_year_starts(start, self.fiscal_year_end)
        return self


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


class WarehouseSource(_Model):
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


class _System(_Model):
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
        if v is not None and not re.fullmatch(r"[A-Z]{3}", v):
            raise ValueError(f"{v!r} is not a three-letter ISO 4217 currency code such as USD")
        return v

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


def _exact(v: Any) -> Any:
    """YAML reads 1.00 as a float; go through str so 0.005 stays exactly 0.005."""
    return Decimal(str(v)) if isinstance(v, float) else v


class _Rule(_Model):
    #: SSP of a unit as a percentage of its list price (price book), for relative-SSP allocation
    ssp_percent_of_list: Decimal | None = Field(default=None, gt=0, decimal_places=2)
    #: the line carries all variable consideration (usage, royalty): it keeps its own price
    #: and is left out of the relative-SSP allocation of the fixed price
    variable_consideration: bool = False

    _decimal = field_validator("ssp_percent_of_list", mode="before")(lambda cls, v: _exact(v))


class PointInTime(_Rule):
    rule: Literal["point_in_time"]
    at: Literal["close", "delivery"] = "close"

    @model_validator(mode="before")
    @classmethod
    def _yaml_on(cls, data: Any) -> Any:
        if isinstance(data, dict) and True in data:
            raise ValueError("YAML reads the key `on` as true: write `at: close` or `at: delivery`")
        return data


Convention = Literal["daily", "monthly", "month30", "full_months"]


class Ratable(_Rule):
    rule: Literal["ratable"]
    convention: Convention = "daily"
    term_months: int | None = Field(
        default=None, gt=0, description="term from the close date when a line has no service dates"
    )


class Milestone(_Model):
    event: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    percent: Decimal = Field(gt=0, le=100, decimal_places=2)

    _decimal = field_validator("percent", mode="before")(lambda cls, v: _exact(v))


class Milestones(_Rule):
    """Percentages of the line recognized when named events happen; each event's date
    comes from ``event.<name>`` in ``crm.fields`` (the deal) or ``erp.fields`` (its documents)."""

    rule: Literal["milestones"]
    milestones: tuple[Milestone, ...] = Field(min_length=1)

    @field_validator("milestones")
    @classmethod
    def _sum_to_100(cls, v: tuple[Milestone, ...]) -> tuple[Milestone, ...]:
        total = sum((m.percent for m in v), Decimal(0))
        if total != 100:
            raise ValueError(f"the percentages add up to {total}, not 100")
        events = [m.event for m in v]
        if len(set(events)) != len(events):
            raise ValueError("an event is named twice")
        return v


ProductRule = Annotated[PointInTime | Ratable | Milestones, Field(discriminator="rule")]


class Tolerances(_Model):
    amount_abs: Decimal = Decimal("1.00")
    amount_rel: Decimal = Decimal("0.005")
    match_window_days: int = Field(default=45, ge=0)
    sync_lag_days: int = Field(default=7, ge=0)
    name_similarity: Decimal = Field(default=Decimal("0.88"), ge=0, le=1)

    _decimal = field_validator("amount_abs", "amount_rel", mode="before")(lambda cls, v: _exact(v))


class Allocation(_Model):
    """How a deal's price is spread over its lines (ASC 606 / IFRS 15 step 4)."""

    #: line_amount: each line keeps its own price; relative_ssp: the price is allocated
    #: by relative standalone selling price
    method: Literal["line_amount", "relative_ssp"] = "line_amount"
    #: one unit's standalone selling price per product code, in the reporting currency
    ssp: dict[str, Annotated[Decimal, Field(gt=0)]] = Field(default_factory=dict)

    @field_validator("ssp", mode="before")
    @classmethod
    def _ssp_exact(cls, v: Any) -> Any:
        return {k: _exact(x) for k, x in v.items()} if isinstance(v, dict) else v


class Definitions(_Model):
    company: str = "Unnamed company"
    reporting: Reporting = Reporting()
    crm: CrmSystem
    erp: ErpSystem
    fx_rates: str | None = None
    stages: dict[str, StageClass]
    product_lines: dict[str, ProductRule] = Field(default_factory=dict)
    allocation: Allocation = Allocation()
    delivered_values: tuple[str, ...] = DEFAULT_DELIVERED
    tolerances: Tolerances = Tolerances()
    #: thresholds and channels of ``crossfoot watch`` (docs/operations.md)
    alerts: Alerts = Alerts()
    #: field ownership and the CRM target of ``crossfoot sync`` (docs/operations.md)
    sync: Sync = Sync()
    #: where the engine runs: duckdb (in process) or spark (docs/spark.md)
    engine: Literal["duckdb", "spark"] = "duckdb"
    duckdb: DuckDB = DuckDB()
    spark: Spark = Spark()

    # set by load_definitions, not by the YAML
    base_dir: Path = Field(default=Path("."), exclude=True)
    source_hash: str = Field(default="", exclude=True)

    @model_validator(mode="after")
    def _events_mapped(self) -> Definitions:
        mapped = {k.removeprefix("event.") for k in (*self.crm.fields, *self.erp.fields)}
        for name, rule in self.product_lines.items():
            if isinstance(rule, Milestones):
                for m in rule.milestones:
                    if m.event not in mapped:
                        raise ValueError(
                            f"product_lines.{name}: milestone event {m.event!r} has no date field: "
                            f"map it as event.{m.event} in crm.fields or erp.fields"
                        )
        return self

    @field_validator("stages")
    @classmethod
    def _stages(cls, v: dict[str, StageClass]) -> dict[str, StageClass]:
        if not any(c in ("won", "won_not_booked") for c in v.values()):
            raise ValueError("no stage maps to won: at least one CRM stage must count as booked")
        return v

    def path(self, relative: str) -> Path:
        """Resolve a path from the definitions relative to the definitions file."""
        p = Path(relative)
        return p if p.is_absolute() else (self.base_dir / p)

    def pulled(self, system: str) -> Path:
        """Where ``crossfoot pull`` stores a system's pages (read when ``source: api``)."""
        return self.base_dir / ".crossfoot" / "pulled" / system

    def stage_class(self, stage: str) -> StageClass:
        return self.stages.get(stage, self.stages.get("*", "open"))


def _line_index(node: yaml.Node, prefix: tuple[str, ...], out: dict[tuple[str, ...], int]) -> None:
    out[prefix] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            k = (*prefix, str(key.value))
            out[k] = key.start_mark.line + 1
            _line_index(value, k, out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _line_index(item, (*prefix, str(i)), out)


def _format_error(err: Any, lines: dict[tuple[str, ...], int], file: str) -> str:
    loc = tuple(
        str(p) for p in err["loc"] if not str(p).startswith(("function-after", "tagged-union"))
    )
    # discriminated unions add the tag to the location; drop it to find the line
    key_path = tuple(p for p in loc if p not in ("point_in_time", "ratable", "milestones"))
    line = None
    for n in range(len(key_path), -1, -1):
        if key_path[:n] in lines:
            line = lines[key_path[:n]]
            break
    key = ".".join(key_path) or "(top level)"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "is not a known key (check the spelling; SPEC §4 lists the keys)"
    elif err["type"] == "missing":
        msg = "is required"
    elif (
        "input" in err
        and err["type"] not in ("value_error",)
        and not isinstance(err["input"], dict)
    ):
        msg = f"{err['input']!r}: {msg}"
    where = f"{file}:{line}" if line else file
    return f"{where} {key}: {msg}"


def load_definitions(path: str | Path) -> Definitions:
    """Read and validate ``crossfoot.yaml``; raise ConfigError naming line, key and value."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"cannot read the definitions file: {exc.strerror}", location=str(p)
        ) from exc
    try:
        text = raw.decode("utf-8-sig")
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"not valid YAML: {exc}", location=str(p)) from exc
    if not isinstance(data, dict):
        raise ConfigError(
            "must be a YAML mapping of keys (company, reporting, crm, erp, ...)", location=str(p)
        )
    lines: dict[tuple[str, ...], int] = {}
    if node is not None:
        _line_index(node, (), lines)
    try:
        defs = Definitions.model_validate(data)
    except ValidationError as exc:
        messages = [_format_error(e, lines, str(p)) for e in exc.errors()]
        raise ConfigError("\n".join(messages)) from None
    return defs.model_copy(
        update={"base_dir": p.resolve().parent, "source_hash": hashlib.sha256(raw).hexdigest()}
    )
