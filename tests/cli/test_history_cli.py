"""``crossfoot history``, ``diff``, ``exceptions …`` and ``watch --once``: output and exit codes."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from crossfoot.store import open_store
from tests.unit.history.runs_fixture import bridge, exc, kept, result

from .test_cli import invoke

A = exc("X-a", "missing_in_erp", "-1000.00")
B = exc("X-b", "amount_mismatch", "-12.50")


@pytest.fixture(autouse=True)
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    from rich.console import Console

    from crossfoot.cli import ops

    monkeypatch.setattr(ops, "console", Console(width=250))


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    store = tmp_path / "ws.duckdb"
    with open_store(store, create=True) as backend:
        kept(backend, result(1, [A, B], bridge({"2026-01": "1.00"})), tmp_path / "out1")
        kept(backend, result(2, [B], bridge({"2026-01": "4.00"})), tmp_path / "out2")
    return store


def test_history_and_diff(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                          workspace: Path) -> None:  # fmt: skip
    assert invoke(monkeypatch, "history", "--workspace", str(workspace)) == 0
    out = capsys.readouterr().out
    assert "20260302T070000Z-" in out and "20260302T080000Z-" in out and "USD 4.00" in out
    assert invoke(monkeypatch, "diff", "--workspace", str(workspace)) == 0
    out = capsys.readouterr().out
    assert "1 resolved" in out and "X-a" in out
    assert "unexplained" in out and "+3.00" in out
    assert invoke(monkeypatch, "diff", "nope", "--workspace", str(workspace)) == 2
    assert "no run matches 'nope'" in capsys.readouterr().err


def test_exception_commands_and_audit(monkeypatch: pytest.MonkeyPatch,
                                      capsys: pytest.CaptureFixture[str], workspace: Path) -> None:  # fmt: skip
    ws = ("--workspace", str(workspace))
    assert invoke(monkeypatch, "exceptions", "ack", "X-b", "--note", "on it", "--who", "alice", *ws) == 0
    assert "X-b: status open -> acknowledged" in capsys.readouterr().out
    assert invoke(monkeypatch, "exceptions", "assign", "X-b", "--to", "bob", *ws) == 0
    assert invoke(monkeypatch, "exceptions", "note", "X-b", "CM-7 is in the ERP", *ws) == 0
    assert invoke(monkeypatch, "exceptions", "resolve", "X-b", *ws) == 0
    capsys.readouterr()
    assert invoke(monkeypatch, "exceptions", "list", "--status", "resolved", *ws) == 0
    out = capsys.readouterr().out
    assert "X-a" in out and "X-b" in out and "2 exceptions" in out
    assert invoke(monkeypatch, "exceptions", "audit", "X-b", *ws) == 0
    out = capsys.readouterr().out
    assert "alice" in out and "cli" in out and "acknowledged" in out and "bob" in out
    assert invoke(monkeypatch, "exceptions", "ack", "X-zzz", *ws) == 2
    assert "no such exception in the store: X-zzz" in capsys.readouterr().err


def test_exceptions_import_rejects_with_cell_and_exit_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], workspace: Path, tmp_path: Path
) -> None:
    wb = openpyxl.load_workbook(tmp_path / "out2" / "exceptions.xlsx")
    ws = wb["All exceptions"]
    ws["P2"] = "acknowledged"
    ws["H2"] = "Other customer"
    wb.save(tmp_path / "edited.xlsx")
    assert invoke(monkeypatch, "exceptions", "import", str(tmp_path / "edited.xlsx"),
                  "--workspace", str(workspace)) == 2  # fmt: skip
    err = capsys.readouterr().err
    assert "edited.xlsx [All exceptions] H2: customer is not editable" in err
    assert "Traceback" not in err
    ws["H2"] = wb["amount_mismatch"]["H2"].value
    wb.save(tmp_path / "edited.xlsx")
    assert invoke(monkeypatch, "exceptions", "import", str(tmp_path / "edited.xlsx"),
                  "--workspace", str(workspace), "--who", "dana") == 0  # fmt: skip
    assert "X-b: status open -> acknowledged" in capsys.readouterr().out


def test_history_without_a_store_is_a_clear_error(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:  # fmt: skip
    assert invoke(monkeypatch, "history", "--workspace", str(tmp_path / "none.duckdb")) == 2
    assert "run `crossfoot run` first" in capsys.readouterr().err


def test_watch_once_exits_with_the_run_error(monkeypatch: pytest.MonkeyPatch,
                                             capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:  # fmt: skip
    config = tmp_path / "crossfoot.yaml"
    config.write_text("crm: {system: salesforce, source: missing}\n"
                      "erp: {system: netsuite, source: missing}\nstages: {Won: won}\n")  # fmt: skip
    assert invoke(monkeypatch, "watch", "-c", str(config), "--once", "-o", str(tmp_path / "o")) == 2
    captured = capsys.readouterr()
    assert "no alerts" in captured.out and "error:" in captured.err
    assert invoke(monkeypatch, "watch", "-c", str(config), "--every", "soon") == 2
    assert "--every 'soon'" in capsys.readouterr().err


def test_sync_plan_needs_a_full_run_and_apply_needs_a_target(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], workspace: Path, tmp_path: Path
) -> None:
    config = tmp_path / "crossfoot.yaml"
    config.write_text("crm: {system: salesforce, source: s}\nerp: {system: netsuite, source: n}\n"
                      "stages: {Won: won}\n")  # fmt: skip
    assert invoke(monkeypatch, "sync", "plan", "-c", str(config), "--workspace", str(workspace)) == 2
    assert "the store has no deal table" in capsys.readouterr().err
    plan = tmp_path / "plan.json"
    plan.write_text('{"plan_id": "P-1", "run_id": "r", "created_at": "", "crm_system": "salesforce",'
                    ' "changes": []}')  # fmt: skip
    assert invoke(monkeypatch, "sync", "apply", str(plan), "-c", str(config), "--workspace", str(workspace)) == 2
    assert "sync.salesforce or crm.api (instance_url, access_token_env) is needed" in capsys.readouterr().err
    plan.write_text("{}")
    assert invoke(monkeypatch, "sync", "apply", str(plan), "-c", str(config)) == 2
    assert "not a crossfoot change set" in capsys.readouterr().err
