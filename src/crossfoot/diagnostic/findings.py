"""The result of a run as frozen data: renderers in ``crossfoot.outputs`` only format it.

Tables are Arrow tables with exact decimals (no float money anywhere); the
column contracts are SPEC §8 and listed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
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
class FieldFlow:
    """One field that carries across the systems, as observed on matched records."""

    field: str  # canonical name: ids, customer_ids, amount, close_date, product_line, ...
    label: str  # how the report names it
    crm_field: str  # where the CRM keeps it (from the definitions, else the system's default)
    erp_field: str
    matched: int  # matched records the field is measured on
    crm_set: int  # set on the CRM side
    erp_set: int  # set on the ERP side
    both_set: int
    agree: int  # set on both sides and agreeing
    crm_first: int  # of the records set on both sides: the CRM record changed first
    erp_first: int  # the ERP record was created before the CRM's last change

    @property
    def coverage(self) -> Fraction:
        """Share of matched records where the field is set on both sides and agrees."""
        return Fraction(self.agree, self.matched) if self.matched else Fraction(0)


@dataclass(frozen=True)
class SyncLag:
    """Days from the CRM close date to the ERP document's date, over matched won deals."""

    documents: int
    median_days: int | None  # nearest-rank, so every figure is an observed lag
    p90_days: int | None
    max_days: int | None
    window_days: int  # tolerances.sync_lag_days
    beyond_window: int  # lag > window
    before_close: int  # the ERP document is dated before the close date

    @property
    def beyond_share(self) -> Fraction:
        return Fraction(self.beyond_window, self.documents) if self.documents else Fraction(0)


@dataclass(frozen=True)
class OneWayFlow:
    """A change on one side the other side never saw (the integration syncs one way)."""

    key: str  # credit_memos | fulfilments | erp_only_documents | erp_amount_changes
    source: str  # the system where the change happens
    target: str  # the system that never sees it
    what: str  # the object and field, named in the systems' terms
    records: int  # records with such a change
    not_seen: int  # of which the target never reflected
    amount: Decimal  # money on the records not seen (reporting currency)


@dataclass(frozen=True)
class FlowMap:
    crm_system: str
    erp_system: str
    crm_objects: tuple[str, ...]
    erp_objects: tuple[str, ...]
    fields: tuple[FieldFlow, ...]
    lag: SyncLag
    one_way: tuple[OneWayFlow, ...]


@dataclass(frozen=True)
class RoadmapItem:
    """One fix: the money it explains is the sum over its exceptions of |effect| per period."""

    rank: int  # the order to do them in: money explained per effort day, largest first
    layer: str  # align definitions | fix the integration | remove the manual reconciliation
    cause: str  # the cause code its exceptions carry
    title: str  # the concrete fix, naming the field, object or rule
    detail: str  # the records or values behind it
    owner: str
    effort_days: int
    records: int  # exceptions it clears
    money: Decimal  # Σ |effect| of its exceptions over every period (reporting currency)
    exception_ids: tuple[str, ...]

    @property
    def money_per_day(self) -> Decimal:
        return (self.money / self.effort_days).quantize(Decimal("0.01")) if self.effort_days else self.money


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
    bridge_by_owner: pa.Table | None = None  # owner + BRIDGE_COLUMNS
    bridge_by_customer: pa.Table | None = None  # customer + BRIDGE_COLUMNS
    flow: FlowMap | None = None
    platform_fit: tuple[PlatformFinding, ...] = field(default_factory=tuple)
    roadmap: tuple[RoadmapItem, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class PlatformFinding:
    """Where the finance system cannot carry a reporting dimension the pipeline needs (SPEC §9)."""

    system: str  # the ERP (or CRM) the finding is about
    dimension: str  # product_line, revenue_schedule, delivery_date, tracking
    finding: str  # what the definitions and the data show
    points_to: str  # the setting, mapping or plan that would carry it
