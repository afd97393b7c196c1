"""Run history and the difference between two runs.

``list_runs`` reads ``run_history``; ``diff_runs`` compares two runs' exceptions
(new, resolved, changed) and bridges (each step's move per period), all in SQL
over the store's history tables.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from crossfoot.causes import STEP_ORDER as _STEP_ORDER
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.errors import InputError
from crossfoot.store import rows

#: exception columns whose change makes an exception "changed" between runs
COMPARED = ("period", "customer", "amount_crm", "amount_erp", "impact", "currency", "explanation")


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    started_at: datetime
    finished_at: datetime
    version: str
    definitions_hash: str
    inputs: int  # files (or pages) read
    exceptions: int
    unexplained: Decimal  # Σ|unexplained| over the periods, reporting currency
    currency: str | None
    out_dir: str | None
    outputs: dict[str, str]  # file name -> SHA-256


@dataclass(frozen=True)
class ExceptionChange:
    exception_id: str
    cause: str
    customer: str | None
    fields: tuple[str, ...]  # which of COMPARED differ
    before: dict[str, Any]
    after: dict[str, Any]


@dataclass(frozen=True)
class StepMove:
    period: str
    step: str
    kind: str
    before: Decimal  # 0 where the period or step was absent
    after: Decimal
    currency: str

    @property
    def delta(self) -> Decimal:
        return self.after - self.before


@dataclass(frozen=True)
class RunDiff:
    run_a: str
    run_b: str
    new: tuple[dict[str, Any], ...]  # exceptions in B only (run_exceptions rows)
    resolved: tuple[dict[str, Any], ...]  # exceptions in A only
    changed: tuple[ExceptionChange, ...]
    bridge: tuple[StepMove, ...]  # steps whose amount moved, by period then step order

    @property
    def unchanged(self) -> bool:
        return not (self.new or self.resolved or self.changed or self.bridge)


def list_runs(backend: DuckDBBackend) -> list[RunInfo]:
    """Every run in the store, oldest first."""
    found = rows(
        backend,
        """select h.*, coalesce(u.unexplained, 0) as unexplained
           from run_history h left join (
               select run_id, sum(abs(amount)) as unexplained from run_bridge
               where step = 'unexplained' group by run_id) u using (run_id)
           order by started_at, run_id""",
    )
    return [
        RunInfo(
            run_id=r["run_id"],
            started_at=r["started_at"],
            finished_at=r["finished_at"],
            version=r["version"],
            definitions_hash=r["definitions_hash"],
            inputs=len(json.loads(r["inputs"])) if r.get("inputs") else _count(r["input_hashes"]),
            exceptions=int(r["exceptions"] or 0),
            unexplained=Decimal(r["unexplained"]),
            currency=r.get("currency"),
            out_dir=r.get("out_dir"),
            outputs=json.loads(r["outputs"]) if r.get("outputs") else {},
        )
        for r in found
    ]


def _count(joined: str | None) -> int:
    return len(joined.split(";")) if joined else 0


def resolve_run(backend: DuckDBBackend, ref: str) -> str:
    """A run id from ``ref``: the full id, a unique prefix, ``latest`` or ``previous``."""
    ids = [r.run_id for r in list_runs(backend)]
    if not ids:
        raise InputError("the store has no runs yet: run `crossfoot run` first")
    if ref == "latest":
        return ids[-1]
    if ref == "previous":
        if len(ids) < 2:
            raise InputError("the store has only one run: there is no previous run")
        return ids[-2]
    matches = [i for i in ids if i.startswith(ref)]
    if len(matches) != 1:
        what = "no run" if not matches else f"{len(matches)} runs"
        raise InputError(f"{what} matches {ref!r}; `crossfoot history` lists the run ids")
    return matches[0]


def diff_runs(
    backend: DuckDBBackend, run_a: str | None = None, run_b: str | None = None
) -> RunDiff:
    """What changed from ``run_a`` to ``run_b`` (default: the previous and the latest run)."""
    b = resolve_run(backend, run_b or "latest")
    a = resolve_run(backend, run_a) if run_a else _before(backend, b)
    ex = "select * from run_exceptions where run_id = ?"
    new = rows(
        backend,
        f"select * exclude (run_id) from ({ex}) b where exception_id not in"
        f" (select exception_id from ({ex})) order by cause, exception_id",
        [b, a],
    )
    gone = rows(
        backend,
        f"select * exclude (run_id) from ({ex}) a where exception_id not in"
        f" (select exception_id from ({ex})) order by cause, exception_id",
        [a, b],
    )
    differs = " or ".join(f"a.{c} is distinct from b.{c}" for c in COMPARED)
    both = rows(
        backend,
        f"select a.exception_id, a.cause, b.customer,"
        f" {', '.join(f'a.{c} as a_{c}, b.{c} as b_{c}' for c in COMPARED)}"
        f" from ({ex}) a join ({ex}) b using (exception_id) where {differs}"
        " order by a.cause, a.exception_id",
        [a, b],
    )
    changed = tuple(
        ExceptionChange(
            exception_id=r["exception_id"],
            cause=r["cause"],
            customer=r["customer"],
            fields=tuple(c for c in COMPARED if r[f"a_{c}"] != r[f"b_{c}"]),
            before={c: r[f"a_{c}"] for c in COMPARED},
            after={c: r[f"b_{c}"] for c in COMPARED},
        )
        for r in both
    )
    br = "select * from run_bridge where run_id = ?"
    moves = rows(
        backend,
        f"""select coalesce(a.period, b.period) as period, coalesce(a.step, b.step) as step,
                   coalesce(a.kind, b.kind) as kind, coalesce(a.amount, 0) as before,
                   coalesce(b.amount, 0) as after, coalesce(b.currency, a.currency) as currency
            from ({br}) a full join ({br}) b on a.period = b.period and a.step = b.step
            where coalesce(a.amount, 0) <> coalesce(b.amount, 0)
            order by period""",
        [a, b],
    )
    moves.sort(key=lambda m: (m["period"], _STEP_ORDER.get(m["step"], len(_STEP_ORDER))))
    return RunDiff(
        run_a=a,
        run_b=b,
        new=tuple(new),
        resolved=tuple(gone),
        changed=changed,
        bridge=tuple(
            StepMove(
                m["period"],
                m["step"],
                m["kind"],
                Decimal(m["before"]),
                Decimal(m["after"]),
                m["currency"],
            )
            for m in moves
        ),
    )


def _before(backend: DuckDBBackend, rid: str) -> str:
    ids = [r.run_id for r in list_runs(backend)]
    at = ids.index(rid)
    if at == 0:
        raise InputError(f"run {rid} is the first run: name the run to compare it with")
    return ids[at - 1]
