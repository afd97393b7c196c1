from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import pytest

from crossfoot.api import run
from crossfoot.demo import generate
from crossfoot.diagnostic.findings import RunResult


@dataclass(frozen=True)
class DemoRun:
    folder: Path
    out: Path
    result: RunResult
    labels: list[dict[str, str]]


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory) -> DemoRun:
    folder = tmp_path_factory.mktemp("demo")
    company = generate(folder, seed=7)
    out = folder / "out"
    result = run(company.definitions, out)
    with (folder / "labels.csv").open(newline="", encoding="utf-8") as fh:
        labels = list(csv.DictReader(fh))
    return DemoRun(folder, out, result, labels)
