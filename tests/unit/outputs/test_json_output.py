"""summary.json: money as strings, the bridge equal to bridge.csv, a fixed key order."""

from __future__ import annotations

import csv
import json
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from crossfoot.causes import CAUSE_CODES
from crossfoot.diagnostic.findings import RunResult

MONEY_TEXT = re.compile(r"^-?\d+\.\d{2}$")


def load(written: dict[str, Path]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        written["summary.json"].read_text(encoding="utf-8"), parse_float=_no_floats
    )
    return data


def _no_floats(text: str) -> Decimal:
    raise AssertionError(f"summary.json holds a JSON float: {text}")


def test_top_level_keys_in_order(written: dict[str, Path]) -> None:
    assert list(load(written)) == [
        "schema_version", "tool", "company", "currency", "period_kind", "periods",
        "definitions_hash", "crm_system", "erp_system", "started_at", "finished_at",
        "inputs", "totals_by_period", "causes", "exceptions", "rejects", "bridge",
        "definition_drift", "milestones_pending", "notes",
    ]  # fmt: skip


def test_metadata(written: dict[str, Path], result: RunResult) -> None:
    data = load(written)
    assert data["tool"] == {"name": "crossfoot", "version": "0.1.0"}
    assert data["definitions_hash"] == result.definitions_hash
    assert (data["crm_system"], data["erp_system"]) == ("salesforce", "netsuite")
    assert data["started_at"] == "2024-04-02T06:30:00Z"
    assert data["finished_at"] == "2024-04-02T06:31:05Z"
    assert data["periods"] == ["2024-01", "2024-02", "2024-03"]
    assert data["exceptions"] == 11
    assert data["rejects"] == 3


def test_inputs_with_counts_hash_and_conservation(written: dict[str, Path]) -> None:
    first = load(written)["inputs"][0]
    assert first == {
        "system": "salesforce",
        "table": "Opportunity",
        "path": "in/opportunities.csv",
        "sha256": "a" * 64,
        "rows_read": 120,
        "rows_loaded": 119,
        "rows_rejected": 1,
        "conserved": True,
    }


def test_every_money_value_is_a_two_decimal_string(written: dict[str, Path]) -> None:
    data = load(written)
    amounts = [b["amount"] for b in data["bridge"]]
    for cause in data["causes"]:
        amounts += [cause["impact"], cause["abs_effects"]]
    for totals in data["totals_by_period"]:
        amounts += [totals[k] for k in ("crm_bookings", "expected_revenue", "erp_revenue")]
    assert all(isinstance(a, str) and MONEY_TEXT.match(a) for a in amounts), amounts


def test_bridge_equals_bridge_csv(written: dict[str, Path]) -> None:
    with written["bridge.csv"].open(encoding="utf-8", newline="") as fh:
        from_csv = list(csv.DictReader(fh))
    assert load(written)["bridge"] == from_csv


def test_totals_per_period(written: dict[str, Path]) -> None:
    march = load(written)["totals_by_period"][-1]
    assert march == {
        "period": "2024-03",
        "crm_bookings": "1234567.89",
        "expected_revenue": "330000.00",
        "erp_revenue": "333010.09",
        "foots": True,
    }


def test_totals_per_cause(written: dict[str, Path]) -> None:
    causes = {c["cause"]: c for c in load(written)["causes"]}
    assert list(causes) == list(CAUSE_CODES)
    assert causes["missing_in_erp"]["exceptions"] == 3
    assert causes["missing_in_erp"]["impact"] == "-13000.00"
    assert causes["amount_mismatch"]["impact"] == "-249.90"
    assert causes["amount_mismatch"]["abs_effects"] == "250.10"
    # a timing gap nets to zero over its life but moves money between periods
    assert causes["sync_timing_gap"]["impact"] == "0.00"
    assert causes["sync_timing_gap"]["abs_effects"] == "6000.00"
    assert causes["duplicate_customer"]["exceptions"] == 0


def test_utf8_not_ascii_escaped(written: dict[str, Path]) -> None:
    text = written["summary.json"].read_text(encoding="utf-8")
    assert "Northwind <Demo> & Co" in text
    assert text.endswith("}\n")
