"""Benchmark of `cunsheng estimate` as a whole process against a plain-numpy lower bound.

Generates 1,000,000 rows (50 strata x 40 PSUs, 200 domains, a 3-level categorical `y`), writes
Parquet and CSV to a temporary directory, then times

    cunsheng estimate DATA --design D.json --stat prop --var y --by dom --json

as a subprocess (wall time, peak RSS from /usr/bin/time or getrusage), beside the lower bound: a
script that reads the same Parquet columns with pyarrow and computes the weighted proportions and
their stratified-cluster Taylor SE per domain with `np.bincount`. The lower bound is reported both as
a whole process (same interpreter start-up) and as its in-process compute time. Every run may write
bytecode caches (PYTHONDONTWRITEBYTECODE is dropped from its environment: numpy and pyarrow come
byte-compiled from pip, and so does an installed cunsheng; without it the project's own modules
would be compiled from source on every run, ~25 ms that no deployment pays). After one uncounted
run of each (file cache, bytecode), the two sides run interleaved, REPEATS times each, so that other
load on the machine hits both alike; the figures are medians. CPU seconds (user + system, all
threads) are printed too: on a shared machine they move less with other load than wall time, though
pyarrow's threads count there in full. Goal (issue 10): <= 1.5x the lower bound in wall time as
whole processes, and <= 1 GiB peak. Run: `.venv/bin/python bench/estimate.py`.

`--scale` (`make bench-scale`) runs the streaming figure instead: 20,000,000 rows (50 strata x 40
PSUs, 200 domains, weights, a 0/1 `b`) written row group by row group (1,000,000 rows each) to a
temporary Parquet file, then, each as a whole process, `cunsheng estimate DATA --stat mean --var b
--by dom --json` (which streams a file this large) against a process that only reads the same
columns with pyarrow. Prints the medians of 3 runs, their ratio and the peak RSS of the estimate.
Goal: <= 3x the column read and <= 1 GiB peak.
"""

from __future__ import annotations

import json
import os
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


SCALE_ROWS, SCALE_GROUP, SCALE_REPEATS = 20_000_000, 1_000_000, 3

READ_ONLY = r"""
import sys
import pyarrow.parquet as pq
table = pq.ParquetFile(sys.argv[1]).read(columns=["stratum", "psu", "w", "dom", "b"])
print(table.num_rows)
"""


def main(argv: list[str]) -> int:
    """Run the 1M-row in-memory figure, or with `--scale` the 20M-row streaming figure."""
    if argv == ["--scale"]:
        return scale()
    if argv:
        print("usage: bench/estimate.py [--scale]", file=sys.stderr)
        return 2
    return in_memory()


def scale() -> int:
    """Write 20M rows, time the streamed estimate and the plain column read as whole processes."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        parquet, design = _write_scale(folder)
        print(
            f"wrote {SCALE_ROWS:,} rows in {time.perf_counter() - started:.1f} s ({parquet.stat().st_size >> 20} MiB)"
        )
        cli = [*_cunsheng_command(), "estimate", str(parquet), "--design", str(design)]
        args = ["--stat", "mean", "--var", "b", "--by", "dom", "--json"]
        runs, reads = [], []
        for _ in range(SCALE_REPEATS):  # interleaved, so that load on the machine hits both sides
            runs.append(_run([*cli, *args]))
            reads.append(_run([sys.executable, "-c", READ_ONLY, str(parquet)]))
        document = json.loads(runs[-1][2])
        assert len(document["estimates"]) == DOMAINS and int(reads[-1][2]) == SCALE_ROWS
        wall = statistics.median(run[0] for run in runs)
        read = statistics.median(run[0] for run in reads)
        print(f"rows {SCALE_ROWS:,}, strata {STRATA}, PSUs {STRATA * PSUS_PER_STRATUM}, domains {DOMAINS}")
        print(f"cunsheng estimate (streamed Parquet), whole process: {wall:.3f} s, peak RSS {_mib(runs)} MiB")
        print(f"pyarrow column read, whole process:                  {read:.3f} s, peak RSS {_mib(reads)} MiB")
        print(f"runs: estimate {[round(r[0], 2) for r in runs]}, read {[round(r[0], 2) for r in reads]}")
        print(f"ratio: {wall / read:.2f}x (goal <= 3x); peak RSS goal <= 1024 MiB")
    return 0


def _write_scale(folder: Path) -> tuple[Path, Path]:
    """The 20M-row file, one row group at a time (PSUs in file order, as a survey file is)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(20240502)
    psus = STRATA * PSUS_PER_STRATUM
    parquet, design = folder / "scale.parquet", folder / "design.json"
    groups = SCALE_ROWS // SCALE_GROUP
    with pq.ParquetWriter(
        parquet,
        pa.schema(
            [(c, pa.int64()) for c in ("stratum", "psu")]
            + [("w", pa.float64())]
            + [(c, pa.int64()) for c in ("dom", "b")]
        ),
    ) as writer:
        for g in range(groups):
            low = g * psus // groups
            psu = np.sort(rng.integers(low, (g + 1) * psus // groups, SCALE_GROUP))
            columns = {
                "stratum": psu // PSUS_PER_STRATUM,
                "psu": psu,
                "w": rng.uniform(50, 150, SCALE_GROUP),
                "dom": rng.integers(0, DOMAINS, SCALE_GROUP),
                "b": rng.integers(0, 2, SCALE_GROUP),
            }
            writer.write_table(pa.table(columns), row_group_size=SCALE_GROUP)
    design.write_text(json.dumps({"ids": ["psu"], "strata": "stratum", "weights": "w", "lonely_psu": "fail"}))
    return parquet, design


def in_memory() -> int:
    """Generate the data, time both sides, print the figures and the ratio."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        parquet, csv, design = _write_data(folder)
        cli = _cunsheng_command()
        args = ["estimate", str(parquet), "--design", str(design), "--stat", "prop", "--var", "y", "--by", "dom"]
        bound = [sys.executable, "-c", LOWER_BOUND, str(parquet)]
        _run([*cli, *args, "--json"]), _run(bound)  # warm-up, not counted: file cache and bytecode
        cli_runs, bound_runs = [], []
        for _ in range(REPEATS):  # interleaved, so that load on the machine hits both sides alike
            cli_runs.append(_run([*cli, *args, "--json"]))
            bound_runs.append(_run(bound))
        check = json.loads(cli_runs[-1][2])
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
        print(f"runs: estimate {[round(r[0], 3) for r in cli_runs]}, bound {[round(r[0], 3) for r in bound_runs]}")
        print(f"ratio vs lower-bound process:    {wall / bound_wall:.2f}x (goal <= 1.5x)")
        cpu, bound_cpu = (statistics.median(run[3] for run in runs) for runs in (cli_runs, bound_runs))
        print(
            f"CPU seconds (user + system), medians: estimate {cpu:.3f}, bound {bound_cpu:.3f}, {cpu / bound_cpu:.2f}x"
        )
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


Run = tuple[float, float, str, float]


def _run(command: list[str]) -> Run:
    """Wall seconds, peak RSS in KiB, stdout and CPU seconds (user + system, all threads) of one run
    (RSS from /usr/bin/time when present)."""
    timer = shutil.which("time", path="/usr/bin")
    prefix = [timer, "-f", "%M"] if timer else []
    # bytecode is cached as in any installed deployment, even where PYTHONDONTWRITEBYTECODE is set
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run([*prefix, *command], capture_output=True, text=True, check=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    peak = float(done.stderr.strip().splitlines()[-1]) if timer else after.ru_maxrss
    return wall, peak, done.stdout, cpu


def _agree(document: dict, bound_output: str) -> None:
    """The two sides must compute the same first proportion and SE (domain 0, level 0)."""
    _, _, p, se = (float(v) for v in bound_output.split())
    first = document["estimates"][0]
    assert abs(first["estimate"] - p) < 1e-12 and abs(first["se"] - se) < 1e-12, (first, p, se)


def _mib(runs: list[Run]) -> str:
    return f"{max(run[1] for run in runs) / 1024:.0f}"


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
