"""History and diff: runs listed with their inputs and outputs; new, resolved, changed, bridge moves."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from crossfoot.engine.backend import DuckDBBackend
from crossfoot.errors import InputError
from crossfoot.history.runs import diff_runs, list_runs, resolve_run

from .runs_fixture import bridge, exc, kept, result

A = exc("X-a", "missing_in_erp", "-1000.00")
B = exc("X-b", "amount_mismatch", "-12.50")
C = exc("X-c", "duplicate_in_erp", "400.00")


def test_history_lists_runs_with_inputs_outputs_and_hashes(store: DuckDBBackend, tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = kept(store, result(1, [A, B], bridge({"2026-01": "-3.20", "2026-02": "1.00"})), out)
    runs = list_runs(store)
    assert [r.run_id for r in runs] == [first.worklist.run_id]  # type: ignore[union-attr]
    run = runs[0]
    assert run.exceptions == 2
    assert run.unexplained == Decimal("4.20")
    assert run.definitions_hash == "d" * 64 and run.version == "0.1.0"
    assert set(run.outputs) >= {"exceptions.csv", "exceptions.xlsx", "summary.json", "bridge.csv"}
    assert all(len(h) == 64 for h in run.outputs.values())
    assert run.out_dir == str(out.resolve())
    stored = json.loads(store.raw.execute("select inputs from run_history").fetchone()[0])
    assert stored == []  # the hand-built run read no files; api.run records each with its SHA-256


def test_diff_shows_new_resolved_changed_and_bridge_moves(store: DuckDBBackend) -> None:
    kept(store, result(1, [A, B], bridge({"2026-01": "0.00"}, {("2026-01", "amount_mismatch"): "-12.50"})))
    b2 = dict(B, impact=Decimal("-20.00"), amount_erp=Decimal("980.00"), explanation="now 20 off")
    kept(store, result(2, [b2, C], bridge({"2026-01": "5.00", "2026-02": "0.00"},
                                          {("2026-01", "amount_mismatch"): "-20.00"})))  # fmt: skip
    d = diff_runs(store)
    assert [e["exception_id"] for e in d.new] == ["X-c"]
    assert [e["exception_id"] for e in d.resolved] == ["X-a"]
    assert [(c.exception_id, c.fields) for c in d.changed] == [
        ("X-b", ("amount_erp", "impact", "explanation"))
    ]
    assert d.changed[0].before["impact"] == Decimal("-12.50")
    assert d.changed[0].after["impact"] == Decimal("-20.00")
    moves = {(m.period, m.step): (m.before, m.after, m.delta) for m in d.bridge}
    assert moves[("2026-01", "amount_mismatch")] == (Decimal("-12.50"), Decimal("-20.00"), Decimal("-7.50"))
    assert moves[("2026-01", "unexplained")] == (Decimal("0.00"), Decimal("5.00"), Decimal("5.00"))
    assert moves[("2026-02", "expected_revenue")] == (Decimal("0"), Decimal("1000.00"), Decimal("1000.00"))
    # in period order, then the bridge's step order
    order = [(m.period, m.step) for m in d.bridge]
    assert order.index(("2026-01", "amount_mismatch")) < order.index(("2026-01", "unexplained"))
    assert order.index(("2026-01", "erp_revenue")) < order.index(("2026-02", "expected_revenue"))


def test_same_inputs_give_an_empty_diff(store: DuckDBBackend) -> None:
    kept(store, result(1, [A, B]))
    kept(store, result(2, [B, A]))
    assert diff_runs(store).unchanged


def test_runs_are_named_by_prefix_latest_and_previous(store: DuckDBBackend) -> None:
    ids = [kept(store, result(n, [A])).worklist.run_id for n in (1, 2, 3)]  # type: ignore[union-attr]
    assert resolve_run(store, "latest") == ids[2]
    assert resolve_run(store, "previous") == ids[1]
    assert resolve_run(store, ids[0][:17]) == ids[0]
    d = diff_runs(store, None, ids[1])  # B alone: compared with the run before it
    assert (d.run_a, d.run_b) == (ids[0], ids[1])
    with pytest.raises(InputError, match="no run matches"):
        resolve_run(store, "1999")
    with pytest.raises(InputError, match="3 runs match"):
        resolve_run(store, "2026")
    with pytest.raises(InputError, match="first run"):
        diff_runs(store, None, ids[0])
