"""Whatever bytes a file holds, a read either loads (rows conserved) or stops with an
InputError naming the file — never another exception, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crossfoot.config import load_definitions
from crossfoot.engine.backend import DuckDBBackend
from crossfoot.errors import InputError
from crossfoot.sources import load_sources

ACME = Path(__file__).parents[2] / "fixtures" / "acme"

# bytes that make CSV parsers stumble, mixed with plain text
csvish = st.lists(
    st.sampled_from(
        [
            b"a",
            b"1",
            b",",
            b";",
            b'"',
            b"\r",
            b"\n",
            b"\t",
            b" ",
            b"\xff",
            b"\x00",
            b"\x0b",
            b"Id",
            b"Name",
        ]
    ),
    max_size=300,
).map(b"".join)


@pytest.mark.parametrize("target", ["salesforce/Product2.csv", "netsuite/customer.csv"])
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(content=st.one_of(csvish, st.binary(max_size=300)))
def test_any_bytes_load_or_stop_with_a_clear_error(
    tmp_path: Path, target: str, content: bytes
) -> None:
    folder = tmp_path / "company"
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(ACME, folder)
    (folder / target).write_bytes(content)
    backend = DuckDBBackend()
    try:
        inputs = load_sources(load_definitions(folder / "crossfoot.yaml"), backend)
    except InputError as exc:
        assert Path(target).name in str(exc)
    else:
        assert all(f.conserved for f in inputs)
    finally:
        backend.close()


def test_a_mapped_field_absent_from_every_json_record_is_empty_not_missing(tmp_path: Path) -> None:
    # SuiteQL leaves empty values out of its pages: no record carrying the field means all empty
    import json

    folder = tmp_path / "company"
    shutil.copytree(ACME, folder)
    for page in sorted((folder / "netsuite").glob("transaction.*.json")):
        data = json.loads(page.read_text())
        for item in data["items"]:
            item.pop("custbody_sf_opportunity_id", None)
        page.write_text(json.dumps(data))
    backend = DuckDBBackend()
    try:
        load_sources(load_definitions(folder / "crossfoot.yaml"), backend)
        refs = backend.to_arrow(backend.table("document").select("crm_deal_ref"))
        assert refs.num_rows > 0
        assert refs.column(0).null_count == refs.num_rows
    finally:
        backend.close()
