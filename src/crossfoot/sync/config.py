"""The ``sync:`` section of ``crossfoot.yaml``: which system is the master of each field.

::

    sync:
      owners:                      # canonical field -> crm | erp (the master)
        amount: erp                # after booking: credit memos and price changes flow to the CRM
        close_date: crm
        product_line: erp
        delivery_status: erp
        erp_ref: erp               # the ERP's ids are stamped on deals...
        erp_customer_ref: erp      # ...and accounts
      delivered_value: Delivered   # what a delivered deal's status is set to
      salesforce:                  # how ``sync apply --apply`` reaches the CRM
        instance_url: https://acme.my.salesforce.com
        access_token_env: CROSSFOOT_SF_TOKEN
        api_version: "59.0"

crossfoot only ever writes the CRM side: a field whose master is the CRM is
reported, never written to the ERP's posted documents.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

SyncField = Literal["amount", "close_date", "product_line", "delivery_status", "erp_ref", "erp_customer_ref"]
DEFAULT_OWNERS: dict[SyncField, Literal["crm", "erp"]] = {
    "amount": "erp",
    "close_date": "crm",
    "product_line": "erp",
    "delivery_status": "erp",
    "erp_ref": "erp",
    "erp_customer_ref": "erp",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SalesforceTarget(_Model):
    instance_url: str
    access_token_env: str
    api_version: str = "59.0"

    @field_validator("access_token_env")
    @classmethod
    def _env(cls, v: str) -> str:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", v):
            raise ValueError(f"{v!r} is not an environment variable name")
        return v

    @field_validator("instance_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith("https://"):
            raise ValueError(f"{v!r}: the instance URL starts with https://")
        return v.rstrip("/")


class Sync(_Model):
    owners: dict[SyncField, Literal["crm", "erp"]] = Field(default_factory=lambda: dict(DEFAULT_OWNERS))
    delivered_value: str = "Delivered"
    salesforce: SalesforceTarget | None = None

    def owner(self, field: SyncField) -> str:
        return self.owners.get(field, DEFAULT_OWNERS[field])
