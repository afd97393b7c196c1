"""Alerts from watch cycles, delivered to local Slack/Teams/webhook HTTP servers and an SMTP
server: content, HMAC signature, nothing below the thresholds, no secret in any log line.

Payload formats: Slack https://api.slack.com/messaging/webhooks (``text`` + ``blocks``),
Teams https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
(``type: message`` with an Adaptive Card attachment).
"""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest

from crossfoot.config import Definitions, load_definitions
from crossfoot.diagnostic.findings import RunResult
from crossfoot.errors import ConfigError, SourceError
from crossfoot.ops.deliver import SIGNATURE_HEADER
from crossfoot.ops.watch import Cycle, cycle, parse_every, watch
from crossfoot.store import open_store
from tests.unit.history.runs_fixture import bridge, exc, kept, result

from .servers import Hook, Mailbox, smtp_server, webhook_server

SECRET = "s3cr3t-shared-key"
TOKEN_PATH = "/services/T000/B000/XXXXXXXXSECRETTOKEN"
BASE = exc("X-a", "missing_in_erp", "-1000.00")

DEFINITIONS = """\
company: Acme Robotics
crm: {{system: salesforce, source: {crm_source}}}
erp: {{system: netsuite, source: netsuite}}
stages: {{Closed Won: won}}
alerts:
  report_url: https://reports.example.com/acme/
  thresholds:
    unexplained_above: 100.00
    cause_above: {{"*": 5000, duplicate_in_erp: 500}}
    new_exceptions_above: 2
    pull_stale_hours: 1
  channels:
    - {{kind: slack, url_env: T_SLACK}}
    - {{kind: teams, url_env: T_TEAMS}}
    - {{kind: webhook, url_env: T_HOOK, secret_env: T_HOOK_SECRET}}
    - {{kind: email, host: 127.0.0.1, port: {smtp_port}, starttls: false,
        sender: crossfoot@example.com, to: [controller@example.com, ops@example.com]}}
"""


class Runs:
    """A fake ``api.run``: records the next hand-built run in the store."""

    def __init__(self, *runs: RunResult) -> None:
        self.runs = list(runs)

    def __call__(self, defs: Definitions, out: Path, *, workspace: Path, interface: str) -> RunResult:
        with open_store(workspace, create=True) as backend:
            return kept(backend, self.runs.pop(0), Path(out))


@pytest.fixture
def servers() -> Iterator[tuple[Hook, Hook, Hook, Mailbox]]:
    with webhook_server() as slack, webhook_server() as teams, webhook_server() as hook, \
            smtp_server() as box:  # fmt: skip
        yield slack, teams, hook, box


def setup(tmp_path: Path, servers: tuple[Hook, Hook, Hook, Mailbox], crm_source: str = "salesforce") -> tuple[Path, dict[str, str]]:  # fmt: skip
    slack, teams, hook, box = servers
    config = tmp_path / "crossfoot.yaml"
    config.write_text(DEFINITIONS.format(crm_source=crm_source, smtp_port=box.port))
    env = {"T_SLACK": slack.url + TOKEN_PATH, "T_TEAMS": teams.url + "/webhookb2/abc",
           "T_HOOK": hook.url + "/crossfoot", "T_HOOK_SECRET": SECRET}  # fmt: skip
    return config, env


def run_cycle(config: Path, env: dict[str, str], runs: Runs, **kw: Any) -> Cycle:
    return cycle(config, config.parent / "out", env=env, runner=runs, **kw)


def test_crossed_thresholds_reach_every_channel(
    tmp_path: Path, servers: tuple[Hook, Hook, Hook, Mailbox], caplog: pytest.LogCaptureFixture
) -> None:
    slack, teams, hook, box = servers
    config, env = setup(tmp_path, servers)
    quiet = result(1, [BASE], bridge({"2026-01": "3.00"}))
    loud = result(
        2,
        [BASE, exc("X-b", "duplicate_in_erp", "800.00"), exc("X-c", "amount_mismatch", "-5.00"),
         exc("X-d", "amount_mismatch", "-9.00", customer="Beta LLC")],
        bridge({"2026-01": "250.75", "2026-02": "-99.00"}, {("2026-01", "duplicate_in_erp"): "800.00"}),
    )  # fmt: skip
    runs = Runs(quiet, loud)
    with caplog.at_level(logging.DEBUG):
        first = run_cycle(config, env, runs)
        assert first.alerts == () and first.error is None
        assert not slack.requests and not teams.requests and not hook.requests and not box.messages

        second = run_cycle(config, env, runs)
    assert second.delivery_errors == ()
    assert sorted(a.key for a in second.alerts) == [
        "cause:duplicate_in_erp", "new_exceptions", "unexplained:2026-01"
    ]  # fmt: skip

    # Slack: text fallback and blocks, with the report link
    (path, headers, body), = slack.requests
    assert path == TOKEN_PATH and headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert "Unexplained in 2026-01 is USD 250.75" in payload["text"]
    assert "previous: USD 3.00" in payload["text"]
    assert "duplicate_in_erp moves USD 800.00" in payload["text"]
    assert "3 new exceptions" in payload["text"]
    assert payload["blocks"][0]["type"] == "header"
    assert "<https://reports.example.com/acme/report.html|Open the report>" in json.dumps(payload["blocks"])
    assert "2026-02" not in payload["text"]  # |-99.00| is under the threshold

    # Teams: an Adaptive Card in a message
    (_, _, body), = teams.requests
    card = json.loads(body)
    assert card["type"] == "message"
    attachment, = card["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["content"]["type"] == "AdaptiveCard"
    assert attachment["content"]["actions"][0] == {
        "type": "Action.OpenUrl", "title": "Open the report",
        "url": "https://reports.example.com/acme/report.html",
    }  # fmt: skip

    # generic webhook: JSON signed with HMAC-SHA256 of the raw body
    (path, headers, body), = hook.requests
    expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] == expected
    data = json.loads(body)
    assert data["company"] == "Acme Robotics" and data["run_id"] == second.run_id
    assert {a["rule"] for a in data["alerts"]} == {"unexplained", "cause", "new_exceptions"}
    new = next(a for a in data["alerts"] if a["rule"] == "new_exceptions")
    assert new["lines"][1].startswith("X-b duplicate_in_erp")  # largest |impact| first

    # email
    (sender, rcpts, raw), = box.messages
    assert sender == "crossfoot@example.com"
    assert rcpts == ["controller@example.com", "ops@example.com"]
    mail: Message = email.message_from_bytes(raw)
    assert mail["Subject"] == "crossfoot: Acme Robotics: 3 alerts"
    text = mail.get_payload(decode=True).decode()  # type: ignore[union-attr]
    assert "Report: https://reports.example.com/acme/report.html" in text

    logged = caplog.text + json.dumps([r.getMessage() for r in caplog.records])
    assert SECRET not in logged and "SECRETTOKEN" not in logged


def test_an_alert_is_not_repeated_until_its_number_moves(
    tmp_path: Path, servers: tuple[Hook, Hook, Hook, Mailbox]
) -> None:
    slack = servers[0]
    config, env = setup(tmp_path, servers)
    runs = Runs(*(result(n, [BASE], bridge({"2026-01": u})) for n, u in
                  enumerate(("500.00", "500.00", "612.40"), 1)))  # fmt: skip
    assert [a.key for a in run_cycle(config, env, runs).alerts] == ["unexplained:2026-01"]
    assert run_cycle(config, env, runs).alerts == ()  # still 500.00: already said
    moved = run_cycle(config, env, runs)
    assert [a.title for a in moved.alerts] == ["Unexplained in 2026-01 is USD 612.40"]
    assert "previous: USD 500.00" in moved.alerts[0].lines[0]
    assert len(slack.requests) == 2


def test_failed_and_stale_pulls_alert_and_the_run_goes_on(
    tmp_path: Path, servers: tuple[Hook, Hook, Hook, Mailbox], caplog: pytest.LogCaptureFixture
) -> None:
    hook = servers[2]
    config, env = setup(tmp_path, servers, crm_source="api")
    calls: list[str] = []

    def failing_pull(defs: Definitions) -> None:
        calls.append(defs.crm.source)
        raise SourceError("salesforce: HTTP 401 from /services/data (token refused)")

    runs = Runs(result(1, [BASE]))
    c = run_cycle(config, env, runs, pull_hook=failing_pull)
    assert calls == ["api"]
    assert c.run_id is not None and c.pull_error is not None
    rules = sorted(a.rule for a in c.alerts)
    assert rules == ["pull_failed", "pull_stale"]  # and never a successful pull
    body = json.loads(hook.requests[-1][2])
    assert "HTTP 401" in json.dumps(body)

    # a pull that works: no pull alerts, the stale alert is not repeated
    c2 = run_cycle(config, env, Runs(result(2, [BASE])), pull_hook=lambda defs: None)
    assert c2.pulled and c2.alerts == ()


def test_delivery_failures_name_the_channel_never_the_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with webhook_server(status=500) as bad, webhook_server() as ok, webhook_server() as t, \
            smtp_server() as box:  # fmt: skip
        config, env = setup(tmp_path, (bad, t, ok, box))
        env["T_HOOK_SECRET"] = SECRET
        with caplog.at_level(logging.WARNING):
            c = run_cycle(config, env, Runs(result(1, [BASE], bridge({"2026-01": "900.00"}))))
        assert c.delivery_errors == ("slack: the webhook answered HTTP 500",)
        assert "SECRETTOKEN" not in caplog.text and SECRET not in caplog.text
        assert "slack: the webhook answered HTTP 500" in caplog.text
        # a channel whose variable is missing fails alone, named, without stopping the others
        del env["T_TEAMS"]
        c2 = run_cycle(config, env, Runs(result(2, [BASE], bridge({"2026-01": "901.00"}))))
        assert "teams: environment variable T_TEAMS is not set" in c2.delivery_errors


def test_watch_cycles_on_its_interval(tmp_path: Path, servers: tuple[Hook, Hook, Hook, Mailbox]) -> None:
    config, env = setup(tmp_path, servers)
    slept: list[float] = []
    runs = Runs(result(1, [BASE]), result(2, [BASE]), result(3, [BASE]))
    cycles = list(watch(config, tmp_path / "out", every=parse_every("1h"), env=env, runner=runs,
                        iterations=3, sleep=slept.append))  # fmt: skip
    assert len(cycles) == 3 and len(slept) == 2
    assert all(3500 < s <= 3600 for s in slept)
    assert len({c.run_id for c in cycles}) == 3
    assert "no alerts" in cycles[0].summary()


def test_every_parses_durations() -> None:
    assert parse_every("90s").total_seconds() == 90
    assert parse_every("1h30m").total_seconds() == 5400
    assert parse_every("1d").total_seconds() == 86400
    for bad in ("", "1x", "h", "0m", "1h 3"):
        with pytest.raises(ConfigError, match="--every"):
            parse_every(bad)


def test_alert_definitions_are_validated(tmp_path: Path) -> None:
    config = tmp_path / "crossfoot.yaml"
    config.write_text(
        "crm: {system: salesforce, source: s}\nerp: {system: netsuite, source: n}\n"
        "stages: {Won: won}\nalerts:\n  thresholds:\n    cause_above: {nonsense: 5}\n"
        "  channels:\n    - {kind: slack, url_env: https://hooks.slack.com/x}\n"
    )
    with pytest.raises(ConfigError) as err:
        load_definitions(config)
    text = str(err.value)
    assert "'nonsense' is not a cause code" in text
    assert "is not an environment variable name" in text
    assert "crossfoot.yaml:6" in text
