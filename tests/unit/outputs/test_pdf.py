"""report.pdf: printed in the background by the browser; skipped or failed with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossfoot.outputs.pdf import print_pdf, start_pdf


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


def _fake_browser(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-chromium"
    script.write_text("#!/bin/sh\n" + body + "\n")
    script.chmod(0o755)
    return str(script)


def test_a_browser_that_prints_nothing_is_a_failure_with_its_last_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSFOOT_PDF", "on")
    monkeypatch.setenv(
        "CROSSFOOT_CHROMIUM", _fake_browser(tmp_path, "echo 'no display' >&2; exit 3")
    )
    outcome = print_pdf(b"<html></html>")
    assert outcome.pdf is None
    assert outcome.note.endswith("exited 3: no display")


def test_the_printed_file_is_the_pdf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the fake browser writes its --print-to-pdf argument like Chromium does
    body = (
        'for a in "$@"; do case "$a" in --print-to-pdf=*) printf %%PDF-1.4 > "${a#*=}";; esac; done'
    )
    monkeypatch.setenv("CROSSFOOT_PDF", "on")
    monkeypatch.setenv("CROSSFOOT_CHROMIUM", _fake_browser(tmp_path, body))
    outcome = print_pdf(b"<html></html>")
    assert outcome.pdf == b"%PDF-1.4"
    assert outcome.note == "printed by fake-chromium"


def test_cancelling_stops_the_browser_and_leaves_no_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CROSSFOOT_PDF", "on")
    monkeypatch.setenv("CROSSFOOT_CHROMIUM", _fake_browser(tmp_path, "sleep 60"))
    pending = start_pdf(b"<html></html>")
    assert pending.process is not None and pending.tmp is not None
    folder = Path(pending.tmp.name)
    assert pending.process.poll() is None and folder.is_dir()  # printing in the background
    pending.cancel()
    assert pending.process.returncode is not None
    assert not folder.exists()
    assert pending.outcome().note == "cancelled"
