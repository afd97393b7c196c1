"""What every model of the definitions shares."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """Unknown keys are refused and values are frozen: the definitions are a reviewed
    contract, so a typo must fail loudly rather than silently fall back to a default."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def exact(v: Any) -> Any:
    """YAML reads 1.00 as a float; go through str so 0.005 stays exactly 0.005."""
    return Decimal(str(v)) if isinstance(v, float) else v


def check_currency(v: str) -> str:
    if not re.fullmatch(r"[A-Z]{3}", v):
        raise ValueError(f"{v!r} is not a three-letter ISO 4217 currency code such as USD")
    return v
