"""The benchmark suite of issue #6, one command, a Markdown report.

    pip install -e '.[bench]'
    python benchmarks/suite.py                                # the issue's sizes
    python benchmarks/suite.py --deals 10000 --deals 100000   # end to end without 1M
    python benchmarks/suite.py --skip-end-to-end              # the two comparisons only

Measures, on the demo company (generated once per size into ``--workdir``):
1. end to end: `crossfoot run` against DuckDB reading the same files
   (``run.py``) at ``--deals`` (default 10k, 100k and 1M deals; 1M takes
   several minutes and a few GB of memory — leave it out with ``--deals``);
2. the record comparison against datacompy (``compare_records.py``) and
3. account matching against splink (``compare_accounts.py``), both at
   ``--compare-deals`` (default 10k and 100k);
4. the growth exponent: the least-squares slope of log(time) over log(deals),
   for the whole run and for each compared stage.

The report goes to stdout and to ``--out`` (default ``_data/results.md``), the
raw numbers to the same name with ``.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import platform
import sys
from collections.abc import Sequence
from dataclasses import asdict, is_dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from run import HERE, company, end_to_end

END_TO_END_DEALS = (10_000, 100_000, 1_000_000)
COMPARE_DEALS = (10_000, 100_000)
#: the targets of issue #6
TARGET_RECORDS_SPEEDUP = 10.0
TARGET_EXPONENT = 1.15


def growth_exponent(deals: Sequence[float], seconds: Sequence[float]) -> float:
    """The least-squares slope of log(seconds) over log(deals): 1.0 is linear growth."""
    if len(deals) != len(seconds) or len(set(deals)) < 2:
        raise ValueError("the exponent needs times at two sizes or more")
    xs = [math.log(d) for d in deals]
    ys = [math.log(s) for s in seconds]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    num = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    den = sum((x - mx) ** 2 for x in xs)
    return num / den


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    if hasattr(os, "sysconf") and "SC_PHYS_PAGES" in os.sysconf_names:
        mem = f", {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GiB"
    versions = []
    for pkg in ("duckdb", "ibis-framework", "datacompy", "polars", "pandas", "splink"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            versions.append(f"{pkg} {metadata.version(pkg)}")
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}; " + ", ".join(versions)
    )


def _s(x: float) -> str:
    return f"{x:.2f}" if x < 10 else f"{x:.1f}"


def _x(ratio: float) -> str:
    return f"{ratio:.1f}×" if ratio >= 1 else f"1/{1 / ratio:.1f}×"


def end_to_end_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| deals | DuckDB read (s) | crossfoot run (s) | ratio | run peak memory (MiB) |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['deals']:,} | {r['baseline_s']} | {r['run_s']} | {r['ratio']} | "
            f"{r['run_peak_mib']:,} |"
        )
    return out


def records_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| deals | pairs | crossfoot deal facts (s) | datacompy Polars (s) | datacompy pandas (s) "
        "| speed-up vs fastest datacompy | engine on the flat sides (s) | same mismatches |",
        "|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        cf, pl, pd = r["crossfoot"], r["datacompy_polars"], r["datacompy_pandas"]
        fastest = min(pl["warm_s"], pd["warm_s"])
        out.append(
            f"| {r['deals']:,} | {r['pairs']:,} | {_cw(cf)} | {_cw(pl)} | {_cw(pd)} "
            f"| {_x(fastest / cf['warm_s'])} | {_cw(r['engine_flat'])} "
            f"| {'yes' if r['agree'] else 'NO'} |"
        )
    if rows:
        fields = [k for k in rows[-1]["crossfoot"]["mismatches"] if k != "pairs"]
        counts = ", ".join(f"{k} {rows[-1]['crossfoot']['mismatches'][k]:,}" for k in fields)
        out += [
            "",
            "Times are cold / warm (first call in the process / median of the next ones).",
            f"Mismatching pairs per field at {rows[-1]['deals']:,} deals: {counts}.",
        ]
    return out


def _cw(t: dict[str, Any]) -> str:
    return f"{_s(t['cold_s'])} / {_s(t['warm_s'])}"


def _acc(a: dict[str, Any]) -> str:
    return f"{a['precision']:.4f} / {a['recall']:.4f} / {a['f1']:.4f}"


def accounts_table(rows: list[dict[str, Any]]) -> list[str]:
    out = [
        "| deals | ids | accounts × customers | crossfoot stage, warm (s) "
        "| splink prep + train (s) | splink predict + cluster, warm (s) "
        "| speed-up vs trained splink | speed-up vs splink incl. training "
        "| links P / R / F1: crossfoot | splink | clusters F1: crossfoot | splink |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|",
    ]
    for r in rows:
        cf, sp = r["crossfoot"], r["splink"]
        use = sp["prep_s"] + sp["use_warm_s"]
        full = sp["prep_s"] + sp["train_s"] + sp["use_cold_s"]
        out.append(
            f"| {r['deals']:,} | {'as exported' if r['scenario'] == 'ids' else 'blanked'} "
            f"| {r['accounts']:,} × {r['customers']:,} | {_s(cf['warm_s'])} "
            f"| {_s(sp['prep_s'])} + {_s(sp['train_s'])} | {_s(sp['use_warm_s'])} "
            f"| {_x(use / cf['warm_s'])} | {_x(full / cf['warm_s'])} "
            f"| {_acc(cf['links'])} | {_acc(sp['links'])} "
            f"| {cf['clusters']['f1']:.4f} | {sp['clusters']['f1']:.4f} |"
        )
    return out


def growth_lines(results: dict[str, Any]) -> list[str]:
    series = {
        "crossfoot run (end to end)": [(r["deals"], r["run_s"]) for r in results["end_to_end"]],
        "record comparison (deal facts, warm)": [
            (r["deals"], r["crossfoot"]["warm_s"]) for r in results["records"]
        ],
        "account matching (names only, warm)": [
            (r["deals"], r["crossfoot"]["warm_s"])
            for r in results["accounts"]
            if r["scenario"] == "names"
        ],
    }
    out = ["| what | sizes (deals) | exponent |", "|---|---|---:|"]
    for what, points in series.items():
        if len({d for d, _ in points}) < 2:
            continue
        k = growth_exponent([d for d, _ in points], [s for _, s in points])
        sizes = ", ".join(f"{d:,}" for d, _ in points)
        note = " (target ≤ 1.15)" if what.startswith("crossfoot run") else ""
        out.append(f"| {what}{note} | {sizes} | {k:.2f} |")
    return out


def report(results: dict[str, Any]) -> str:
    lines = [f"Machine: {results['machine']}", ""]
    if results["end_to_end"]:
        lines += ["### End to end", "", *end_to_end_table(results["end_to_end"]), ""]
    if results["records"]:
        lines += ["### Record comparison vs datacompy", "", *records_table(results["records"]), ""]
    if results["accounts"]:
        lines += ["### Account matching vs splink", "", *accounts_table(results["accounts"]), ""]
    lines += ["### Growth", "", *growth_lines(results), ""]
    return "\n".join(lines)


def _plain(value: Any) -> Any:
    """JSON-ready: dataclasses (accuracy) as their fields and properties."""
    if is_dataclass(value) and not isinstance(value, type):
        d = asdict(value)
        return d | {k: getattr(value, k) for k in ("precision", "recall", "f1")}
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deals", type=int, action="append", help="end-to-end sizes (repeatable)")
    parser.add_argument(
        "--compare-deals", type=int, action="append", help="sizes of the two comparisons"
    )
    parser.add_argument("--skip-end-to-end", action="store_true")
    parser.add_argument("--skip-comparisons", action="store_true")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each step")
    parser.add_argument("--workdir", type=Path, default=HERE / "_data")
    parser.add_argument("--out", type=Path, default=HERE / "_data" / "results.md")
    args = parser.parse_args(argv)

    results: dict[str, Any] = {
        "machine": machine(),
        "end_to_end": [],
        "records": [],
        "accounts": [],
    }
    if not args.skip_end_to_end:
        for n in args.deals or END_TO_END_DEALS:
            results["end_to_end"].append(end_to_end(n, company(args.workdir, n)))
            print(f"end to end at {n:,} deals: {results['end_to_end'][-1]}", file=sys.stderr)
    if not args.skip_comparisons:
        from compare_accounts import SCENARIOS, measure_accounts
        from compare_records import measure_records

        for n in args.compare_deals or COMPARE_DEALS:
            folder = company(args.workdir, n)
            results["records"].append({"deals": n} | measure_records(folder, args.repeats))
            for scenario in SCENARIOS:
                row = measure_accounts(folder, scenario, args.repeats)
                results["accounts"].append({"deals": n} | _plain(row))
            print(f"comparisons at {n:,} deals done", file=sys.stderr)
    text = report(results)
    print(text)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text + "\n", encoding="utf-8")
    args.out.with_suffix(".json").write_text(json.dumps(_plain(results), indent=2) + "\n")
    return results


if __name__ == "__main__":
    main()
