"""The definitions file, ``crossfoot.yaml`` (SPEC §4), as validated pydantic models.

Every model forbids unknown keys and is frozen: the definitions are a reviewed
contract, so a typo must fail loudly rather than silently fall back to a default.
``load_definitions`` (``loading.py``) maps pydantic errors back to the YAML line that caused them.
"""

from __future__ import annotations

from crossfoot.config.definitions import DEFAULT_DELIVERED, Definitions, Reporting, StageClass
from crossfoot.config.loading import load_definitions
from crossfoot.config.rules import (
    Allocation,
    Convention,
    Milestone,
    Milestones,
    PointInTime,
    ProductRule,
    Ratable,
    Tolerances,
)
from crossfoot.config.systems import (
    API_SETTINGS,
    CRM_MAPPABLE,
    ERP_MAPPABLE,
    EVENT_KEY,
    SCHEDULELESS_ERPS,
    WAREHOUSE_SYSTEMS,
    CrmSystem,
    ErpSystem,
    WarehouseSource,
    mapped_table,
)

__all__ = [
    "API_SETTINGS", "CRM_MAPPABLE", "DEFAULT_DELIVERED", "ERP_MAPPABLE", "EVENT_KEY",
    "SCHEDULELESS_ERPS", "WAREHOUSE_SYSTEMS", "Allocation", "Convention", "CrmSystem",
    "Definitions", "ErpSystem", "Milestone", "Milestones", "PointInTime", "ProductRule",
    "Ratable", "Reporting", "StageClass", "Tolerances", "WarehouseSource", "load_definitions",
    "mapped_table",
]  # fmt: skip
