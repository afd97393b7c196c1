"""The demo company's report, opened in real headless Chromium (Debian's ``chromium``).

Playwright drives the system browser (``executable_path``), so nothing is
downloaded; without Chromium or Playwright these tests skip with the reason.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crossfoot.api import run
from crossfoot.demo import generate
from crossfoot.diagnostic.findings import RunResult
from crossfoot.outputs.pdf import find_browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAPTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Report:
    out: Path
    result: RunResult

    @property
    def url(self) -> str:
        return (self.out / "report.html").as_uri()


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = find_browser()
    if path is None:
        pytest.skip("no Chromium: apt-get install -y chromium (or set CROSSFOOT_CHROMIUM)")
    return path


@pytest.fixture(scope="session")
def report(tmp_path_factory: pytest.TempPathFactory, chromium_path: str) -> Iterator[Report]:
    folder = tmp_path_factory.mktemp("browser-demo")
    company = generate(folder, seed=7)
    before = os.environ.get("CROSSFOOT_PDF")
    os.environ["CROSSFOOT_PDF"] = "on"  # tests/conftest.py turns it off for every other test
    try:
        result = run(company.definitions, folder / "out", workspace=folder / "ws.duckdb")
    finally:
        if before is None:
            os.environ.pop("CROSSFOOT_PDF", None)
        else:
            os.environ["CROSSFOOT_PDF"] = before
    yield Report(folder / "out", result)


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
        b = p.chromium.launch(executable_path=chromium_path, args=args)
        yield b
        b.close()


@dataclass
class OpenedPage:
    page: Any
    console_errors: list[str]
    network: list[str]  # every request that was not the report file itself


def open_report(browser: Any, report: Report, viewport: dict[str, int]) -> OpenedPage:
    context = browser.new_context(viewport=viewport, offline=True)
    page = context.new_page()
    opened = OpenedPage(page, [], [])
    page.on("console", lambda msg: opened.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: opened.console_errors.append(str(exc)))
    page.on(
        "request",
        lambda req: opened.network.append(req.url) if req.url != report.url else None,
    )
    page.goto(report.url, wait_until="load")
    return opened
