"""Calling a vendor API safely: bounded retries, rate limits, and no secret in any message.

Every API call of a connector goes through :func:`retrying`. The connector
says what went wrong (:class:`Failure`); this module decides whether to wait
and try again: rate limits (HTTP 429, NetSuite's concurrency errors) wait for
``Retry-After`` when the vendor sends it, server errors (5xx), timeouts and
broken connections back off exponentially (``base * 2**attempt``, capped).
After ``attempts`` tries the pull stops with a :class:`~crossfoot.errors.SourceError`
(exit 3) naming the system and the call. Authentication failures and other
client errors are not retried.
"""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, TypeVar

from crossfoot.errors import AuthError, RateLimited, SourceError

T = TypeVar("T")
Kind = Literal["rate_limit", "server", "timeout", "network", "auth", "fatal"]
RETRYABLE: frozenset[Kind] = frozenset({"rate_limit", "server", "timeout", "network"})


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 6  # tries per call, the first included
    base: float = 1.0  # seconds before the first retry; doubles each time
    cap: float = 60.0  # longest wait between two tries (a Retry-After beyond it is capped)
    timeout: float = 60.0  # seconds for one HTTP request


@dataclass(frozen=True)
class Failure:
    """What went wrong with one try: ``detail`` is shown to the user (no secrets)."""

    kind: Kind
    detail: str
    retry_after: float | None = None


def retry_after(value: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date (RFC 9110)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value replaced, whatever a library put in a message."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def retrying(
    call: Callable[[], T],
    *,
    system: str,
    what: str,
    classify: Callable[[BaseException], Failure | None],
    policy: RetryPolicy,
    secrets: Iterable[str] = (),
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Run ``call`` until it succeeds or the policy gives up; raise a SourceError then.

    ``classify`` turns an exception of the client library into a :class:`Failure`
    (None: not an API failure, a bug; it propagates unchanged).
    """
    secrets = tuple(secrets)
    for attempt in range(1, policy.attempts + 1):
        try:
            return call()
        except Exception as exc:
            failure = classify(exc)
            if failure is None:
                raise
            detail = redact(failure.detail, secrets)
            where = f"{system} {what}"
            if failure.kind == "auth":
                raise AuthError(
                    f"credentials refused ({detail}): check the environment variables "
                    f"named in the definitions (docs/systems/{system}.md)",
                    location=where,
                ) from None
            if failure.kind not in RETRYABLE:
                raise SourceError(detail, location=where) from None
            if attempt == policy.attempts:
                cls = RateLimited if failure.kind == "rate_limit" else SourceError
                raise cls(
                    f"{detail}; gave up after {attempt} tries (pull again later: "
                    "pages already stored are kept)",
                    location=where,
                ) from None
            wait = policy.base * 2 ** (attempt - 1)
            if failure.kind == "rate_limit" and failure.retry_after is not None:
                wait = failure.retry_after
            sleep(min(wait, policy.cap))
    raise AssertionError("unreachable")  # pragma: no cover
