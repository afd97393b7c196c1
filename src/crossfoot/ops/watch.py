"""``crossfoot watch``: pull, run and alert on a schedule, one cycle at a time.

A cycle holds the workspace's run lock from the pull to the last alert, so a
cycle and a manual ``crossfoot run`` never overlap (a cycle that finds the lock
taken is skipped, not queued). The definitions are read again every cycle, so
a reviewed change takes effect at the next one. Errors of a cycle (a failed
pull, a run that stopped) are alerts, not the end of the watch.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from crossfoot.config import Definitions, load_definitions
from crossfoot.diagnostic.findings import RunResult
from crossfoot.errors import BusyError, ConfigError, CrossfootError
from crossfoot.ops.alerts import Alert, AlertMessage, evaluate, pull_alerts, unsent
from crossfoot.ops.deliver import DeliveryError, send
from crossfoot.ops.lock import run_lock
from crossfoot.store import insert, open_store, rows, workspace_path

log = logging.getLogger(__name__)

PullHook = Callable[[Definitions], None]
#: ``api.run``'s signature as watch calls it: (definitions, out, workspace, interface)
Runner = Callable[..., RunResult]
_EVERY = re.compile(r"(\d+)\s*([smhd])")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> timedelta:
    """``90s``, ``15m``, ``1h``, ``1d`` (or a sum: ``1h30m``) as a timedelta."""
    parts = _EVERY.findall(text.strip().lower())
    if not parts or "".join(f"{n}{u}" for n, u in parts) != re.sub(r"\s+", "", text.lower()):
        raise ConfigError(f"--every {text!r}: write a duration such as 90s, 15m, 1h or 1d")
    seconds = sum(int(n) * _UNIT[u] for n, u in parts)
    if seconds <= 0:
        raise ConfigError(f"--every {text!r}: the interval must be longer than zero")
    return timedelta(seconds=seconds)


def uses_api(defs: Definitions) -> bool:
    return "api" in (defs.crm.source, defs.erp.source)


def default_pull(defs: Definitions) -> None:
    """Pull the ``source: api`` systems with ``crossfoot pull``; nothing for file sources."""
    if not uses_api(defs):
        return
    try:
        # the pull package lands from another branch: looked up when a source is api
        module = importlib.import_module("crossfoot.pull")
    except ImportError as exc:
        raise ConfigError(
            "a source is api but this crossfoot has no `crossfoot pull`: use exported files"
        ) from exc
    module.pull(defs)


@dataclass(frozen=True)
class Cycle:
    started_at: datetime
    run_id: str | None = None
    exceptions: int | None = None
    pulled: bool = False
    pull_error: str | None = None
    error: CrossfootError | None = None
    busy: bool = False
    alerts: tuple[Alert, ...] = ()
    delivery_errors: tuple[str, ...] = ()

    def summary(self) -> str:
        at = f"{self.started_at:%Y-%m-%d %H:%M:%S}Z"
        if self.busy:
            return f"{at} skipped: another run holds the workspace lock"
        parts = [f"{at} run {self.run_id}" if self.run_id else f"{at} no run"]
        if self.exceptions is not None:
            parts.append(f"{self.exceptions} exceptions")
        if self.pulled:
            parts.append("pulled")
        if self.pull_error:
            parts.append(f"pull failed: {self.pull_error}")
        if self.error:
            parts.append(f"error: {self.error}")
        if not self.alerts:
            parts.append("no alerts")
        else:
            parts.append(f"{len(self.alerts)} alert(s)" + ("" if self.delivery_errors else " sent"))
        parts += [f"delivery failed: {e}" for e in self.delivery_errors]
        return "; ".join(parts)


def watch(
    config: str | Path,
    out: str | Path,
    *,
    every: timedelta,
    workspace: str | Path | None = None,
    iterations: int | None = None,
    pull_hook: PullHook = default_pull,
    env: Mapping[str, str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    runner: Runner | None = None,
) -> Iterator[Cycle]:
    """Yield one Cycle per tick; forever unless ``iterations`` is given."""
    n = 0
    while iterations is None or n < iterations:
        started = datetime.now(UTC)
        yield cycle(config, out, workspace=workspace, pull_hook=pull_hook,
                    env=os.environ if env is None else env, runner=runner)  # fmt: skip
        n += 1
        if iterations is not None and n >= iterations:
            return
        wait = (started + every - datetime.now(UTC)).total_seconds()
        sleep(max(wait, 0.0))


def cycle(
    config: str | Path,
    out: str | Path,
    *,
    workspace: str | Path | None = None,
    pull_hook: PullHook = default_pull,
    env: Mapping[str, str] | None = None,
    runner: Runner | None = None,
) -> Cycle:
    """One pull → run → alert cycle under the workspace lock."""
    from crossfoot.api import run as api_run

    run = runner or api_run
    started = datetime.now(UTC)
    env = os.environ if env is None else env
    try:
        defs = load_definitions(config)
    except CrossfootError as exc:
        return Cycle(started, error=exc)
    store = Path(workspace) if workspace else workspace_path(defs)
    try:
        with run_lock(store):
            pulled, pull_error = False, None
            if uses_api(defs):
                try:
                    pull_hook(defs)
                    pulled = True
                except CrossfootError as exc:
                    pull_error = str(exc)
                _log_pull(store, started, pull_error)
            rid, n_exc, error = None, None, None
            try:
                result = run(defs, out, workspace=store, interface="watch")
                rid = result.worklist.run_id if result.worklist else None
                n_exc = result.exceptions.num_rows
            except BusyError:
                raise
            except CrossfootError as exc:
                error = exc
            alerts, failures = _alert(defs, store, Path(out), rid, started, pull_error, error, env)
            return Cycle(started, rid, n_exc, pulled, pull_error, error, False, alerts, failures)
    except BusyError:
        return Cycle(started, busy=True)


def _log_pull(store: Path, at: datetime, error: str | None) -> None:
    with open_store(store, create=True) as backend:
        data = pa.table({"pulled_at": pa.array([at], pa.timestamp("us", "UTC")),
                         "ok": [error is None], "error": pa.array([error], pa.string())})  # fmt: skip
        insert(backend, "pull_log", data)


def _alert(
    defs: Definitions,
    store: Path,
    out: Path,
    rid: str | None,
    now: datetime,
    pull_error: str | None,
    error: CrossfootError | None,
    env: Mapping[str, str],
) -> tuple[tuple[Alert, ...], tuple[str, ...]]:
    config = defs.alerts
    if not config.channels:
        return (), ()
    with open_store(store, create=True) as backend:
        found: list[Alert] = []
        if error is not None:
            found.append(
                Alert("run_failed", "run_failed", now.isoformat(), "The run failed", (str(error),))
            )
        if uses_api(defs):
            found += pull_alerts(backend, config, now, pull_error)
        if rid is not None:
            ids = [
                r["run_id"]
                for r in rows(backend, "select run_id from run_history order by started_at, run_id")
            ]
            previous = ids[ids.index(rid) - 1] if ids.index(rid) > 0 else None
            found += evaluate(backend, config, rid, previous, defs.reporting.currency)
        found = unsent(backend, found)
        if not found:
            return (), ()
        report = (
            f"{config.report_url.rstrip('/')}/report.html" if config.report_url
            else (out.resolve() / "report.html").as_uri()
        )  # fmt: skip
        msg = AlertMessage(defs.company, rid, report, tuple(found), now)
        failures: list[str] = []
        log_rows = []
        for channel in config.channels:
            try:
                send(channel, msg, env)
                ok, err = True, None
            except DeliveryError as exc:
                ok, err = False, str(exc)
                failures.append(err)
                log.warning("alert delivery failed: %s", err)
            log_rows += [
                {"sent_at": now, "run_id": rid, "rule": a.rule, "key": a.key, "value": a.value,
                 "channel": channel.kind, "ok": ok, "error": err}
                for a in found
            ]  # fmt: skip
        insert(backend, "alert_log", pa.Table.from_pylist(log_rows, schema=_ALERT_LOG))
        return tuple(found), tuple(failures)


_ALERT_LOG = pa.schema(
    [("sent_at", pa.timestamp("us", "UTC")), ("run_id", pa.string()), ("rule", pa.string()),
     ("key", pa.string()), ("value", pa.string()), ("channel", pa.string()),
     ("ok", pa.bool_()), ("error", pa.string())]
)  # fmt: skip
