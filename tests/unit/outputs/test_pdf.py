"""report.pdf: skipped with a reason when there is no browser or it is turned off."""

from __future__ import annotations

import pytest

from crossfoot.outputs.pdf import print_pdf


def test_no_browser_is_a_note_not_a_failure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSFOOT_PDF", "on")
    monkeypatch.setenv("CROSSFOOT_CHROMIUM", "/nonexistent/chromium")
    outcome = print_pdf(b"<html></html>")
    assert outcome.pdf is None
    assert outcome.summary() == {
        "written": False,
        "note": outcome.note,
    } and outcome.note.startswith("skipped: no Chromium found")


def test_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSSFOOT_PDF", "off")
    assert print_pdf(b"<html></html>").note == "skipped: CROSSFOOT_PDF is off"
