"""The exception lifecycle: status, assignee and notes that outlive a run, with an audit trail.

An exception keeps its ``exception_id`` across runs while its cause and records
are the same (the id hashes them, ``engine/exceptions.py``). Each run moves the
states set-based, in the run's transaction:

- a new id starts ``open``;
- an id that was ``resolved`` and is found again becomes ``reopened``;
- an id that is not ``resolved`` and is no longer found becomes ``resolved``
  with the resolution "no longer found".

People move them too (``acknowledged``, ``resolved``, an assignee, notes) from
the CLI, the Excel worklist or the library. Every change, automatic or not, is a
row of ``exception_audit``: when, who, from which interface (``run``, ``cli``,
``excel``, ``api``), the field, its old and new value.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from crossfoot.diagnostic.findings import EXCEPTION_STATUSES, Worklist, WorklistEntry
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.errors import InputError
from crossfoot.store import insert, rows

STATUSES = EXCEPTION_STATUSES
EDITABLE_FIELDS = ("status", "assignee", "notes")
INTERFACES = ("run", "cli", "excel", "api")
NO_LONGER_FOUND = "no longer found"


def current_user() -> str:
    """Who is acting: ``CROSSFOOT_USER``, else the login name."""
    return os.environ.get("CROSSFOOT_USER") or getpass.getuser()


@dataclass(frozen=True)
class Change:
    """One field of one exception, from ``old`` to ``new``."""

    exception_id: str
    field: str
    old: str | None
    new: str | None


def apply_run(
    backend: DuckDBBackend, rid: str, exceptions: pa.Table, at: datetime, interface: str = "run"
) -> Worklist:
    """Move every exception's state for run ``rid``, which found ``exceptions``."""
    con = backend.raw
    actor = f"crossfoot run {rid}"
    con.register("_run_exceptions", exceptions)
    con.execute(
        "create or replace temp table _found as select exception_id, cause, crm_record_id,"
        " erp_record_id, customer from _run_exceptions"
    )
    con.unregister("_run_exceptions")
    audit = (
        "insert into exception_audit select ?, exception_id, ?, ?, ?, 'status', {old}, {new},"
        " {comment} from {source}"
    )
    params = [at, rid, actor, interface]
    # new: open
    con.execute(
        audit.format(old="null", new="'open'", comment="'first found'",
                     source="_found where exception_id not in (select exception_id from exception_state)"),
        params,
    )  # fmt: skip
    con.execute(
        "insert into exception_state select exception_id, cause, crm_record_id, erp_record_id,"
        " customer, 'open', null, null, null, ?, ?, null, ? from _found"
        " where exception_id not in (select exception_id from exception_state)",
        [rid, rid, at],
    )
    # found again after being resolved: reopened
    back = "exception_state where status = 'resolved' and exception_id in (select exception_id from _found)"
    con.execute(
        audit.format(old="'resolved'", new="'reopened'", comment="'found again'", source=back),
        params,
    )
    con.execute(
        "update exception_state set status = 'reopened', resolution = null, resolved_run = null,"
        " updated_at = ? where status = 'resolved' and exception_id in (select exception_id from _found)",
        [at],
    )
    # gone: resolved automatically
    gone = "exception_state where status <> 'resolved' and exception_id not in (select exception_id from _found)"
    con.execute(
        audit.format(old="status", new="'resolved'", comment=f"'{NO_LONGER_FOUND}'", source=gone),
        params,
    )
    con.execute(
        f"update exception_state set status = 'resolved', resolution = '{NO_LONGER_FOUND}',"
        " resolved_run = ?, updated_at = ? where status <> 'resolved'"
        " and exception_id not in (select exception_id from _found)",
        [rid, at],
    )
    con.execute(
        "update exception_state s set last_seen_run = ?, customer = f.customer from _found f"
        " where s.exception_id = f.exception_id",
        [rid],
    )
    con.execute(
        "insert into run_worklist select ?, s.exception_id, s.status, s.assignee, s.notes"
        " from exception_state s join _found using (exception_id)",
        [rid],
    )
    con.execute("drop table _found")
    return worklist(backend, rid)


def worklist(backend: DuckDBBackend, rid: str) -> Worklist:
    """The statuses, assignees and notes as run ``rid`` wrote them into its worklist."""
    found = rows(
        backend,
        "select exception_id, status, assignee, notes from run_worklist where run_id = ?",
        [rid],
    )
    return Worklist(
        rid,
        {r["exception_id"]: WorklistEntry(r["status"], r["assignee"], r["notes"]) for r in found},
    )


def change(
    backend: DuckDBBackend,
    ids: Iterable[str],
    *,
    status: str | None = None,
    assignee: str | None = None,
    note: str | None = None,
    actor: str | None = None,
    interface: str = "api",
    comment: str | None = None,
) -> list[Change]:
    """Set the status and/or assignee of exceptions, or append a note; audited."""
    ids = list(dict.fromkeys(ids))
    states = states_of(backend, ids)
    unknown = [i for i in ids if i not in states]
    if unknown:
        raise InputError(f"no such exception in the store: {', '.join(unknown)}")
    edits: dict[str, dict[str, str | None]] = {}
    for i in ids:
        fields: dict[str, str | None] = {}
        if status is not None:
            fields["status"] = status
        if assignee is not None:
            fields["assignee"] = assignee or None  # "" unassigns
        if note:
            old = states[i]["notes"]
            fields["notes"] = f"{old}\n{note}" if old else note
        edits[i] = fields
    return set_fields(backend, edits, actor=actor, interface=interface, comment=comment)


def set_fields(
    backend: DuckDBBackend,
    edits: Mapping[str, Mapping[str, str | None]],
    *,
    actor: str | None,
    interface: str,
    comment: str | None = None,
) -> list[Change]:
    """Write ``{exception_id: {field: value}}`` and its audit rows; returns what changed."""
    if interface not in INTERFACES:
        raise ValueError(f"interface {interface!r}: one of {', '.join(INTERFACES)}")
    for fields in edits.values():
        for name, value in fields.items():
            if name not in EDITABLE_FIELDS:
                raise InputError(
                    f"{name!r} cannot be edited; editable: {', '.join(EDITABLE_FIELDS)}"
                )
            if name == "status" and value not in STATUSES:
                raise InputError(f"status {value!r}: one of {', '.join(STATUSES)}")
    states = states_of(backend, list(edits))
    at = datetime.now(UTC)
    who = actor or current_user()
    changes = [
        Change(i, name, states[i][name], value)
        for i, fields in edits.items()
        for name, value in fields.items()
        if states[i][name] != value
    ]
    if not changes:
        return []
    audit = pa.table(
        {
            "changed_at": pa.array([at] * len(changes), pa.timestamp("us", "UTC")),
            "exception_id": [c.exception_id for c in changes],
            "run_id": pa.nulls(len(changes), pa.string()),
            "actor": [who] * len(changes),
            "interface": [interface] * len(changes),
            "field": [c.field for c in changes],
            "old_value": pa.array([c.old for c in changes], pa.string()),
            "new_value": pa.array([c.new for c in changes], pa.string()),
            "comment": pa.array([comment] * len(changes), pa.string()),
        }
    )
    con = backend.raw
    con.begin()
    try:
        for c in changes:
            extra = ""
            if c.field == "status":
                extra = ", resolution = " + ("'set by hand'" if c.new == "resolved" else "null")
            con.execute(
                f"update exception_state set {c.field} = ?, updated_at = ?{extra}"
                " where exception_id = ?",
                [c.new, at, c.exception_id],
            )
        insert(backend, "exception_audit", audit)
    except BaseException:
        con.rollback()
        raise
    con.commit()
    return changes


def states_of(backend: DuckDBBackend, ids: list[str]) -> dict[str, dict[str, Any]]:
    if not ids:
        return {}
    found = rows(
        backend,
        "select * from exception_state where exception_id in (select unnest(?))",
        [ids],
    )
    return {r["exception_id"]: r for r in found}


def list_states(
    backend: DuckDBBackend, *, status: str | None = None, assignee: str | None = None
) -> list[dict[str, Any]]:
    """Exception states, newest runs first; filtered by status and/or assignee."""
    where, params = [], []
    if status:
        where.append("status = ?")
        params.append(status)
    if assignee:
        where.append("assignee = ?")
        params.append(assignee)
    clause = f"where {' and '.join(where)}" if where else ""
    return rows(
        backend,
        f"select * from exception_state {clause} order by status, cause, exception_id",
        params,
    )


def audit_trail(backend: DuckDBBackend, exception_id: str | None = None) -> list[dict[str, Any]]:
    clause, params = ("where exception_id = ?", [exception_id]) if exception_id else ("", [])
    return rows(
        backend,
        f"select * from exception_audit {clause} order by changed_at, rowid",
        params,
    )
