"""``crossfoot pull``: fetch each ``source: api`` system's objects into its pulled folder.

One module per system (a :class:`~crossfoot.pull.connector.Connector`), the
shared commit and cursor logic in :mod:`crossfoot.pull.framework`, retries and
rate limits in :mod:`crossfoot.pull.http`. See docs/pull.md.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from crossfoot.config import Definitions, load_definitions
from crossfoot.errors import ConfigError, SourceError
from crossfoot.pull.business_central import BusinessCentralPull
from crossfoot.pull.connector import Connector, PullContext
from crossfoot.pull.framework import ObjectResult, PulledFolder, PullProgress, pull_object
from crossfoot.pull.http import RetryPolicy, redact
from crossfoot.pull.hubspot import HubSpotPull
from crossfoot.pull.netsuite import NetSuitePull
from crossfoot.pull.quickbooks import QuickBooksPull
from crossfoot.pull.salesforce import SalesforcePull
from crossfoot.pull.xero import XeroPull

#: system -> connector class; a system without one cannot use ``source: api`` yet
CONNECTORS: dict[str, Callable[[Definitions, PullContext], Connector]] = {
    "salesforce": SalesforcePull,
    "netsuite": NetSuitePull,
    "hubspot": HubSpotPull,
    "quickbooks": QuickBooksPull,
    "xero": XeroPull,
    "business_central": BusinessCentralPull,
}


@dataclass(frozen=True)
class PullReport:
    definitions: Definitions
    objects: tuple[ObjectResult, ...]
    recovered: tuple[str, ...]  # objects whose interrupted commit was finished first


def pull(
    config: str | Path | Definitions,
    *,
    full: bool = False,
    env: Mapping[str, str] | None = None,
    policy: RetryPolicy | None = None,
    sleep: Callable[[float], None] | None = None,
    progress: PullProgress | None = None,
) -> PullReport:
    """Pull every system whose source is ``api``; incremental since the last pull unless ``full``.

    Raises :class:`~crossfoot.errors.SourceError` (exit 3) when an API keeps failing;
    objects committed before the failure stay committed.
    """
    defs = config if isinstance(config, Definitions) else load_definitions(config)
    systems = [
        (s.system, key) for s, key in ((defs.crm, "crm"), (defs.erp, "erp")) if s.source == "api"
    ]
    if not systems:
        raise ConfigError("neither crm.source nor erp.source is api: there is nothing to pull")
    ctx = PullContext(os.environ if env is None else env, policy or RetryPolicy())
    if sleep is not None:
        ctx.sleep = sleep
    results: list[ObjectResult] = []
    recovered: list[str] = []
    for system, key in systems:
        if system not in CONNECTORS:
            supported = ", ".join(sorted(CONNECTORS))
            raise ConfigError(
                f"{key}.source: pulling from {system} is not supported yet (supported: {supported})"
            )
        connector = CONNECTORS[system](defs, ctx)
        try:
            results += _pull_system(defs, system, connector, ctx, full, progress, recovered)
        finally:
            close = getattr(connector, "close", None)
            if close is not None:
                close()
    return PullReport(defs, tuple(results), tuple(recovered))


def _pull_system(
    defs: Definitions, system: str, connector: Connector, ctx: PullContext, full: bool,
    progress: PullProgress | None, recovered: list[str],
) -> list[ObjectResult]:  # fmt: skip
    results: list[ObjectResult] = []
    folder = PulledFolder(defs.pulled(system), system)
    folder.root.mkdir(parents=True, exist_ok=True)
    recovered += [f"{system}/{obj}" for obj in folder.recover()]
    for obj, incremental in connector.objects():
        # without committed pages (deleted by hand) a cursor would make a partial object
        has_pages = bool(folder.committed_pages(obj))
        since = folder.cursor(obj) if incremental and not full and has_pages else None
        ask = connector.rewind(since, folder.lookback(obj)) if since else None
        cursor_of = partial(connector.cursor_of, obj)
        windowed: set[str] = getattr(connector, "windowed", set())  # known after the fetch
        try:
            result = pull_object(folder, connector.format, obj, connector.fetch(obj, ask),
                                 since=since, cursor_of=cursor_of, progress=progress,
                                 single=obj in getattr(connector, "single_files", ()),
                                 rewrite=partial(set.__contains__, windowed, obj))  # fmt: skip
        except SourceError as exc:
            # belt and braces: a client library may have put a token in a message
            exc.args = (redact(str(exc), ctx.secrets),)
            raise
        results.append(result)
    return results


__all__ = ["CONNECTORS", "PullReport", "RetryPolicy", "pull"]
