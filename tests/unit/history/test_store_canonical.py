"""A run reads and reconciles in memory, then writes the canonical tables into the store
in the same transaction as its history: after a run the store holds exactly what it
loaded; a run that fails leaves the store as the run before left it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import crossfoot.api
from crossfoot.api import run
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.sources import LOADED_TABLES
from crossfoot.store import rows

ACME = Path(__file__).parents[2] / "fixtures" / "acme"


def counts(store: Path) -> dict[str, int]:
    backend = DuckDBBackend(store)
    try:
        tables = {
            r["table_name"]: r["database_name"]
            for r in rows(backend, "select table_name, database_name from duckdb_tables()")
        }
        assert all(db == store.stem for db in tables.values()), tables
        return {
            t: rows(backend, f'select count(*) as n from "{t}"')[0]["n"]
            for t in (*LOADED_TABLES, "run_history")
        }
    finally:
        backend.close()


def test_the_store_keeps_what_the_run_loaded_and_a_failed_run_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "acme"
    shutil.copytree(ACME, folder)
    config = folder / "crossfoot.yaml"
    store = tmp_path / "store.duckdb"

    result = run(config, workspace=store)
    after_first = counts(store)
    assert after_first["run_history"] == 1
    assert (
        after_first["deal"]
        == sum(i.rows_loaded for i in result.inputs if i.table.lower() == "opportunity")
        > 0
    )
    assert after_first["rejects"] == result.rejects.num_rows

    # one more deal in the export, then a run that fails after reading it
    opp = folder / "salesforce" / "Opportunity.csv"
    lines = opp.read_text(encoding="utf-8").splitlines(keepends=True)
    extra = lines[1].replace("006000000000001AAA", "006000000000009AAA", 1)
    opp.write_text("".join([*lines, extra]), encoding="utf-8")

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the engine failed")

    monkeypatch.setattr(crossfoot.api, "reconcile", broken)
    with pytest.raises(RuntimeError, match="the engine failed"):
        run(config, workspace=store)
    assert counts(store) == after_first

    monkeypatch.undo()
    run(config, workspace=store)
    after_third = counts(store)
    assert after_third["run_history"] == 2
    assert after_third["deal"] == after_first["deal"] + 1


def test_outputs_that_fail_while_the_store_is_written_leave_it_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import crossfoot.outputs
    from crossfoot.errors import OutputError

    folder = tmp_path / "acme"
    shutil.copytree(ACME, folder)
    config, store = folder / "crossfoot.yaml", tmp_path / "store.duckdb"
    run(config, tmp_path / "out", workspace=store)
    before = counts(store)
    summary = (tmp_path / "out" / "summary.json").read_bytes()

    def failing(*_args: object, **_kwargs: object) -> None:
        raise OutputError("cannot write: disk full", location=str(tmp_path / "out"))

    # the canonical tables are copied on a worker thread meanwhile; the copy ends, then
    # the transaction rolls back with it
    monkeypatch.setattr(crossfoot.outputs, "write_outputs", failing)
    with pytest.raises(OutputError, match="disk full"):
        run(config, tmp_path / "out", workspace=store)
    assert counts(store) == before
    # the first run's outputs stand, and nothing staged is left beside them
    assert (tmp_path / "out" / "summary.json").read_bytes() == summary
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []
