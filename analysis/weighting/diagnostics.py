"""Diagnostics of survey weights: per-stage summaries and the calibration targets achieved.

`summary` reports n, sum, min, max, max/min, mean, the CV (population sd / mean), Kish's (1965,
"Survey Sampling", sec. 11.7) design effect due to unequal weighting 1 + CV^2 = n sum w^2 / (sum w)^2
and the effective sample size n / deff (Valliant, Dever & Kreuter 2018, sec. 14.5). `margin_check`
sets every calibration target beside the weighted total achieved. Must not change weights.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from analysis.calibration.model import model_column
from analysis.calibration.spec import CalibrationSpec, ModelCalibration, PostStratify
from analysis.io.columns import Columns
from analysis.weighting.steps import level_mask


def summary(w: np.ndarray) -> dict[str, float]:
    """n, sum, min, max, max/min, mean, CV (population sd / mean), Kish deff and effective n."""
    n = len(w)
    total = float(w.sum())
    sq = float((w * w).sum())
    deff = n * sq / total**2 if total else float("nan")
    mean = total / n if n else float("nan")
    return {
        "n": n,
        "sum_w": total,
        "min": float(w.min()),
        "max": float(w.max()),
        "max_min_ratio": float(w.max() / w.min()) if w.min() > 0 else float("inf"),
        "mean": mean,
        "cv": float(np.sqrt(max(deff - 1.0, 0.0))),
        "deff_kish": deff,
        "n_eff": n / deff,
    }


def margin_check(w: np.ndarray, columns: Columns, spec: CalibrationSpec) -> list[dict[str, Any]]:
    """Each calibration target against the weighted total achieved: margin, cell, target, achieved."""
    if isinstance(spec, ModelCalibration):
        rows = []
        for key, target in spec.population.items():
            found = model_column(columns, spec.formula, key)
            achieved = float(w @ found[0]) if found is not None else float("nan")
            rows.append(_row("model", key, float(target), achieved))
        return rows
    tables = (
        [(spec.strata, spec.population)]
        if isinstance(spec, PostStratify)
        else [(margin.vars, margin.population) for margin in spec.margins]
    )
    rows = []
    for i, (names, population) in enumerate(tables):
        for cell in population:
            mask = np.ones(len(w), dtype=bool)
            for name in names:
                mask &= level_mask(columns[name], cell[name])
            label = ", ".join(f"{n}={cell[n]}" for n in names)
            rows.append(_row(f"{i + 1}: {'×'.join(names)}", label, float(cell["Freq"]), float(w[mask].sum())))
    return rows


def _row(margin: str, cell: str, target: float, achieved: float) -> dict[str, Any]:
    return {"margin": margin, "cell": cell, "target": target, "achieved": achieved, "difference": achieved - target}
