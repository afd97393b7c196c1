"""A run killed at any point leaves the store consistent and the outputs of one whole run;
the next run succeeds (issue 7: all or nothing).

Each seed kills ``crossfoot run`` (a subprocess) with SIGKILL or SIGTERM after a
seeded random delay within a measured run's duration; one more kill is aimed at
the moment the pending outputs appear (outputs written, store not yet committed).
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from crossfoot.demo import generate
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.outputs import OUTPUT_FILES
from crossfoot.store import rows

pytestmark = pytest.mark.slow

SEEDS = (11, 12, 13, 14)


def start(config: Path, out: Path) -> subprocess.Popen[bytes]:
    code = "import sys; from crossfoot.cli.app import main; sys.argv[0] = 'crossfoot'; main()"
    return subprocess.Popen(
        [sys.executable, "-c", code, "run", "-c", str(config), "-o", str(out)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "COLUMNS": "120"},
    )  # fmt: skip


def finish(proc: subprocess.Popen[bytes]) -> int:
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err.decode()
    return proc.returncode


def check_consistent(folder: Path, out: Path) -> list[str]:
    """The store's history tables agree with each other; ``out`` is one committed run's."""
    backend = DuckDBBackend(folder / ".crossfoot" / "crossfoot.duckdb")
    try:
        runs = rows(backend, "select run_id, exceptions, outputs from run_history order by started_at")
        ids = [r["run_id"] for r in runs]
        for table in ("run_bridge", "run_exceptions", "run_worklist"):
            orphans = rows(backend, f"select distinct run_id from {table} where run_id not in (select run_id from run_history)")
            assert orphans == [], f"{table} has rows of uncommitted runs {orphans}"
        for r in runs:
            n = rows(backend, "select count(*) as n from run_exceptions where run_id = ?", [r["run_id"]])[0]["n"]
            assert n == r["exceptions"]
            assert rows(backend, "select count(*) as n from run_bridge where run_id = ?", [r["run_id"]])[0]["n"] > 0
        states = rows(backend, "select count(*) as n, count(distinct exception_id) as d from exception_state")[0]
        assert states["n"] == states["d"]
        latest = rows(backend, "select count(*) as n from run_worklist where run_id = ?", [ids[-1]])[0]["n"]
        assert latest == runs[-1]["exceptions"]
        if out.exists():
            hashes = {name: hashlib.sha256((out / name).read_bytes()).hexdigest() for name in OUTPUT_FILES}
            assert hashes in [json.loads(r["outputs"]) for r in runs], "out/ is no committed run's outputs"
    finally:
        backend.close()
    return ids


def test_killed_runs_leave_a_consistent_store(tmp_path: Path) -> None:
    company = generate(tmp_path / "co", seed=7, n_deals=150)
    folder = company.definitions.parent
    out = folder / "out"

    t0 = time.monotonic()
    finish(start(company.definitions, out))
    duration = time.monotonic() - t0
    committed = check_consistent(folder, out)
    assert len(committed) == 1

    plans: list[tuple[str, float | None, signal.Signals]] = [
        (f"seed {s}", random.Random(s).uniform(0.3, duration), sig)
        for s, sig in zip(SEEDS, (signal.SIGKILL, signal.SIGTERM, signal.SIGKILL, signal.SIGKILL), strict=True)
    ]
    plans.append(("pending outputs written", None, signal.SIGKILL))
    for label, delay, sig in plans:
        proc = start(company.definitions, out)
        if delay is None:  # aim at the window between writing outputs and the commit
            deadline = time.monotonic() + 300
            while not list(folder.glob(".out.pending-*")) and proc.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.005)
        else:
            time.sleep(delay)
        proc.send_signal(sig)
        proc.communicate(timeout=300)
        after_kill = check_consistent(folder, out)
        assert after_kill[: len(committed)] == committed, label
        assert len(after_kill) <= len(committed) + 1, label

        finish(start(company.definitions, out))  # the next run succeeds
        now = check_consistent(folder, out)
        assert len(now) == len(after_kill) + 1, label
        assert not list(folder.glob(".out.*")), f"{label}: leftovers beside out/"
        summary = json.loads((out / "summary.json").read_text())
        backend = DuckDBBackend(folder / ".crossfoot" / "crossfoot.duckdb")
        try:
            latest = rows(backend, "select outputs from run_history where run_id = ?", [now[-1]])[0]
        finally:
            backend.close()
        assert json.loads(latest["outputs"])["summary.json"] == hashlib.sha256(
            (out / "summary.json").read_bytes()).hexdigest()  # fmt: skip
        assert summary  # a whole, parseable summary
        committed = now
