"""Run history, run diffs and the exception lifecycle, over a workspace's store.

The library behind ``crossfoot history``, ``crossfoot diff`` and ``crossfoot
exceptions``. Each function takes the definitions (to find the workspace beside
them) or an explicit ``workspace`` store file. Writes hold the run lock, so they
never interleave with a run.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from crossfoot.history.excel import ImportRejected, ImportReport, Rejection
from crossfoot.history.lifecycle import STATUSES, Change
from crossfoot.history.runs import ExceptionChange, RunDiff, RunInfo, StepMove

Config = str | Path


def store_path(config: Config | None, workspace: str | Path | None) -> Path:
    """The store file: ``workspace`` if given, else ``.crossfoot/`` beside the definitions."""
    if workspace is not None:
        return Path(workspace)
    from crossfoot.config import load_definitions
    from crossfoot.store import workspace_path

    return workspace_path(load_definitions(config or "crossfoot.yaml"))


def history(config: Config | None = None, *, workspace: str | Path | None = None) -> list[RunInfo]:
    """Every run kept in the workspace, oldest first."""
    from crossfoot.history.runs import list_runs
    from crossfoot.store import open_store

    with open_store(store_path(config, workspace)) as backend:
        return list_runs(backend)


def diff(
    run_a: str | None = None,
    run_b: str | None = None,
    *,
    config: Config | None = None,
    workspace: str | Path | None = None,
) -> RunDiff:
    """New, resolved and changed exceptions and bridge moves (default: the last two runs)."""
    from crossfoot.history.runs import diff_runs
    from crossfoot.store import open_store

    with open_store(store_path(config, workspace)) as backend:
        return diff_runs(backend, run_a, run_b)


def exceptions(
    config: Config | None = None,
    *,
    workspace: str | Path | None = None,
    status: str | None = None,
    assignee: str | None = None,
) -> list[dict[str, Any]]:
    """The lifecycle state of every exception ever found, filtered by status or assignee."""
    from crossfoot.history.lifecycle import list_states
    from crossfoot.store import open_store

    with open_store(store_path(config, workspace)) as backend:
        return list_states(backend, status=status, assignee=assignee)


def audit(
    exception_id: str | None = None,
    *,
    config: Config | None = None,
    workspace: str | Path | None = None,
) -> list[dict[str, Any]]:
    """The audit trail: every change of every exception (or of one), oldest first."""
    from crossfoot.history.lifecycle import audit_trail
    from crossfoot.store import open_store

    with open_store(store_path(config, workspace)) as backend:
        return audit_trail(backend, exception_id)


def update_exceptions(
    ids: Iterable[str],
    *,
    status: str | None = None,
    assignee: str | None = None,
    note: str | None = None,
    actor: str | None = None,
    interface: str = "api",
    config: Config | None = None,
    workspace: str | Path | None = None,
) -> list[Change]:
    """Set status and/or assignee, or append a note, to exceptions; every change audited."""
    from crossfoot.history.lifecycle import change
    from crossfoot.ops.lock import run_lock
    from crossfoot.store import open_store

    path = store_path(config, workspace)
    with run_lock(path), open_store(path) as backend:
        return change(
            backend, ids, status=status, assignee=assignee, note=note, actor=actor,
            interface=interface,
        )  # fmt: skip


def import_exceptions(
    workbook: str | Path,
    *,
    actor: str | None = None,
    config: Config | None = None,
    workspace: str | Path | None = None,
) -> ImportReport:
    """Take statuses, assignees and notes back from an edited ``exceptions.xlsx``."""
    from crossfoot.history.excel import import_workbook
    from crossfoot.ops.lock import run_lock
    from crossfoot.store import open_store

    path = store_path(config, workspace)
    with run_lock(path), open_store(path) as backend:
        return import_workbook(backend, Path(workbook), actor=actor)


__all__ = [
    "STATUSES",
    "Change",
    "ExceptionChange",
    "ImportRejected",
    "ImportReport",
    "Rejection",
    "RunDiff",
    "RunInfo",
    "StepMove",
    "audit",
    "diff",
    "exceptions",
    "history",
    "import_exceptions",
    "store_path",
    "update_exceptions",
]
