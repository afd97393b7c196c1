"""End-to-end benchmark: `crossfoot run` against DuckDB just reading the same files.

    python benchmarks/run.py                 # 100,000 deals
    python benchmarks/run.py --deals 10000 --deals 100000

For each size it generates the demo company (CSV exports), then measures in
separate processes (so peak memory is each one's own):
- baseline: DuckDB loading every input file into a table, all columns as text
  (the practical floor: any tool has to read every value once);
- crossfoot: the full `run` (load, match, schedules, causes, bridge, outputs).
It prints a Markdown table with times, peak memory and the ratio to the
baseline measured in the same run.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

BASELINE = """
import duckdb, sys, pathlib
root = pathlib.Path(sys.argv[1]) / "data"
con = duckdb.connect()
n = 0
# load every file into a table: a count(*) alone would let DuckDB skip parsing the values
for i, f in enumerate(sorted(root.rglob("*"))):
    if f.suffix == ".csv":
        con.execute(f"create table t{i} as select * from read_csv('{f}', all_varchar=true)")
    elif f.suffix == ".json":
        con.execute(f"create table t{i} as select unnest(items, recursive := true) from read_json('{f}')")
    else:
        continue
    n += con.execute(f"select count(*) from t{i}").fetchone()[0]
print(n)
"""

CROSSFOOT = """
import sys
from crossfoot.api import run
run(sys.argv[1] + "/crossfoot.yaml", sys.argv[1] + "/out", workspace=sys.argv[1] + "/bench.duckdb")
"""


PEAK = "\nimport resource\nprint('PEAK_KIB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"


def measure(code: str, folder: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process, which reports its own peak."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code + PEAK, str(folder)], check=True, capture_output=True, text=True
    )
    elapsed = time.perf_counter() - start
    peak_kib = int(done.stdout.split("PEAK_KIB")[-1])
    return elapsed, peak_kib / 1024


def company(workdir: Path, n: int) -> Path:
    """The demo company at ``n`` deals (CSV exports), generated once per work folder."""
    from crossfoot.demo import generate

    folder = workdir / f"deals_{n}"
    if not (folder / "crossfoot.yaml").exists():
        t0 = time.perf_counter()
        generate(folder, seed=7, n_deals=n, erp_format="csv")
        print(f"generated {n} deals in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
    return folder


def end_to_end(n: int, folder: Path) -> dict[str, float]:
    """One size: the DuckDB read, then the whole `run`, each in its own process."""
    (folder / "bench.duckdb").unlink(missing_ok=True)
    base_s, _base_mb = measure(BASELINE, folder)
    run_s, run_mb = measure(CROSSFOOT, folder)
    return {"deals": n, "baseline_s": round(base_s, 2), "run_s": round(run_s, 2),
            "ratio": round(run_s / base_s, 1), "run_peak_mib": round(run_mb)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--deals", type=int, action="append", help="deals to generate (repeatable)")
    parser.add_argument("--workdir", type=Path, default=HERE / "_data")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    sizes = args.deals or [100_000]

    rows = [end_to_end(n, company(args.workdir, n)) for n in sizes]

    print(f"\nMachine: {platform.machine()}, {platform.processor() or 'cpu'}, "
          f"{__import__('os').cpu_count()} cores, Python {platform.python_version()}\n")  # fmt: skip
    print("| deals | DuckDB read (s) | crossfoot run (s) | ratio | run peak memory (MiB) |")
    print("|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['deals']:,} | {r['baseline_s']} | {r['run_s']} | {r['ratio']} | {r['run_peak_mib']} |"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
