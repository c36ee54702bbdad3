"""Benchmark of weighting: raking 1,000,000 rows, and JK1 replicate SEs for 200 domains.

(a) Raking (R's `rake()`, iterative proportional fitting; Deville & Sarndal 1992, sec. 3) of
1,000,000 rows to 3 margins with 50 + 30 + 20 = 100 cells through `analysis.calibration`
(`calibrator.bind` + `calibrate`). Goal: <= 2 s.

(b) JK1 replicate standard errors (R's `as.svrepdesign(type = "JK1")`; Lumley 2010, sec. 2.8;
Wolter 2007, ch. 4): 500,000 rows in 2,000 unstratified PSUs, so 2,000 replicates, and a domain
mean of a 0/1 variable for 200 domains through `analysis.estimators.estimate.mean`. Goal: <= 10 s and
<= 2 GiB.

Each part runs in its own child process, which reports its wall time for the library call, its
peak RSS (`ru_maxrss`) and the RSS before the call (after imports and data generation), so the
difference is the peak memory the call adds. Run: `.venv/bin/python bench/weights.py`.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

RAKE = r"""
import json, resource, time
import numpy as np
import pandas as pd
from analysis.calibration.calibrator import bind
from analysis.calibration.spec import calibration_spec
from analysis.io.columns import from_frame

ROWS, SIZES = 1_000_000, (50, 30, 20)
rng = np.random.default_rng(7)
names = ["a", "b", "c"]
frame = pd.DataFrame({n: rng.integers(0, k, ROWS) for n, k in zip(names, SIZES)})
frame["w"] = rng.uniform(50, 150, ROWS)
total = 1.2 * frame["w"].sum()
margins = []
for n, k in zip(names, SIZES):
    share = rng.dirichlet(np.full(k, 20.0))
    margins.append({"vars": [n], "population": [{n: int(v), "Freq": float(total * s)} for v, s in enumerate(share)]})
spec = calibration_spec({"method": "rake", "margins": margins})
columns = from_frame(frame, names)
w = frame["w"].to_numpy()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
raked = bind(spec, columns).calibrate(w)
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
misfit = max(
    float(np.max(np.abs(np.bincount(frame[n].to_numpy(), raked) - [r["Freq"] for r in m["population"]])))
    for n, m in zip(names, margins)
)
print(json.dumps({"seconds": seconds, "before_kib": before, "peak_kib": peak, "max_margin_misfit": misfit}))
"""

JK1 = r"""
import json, resource, time
import numpy as np
import pandas as pd
from analysis.design.spec import Design
from analysis.estimators.estimate import mean

ROWS, PSUS, DOMAINS = 500_000, 2_000, 200
rng = np.random.default_rng(11)
frame = pd.DataFrame({
    "psu": np.sort(rng.integers(0, PSUS, ROWS)),
    "w": rng.uniform(50, 150, ROWS),
    "dom": rng.integers(0, DOMAINS, ROWS),
    "y": rng.integers(0, 2, ROWS).astype(np.float64),
})
design = Design.from_json({"ids": ["psu"], "weights": "w", "replicate": {"type": "JK1", "create": True}})
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
table = mean(frame, design, "y", by=["dom"])
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({
    "seconds": seconds, "before_kib": before, "peak_kib": peak, "domains": len(table),
    "replicate_df": int(table["df"].iloc[0]), "first_se": float(table["se"].iloc[0]),
}))
"""


def _child(script: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _report(label: str, result: dict[str, float], seconds_goal: float, mib_goal: float | None) -> bool:
    peak, added = result["peak_kib"] / 1024, (result["peak_kib"] - result["before_kib"]) / 1024
    ok = result["seconds"] <= seconds_goal and (mib_goal is None or peak <= mib_goal)
    goal = f"<= {seconds_goal:g} s" + (f", <= {mib_goal:.0f} MiB" if mib_goal else "")
    extra = ", ".join(f"{k} {v:g}" for k, v in result.items() if k not in ("seconds", "before_kib", "peak_kib"))
    print(f"{label}: {result['seconds']:.2f} s, peak RSS {peak:.0f} MiB (+{added:.0f} MiB in the call)")
    print(f"    goal {goal}: {'met' if ok else 'MISSED'}; {extra}")
    return ok


def main() -> int:
    ok = _report("(a) rake 1,000,000 rows to 3 margins / 100 cells", _child(RAKE), 2.0, None)
    ok &= _report("(b) JK1, 2,000 replicates, mean for 200 domains", _child(JK1), 10.0, 2048.0)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
