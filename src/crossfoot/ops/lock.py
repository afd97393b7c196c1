"""One run at a time per workspace: an exclusive ``flock`` on ``.crossfoot/run.lock``.

The operating system drops the lock when the process ends, however it ends, so
a killed run never leaves a stale lock behind. The file holds the holder's pid
and start time, only to say who holds it.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from crossfoot.errors import BusyError

LOCK_FILE = "run.lock"
#: locks this thread holds: ``watch`` holds the lock across pull, run and alerts,
#: and the run inside it takes the same lock again
_local = threading.local()


def _held() -> set[Path]:
    if not hasattr(_local, "held"):
        _local.held = set()
    held: set[Path] = _local.held
    return held


def lock_path(store: Path) -> Path:
    return store.parent / LOCK_FILE


@contextmanager
def run_lock(store: Path) -> Iterator[Path]:
    """Hold the workspace's run lock, or raise BusyError naming the holder."""
    path = lock_path(store).resolve()
    if path in _held():
        yield path
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            raise BusyError(
                f"another crossfoot run holds the workspace lock ({holder}); "
                "runs never overlap: wait for it, or use another --workspace",
                location=str(path),
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ}".encode(), 0)
        _held().add(path)
        try:
            yield path
        finally:
            _held().discard(path)
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
