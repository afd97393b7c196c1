"""Alert rules: which thresholds of ``alerts.thresholds`` a run crossed, and what moved.

Each alert has a ``key`` (rule and subject, e.g. ``unexplained:2026-03``) and a
``value`` (the number that crossed). An alert whose key was last sent with the
same value is not sent again, so a number that stays above its threshold does
not page anyone every hour; when it moves, the alert says from what to what.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.ops.alert_config import Alerts
from crossfoot.store import rows

TOP_EXCEPTIONS = 5


@dataclass(frozen=True)
class Alert:
    rule: str  # unexplained | cause | new_exceptions | pull_failed | pull_stale | run_failed
    key: str
    value: str
    title: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class AlertMessage:
    """One message per cycle: every alert that fired, with the link to the report."""

    company: str
    run_id: str | None
    report_url: str | None
    alerts: tuple[Alert, ...]
    sent_at: datetime
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def subject(self) -> str:
        what = self.alerts[0].title if len(self.alerts) == 1 else f"{len(self.alerts)} alerts"
        return f"crossfoot: {self.company}: {what}"

    def text(self) -> str:
        out = [self.subject, ""]
        for a in self.alerts:
            out.append(f"- {a.title}")
            out.extend(f"    {line}" for line in a.lines)
        if self.report_url:
            out += ["", f"Report: {self.report_url}"]
        if self.run_id:
            out.append(f"Run: {self.run_id}")
        return "\n".join(out)

    def as_json(self) -> dict[str, Any]:
        return {
            "company": self.company,
            "run_id": self.run_id,
            "report_url": self.report_url,
            "sent_at": self.sent_at.isoformat(),
            "alerts": [
                {"rule": a.rule, "key": a.key, "value": a.value, "title": a.title,
                 "lines": list(a.lines)}
                for a in self.alerts
            ],
        }  # fmt: skip


def _money(amount: Decimal, currency: str) -> str:
    return f"{currency} {amount:,.2f}"


def evaluate(
    backend: DuckDBBackend,
    config: Alerts,
    run_id: str,
    previous: str | None,
    currency: str,
) -> list[Alert]:
    """The run-based alerts of ``run_id`` compared with ``previous`` (None: the first run)."""
    t = config.thresholds
    found: list[Alert] = []
    prev = previous or ""
    if t.unexplained_above is not None:
        for r in rows(
            backend,
            """select b.period, b.amount, p.amount as before from run_bridge b
               left join run_bridge p on p.run_id = ? and p.period = b.period and p.step = b.step
               where b.run_id = ? and b.step = 'unexplained' and abs(b.amount) > ?
               order by b.period""",
            [prev, run_id, t.unexplained_above],
        ):
            was = (
                "no previous run"
                if previous is None
                else _money(r["before"] or Decimal(0), currency)
            )
            found.append(Alert(
                "unexplained", f"unexplained:{r['period']}", str(r["amount"]),
                f"Unexplained in {r['period']} is {_money(r['amount'], currency)}",
                (f"above the threshold {_money(t.unexplained_above, currency)}; previous: {was}",),
            ))  # fmt: skip
    if t.cause_above:
        totals = rows(
            backend,
            """select b.step, sum(abs(b.amount)) as moved, count(*) as periods from run_bridge b
               where b.run_id = ? and b.kind = 'cause' and b.step <> 'unexplained'
               group by b.step order by b.step""",
            [run_id],
        )
        before = {
            r["step"]: r["moved"]
            for r in rows(
                backend,
                "select step, sum(abs(amount)) as moved from run_bridge where run_id = ?"
                " and kind = 'cause' group by step",
                [prev],
            )
        }
        counts = {
            r["cause"]: r["n"]
            for r in rows(
                backend,
                "select cause, count(*) as n from run_exceptions where run_id = ? group by cause",
                [run_id],
            )
        }
        for r in totals:
            limit = t.cause_above.get(r["step"], t.cause_above.get("*"))
            if limit is None or r["moved"] <= limit:
                continue
            moved_before = before.get(r["step"])
            found.append(Alert(
                "cause", f"cause:{r['step']}", str(r["moved"]),
                f"{r['step']} moves {_money(r['moved'], currency)}",
                (f"{counts.get(r['step'], 0)} exceptions; sum of |effects| over the periods, "
                 f"above the threshold {_money(limit, currency)}; previous: "
                 + ("no previous run" if previous is None else _money(moved_before or Decimal(0), currency)),),
            ))  # fmt: skip
    if t.new_exceptions_above is not None and previous is not None:
        new = rows(
            backend,
            """select exception_id, cause, customer, impact from run_exceptions
               where run_id = ? and exception_id not in
                   (select exception_id from run_exceptions where run_id = ?)
               order by abs(impact) desc, exception_id""",
            [run_id, prev],
        )
        if len(new) > t.new_exceptions_above:
            lines = [
                f"{len(new)} new since run {previous} (threshold {t.new_exceptions_above}); largest:"
            ]
            lines += [
                f"{e['exception_id']} {e['cause']} {e['customer'] or ''} {_money(e['impact'], currency)}"
                for e in new[:TOP_EXCEPTIONS]
            ]
            found.append(Alert("new_exceptions", "new_exceptions", run_id,
                               f"{len(new)} new exceptions", tuple(lines)))  # fmt: skip
    return found


def pull_alerts(
    backend: DuckDBBackend, config: Alerts, now: datetime, error: str | None
) -> list[Alert]:
    """A pull that failed now, or no successful pull for ``pull_stale_hours``."""
    t = config.thresholds
    found: list[Alert] = []
    if error is not None and t.pull_failed:
        found.append(
            Alert("pull_failed", "pull_failed", now.isoformat(), "The pull failed", (error,))
        )
    if t.pull_stale_hours is not None:
        last = rows(backend, "select max(pulled_at) as at from pull_log where ok")[0]["at"]
        limit = timedelta(hours=float(t.pull_stale_hours))
        if last is None or now - last > limit:
            since = "never" if last is None else last.isoformat()
            found.append(Alert(
                "pull_stale", "pull_stale", since, "The pulled data is stale",
                (f"last successful pull: {since}; allowed age {t.pull_stale_hours} h",),
            ))  # fmt: skip
    return found


def unsent(backend: DuckDBBackend, alerts: list[Alert]) -> list[Alert]:
    """Drop alerts last sent with the same value for their key."""
    last = {
        r["key"]: r["value"]
        for r in rows(
            backend,
            "select key, arg_max(value, sent_at) as value from alert_log where ok group by key",
        )
    }
    return [a for a in alerts if last.get(a.key) != a.value]
