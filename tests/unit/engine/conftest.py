from __future__ import annotations

from collections.abc import Iterator

import pytest

from crossfoot.config import Definitions
from crossfoot.engine.backend import DuckDBBackend


@pytest.fixture
def backend() -> Iterator[DuckDBBackend]:
    b = DuckDBBackend()
    yield b
    b.close()


def make_defs(**overrides: object) -> Definitions:
    base: dict[str, object] = {
        "company": "Test Co",
        "crm": {
            "system": "salesforce",
            "source": "crm",
            "fields": {"erp_ref": "Opportunity.ERP__c", "delivery_status": "Opportunity.Status__c"},
        },
        "erp": {
            "system": "netsuite",
            "source": "erp",
            "fields": {"crm_deal_ref": "transaction.custbody_sf"},
        },
        "stages": {
            "Closed Won": "won",
            "Pending": "won_not_booked",
            "Closed Lost": "lost",
            "*": "open",
        },
        "product_lines": {
            "Subscription": {"rule": "ratable", "convention": "daily"},
            "Support": {"rule": "ratable", "convention": "monthly"},
            "Services": {"rule": "point_in_time", "at": "close"},
            "Hardware": {"rule": "point_in_time", "at": "delivery"},
        },
    }
    base.update(overrides)
    return Definitions.model_validate(base)
