"""Benchmark of `cunsheng estimate` as a whole process against a plain-numpy lower bound.

Generates 1,000,000 rows (50 strata x 40 PSUs, 200 domains, a 3-level categorical `y`), writes
Parquet and CSV to a temporary directory, then times

    cunsheng estimate DATA --design D.json --stat prop --var y --by dom --json

as a subprocess (wall time, peak RSS from /usr/bin/time or getrusage), beside the lower bound: a
script that reads the same Parquet columns with pyarrow and computes the weighted proportions and
their stratified-cluster Taylor SE per domain with `np.bincount`. The lower bound is reported both as
a whole process (same interpreter start-up) and as its in-process compute time. Goal: <= 5x the
lower bound and <= 1 GiB peak. Run: `.venv/bin/python bench/estimate.py`.
"""

from __future__ import annotations

import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROWS, STRATA, PSUS_PER_STRATUM, DOMAINS, LEVELS = 1_000_000, 50, 40, 200, 3
REPEATS = 5

LOWER_BOUND = r"""
import sys, time
start = time.perf_counter()
import numpy as np
import pyarrow.parquet as pq
imported = time.perf_counter()
t = pq.ParquetFile(sys.argv[1]).read(columns=["stratum", "psu", "w", "dom", "y"])
# the raw buffers: pyarrow's to_numpy() would import pandas
s, psu, w, dom, y = (
    np.frombuffer(t.column(c).combine_chunks().buffers()[1], dtype=d)
    for c, d in [("stratum", np.int64), ("psu", np.int64), ("w", np.float64), ("dom", np.int64), ("y", np.int64)]
)
D, P = int(dom.max()) + 1, int(psu.max()) + 1
W = np.bincount(dom, w, D)
stratum_of_psu = np.zeros(P, dtype=np.int64)
stratum_of_psu[psu] = s
n_h = np.bincount(stratum_of_psu)
scale = (n_h / (n_h - 1))[stratum_of_psu]
out = []
for level in range(int(y.max()) + 1):
    hit = (y == level)
    p = np.bincount(dom, w * hit, D) / W
    z = w * (hit - p[dom]) / W[dom]
    T = np.bincount(dom * P + psu, z, D * P).reshape(D, P)
    H = len(n_h)
    block = (np.arange(D)[:, None] * H + stratum_of_psu[None, :]).ravel()
    S = np.bincount(block, T.ravel(), D * H).reshape(D, H)
    dev = T - (S / n_h)[:, stratum_of_psu]
    out.append((p, np.sqrt((dev * dev * scale).sum(axis=1))))
done = time.perf_counter()
print(done - start, done - imported, out[0][0][0], out[0][1][0])
"""


def main() -> int:
    """Generate the data, time both sides, print the figures and the ratio."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        parquet, csv, design = _write_data(folder)
        cli = _cunsheng_command()
        args = ["estimate", str(parquet), "--design", str(design), "--stat", "prop", "--var", "y", "--by", "dom"]
        cli_runs = [_run([*cli, *args, "--json"]) for _ in range(REPEATS)]
        check = json.loads(cli_runs[-1][2])
        bound_runs = [_run([sys.executable, "-c", LOWER_BOUND, str(parquet)]) for _ in range(REPEATS)]
        csv_run = _run([*cli, "estimate", str(csv), *args[2:], "--json"])
        inner = statistics.median(float(run[2].split()[0]) for run in bound_runs)
        work = statistics.median(float(run[2].split()[1]) for run in bound_runs)
        _agree(check, bound_runs[-1][2])
        wall = statistics.median(run[0] for run in cli_runs)
        bound_wall = statistics.median(run[0] for run in bound_runs)
        print(f"rows {ROWS:,}, strata {STRATA}, PSUs {STRATA * PSUS_PER_STRATUM}, domains {DOMAINS}, levels {LEVELS}")
        print(f"cunsheng estimate (Parquet), whole process: {wall:.3f} s, peak RSS {_mib(cli_runs)} MiB")
        print(f"cunsheng estimate (CSV), whole process:     {csv_run[0]:.3f} s, peak RSS {csv_run[1] / 1024:.0f} MiB")
        print(f"numpy lower bound, whole process:           {bound_wall:.3f} s, peak RSS {_mib(bound_runs)} MiB")
        print(f"numpy lower bound, in-process: {inner:.3f} s with imports, {work:.3f} s read + compute only")
        print(f"ratio vs lower-bound process:    {wall / bound_wall:.2f}x (goal <= 5x)")
        print(f"ratio vs lower-bound in-process: {wall / inner:.2f}x (with imports), {wall / work:.2f}x (without)")
    return 0


def _write_data(folder: Path) -> tuple[Path, Path, Path]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(20240501)
    psu = np.sort(rng.integers(0, STRATA * PSUS_PER_STRATUM, ROWS))
    stratum = psu // PSUS_PER_STRATUM
    table = pa.table(
        {
            "stratum": stratum,
            "psu": psu,
            "w": rng.uniform(50, 150, ROWS),
            "dom": rng.integers(0, DOMAINS, ROWS),
            "y": rng.integers(0, LEVELS, ROWS),
        }
    )
    parquet, csv, design = folder / "data.parquet", folder / "data.csv", folder / "design.json"
    pq.write_table(table, parquet)
    table.to_pandas().to_csv(csv, index=False)
    design.write_text(json.dumps({"ids": ["psu"], "strata": "stratum", "weights": "w", "lonely_psu": "fail"}))
    return parquet, csv, design


def _cunsheng_command() -> list[str]:
    found = shutil.which("cunsheng", path=str(Path(sys.executable).parent))
    return [found] if found else [sys.executable, "-m", "server.cli"]


def _run(command: list[str]) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in KiB, and stdout of one run (RSS from /usr/bin/time when present)."""
    timer = shutil.which("time", path="/usr/bin")
    prefix = [timer, "-f", "%M"] if timer else []
    start = time.perf_counter()
    done = subprocess.run([*prefix, *command], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    peak = (
        float(done.stderr.strip().splitlines()[-1]) if timer else resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    )
    return wall, peak, done.stdout


def _agree(document: dict, bound_output: str) -> None:
    """The two sides must compute the same first proportion and SE (domain 0, level 0)."""
    _, _, p, se = (float(v) for v in bound_output.split())
    first = document["estimates"][0]
    assert abs(first["estimate"] - p) < 1e-12 and abs(first["se"] - se) < 1e-12, (first, p, se)


def _mib(runs: list[tuple[float, float, str]]) -> str:
    return f"{max(run[1] for run in runs) / 1024:.0f}"


if __name__ == "__main__":
    sys.exit(main())
