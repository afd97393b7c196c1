"""The commit protocol, exact JSON numbers, Retry-After, and the api settings of crossfoot.yaml."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest

from crossfoot.config import load_definitions
from crossfoot.errors import ConfigError
from crossfoot.pull.framework import PulledFolder, dump_exact, load_exact, pull_object
from crossfoot.pull.http import retry_after
from crossfoot.pull.netsuite import SuiteQLPages


def _page(items: list[dict[str, str]], offset: int, total: int, more: bool) -> bytes:
    doc = {
        "links": [],
        "count": len(items),
        "hasMore": more,
        "items": items,
        "offset": offset,
        "totalResults": total,
    }
    return json.dumps(doc).encode()


def _pages(n: int) -> Iterator[bytes]:
    rows = [{"id": str(i), "lastmodified_at": f"2026-01-0{i}"} for i in range(1, n + 1)]
    for o in range(0, n, 2):
        yield _page(rows[o : o + 2], o, n, o + 2 < n)


def test_interrupted_commit_is_rolled_forward(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = PulledFolder(tmp_path, "netsuite")
    fmt = SuiteQLPages(2)
    pull_object(
        folder, fmt, "customer", _pages(3), since=None, cursor_of=lambda r: r.get("lastmodified_at")
    )
    original = PulledFolder._save_state

    def crash(self: PulledFolder, obj: str, entry: dict[str, object]) -> None:
        raise KeyboardInterrupt  # the process dies after the pages moved, before the cursor

    monkeypatch.setattr(PulledFolder, "_save_state", crash)
    with pytest.raises(KeyboardInterrupt):
        pull_object(
            folder,
            fmt,
            "customer",
            _pages(5),
            since=None,
            cursor_of=lambda r: r.get("lastmodified_at"),
        )
    assert folder.cursor("customer") == "2026-01-03"  # not saved yet
    monkeypatch.setattr(PulledFolder, "_save_state", original)
    assert folder.recover() == ["customer"]
    assert folder.cursor("customer") == "2026-01-05"
    pages = folder.committed_pages("customer")
    assert [p.name for p in pages] == ["customer.1.json", "customer.2.json", "customer.3.json"]
    assert not (tmp_path / ".incoming" / "customer").exists()


def test_pages_without_commit_are_discarded(tmp_path: Path) -> None:
    folder = PulledFolder(tmp_path, "netsuite")
    fmt = SuiteQLPages(2)
    pull_object(folder, fmt, "customer", _pages(2), since=None, cursor_of=lambda r: None)

    def broken() -> Iterator[bytes]:
        yield from _pages(4)
        raise ConnectionError("gone")

    with pytest.raises(ConnectionError):
        pull_object(folder, fmt, "customer", broken(), since=None, cursor_of=lambda r: None)
    assert folder.recover() == []
    assert len(folder.committed_pages("customer")) == 1  # the earlier pull is intact


def test_a_page_that_is_not_json_is_never_committed(tmp_path: Path) -> None:
    from crossfoot.errors import SourceError

    folder = PulledFolder(tmp_path, "netsuite")
    with pytest.raises(SourceError, match="page 1 is not a result page"):
        pull_object(folder, SuiteQLPages(2), "item", iter([b"<html>proxy error</html>"]), since=None,
                    cursor_of=lambda r: None)  # fmt: skip
    assert folder.committed_pages("item") == []


def test_exact_numbers_survive_a_merge() -> None:
    text = b'{"records":[{"Amount":1234.50,"Qty":3,"Big":12345678901234567890.123456789}]}'
    assert (
        dump_exact(load_exact(text))
        == b'{"records":[{"Amount":1234.50,"Qty":3,"Big":12345678901234567890.123456789}]}'
    )


def test_retry_after_seconds_and_http_date() -> None:
    assert retry_after("7") == 7
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (retry_after(later) or 0) <= 30
    assert retry_after(None) is None and retry_after("soon") is None


BASE = "erp: {system: netsuite, source: erp}\nstages: {Won: won}\ncrm:\n  system: salesforce\n  source: api\n  api:\n"


@pytest.mark.parametrize(
    ("api", "message"),
    [
        (
            "    instance_url: https://acme.my.salesforce.com\n    access_token: abc\n",
            "'access_token' is not an API setting",
        ),
        ("    instance_url: 00Dxx0000001gPL!AQ4AQFakeAccessToken123456\n", "looks like a secret"),
        ("    access_token_env: not a name\n", "is not an environment variable name"),
    ],
)
def test_secrets_are_refused_in_the_definitions(tmp_path: Path, api: str, message: str) -> None:
    config = tmp_path / "crossfoot.yaml"
    config.write_text(BASE + api)
    with pytest.raises(ConfigError, match=message) as info:
        load_definitions(config)
    assert "crossfoot.yaml:" in str(info.value)


def test_ids_and_urls_are_settings(tmp_path: Path) -> None:
    config = tmp_path / "crossfoot.yaml"
    config.write_text(
        BASE
        + "    instance_url: https://acme.my.salesforce.com\n    tenant_id: 72f988bf-86f1-41af-91ab-2d7cd011db47\n    page_size: 500\n"
    )
    defs = load_definitions(config)
    assert defs.crm.api["page_size"] == "500"
    assert defs.pulled("salesforce") == tmp_path / ".crossfoot" / "pulled" / "salesforce"
