"""The interface of a connector and the context it runs in (environment, retry policy)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol

from crossfoot.errors import AuthError, ConfigError
from crossfoot.pull.framework import PageFormat
from crossfoot.pull.http import RetryPolicy


@dataclass
class PullContext:
    """What a connector may use: the environment (for secrets), the retry policy, a clock."""

    env: Mapping[str, str]
    policy: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    #: every secret value read so far, to redact from any message
    secrets: list[str] = field(default_factory=list)

    def secret(self, api: Mapping[str, str], name: str, default_env: str, prefix: str) -> str:
        """The secret ``name`` from the environment variable ``<prefix>.<name>_env`` names."""
        var = api.get(f"{name}_env", default_env)
        value = self.env.get(var, "")
        if not value:
            raise AuthError(
                f"the environment variable {var} is not set ({prefix}.{name}_env names it)",
                location=prefix,
            )
        self.secrets.append(value)
        return value

    @staticmethod
    def setting(api: Mapping[str, str], name: str, prefix: str, default: str | None = None) -> str:
        value = api.get(name, default)
        if not value:
            raise ConfigError(f"{prefix}.{name} is required to pull (docs/pull.md)")
        return value


class Connector(Protocol):
    """One system's puller: which objects, their pages, and where a record's cursor is."""

    system: ClassVar[str]
    format: PageFormat

    def objects(self) -> list[tuple[str, bool]]:
        """The objects to pull, in order, each with whether it can be pulled incrementally."""
        ...

    def fetch(self, obj: str, since: str | None) -> Iterator[bytes]:
        """Every page of ``obj`` (changed since ``since`` when given), as the vendor sent it."""
        ...

    def rewind(self, cursor: str, seconds: int) -> str:
        """The cursor ``seconds`` earlier, in the same format (the ``since`` of a pull)."""
        ...

    def cursor_of(self, obj: str, record: dict[str, Any]) -> str | None:
        """The record's last-modified value, comparable as text."""
        ...
