"""The whole definitions file as one model, and its reporting settings."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator

from crossfoot.calendars import week_year_starts
from crossfoot.config.base import Strict, check_currency
from crossfoot.config.rules import Allocation, Milestones, ProductRule, Tolerances
from crossfoot.config.systems import CrmSystem, ErpSystem
from crossfoot.engine.settings import DuckDB, Spark
from crossfoot.ops.alert_config import Alerts
from crossfoot.sync.config import Sync

StageClass = Literal["open", "won", "won_not_booked", "lost"]
DEFAULT_DELIVERED = ("Delivered", "Shipped", "Fulfilled", "Complete", "Completed")


class Reporting(Strict):
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
        return check_currency(v)

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


class Definitions(Strict):
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
