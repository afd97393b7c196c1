"""erp.revenue / erp.gl / erp.local_currency and the field-path syntax of erp.fields."""

from __future__ import annotations

from pathlib import Path

import pytest

from crossfoot.config import load_definitions
from crossfoot.errors import ConfigError

BASE = """\
crm: {system: salesforce, source: sf}
stages: {Closed Won: won}
erp:
"""


def defs(tmp_path: Path, erp: str):
    path = tmp_path / "crossfoot.yaml"
    path.write_text(BASE + erp, encoding="utf-8")
    return load_definitions(path)


def test_defaults_and_paths_with_spaces(tmp_path: Path) -> None:
    d = defs(
        tmp_path, "  system: xero\n  source: x\n  fields: {product_line: Tracking.Product Line}\n"
    )
    assert (d.erp.revenue, d.erp.local_currency, d.erp.gl) == (None, None, None)
    assert d.erp.fields["product_line"] == "Tracking.Product Line"
    d = defs(
        tmp_path,
        "  system: quickbooks\n  source: q\n  revenue: gl\n  gl: gl.csv\n"
        "  local_currency: CAD\n  fields: {product_line: Line.ClassRef.value}\n",
    )
    assert (d.erp.revenue, d.erp.gl, d.erp.local_currency) == ("gl", "gl.csv", "CAD")
    # without gl: the ledger's own GL export in the source folder
    d = defs(tmp_path, "  system: xero\n  source: x\n  revenue: gl\n")
    assert (d.erp.revenue, d.erp.gl) == ("gl", None)


@pytest.mark.parametrize(
    ("erp", "message"),
    [
        (
            "  system: quickbooks\n  source: q\n  revenue: erp\n",
            "quickbooks has no revenue schedules; use invoice_lines",
        ),
        (
            "  system: netsuite\n  source: n\n  revenue: invoice_lines\n",
            "revenue: invoice_lines is not supported for netsuite",
        ),
        ("  system: xero\n  source: x\n  gl: gl.csv\n", "gl: is only read with revenue: gl"),
        (
            "  system: business_central\n  source: b\n  local_currency: euro\n",
            "'euro' is not a three-letter ISO 4217 currency code",
        ),
        ("  system: sap\n  source: s\n", "erp.system"),
        (
            "  system: xero\n  source: x\n  fields: {product_line: Tracking.}\n",
            "must be Object.Field",
        ),
    ],
)
def test_invalid_erp_settings_name_the_key(tmp_path: Path, erp: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"crossfoot\.yaml:[0-9]+ erp") as err:
        defs(tmp_path, erp)
    assert message in str(err.value)
