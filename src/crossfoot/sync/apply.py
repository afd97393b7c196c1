"""``crossfoot sync apply PLAN``: write a change set to the CRM, safely.

Per record: read the planned fields as they are now, then for each change

- the field already holds ``after``: **already applied**, nothing is written
  (so applying a plan twice changes nothing);
- the field no longer holds ``before``: **skipped, changed since the plan**
  (someone edited it: the plan is stale for that field);
- otherwise: **would update** (dry run, the default) or **applied** (``--apply``),
  one update call per record with all of its fields.

Every outcome is a row of the store's ``sync_log`` (when, plan, change,
record, field, before, after, the exception, outcome, who); each applied change
is also a ``write-back`` row in the trail of the exception it resolves. Only CRM objects
are written; the plan never holds an ERP record.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

import pyarrow as pa

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.history.lifecycle import current_user
from crossfoot.store import insert
from crossfoot.sync.plan import Change, Plan

APPLIED, ALREADY, CONFLICT, DRY_RUN, MISSING = (
    "applied", "already applied", "skipped: changed since the plan", "would update",
    "skipped: record not found",
)  # fmt: skip


class CrmWriter(Protocol):
    """What ``apply`` needs from a CRM connector."""

    def read(self, obj: str, record_id: str, fields: list[str]) -> dict[str, Any] | None:
        """The record's current values of ``fields``; None if it does not exist."""

    def update(self, obj: str, record_id: str, values: Mapping[str, Any]) -> None: ...


@dataclass(frozen=True)
class Outcome:
    change: Change
    outcome: str
    detail: str | None = None


def _same(current: Any, value: str | None) -> bool:
    if value is None or value == "":
        return current is None or current == ""
    if current is None:
        return False
    try:
        return Decimal(str(current)) == Decimal(value)
    except InvalidOperation:
        return str(current) == value


def _typed(change: Change) -> Any:
    """The value to write: money as Decimal (serialised exactly), everything else text."""
    return Decimal(change.after) if change.canonical_field == "amount" else change.after


def apply_plan(
    plan: Plan,
    writer: CrmWriter,
    *,
    apply: bool = False,
    backend: DuckDBBackend | None = None,
    actor: str | None = None,
) -> list[Outcome]:
    """Dry-run (default) or apply ``plan`` through ``writer``; outcomes in plan order."""
    by_record: dict[tuple[str, str], list[Change]] = {}
    for c in plan.changes:
        by_record.setdefault((c.object, c.record_id), []).append(c)
    outcomes: list[Outcome] = []
    for (obj, rec), changes in by_record.items():
        current = writer.read(obj, rec, sorted({c.field for c in changes}))
        if current is None:
            outcomes += [Outcome(c, MISSING) for c in changes]
            continue
        todo: list[Change] = []
        for c in changes:
            now = current.get(c.field)
            if _same(now, c.after):
                outcomes.append(Outcome(c, ALREADY))
            elif not _same(now, c.before):
                shown = "(empty)" if now in (None, "") else str(now)
                outcomes.append(Outcome(c, CONFLICT, f"now {shown}, the plan expected {c.before or '(empty)'}"))
            else:
                todo.append(c)
        if todo and apply:
            writer.update(obj, rec, {c.field: _typed(c) for c in todo})
        outcomes += [Outcome(c, APPLIED if apply else DRY_RUN) for c in todo]
    if backend is not None:
        _log(backend, plan, outcomes, actor or current_user())
    return outcomes


def _log(backend: DuckDBBackend, plan: Plan, outcomes: list[Outcome], actor: str) -> None:
    now = datetime.now(UTC)
    records = [
        {"logged_at": now, "plan_id": plan.plan_id, "change_id": o.change.change_id,
         "system": o.change.system, "object": o.change.object, "record_id": o.change.record_id,
         "field": o.change.field, "before": o.change.before, "after": o.change.after,
         "exception_id": o.change.exception_id, "outcome": o.outcome, "detail": o.detail,
         "actor": actor}
        for o in outcomes
    ]  # fmt: skip
    schema = pa.schema([("logged_at", pa.timestamp("us", "UTC"))] + [
        (name, pa.string()) for name in ("plan_id", "change_id", "system", "object", "record_id",
                                         "field", "before", "after", "exception_id", "outcome",
                                         "detail", "actor")
    ])  # fmt: skip
    insert(backend, "sync_log", pa.Table.from_pylist(records, schema=schema))
    # the exceptions' own trail says which write-back addressed them
    written = [o for o in outcomes if o.outcome == APPLIED and o.change.exception_id]
    if written:
        audit = [
            {"changed_at": now, "exception_id": o.change.exception_id, "run_id": plan.run_id,
             "actor": actor, "interface": "api", "field": "write-back",
             "old_value": o.change.before,
             "new_value": f"{o.change.object}.{o.change.field} = {o.change.after}",
             "comment": f"sync apply {plan.plan_id} {o.change.change_id}"}
            for o in written
        ]  # fmt: skip
        audit_schema = pa.schema([("changed_at", pa.timestamp("us", "UTC"))] + [
            (name, pa.string()) for name in ("exception_id", "run_id", "actor", "interface", "field",
                                             "old_value", "new_value", "comment")
        ])  # fmt: skip
        insert(backend, "exception_audit", pa.Table.from_pylist(audit, schema=audit_schema))
