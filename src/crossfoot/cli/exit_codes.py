"""Exit codes (SPEC §8): 0 completed, 1 internal error, 2 input, 3 source, 130 interrupted."""

from __future__ import annotations

from crossfoot.errors import CrossfootError

OK = 0
INTERNAL = 1
INPUT = 2
SOURCE = 3
INTERRUPTED = 130


def exit_code_for(exc: BaseException) -> int:
    if isinstance(exc, CrossfootError):
        return exc.exit_code
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED
    return INTERNAL
