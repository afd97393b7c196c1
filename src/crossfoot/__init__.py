"""crossfoot: make CRM pipeline numbers and finance numbers agree, and explain why they did not.

The library API behind the ``crossfoot`` command::

    from crossfoot import check, load_definitions, run

    result = run("crossfoot.yaml", "out/")      # a RunResult: bridge, exceptions, matches...
"""

from __future__ import annotations

__version__ = "0.1.0"

from crossfoot.api import CheckReport, check, run
from crossfoot.config import Definitions, load_definitions
from crossfoot.diagnostic.findings import InputFile, RunResult
from crossfoot.errors import (
    AuthError,
    ConfigError,
    CrossfootError,
    InputError,
    OutputError,
    RateLimited,
    SchemaError,
    SourceError,
    StageError,
)

__all__ = [
    "AuthError",
    "CheckReport",
    "ConfigError",
    "CrossfootError",
    "Definitions",
    "InputError",
    "InputFile",
    "OutputError",
    "RateLimited",
    "RunResult",
    "SchemaError",
    "SourceError",
    "StageError",
    "__version__",
    "check",
    "load_definitions",
    "run",
]
