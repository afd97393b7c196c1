"""Every error crossfoot raises on purpose.

::

    CrossfootError                      exit 1 unless a subclass says otherwise
      ConfigError(ValueError)           exit 2  crossfoot.yaml: key, value, what is allowed
      InputError(ValueError)            exit 2  an input file that cannot be used at all
      SourceError                       exit 3  a source or connector failed (API, network)
        AuthError                       exit 3
        RateLimited                     exit 3
      SchemaError                       exit 1  a canonical table lacks a column (a bug)
      StageError                        exit 1  an engine stage failed: stage, backend, SQL
      OutputError                       exit 2  an output could not be written: path
      BusyError                         exit 2  another run holds the workspace lock

Rows that cannot be read are not errors: they go to the rejects table. An error
stops the run, so every error names where it happened (``location``) and what
was expected, in one line a user can act on.
"""

from __future__ import annotations


class CrossfootError(Exception):
    """Base class; ``exit_code`` is what the CLI exits with (SPEC §8)."""

    exit_code = 1

    def __init__(self, message: str, *, location: str | None = None) -> None:
        self.message = message
        self.location = location
        super().__init__(f"{location}: {message}" if location else message)


class ConfigError(CrossfootError, ValueError):
    """The definitions file is invalid: names the key, the bad value, what is allowed."""

    exit_code = 2


class InputError(CrossfootError, ValueError):
    """An input file cannot be used at all (missing column, not a CSV, empty...)."""

    exit_code = 2


class SourceError(CrossfootError):
    """A source system or connector failed: names system, object, record or page."""

    exit_code = 3


class AuthError(SourceError):
    """Credentials were refused or are missing from the environment."""


class RateLimited(SourceError):
    """The API kept refusing with rate limits after the allowed retries."""


class SchemaError(CrossfootError):
    """A table does not have the columns a stage needs (a bug, not a user error)."""


class StageError(CrossfootError):
    """An engine stage failed on a backend; carries the SQL for debugging."""

    def __init__(self, stage: str, backend: str, sql: str | None, cause: BaseException) -> None:
        self.stage = stage
        self.backend = backend
        self.sql = sql
        super().__init__(f"{type(cause).__name__}: {cause}", location=f"stage {stage} on {backend}")


class OutputError(CrossfootError):
    """An output file could not be written."""

    exit_code = 2


class BusyError(CrossfootError):
    """Another crossfoot run holds the workspace's lock: runs never overlap."""

    exit_code = 2
