"""The exception lifecycle across runs: open, resolved when gone, reopened, edits audited."""

from __future__ import annotations

import pytest

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.errors import InputError
from crossfoot.history.lifecycle import NO_LONGER_FOUND, audit_trail, change, list_states, states_of

from .runs_fixture import exc, kept, result

A = exc("X-a", "missing_in_erp", "-1000.00")
B = exc("X-b", "amount_mismatch", "-12.50")


def status(store: DuckDBBackend) -> dict[str, str]:
    return {s["exception_id"]: s["status"] for s in list_states(store)}


def test_new_exceptions_open_and_keep_their_state_while_found(store: DuckDBBackend) -> None:
    first = kept(store, result(1, [A, B]))
    assert status(store) == {"X-a": "open", "X-b": "open"}
    assert first.worklist is not None
    assert {k: v.status for k, v in first.worklist.entries.items()} == {"X-a": "open", "X-b": "open"}
    change(store, ["X-a"], status="acknowledged", actor="alice", interface="cli")
    second = kept(store, result(2, [A, B]))
    assert status(store) == {"X-a": "acknowledged", "X-b": "open"}
    assert second.worklist is not None and second.worklist.entries["X-a"].status == "acknowledged"
    state = states_of(store, ["X-a"])["X-a"]
    assert state["first_seen_run"] == first.worklist.run_id
    assert state["last_seen_run"] == second.worklist.run_id


def test_gone_is_resolved_automatically_and_coming_back_reopens(store: DuckDBBackend) -> None:
    kept(store, result(1, [A, B]))
    change(store, ["X-b"], status="acknowledged", assignee="bob", actor="alice", interface="cli")
    run2 = kept(store, result(2, [A]))
    state = states_of(store, ["X-b"])["X-b"]
    assert state["status"] == "resolved"
    assert state["resolution"] == NO_LONGER_FOUND
    assert run2.worklist is not None and state["resolved_run"] == run2.worklist.run_id
    assert state["assignee"] == "bob"  # people's fields survive the lifecycle
    kept(store, result(3, [A, B]))
    assert status(store) == {"X-a": "open", "X-b": "reopened"}
    trail = [(a["field"], a["old_value"], a["new_value"], a["interface"], a["comment"])
             for a in audit_trail(store, "X-b") if a["field"] == "status"]  # fmt: skip
    assert trail == [
        ("status", None, "open", "run", "first found"),
        ("status", "open", "acknowledged", "cli", None),
        ("status", "acknowledged", "resolved", "run", NO_LONGER_FOUND),
        ("status", "resolved", "reopened", "run", "found again"),
    ]


def test_resolved_by_hand_but_still_found_is_reopened(store: DuckDBBackend) -> None:
    kept(store, result(1, [A]))
    change(store, ["X-a"], status="resolved", note="credit memo synced", actor="alice")
    assert states_of(store, ["X-a"])["X-a"]["resolution"] == "set by hand"
    kept(store, result(2, [A]))
    assert status(store) == {"X-a": "reopened"}


def test_every_edit_is_audited_with_who_and_interface(store: DuckDBBackend) -> None:
    kept(store, result(1, [A]))
    change(store, ["X-a"], note="first", actor="alice", interface="api")
    change(store, ["X-a"], note="second", assignee="carol", actor="bob", interface="cli")
    state = states_of(store, ["X-a"])["X-a"]
    assert state["notes"] == "first\nsecond"
    assert state["assignee"] == "carol"
    edits = [(a["actor"], a["interface"], a["field"], a["new_value"])
             for a in audit_trail(store, "X-a") if a["interface"] != "run"]  # fmt: skip
    assert edits == [
        ("alice", "api", "notes", "first"),
        ("bob", "cli", "assignee", "carol"),
        ("bob", "cli", "notes", "first\nsecond"),
    ]
    assert all(a["changed_at"] is not None for a in audit_trail(store))
    # setting what is already there changes nothing and writes no audit row
    n = len(audit_trail(store))
    assert change(store, ["X-a"], assignee="carol", actor="bob") == []
    assert len(audit_trail(store)) == n


def test_unknown_ids_and_statuses_are_refused_without_changes(store: DuckDBBackend) -> None:
    kept(store, result(1, [A]))
    with pytest.raises(InputError, match="X-nope"):
        change(store, ["X-a", "X-nope"], status="acknowledged")
    with pytest.raises(InputError, match="status 'done'"):
        change(store, ["X-a"], status="done")
    assert status(store) == {"X-a": "open"}
