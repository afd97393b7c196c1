"""Deliver an alert message: Slack or Teams incoming webhooks, a signed webhook, or SMTP.

Payloads follow each vendor's documented format:

- Slack incoming webhook: POST JSON ``{"text": ..., "blocks": [...]}``; ``text``
  is the notification fallback (https://api.slack.com/messaging/webhooks,
  https://api.slack.com/reference/block-kit/blocks).
- Teams incoming webhook / Workflows: POST JSON ``{"type": "message",
  "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
  "content": {AdaptiveCard}}]}`` (https://learn.microsoft.com/en-us/microsoftteams/
  platform/webhooks-and-connectors/how-to/connectors-using#send-adaptive-cards-using-an-incoming-webhook).
- Generic webhook: POST the message as JSON with
  ``X-Crossfoot-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`` under
  the shared secret (the same scheme as GitHub's ``X-Hub-Signature-256``).
- Email: ``smtplib`` with optional STARTTLS and login.

Webhook URLs and secrets come from environment variables and appear in no
message, error or log line: a failure names the channel kind and the status.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import ssl
import urllib.error
import urllib.request
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

from crossfoot.ops.alert_config import Channel, Email, Slack, Teams, Webhook
from crossfoot.ops.alerts import AlertMessage

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Crossfoot-Signature-256"
HTTP_TIMEOUT = 15


class DeliveryError(Exception):
    """A channel refused or could not be reached; the message holds no secret."""


def slack_payload(msg: AlertMessage) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": msg.subject[:150]}},
    ]
    for a in msg.alerts:
        body = "\n".join([f"*{a.title}*", *a.lines])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": body[:3000]}})
    if msg.report_url:
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"<{msg.report_url}|Open the report>"},
            }
        )
    return {"text": msg.text(), "blocks": blocks}


def teams_payload(msg: AlertMessage) -> dict[str, Any]:
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": msg.subject,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    for a in msg.alerts:
        body.append({"type": "TextBlock", "text": a.title, "weight": "Bolder", "wrap": True})
        body += [
            {"type": "TextBlock", "text": line, "wrap": True, "spacing": "None"} for line in a.lines
        ]
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if msg.report_url:
        card["actions"] = [
            {"type": "Action.OpenUrl", "title": "Open the report", "url": msg.report_url}
        ]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def sign(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def send(channel: Channel, msg: AlertMessage, env: Mapping[str, str]) -> None:
    """Deliver ``msg`` on ``channel``; DeliveryError (without secrets) when it fails."""
    if isinstance(channel, Email):
        _send_email(channel, msg, env)
        return
    url = _env(env, channel.url_env, channel.kind)
    headers = {"Content-Type": "application/json"}
    if isinstance(channel, Slack):
        payload = slack_payload(msg)
    elif isinstance(channel, Teams):
        payload = teams_payload(msg)
    else:
        assert isinstance(channel, Webhook)
        payload = msg.as_json()
    body = json.dumps(payload, sort_keys=True).encode()
    if isinstance(channel, Webhook) and channel.secret_env:
        headers[SIGNATURE_HEADER] = sign(body, _env(env, channel.secret_env, channel.kind))
    _post(url, body, headers, channel.kind)


def _env(env: Mapping[str, str], name: str, kind: str) -> str:
    value = env.get(name)
    if not value:
        raise DeliveryError(f"{kind}: environment variable {name} is not set")
    return value


def _post(url: str, body: bytes, headers: dict[str, str], kind: str) -> None:
    if not url.startswith(("https://", "http://")):
        raise DeliveryError(f"{kind}: the webhook URL must be http(s)")
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"{kind}: the webhook answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"{kind}: cannot reach the webhook ({type(reason).__name__})") from None
    if not 200 <= status < 300:
        raise DeliveryError(f"{kind}: the webhook answered HTTP {status}")


def _send_email(channel: Email, msg: AlertMessage, env: Mapping[str, str]) -> None:
    mail = EmailMessage()
    mail["Subject"] = msg.subject
    mail["From"] = channel.sender
    mail["To"] = ", ".join(channel.to)
    mail.set_content(msg.text())
    try:
        with smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout_seconds) as smtp:
            if channel.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if channel.user_env:
                smtp.login(
                    _env(env, channel.user_env, "email"),
                    _env(env, channel.password_env or "", "email") if channel.password_env else "",
                )
            smtp.send_message(mail)
    except smtplib.SMTPException as exc:
        raise DeliveryError(f"email: the SMTP server refused ({type(exc).__name__})") from None
    except OSError as exc:
        raise DeliveryError(
            f"email: cannot reach {channel.host}:{channel.port} ({type(exc).__name__})"
        ) from None
