"""All or nothing for the output folder: write beside it, commit the store, then swap.

A run writes its files into ``.<out>.pending-<run_id>`` next to ``<out>``; the
store's transaction commits; then the old folder is renamed to
``.<out>.previous-<run_id>``, the pending one to ``<out>``, and the previous
one is removed. Each step is one ``rename`` on one file system. Whatever step a
crash interrupts, ``recover`` (run under the lock before the next run) finishes
the swap of a run the store committed, or discards the files of one it did not,
so ``<out>`` always holds the outputs of one complete run.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

from crossfoot.errors import OutputError
from crossfoot.outputs.render import OUTPUT_FILES, PDF_FILE

PENDING = "pending"
PREVIOUS = "previous"


def staged(out: Path, rid: str, state: str = PENDING) -> Path:
    return out.parent / f".{out.name}.{state}-{rid}"


def check_out_dir(out: Path) -> None:
    """Refuse to replace a folder that holds anything but crossfoot's outputs."""
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputError("the output path exists and is not a folder", location=str(out))
    ours = {*OUTPUT_FILES, PDF_FILE}  # the PDF is written when a Chromium is available
    foreign = sorted(p.name for p in out.iterdir() if p.name not in ours)
    foreign = [n for n in foreign if not n.startswith(".")]  # our own temp files
    if foreign:
        raise OutputError(
            f"the output folder holds other files ({', '.join(foreign[:3])}); a run replaces "
            "the folder as a whole: choose an empty or new folder",
            location=str(out),
        )


def publish(out: Path, rid: str) -> None:
    """Swap the pending outputs of committed run ``rid`` into ``out``."""
    pending = staged(out, rid)
    previous = staged(out, rid, PREVIOUS)
    try:
        if out.exists():
            if previous.exists():  # left by an interrupted swap: out is the newer of the two
                shutil.rmtree(previous)
            out.rename(previous)
        pending.rename(out)
        if previous.exists():
            shutil.rmtree(previous)
    except OSError as exc:
        raise OutputError(f"cannot move the outputs into place: {exc}", location=str(out)) from exc


def recover(out: Path, committed: Callable[[str], bool]) -> list[str]:
    """Finish or undo what a crashed run left beside ``out``; returns what was done."""
    done: list[str] = []
    if not out.parent.exists():
        return done
    for pending in sorted(out.parent.glob(f".{out.name}.{PENDING}-*")):
        rid = pending.name.rsplit(f".{PENDING}-", 1)[1]
        if committed(rid):
            publish(out, rid)
            done.append(f"finished publishing the outputs of run {rid}")
        else:
            shutil.rmtree(pending, ignore_errors=True)
            done.append(f"discarded the partial outputs of run {rid}")
    for previous in sorted(out.parent.glob(f".{out.name}.{PREVIOUS}-*")):
        if not out.exists():  # the swap stopped between its two renames before commit: undo
            previous.rename(out)
        else:
            shutil.rmtree(previous, ignore_errors=True)
    return done
