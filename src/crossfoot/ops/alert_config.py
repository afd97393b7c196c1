"""The ``alerts:`` section of ``crossfoot.yaml``: thresholds and where alerts go.

::

    alerts:
      report_url: https://reports.example.com/acme   # links in alerts; default: the output folder
      thresholds:
        unexplained_above: 500.00          # |unexplained| of any period, reporting currency
        cause_above: {"*": 25000, duplicate_in_erp: 1000}   # Σ|effects| of a cause
        new_exceptions_above: 10           # exceptions new since the previous run
        pull_failed: true                  # a pull that failed
        pull_stale_hours: 26               # no successful pull for this long
      channels:
        - {kind: slack, url_env: CROSSFOOT_SLACK_WEBHOOK}
        - {kind: teams, url_env: CROSSFOOT_TEAMS_WEBHOOK}
        - {kind: webhook, url_env: CROSSFOOT_WEBHOOK_URL, secret_env: CROSSFOOT_WEBHOOK_SECRET}
        - {kind: email, host: smtp.example.com, port: 587, starttls: true,
           sender: crossfoot@example.com, to: [controller@example.com],
           user_env: CROSSFOOT_SMTP_USER, password_env: CROSSFOOT_SMTP_PASSWORD}

Webhook URLs carry their token in the path, so they come from the environment
like every other secret; the definitions only name the variables.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _env_name(v: str | None) -> str | None:
    if v is not None and not _ENV_NAME.fullmatch(v):
        raise ValueError(
            f"{v!r} is not an environment variable name (the secret stays in the environment)"
        )
    return v


def _exact(v: Any) -> Any:
    return Decimal(str(v)) if isinstance(v, float) else v


class Thresholds(_Model):
    unexplained_above: Decimal | None = Field(default=None, ge=0)
    #: cause code (or "*" for every cause) -> amount
    cause_above: dict[str, Annotated[Decimal, Field(ge=0)]] = Field(default_factory=dict)
    new_exceptions_above: int | None = Field(default=None, ge=0)
    pull_failed: bool = True
    pull_stale_hours: Decimal | None = Field(default=None, gt=0)

    _decimal = field_validator("unexplained_above", "pull_stale_hours", mode="before")(
        lambda cls, v: _exact(v)
    )

    @field_validator("cause_above", mode="before")
    @classmethod
    def _causes(cls, v: Any) -> Any:
        from crossfoot.causes import CAUSE_CODES

        if isinstance(v, dict):
            for code in v:
                if code != "*" and code not in CAUSE_CODES:
                    raise ValueError(
                        f"{code!r} is not a cause code; allowed: *, {', '.join(CAUSE_CODES)}"
                    )
            return {k: _exact(x) for k, x in v.items()}
        return v


class _Webhook(_Model):
    url_env: str

    _env = field_validator("url_env")(lambda cls, v: _env_name(v))


class Slack(_Webhook):
    kind: Literal["slack"]


class Teams(_Webhook):
    kind: Literal["teams"]


class Webhook(_Webhook):
    kind: Literal["webhook"]
    #: the shared secret of the HMAC-SHA256 signature header
    secret_env: str | None = None

    _secret = field_validator("secret_env")(lambda cls, v: _env_name(v))


class Email(_Model):
    kind: Literal["email"]
    host: str
    port: int = Field(default=587, gt=0, lt=65536)
    starttls: bool = True
    sender: str
    to: tuple[str, ...] = Field(min_length=1)
    user_env: str | None = None
    password_env: str | None = None
    timeout_seconds: int = Field(default=30, gt=0)

    _env = field_validator("user_env", "password_env")(lambda cls, v: _env_name(v))


Channel = Annotated[Slack | Teams | Webhook | Email, Field(discriminator="kind")]


class Alerts(_Model):
    #: base URL of the published outputs; alerts link ``<report_url>/report.html``
    report_url: str | None = None
    thresholds: Thresholds = Thresholds()
    channels: tuple[Channel, ...] = ()
