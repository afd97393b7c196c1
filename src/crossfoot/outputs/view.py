"""A RunResult read once into sorted rows and totals that every renderer shares.

Each output format only formats this view, so the CSV, the JSON, the workbook
and the report cannot disagree: they read the same Decimals in the same order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

import pyarrow as pa

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

MONEY_TYPE = pa.decimal128(18, 2)
#: positions of the bridge steps and the causes, for sorting inside Arrow
_STEP_RANKS = pa.array(sorted(STEP_ORDER, key=STEP_ORDER.__getitem__))
_CAUSE_RANKS = pa.array([c.code for c in CAUSES])

EFFECT_COLUMNS = ("exception_id", "period", "amount")
PRODUCT_LINE_BRIDGE_COLUMNS = ("product_line", *BRIDGE_COLUMNS)
OWNER_BRIDGE_COLUMNS = ("owner", *BRIDGE_COLUMNS)
CUSTOMER_BRIDGE_COLUMNS = ("customer", *BRIDGE_COLUMNS)
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
    """A table ready to write: contract columns in order, rows sorted, money checked.

    The rows stay in Arrow: the CSV files are written from ``table`` by DuckDB and
    the report aggregates it in Arrow, so a run with millions of rows never turns
    them into Python objects. ``rows`` and ``records()`` are for the small tables.
    """

    columns: tuple[str, ...]
    table: pa.Table

    def __len__(self) -> int:
        return int(self.table.num_rows)

    @cached_property
    def rows(self) -> tuple[tuple[Cell, ...], ...]:
        values = [self.table.column(c).to_pylist() for c in self.columns]
        return tuple(zip(*values, strict=True)) if values else ()

    def records(self) -> list[dict[str, Cell]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def head(self, n: int) -> Rows:
        return Rows(self.columns, self.table.slice(0, n))

    @classmethod
    def of(cls, columns: tuple[str, ...], rows: Sequence[Sequence[Cell]]) -> Rows:
        """Rows built in Python (small tables: the roadmap, tests), in the given order."""
        import pyarrow as pa

        arrays = []
        for i, name in enumerate(columns):
            values = [row[i] for row in rows]
            if name in MONEY_COLUMNS:
                arrays.append(pa.array([money_value(v, name) for v in values], MONEY_TYPE))
            else:
                array = pa.array(values)
                arrays.append(array if array.type != pa.null() else array.cast(pa.string()))
        return cls(columns, pa.table(arrays, names=list(columns)))


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
    bridge_by_owner: Rows = Rows(OWNER_BRIDGE_COLUMNS, ())
    bridge_by_customer: Rows = Rows(CUSTOMER_BRIDGE_COLUMNS, ())
    exception_effects: Rows = Rows(EFFECT_COLUMNS, ())  # by exception_id, then period

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
        import pyarrow.compute as pc

        table = self.exceptions.table
        size = pc.abs(table.column("impact"))
        order = pc.sort_indices(size, sort_keys=[("", "descending")])  # stable: ties keep order
        top = table.take(order[:limit])
        return Rows(self.exceptions.columns, top).records()


def build_view(result: RunResult) -> RunView:
    bridge_rows = _rows(result.bridge, "bridge", BRIDGE_COLUMNS, _bridge_order(None))
    exceptions = _rows(result.exceptions, "exceptions", EXCEPTION_COLUMNS, _EXCEPTION_ORDER)
    effects = _rows(result.exception_effects, "exception_effects", EFFECT_COLUMNS, None)
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
        bridge_by_product_line=_group_bridge(result.bridge_by_product_line, "product_line"),
        exceptions=exceptions,
        matches=_rows(result.matches, "matches", MATCH_COLUMNS, None),
        rejects=_rows(result.rejects, "rejects", REJECT_COLUMNS, None),
        causes=_cause_totals(exceptions, effects),
        milestones_pending=(
            _empty(PENDING_MILESTONE_COLUMNS)
            if result.milestones_pending is None
            else _rows(
                result.milestones_pending, "milestones_pending", PENDING_MILESTONE_COLUMNS, None
            )
        ),
        bridge_by_owner=_group_bridge(result.bridge_by_owner, "owner"),
        bridge_by_customer=_group_bridge(result.bridge_by_customer, "customer"),
        exception_effects=effects,
    )


def _group_bridge(table: pa.Table | None, group: str) -> Rows:
    """A bridge per product line, owner or customer: by group, then period, then step order."""
    columns = (group, *BRIDGE_COLUMNS)
    if table is None:
        return _empty(columns)
    return _rows(table, f"bridge_by_{group}", columns, _bridge_order(group))


def _cause_totals(exceptions: Rows, effect_rows: Rows) -> tuple[CauseTotal, ...]:
    import pyarrow.compute as pc

    effects = effect_rows.table
    ids = exceptions.table.column("exception_id")
    orphans = pc.unique(
        effects.filter(pc.invert(pc.is_in(effects.column("exception_id"), ids))).column(
            "exception_id"
        )
    )
    if len(orphans):
        listed = ", ".join(sorted(str(o) for o in orphans.to_pylist())[:5])
        raise SchemaError(
            f"effects of unknown exception(s) {listed}", location="RunResult.exception_effects"
        )
    per_cause = exceptions.table.group_by("cause").aggregate(
        [("cause", "count"), ("impact", "sum")]
    )
    counts = dict(
        zip(per_cause["cause"].to_pylist(), per_cause["cause_count"].to_pylist(), strict=True)
    )
    impact = dict(
        zip(per_cause["cause"].to_pylist(), per_cause["impact_sum"].to_pylist(), strict=True)
    )
    moved_table = (
        effects.set_column(2, "amount", pc.abs(effects.column("amount")))
        .join(exceptions.table.select(["exception_id", "cause"]), "exception_id")
        .group_by("cause")
        .aggregate([("amount", "sum")])
    )
    moved = dict(
        zip(moved_table["cause"].to_pylist(), moved_table["amount_sum"].to_pylist(), strict=True)
    )

    def total(cause: Cause) -> CauseTotal:
        code = cause.code
        return CauseTotal(
            cause, counts.get(code, 0), _money(impact.get(code)), _money(moved.get(code))
        )

    unknown = sorted(set(counts) - set(CAUSE_BY_CODE))  # shown, never dropped
    return (*(total(c) for c in CAUSES), *(total(_unknown_cause(u)) for u in unknown))


def _unknown_cause(code: str) -> Cause:
    return Cause(code, code, "not a cause code of this crossfoot version", "", "integration", 0)


NOT_NULL_MONEY = frozenset({"amount", "impact"})
MONEY_TYPE_NAME = "decimal128(18, 2)"

#: how a table is sorted: Arrow sort keys over the contract columns and the helper
#: columns ``_rank`` (a step's or cause's position) and ``_size`` (|impact|)
SortKeys = list[tuple[str, str, str]]
_EXCEPTION_ORDER: SortKeys = [
    ("_rank", "ascending", "at_end"),
    ("cause", "ascending", "at_start"),
    ("_size", "descending", "at_end"),
    ("exception_id", "ascending", "at_start"),
]


def _bridge_order(group: str | None) -> SortKeys:
    by_group = [(group, "ascending", "at_start")] if group else []
    return [
        *by_group,
        ("period", "ascending", "at_start"),
        ("_rank", "ascending", "at_end"),
        ("step", "ascending", "at_start"),
    ]


def _empty(columns: tuple[str, ...]) -> Rows:
    return Rows.of(columns, ())


def _rows(table: pa.Table, name: str, columns: tuple[str, ...], order: SortKeys | None) -> Rows:
    """The contract columns of ``table``, checked and sorted; extra columns are ignored.

    ``order=None`` sorts by every column in order (nulls first, then by value), a
    total order for the tables without a natural one (matches, rejects, effects).
    Sorting is Arrow's stable sort, so ties keep the engine's order.
    """
    import pyarrow.compute as pc

    missing = [c for c in columns if c not in table.column_names]
    if missing:
        raise SchemaError(f"missing column(s) {', '.join(missing)}", location=f"RunResult.{name}")
    selected = table.select(list(columns))
    for c in set(columns) & MONEY_COLUMNS:
        selected = selected.set_column(
            columns.index(c), c, _checked_money(selected.column(c), name, c)
        )
    if order is None:
        order = [(c, "ascending", "at_start") for c in columns]
    else:
        helpers = {"_rank", "_size"} & {key for key, _, _ in order}
        if "_rank" in helpers:
            ranks = _STEP_RANKS if "step" in columns else _CAUSE_RANKS
            key = selected.column("step" if "step" in columns else "cause")
            selected = selected.append_column("_rank", pc.index_in(key, value_set=ranks))
        if "_size" in helpers:
            selected = selected.append_column("_size", pc.abs(selected.column("impact")))
    ordered = selected if _in_order(selected, order) else selected.sort_by(order)
    return Rows(columns, ordered.select(list(columns)))


def _in_order(table: pa.Table, order: SortKeys) -> bool:
    """Whether ``table`` is already sorted by ``order``: one linear pass instead of a sort.

    The engine hands its large tables over in contract order (``collect.py``), and
    Arrow's multi-key sort of 10 million rows with text keys takes half a minute.
    Ties may stand in any order: Arrow's stable sort would keep them as they are.
    """
    import pyarrow.compute as pc

    n = table.num_rows
    if n < 2:
        return True
    decided: pa.Array | None = None  # pairs already strictly in order by an earlier key
    for column, direction, nulls in order:
        values = table.column(column)
        a, b = values.slice(0, n - 1), values.slice(1)
        a_null, b_null = pc.is_null(a), pc.is_null(b)
        less = pc.greater(a, b) if direction == "descending" else pc.less(a, b)
        null_first = (
            pc.and_not(a_null, b_null) if nulls == "at_start" else pc.and_not(b_null, a_null)
        )
        before = pc.or_(null_first, pc.fill_null(less, False))
        tie = pc.or_(pc.and_(a_null, b_null), pc.fill_null(pc.equal(a, b), False))
        after = pc.invert(pc.or_(before, tie))
        if decided is not None:
            after = pc.and_not(after, decided)
        if pc.any(after).as_py():
            return False
        decided = before if decided is None else pc.or_(decided, before)
    return True


def _checked_money(column: pa.ChunkedArray, name: str, c: str) -> pa.ChunkedArray:
    """Money as decimal128(18,2): never a float or a fraction of a cent; null only where allowed."""
    where = f"{name}.{c}"
    if not pa.types.is_decimal(column.type):
        raise SchemaError(f"money must be {MONEY_TYPE_NAME}, got {column.type}", location=where)
    if c in NOT_NULL_MONEY and column.null_count:
        raise SchemaError("money must not be null", location=where)
    if column.type == MONEY_TYPE:
        return column
    try:
        return column.cast(MONEY_TYPE)  # a safe cast fails on anything but whole cents
    except (pa.ArrowInvalid, ValueError) as exc:
        raise SchemaError(f"money must be whole cents ({exc})", location=where) from exc


def _money(value: Cell) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(0)
