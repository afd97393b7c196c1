"""A RunResult read once into sorted rows and totals that every renderer shares.

Each output format only formats this view, so the CSV, the JSON, the workbook
and the report cannot disagree: they read the same Decimals in the same order.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from crossfoot.causes import CAUSE_BY_CODE, CAUSES, STEP_ORDER, Cause
from crossfoot.diagnostic.findings import (
    BRIDGE_COLUMNS,
    EXCEPTION_COLUMNS,
    MATCH_COLUMNS,
    PENDING_MILESTONE_COLUMNS,
    REJECT_COLUMNS,
    RunResult,
)
from crossfoot.errors import SchemaError
from crossfoot.outputs.safe import MONEY_COLUMNS, Cell, money_value

if TYPE_CHECKING:
    import pyarrow as pa

EFFECT_COLUMNS = ("exception_id", "period", "amount")
PRODUCT_LINE_BRIDGE_COLUMNS = ("product_line", *BRIDGE_COLUMNS)
TOTAL_STEPS = ("crm_bookings", "expected_revenue", "erp_revenue")  # the sides, per period

DIFFERENCE_STEP = "erp_minus_expected"  # a chart-only total: the sum of the cause steps

#: how the report and the workbook name the bridge steps (causes use their titles)
STEP_LABELS: dict[str, str] = {
    "crm_bookings": "CRM closed-won bookings",
    "won_not_booked": "Stages not counted as booked",
    "booked": "Bookings under the definitions",
    "deferred": "Deferred to later periods",
    "recognized_from_prior": "Recognized from earlier bookings",
    "expected_revenue": "Expected revenue",
    **{c.code: c.title for c in CAUSES},
    "unexplained": "Unexplained",
    "erp_revenue": "ERP recognized revenue",
    DIFFERENCE_STEP: "ERP − expected revenue",
}


def step_label(step: str) -> str:
    return STEP_LABELS.get(step, step)


def cause_rank(code: str) -> int:
    """Position in CAUSES; an unknown code sorts after every known one."""
    return next((i for i, c in enumerate(CAUSES) if c.code == code), len(CAUSES))


def step_rank(step: str) -> int:
    return STEP_ORDER.get(step, len(STEP_ORDER))


@dataclass(frozen=True)
class Rows:
    """A table ready to write: contract columns in order, rows sorted."""

    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]

    def records(self) -> list[dict[str, Cell]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


@dataclass(frozen=True)
class Step:
    period: str
    step: str
    kind: str
    amount: Decimal
    currency: str

    @property
    def label(self) -> str:
        return step_label(self.step)


@dataclass(frozen=True)
class PeriodBridge:
    period: str
    steps: tuple[Step, ...]

    def amount(self, step: str) -> Decimal | None:
        return next((s.amount for s in self.steps if s.step == step), None)

    @property
    def foots(self) -> bool:
        """Each total equals the previous total plus the steps between them."""
        running: Decimal | None = None
        for s in self.steps:
            if s.kind != "total":
                running = (running or Decimal(0)) + s.amount
            elif running is not None and running != s.amount:
                return False
            else:
                running = s.amount
        return True


@dataclass(frozen=True)
class CauseTotal:
    cause: Cause
    exceptions: int
    impact: Decimal  # sum of impact: ERP minus CRM over the records' whole life
    abs_effects: Decimal  # sum of |effect| over every period: the money it moves in the bridge


@dataclass(frozen=True)
class RunView:
    result: RunResult
    bridge: tuple[Step, ...]
    periods: tuple[PeriodBridge, ...]  # in period order
    bridge_rows: Rows
    bridge_by_product_line: Rows
    exceptions: Rows  # cause order, then |impact| desc, then exception_id
    matches: Rows
    rejects: Rows
    causes: tuple[CauseTotal, ...]  # every cause, in CAUSES order
    milestones_pending: Rows

    @property
    def step_kinds(self) -> tuple[tuple[str, str], ...]:
        """Every step in any period, with its kind, in bridge step order."""
        kinds: dict[str, str] = {}
        for s in self.bridge:
            kinds.setdefault(s.step, s.kind)
        return tuple(sorted(kinds.items(), key=lambda kv: (step_rank(kv[0]), kv[0])))

    @property
    def ranked_causes(self) -> tuple[CauseTotal, ...]:
        """Causes with exceptions, most money first."""
        found = [c for c in self.causes if c.exceptions]
        return tuple(sorted(found, key=lambda c: (-c.abs_effects, -abs(c.impact))))

    def top_exceptions(self, limit: int) -> list[dict[str, Cell]]:
        """The exceptions with the largest |impact|, ties in exceptions.csv order."""
        records = self.exceptions.records()
        return sorted(records, key=lambda r: -abs(_money(r["impact"])))[:limit]


def build_view(result: RunResult) -> RunView:
    bridge_rows = _rows(result.bridge, "bridge", BRIDGE_COLUMNS, _bridge_key)
    exceptions = _rows(result.exceptions, "exceptions", EXCEPTION_COLUMNS, _exception_key)
    steps = tuple(
        Step(period=str(p), step=str(s), kind=str(k), amount=_money(a), currency=str(c))
        for p, s, k, a, c in bridge_rows.rows
    )
    by_period: dict[str, list[Step]] = defaultdict(list)
    for s in steps:
        by_period[s.period].append(s)
    return RunView(
        result=result,
        bridge=steps,
        periods=tuple(PeriodBridge(p, tuple(ss)) for p, ss in by_period.items()),
        bridge_rows=bridge_rows,
        bridge_by_product_line=_rows(
            result.bridge_by_product_line,
            "bridge_by_product_line",
            PRODUCT_LINE_BRIDGE_COLUMNS,
            lambda r: (_sort_value(r[0]), *_bridge_key(r[1:])),
        ),
        exceptions=exceptions,
        matches=_rows(result.matches, "matches", MATCH_COLUMNS, None),
        rejects=_rows(result.rejects, "rejects", REJECT_COLUMNS, None),
        causes=_cause_totals(exceptions, result.exception_effects),
        milestones_pending=(
            Rows(PENDING_MILESTONE_COLUMNS, ())
            if result.milestones_pending is None
            else _rows(result.milestones_pending, "milestones_pending", PENDING_MILESTONE_COLUMNS, None)
        ),
    )


def _cause_totals(exceptions: Rows, effects_table: pa.Table) -> tuple[CauseTotal, ...]:
    effects = _rows(effects_table, "exception_effects", EFFECT_COLUMNS, None)
    cause_of = {str(r["exception_id"]): str(r["cause"]) for r in exceptions.records()}
    counts: Counter[str] = Counter()
    impact: dict[str, Decimal] = defaultdict(Decimal)
    moved: dict[str, Decimal] = defaultdict(Decimal)
    for r in exceptions.records():
        counts[str(r["cause"])] += 1
        impact[str(r["cause"])] += _money(r["impact"])
    where = "RunResult.exception_effects"
    orphans = sorted({str(e) for e, _, _ in effects.rows} - cause_of.keys())
    if orphans:
        listed = ", ".join(orphans[:5])
        raise SchemaError(f"effects of unknown exception(s) {listed}", location=where)
    for exception_id, _, amount in effects.rows:
        moved[cause_of[str(exception_id)]] += abs(_money(amount))
    known = [CauseTotal(c, counts[c.code], impact[c.code], moved[c.code]) for c in CAUSES]
    unknown = sorted(set(counts) - set(CAUSE_BY_CODE))  # shown, never dropped
    return (
        *known,
        *(CauseTotal(_unknown_cause(u), counts[u], impact[u], moved[u]) for u in unknown),
    )


def _unknown_cause(code: str) -> Cause:
    return Cause(code, code, "not a cause code of this crossfoot version", "", "integration", 0)


SortKey = Callable[[tuple[Cell, ...]], Any]
NOT_NULL_MONEY = frozenset({"amount", "impact"})


def _rows(table: pa.Table, name: str, columns: tuple[str, ...], key: SortKey | None) -> Rows:
    """The contract columns of ``table``, checked and sorted; extra columns are ignored.

    ``key=None`` sorts by every column in order inside Arrow (nulls first, then
    by value): a total order at C speed, for the large tables (matches,
    rejects, effects).
    """
    import pyarrow as pa

    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise SchemaError(f"missing column(s) {', '.join(missing)}", location=f"RunResult.{name}")
    for c in set(columns) & MONEY_COLUMNS:
        if not pa.types.is_decimal(table.schema.field(c).type):
            got = table.schema.field(c).type
            raise SchemaError(f"money must be decimal128(18,2), got {got}", location=f"{name}.{c}")
        if c in NOT_NULL_MONEY and table.column(c).null_count:
            raise SchemaError("money must not be null", location=f"{name}.{c}")
    selected = table.select(list(columns))
    if key is None:
        selected = selected.sort_by([(c, "ascending", "at_start") for c in columns])
    records = selected.to_pylist()
    rows = [tuple(_checked(r[c], c) for c in columns) for r in records]
    return Rows(columns, tuple(rows if key is None else sorted(rows, key=key)))


def _checked(value: Cell, column: str) -> Cell:
    return money_value(value, column) if column in MONEY_COLUMNS else value


def _money(value: Cell) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(0)


def _sort_value(value: Cell) -> tuple[int, Decimal, str]:
    """Nulls first, then numbers by value, then everything else as text."""
    if value is None:
        return (0, Decimal(0), "")
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return (1, Decimal(value), "")
    return (2, Decimal(0), str(value))


def _bridge_key(row: tuple[Cell, ...]) -> tuple[Any, ...]:
    period, step = row[0], str(row[1])
    return (_sort_value(period), step_rank(step), step)


def _exception_key(row: tuple[Cell, ...]) -> tuple[Any, ...]:
    cause, impact = str(row[1]), _money(row[10])
    return (cause_rank(cause), cause, -abs(impact), _sort_value(row[0]))
