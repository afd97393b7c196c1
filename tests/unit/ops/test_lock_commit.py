"""The run lock (one run per workspace, across processes) and the output folder's swap."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from crossfoot.errors import BusyError, OutputError
from crossfoot.ops.commit import check_out_dir, publish, recover, staged
from crossfoot.ops.lock import run_lock


def test_a_second_process_cannot_take_the_lock(tmp_path: Path) -> None:
    store = tmp_path / ".crossfoot" / "crossfoot.duckdb"
    code = (
        "import sys, time; from pathlib import Path; from crossfoot.ops.lock import run_lock\n"
        f"with run_lock(Path({str(store)!r})):\n    print('held', flush=True); time.sleep(60)"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        busy = rf"another crossfoot run holds the workspace lock \(pid {holder.pid}"
        with pytest.raises(BusyError, match=busy), run_lock(store):
            pass
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    # a killed holder leaves no stale lock
    with run_lock(store), run_lock(store):  # the same thread may take it again (watch → run)
        pass


def test_publish_replaces_the_folder_and_recover_finishes_or_discards(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "summary.json").write_text("run 1")

    pending = staged(out, "r2")
    pending.mkdir()
    (pending / "summary.json").write_text("run 2")
    publish(out, "r2")
    assert (out / "summary.json").read_text() == "run 2"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]

    # crashed between the two renames of a committed run: out is missing
    staged(out, "r3").mkdir()
    (staged(out, "r3") / "summary.json").write_text("run 3")
    out.rename(staged(out, "r3", "previous"))
    assert recover(out, lambda rid: rid == "r3") == ["finished publishing the outputs of run r3"]
    assert (out / "summary.json").read_text() == "run 3"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]

    # a run that never committed: its partial files go, out stays
    staged(out, "r4").mkdir()
    (staged(out, "r4") / "summary.json").write_text("half")
    assert recover(out, lambda rid: False) == ["discarded the partial outputs of run r4"]
    assert (out / "summary.json").read_text() == "run 3"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_folder_with_other_files_is_not_replaced(tmp_path: Path) -> None:
    (tmp_path / "report.html").write_text("x")
    (tmp_path / "my-notes.docx").write_text("precious")
    with pytest.raises(OutputError, match=r"holds other files \(my-notes.docx\)"):
        check_out_dir(tmp_path)
    check_out_dir(tmp_path / "new")  # a new folder is fine


def test_a_folder_with_the_previous_runs_pdf_is_ours(tmp_path: Path) -> None:
    # report.pdf is written whenever a Chromium is available: the next run must replace it
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.pdf").write_bytes(b"%PDF-1.7")
    (out / "summary.json").write_text("{}", encoding="utf-8")
    check_out_dir(out)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match=r"notes\.txt"):
        check_out_dir(out)
