"""The run reports exactly the stages the CLI's progress bar counts, in order."""

from __future__ import annotations

from pathlib import Path

from crossfoot.api import RUN_STAGES, run
from tests.e2e.conftest import DemoRun


def test_progress_reports_every_stage_once_in_order(demo_run: DemoRun, tmp_path: Path) -> None:
    seen: list[str] = []
    run(demo_run.folder / "crossfoot.yaml", tmp_path / "out", workspace=tmp_path / "ws.duckdb",
        progress=seen.append)  # fmt: skip
    assert tuple(seen) == RUN_STAGES
