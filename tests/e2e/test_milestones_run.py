"""A milestones rule end to end: event dates read from a Salesforce export field,
the recognized share on its date, the rest listed as pending."""

from __future__ import annotations

import csv
import io
import json
import shutil
from decimal import Decimal
from pathlib import Path

from crossfoot.api import run

ACME = Path(__file__).parents[1] / "fixtures" / "acme"


def test_hardware_by_milestones_on_the_acme_fixture(tmp_path: Path) -> None:
    folder = tmp_path / "acme"
    shutil.copytree(ACME, folder)
    opp = folder / "salesforce" / "Opportunity.csv"
    rows = list(csv.reader(io.StringIO(opp.read_text(encoding="utf-8"), newline="")))
    rows[0].append("ACCEPTANCE__C")
    for r in rows[1:]:
        r.append("")
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    opp.write_text(buffer.getvalue(), encoding="utf-8")
    defs = folder / "crossfoot.yaml"
    text = defs.read_text(encoding="utf-8")
    text = text.replace(
        "    event.go_live: Opportunity.Go_Live__c\n",
        "    event.go_live: Opportunity.Go_Live__c\n    event.acceptance: Opportunity.Acceptance__c\n",
    ).replace(
        "  Hardware: {rule: point_in_time, at: delivery}\n",
        "  Hardware:\n    rule: milestones\n    milestones:\n"
        "      - {event: go_live, percent: 40}\n      - {event: acceptance, percent: 60}\n",
    )
    defs.write_text(text, encoding="utf-8")

    result = run(defs, folder / "out")

    # the won deal's 20,000.00 of robot arms: 40% on go-live (2026-04-15), 60% still waiting
    assert result.milestones_pending is not None
    (pending,) = result.milestones_pending.to_pylist()
    assert (pending["deal_id"], pending["product_line"], pending["event"]) == (
        "006000000000001AAA", "Hardware", "acceptance"
    )  # fmt: skip
    assert pending["amount"] == Decimal("12000.00")
    summary = json.loads((folder / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["milestones_pending"] == {"lines": 1, "amount": "12000.00"}
    expected = {
        r["period"]: r["amount"]
        for r in result.bridge_by_product_line.to_pylist()
        if r["product_line"] == "Hardware" and r["step"] == "expected_revenue"
    }
    assert expected.get("2026-04") == Decimal("8000.00")
    assert all(v == 0 for p, v in expected.items() if p != "2026-04")
    listed = (folder / "out" / "milestones_pending.csv").read_text(encoding="utf-8")
    assert "006000000000001AAA" in listed and "acceptance" in listed
