"""Write-back change sets: ``sync plan`` (what the CRM should say) and ``sync apply``.

Field ownership is in the definitions (``sync.owners``, see ``sync/config.py``);
the plan is computed from the store's latest run (``sync/plan.py``) and applied
through a CRM writer (``sync/apply.py``, ``sync/salesforce.py``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # config.py imports sync.config: nothing here may import the definitions
    from crossfoot.config import Definitions
    from crossfoot.sync.apply import CrmWriter, Outcome
    from crossfoot.sync.config import SalesforceTarget
    from crossfoot.sync.plan import Plan


def plan_changes(
    config: str | Path, out: str | Path = ".", *, workspace: str | Path | None = None
) -> tuple[Plan, Path, Path]:
    """Compute the change set of the latest run; write it as JSON and CSV into ``out``."""
    from crossfoot.config import load_definitions
    from crossfoot.store import open_store, workspace_path
    from crossfoot.sync.plan import make_plan, write_plan

    defs = load_definitions(config)
    store = Path(workspace) if workspace else workspace_path(defs)
    with open_store(store) as backend:
        change_set = make_plan(backend, defs)
    json_path, csv_path = write_plan(change_set, Path(out))
    return change_set, json_path, csv_path


def apply_changes(
    plan_file: str | Path,
    config: str | Path,
    *,
    apply: bool = False,
    workspace: str | Path | None = None,
    writer: CrmWriter | None = None,
    env: Mapping[str, str] | None = None,
    actor: str | None = None,
) -> list[Outcome]:
    """Dry-run (default) or apply a change set to the CRM; every outcome logged in the store."""
    from crossfoot.config import load_definitions
    from crossfoot.errors import ConfigError
    from crossfoot.ops.lock import run_lock
    from crossfoot.store import open_store, workspace_path
    from crossfoot.sync.apply import apply_plan
    from crossfoot.sync.plan import Plan

    defs = load_definitions(config)
    change_set = Plan.load(Path(plan_file))
    if change_set.crm_system != defs.crm.system:
        raise ConfigError(f"the plan is for {change_set.crm_system}, the definitions' CRM is {defs.crm.system}")
    if writer is None:
        writer = _writer(defs, os.environ if env is None else env)
    store = Path(workspace) if workspace else workspace_path(defs)
    with run_lock(store), open_store(store) as backend:
        return apply_plan(change_set, writer, apply=apply, backend=backend, actor=actor)


def _writer(defs: Definitions, env: Mapping[str, str]) -> CrmWriter:
    """The CRM writer the definitions point at: Salesforce or HubSpot."""
    if defs.crm.system == "hubspot":
        from crossfoot.errors import AuthError
        from crossfoot.sync.hubspot import HubSpotWriter

        api = defs.crm.api
        name = api.get("access_token_env", "HUBSPOT_ACCESS_TOKEN")
        token = env.get(name)
        if not token:
            raise AuthError(f"environment variable {name} is not set", location="crm.api.access_token_env")
        return HubSpotWriter(api.get("base_url", "https://api.hubapi.com"), token)
    from crossfoot.sync.salesforce import SalesforceWriter

    return SalesforceWriter(_target(defs), env)


def _target(defs: Definitions) -> SalesforceTarget:
    """``sync.salesforce``, else the pull connector's ``crm.api`` (instance_url, access_token_env)."""
    from crossfoot.errors import ConfigError
    from crossfoot.sync.config import SalesforceTarget

    if defs.sync.salesforce is not None:
        return defs.sync.salesforce
    api = defs.crm.api
    if "instance_url" not in api:
        raise ConfigError("sync.salesforce or crm.api (instance_url, access_token_env) is needed "
                          "to write to Salesforce")  # fmt: skip
    return SalesforceTarget(
        instance_url=api["instance_url"],
        access_token_env=api.get("access_token_env", "SALESFORCE_ACCESS_TOKEN"),
        api_version=api.get("api_version", "59.0"),
    )


__all__ = ["apply_changes", "plan_changes"]
