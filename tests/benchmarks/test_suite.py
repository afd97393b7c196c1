"""The benchmark suite's helpers on a tiny company (benchmarks/, issue #6).

The comparisons against datacompy and splink need the ``bench`` extra
(``pip install -e '.[bench]'``); without it those tests skip and say so.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from crossfoot.demo import generate

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
sys.path.insert(0, str(BENCHMARKS))

import compare_accounts  # noqa: E402
import suite  # noqa: E402
from stages import prepared  # noqa: E402

TINY = 200


def _missing(module: str) -> bool:
    return importlib.util.find_spec(module) is None


needs_datacompy = pytest.mark.skipif(
    _missing("datacompy") or _missing("polars"),
    reason="datacompy is not installed (pip install -e '.[bench]')",
)
needs_splink = pytest.mark.skipif(
    _missing("splink"), reason="splink is not installed (pip install -e '.[bench]')"
)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bench") / f"deals_{TINY}"
    generate(folder, seed=7, n_deals=TINY, erp_format="csv")
    return folder


def test_growth_exponent_is_the_log_log_slope() -> None:
    deals = [10_000, 100_000, 1_000_000]
    assert suite.growth_exponent(deals, [2.0, 20.0, 200.0]) == pytest.approx(1.0)
    assert suite.growth_exponent(deals, [1.0, 100.0, 10_000.0]) == pytest.approx(2.0)
    # a least-squares fit over every size, not the ratio of the two ends
    sizes, seconds = [10_000, 30_000, 100_000, 1_000_000], [1.3, 2.9, 11.0, 160.0]
    slope = np.polyfit(np.log(sizes), np.log(seconds), 1)[0]
    assert suite.growth_exponent(sizes, seconds) == pytest.approx(slope)
    assert slope != pytest.approx(math.log(160 / 1.3) / math.log(100))
    with pytest.raises(ValueError, match="two sizes"):
        suite.growth_exponent([10_000], [1.0])


def test_crossfoot_matches_the_generators_accounts_without_ids(tiny: Path) -> None:
    row_backend, defs = prepared(tiny, "match accounts")
    try:
        truth = compare_accounts.truth_pairs(tiny, row_backend)
        compare_accounts.blank_ids(row_backend)
        compare_accounts.crossfoot_matching(row_backend, defs)
        found = compare_accounts.crossfoot_results(row_backend)
    finally:
        row_backend.close()
    # one customer per account, and one more for each duplicate_customer label
    assert len(truth) == round(TINY / 3) + 5
    clusters = compare_accounts.accuracy(found["clusters"], truth)
    assert clusters.f1 == 1.0
    assert compare_accounts.accuracy(found["links"], truth).precision == 1.0


@needs_datacompy
# datacompy 1.1's own join call, on Polars 1.24+
@pytest.mark.filterwarnings("ignore:the argument `join_nulls`:DeprecationWarning")
def test_record_comparison_finds_the_same_mismatches_on_both_sides(tiny: Path) -> None:
    import compare_records

    result = compare_records.measure_records(tiny, repeats=1)
    ours = result["crossfoot"]["mismatches"]
    # every injected field difference is there, so agreeing is not agreeing on zeros
    assert all(ours[k] > 0 for k in ("amount", "period", "product_lines", "delivered"))
    for other in ("engine_flat", "datacompy_polars", "datacompy_pandas"):
        assert result[other]["mismatches"] == ours, other
    assert result["agree"]


@needs_splink
@pytest.mark.slow
def test_splink_harness_links_the_tiny_company(tiny: Path) -> None:
    result = compare_accounts.measure_accounts(tiny, "names", repeats=1)
    assert result["truth"] == round(TINY / 3) + 5
    assert result["splink"]["links"].f1 > 0.95
    assert result["crossfoot"]["clusters"].f1 == 1.0
    assert result["splink"]["train_s"] > 0
