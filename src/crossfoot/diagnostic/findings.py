"""The result of a run as frozen data: renderers in ``crossfoot.outputs`` only format it.

Tables are Arrow tables with exact decimals (no float money anywhere); the
column contracts are SPEC §8 and listed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pyarrow as pa

#: SPEC §8 column orders
EXCEPTION_COLUMNS = (
    "exception_id",
    "cause",
    "period",
    "crm_system",
    "crm_record_id",
    "erp_system",
    "erp_record_id",
    "customer",
    "amount_crm",
    "amount_erp",
    "impact",
    "currency",
    "explanation",
    "suggested_fix",
)
BRIDGE_COLUMNS = ("period", "step", "kind", "amount", "currency")
#: milestones of booked deals whose event has no date yet (their revenue stays deferred)
PENDING_MILESTONE_COLUMNS = ("deal_id", "line_id", "product_line", "event", "amount", "currency")
MATCH_COLUMNS = ("crm_object", "crm_record_id", "erp_object", "erp_record_id", "method", "score")
REJECT_COLUMNS = (
    "source_system",
    "source_file",
    "source_line",
    "table",
    "field",
    "value",
    "reason",
)


@dataclass(frozen=True)
class InputFile:
    """One input file (or API page) and what became of its rows."""

    system: str
    table: str  # the source object, e.g. Opportunity, transaction
    path: str
    sha256: str
    rows_read: int
    rows_loaded: int
    rows_rejected: int

    @property
    def conserved(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_rejected


@dataclass(frozen=True)
class DriftFinding:
    """A product line the ERP recognizes under another rule than the definitions say."""

    product_line: str
    defined: str  # e.g. "ratable daily"
    inferred: str  # what the ERP's revenue fits best
    deals_compared: int  # clean matched deals the rules were fitted on
    defined_fit: Decimal  # Σ|ERP − schedule| over those deals, under each rule
    inferred_fit: Decimal
    moved: Decimal  # revenue the two rules put in different periods, up to the as-of period


#: an exception's lifecycle (crossfoot.history.lifecycle); the worklist's status column
EXCEPTION_STATUSES = ("open", "acknowledged", "resolved", "reopened")


@dataclass(frozen=True)
class WorklistEntry:
    """Where people left one exception: its lifecycle status, assignee and notes."""

    status: str
    assignee: str | None
    notes: str | None


@dataclass(frozen=True)
class Worklist:
    """The lifecycle state written into ``exceptions.xlsx`` by run ``run_id``."""

    run_id: str
    entries: Mapping[str, WorklistEntry]


@dataclass(frozen=True)
class RunResult:
    version: str
    company: str
    currency: str  # reporting currency
    period_kind: str  # month | quarter
    definitions_hash: str
    crm_system: str
    erp_system: str
    started_at: datetime
    finished_at: datetime
    inputs: tuple[InputFile, ...]
    bridge: pa.Table  # BRIDGE_COLUMNS, ordered by period then step order
    bridge_by_product_line: pa.Table  # product_line + BRIDGE_COLUMNS
    exceptions: pa.Table  # EXCEPTION_COLUMNS (+ effect per period in exception_effects)
    exception_effects: pa.Table  # exception_id, period, amount: the money each moves per period
    matches: pa.Table  # MATCH_COLUMNS
    rejects: pa.Table  # REJECT_COLUMNS
    notes: tuple[str, ...] = field(default_factory=tuple)
    definition_drift: tuple[DriftFinding, ...] = field(default_factory=tuple)
    milestones_pending: pa.Table | None = None  # PENDING_MILESTONE_COLUMNS
    #: set by a run that keeps history (``api.run``): the worklist columns of exceptions.xlsx
    worklist: Worklist | None = None


@dataclass(frozen=True)
class PlatformFinding:
    """Where the finance system cannot carry a reporting dimension the pipeline needs (SPEC §9)."""

    system: str  # the ERP (or CRM) the finding is about
    dimension: str  # product_line, revenue_schedule, delivery_date, tracking
    finding: str  # what the definitions and the data show
    points_to: str  # the setting, mapping or plan that would carry it
