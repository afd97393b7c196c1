"""How revenue is recognized per product line, how a price is allocated, the tolerances."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from crossfoot.config.base import Strict, exact


class _Rule(Strict):
    #: SSP of a unit as a percentage of its list price (price book), for relative-SSP allocation
    ssp_percent_of_list: Decimal | None = Field(default=None, gt=0, decimal_places=2)
    #: the line carries all variable consideration (usage, royalty): it keeps its own price
    #: and is left out of the relative-SSP allocation of the fixed price
    variable_consideration: bool = False

    _decimal = field_validator("ssp_percent_of_list", mode="before")(lambda cls, v: exact(v))


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


class Milestone(Strict):
    event: str = Field(pattern=r"^[A-Za-z0-9_]+$")
    percent: Decimal = Field(gt=0, le=100, decimal_places=2)

    _decimal = field_validator("percent", mode="before")(lambda cls, v: exact(v))


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


class Tolerances(Strict):
    amount_abs: Decimal = Decimal("1.00")
    amount_rel: Decimal = Decimal("0.005")
    match_window_days: int = Field(default=45, ge=0)
    sync_lag_days: int = Field(default=7, ge=0)
    name_similarity: Decimal = Field(default=Decimal("0.88"), ge=0, le=1)

    _decimal = field_validator("amount_abs", "amount_rel", mode="before")(lambda cls, v: exact(v))


class Allocation(Strict):
    """How a deal's price is spread over its lines (ASC 606 / IFRS 15 step 4)."""

    #: line_amount: each line keeps its own price; relative_ssp: the price is allocated
    #: by relative standalone selling price
    method: Literal["line_amount", "relative_ssp"] = "line_amount"
    #: one unit's standalone selling price per product code, in the reporting currency
    ssp: dict[str, Annotated[Decimal, Field(gt=0)]] = Field(default_factory=dict)

    @field_validator("ssp", mode="before")
    @classmethod
    def _sspexact(cls, v: Any) -> Any:
        return {k: exact(x) for k, x in v.items()} if isinstance(v, dict) else v
