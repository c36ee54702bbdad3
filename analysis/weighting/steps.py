"""Survey weights step by step: base weights, nonresponse adjustment, calibration, trimming.

Follows the weighting chain of Valliant, Dever & Kreuter (2018), "Practical Tools for Designing and
Weighting Survey Samples", 2nd ed., chapters 13-14: base weights are inverse inclusion
probabilities (the product over selection stages); the nonresponse adjustment multiplies
respondents' weights within each weighting class by sum w(eligible) / sum w(respondents);
calibration is delegated to `analysis.calibration` (post-stratification, raking, linear GREG);
trimming caps weights and redistributes the excess over the untrimmed weights until no weight
exceeds the cap. Pure functions on numpy arrays and `analysis.io.columns` columns; problems are
`AnalysisError`s of the catalogue `analysis.errors.E`. Must not read files, parse the spec or
compute diagnostics (`analysis.weighting.diagnostics`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from analysis.calibration.tables import lookup_key
from analysis.errors import AnalysisError, E, show
from analysis.io.columns import Column, Columns, encode, numeric


def _values(column: Column, name: str, role: str) -> np.ndarray:
    values = numeric(column, name, role)
    missing = np.flatnonzero(np.isnan(values))
    if len(missing):
        raise AnalysisError(E.WEIGHTS_VALUE_MISSING, column=name, role=role, row=int(missing[0]) + 1)
    return values


def base_from_probs(columns: Columns, probs: Sequence[str]) -> np.ndarray:
    """Product over selection stages of 1 / (inclusion probability) (VDK 2018, sec. 13.2)."""
    w = np.ones(len(encode(columns[probs[0]]).codes)) if probs else np.ones(0)
    for name in probs:
        p = _values(columns[name], name, "probability")
        bad = np.flatnonzero(~((p > 0) & (p <= 1)))
        if len(bad):
            row = int(bad[0])
            raise AnalysisError(E.PROB, column=name, row=row + 1, value=show(float(p[row])))
        w = w / p
    return w


def base_from_fractions(columns: Columns, fractions: Sequence[tuple[str, str]]) -> np.ndarray:
    """Product over stages of N / n (population units over sampled units at the stage)."""
    w: np.ndarray | None = None
    for n_name, pop_name in fractions:
        n = _positive(columns[n_name], n_name, "sampled units n")
        pop = _positive(columns[pop_name], pop_name, "population units N")
        over = np.flatnonzero(n > pop)
        if len(over):
            row = int(over[0])
            raise AnalysisError(
                E.N_EXCEEDS_N, column=n_name, row=row + 1, value=show(float(n[row])), population=pop_name
            )
        w = pop / n if w is None else w * pop / n
    if w is None:
        raise AnalysisError(E.FRACTIONS_EMPTY, key="base.fractions")
    return w


def base_from_weights(column: Column, name: str) -> np.ndarray:
    """Given base weights, checked finite and > 0."""
    return _positive(column, name, "base weight")


def _positive(column: Column, name: str, role: str) -> np.ndarray:
    w = _values(column, name, role)
    bad = np.flatnonzero(~(np.isfinite(w) & (w > 0)))
    if len(bad):
        row = int(bad[0])
        raise AnalysisError(E.WEIGHT, column=name, role=role, row=row + 1, value=show(float(w[row])))
    return w


def class_codes(columns: Columns, names: Sequence[str], n: int) -> tuple[np.ndarray, list[str]]:
    """One code per row for the crossing of the class columns (n rows), and a label per code."""
    if not names:
        return np.zeros(n, dtype=np.int64), ["(all)"]
    coded = [encode(columns[name]) for name in names]
    for name, c in zip(names, coded, strict=True):
        missing = np.flatnonzero(c.codes < 0)
        if len(missing):
            raise AnalysisError(E.WEIGHTS_VALUE_MISSING, column=name, role="weighting class", row=int(missing[0]) + 1)
    sizes = tuple(max(len(c.levels), 1) for c in coded)
    flat = np.ravel_multi_index(tuple(c.codes for c in coded), sizes)
    kept, codes = np.unique(flat, return_inverse=True)
    labels = []
    for key in kept:
        idx = np.unravel_index(int(key), sizes)
        labels.append(", ".join(f"`{n}`={show(c.levels[int(i)])}" for n, c, i in zip(names, coded, idx, strict=True)))
    return codes.reshape(-1), labels


def nonresponse_adjust(
    w: np.ndarray, responded: np.ndarray, classes: np.ndarray, labels: list[str], counted: np.ndarray | None = None
) -> np.ndarray:
    """Weighting-class adjustment (VDK 2018, sec. 13.5): respondents' weights times
    sum w(eligible) / sum w(respondents) in their class; non-respondents get 0. `counted` marks the
    rows whose weight makes up the eligible total (default all; a field replacement is a respondent
    that stands in for another household, so it counts among the respondents only)."""
    size = len(labels)
    eligible = np.bincount(classes, weights=w if counted is None else np.where(counted, w, 0.0), minlength=size)
    resp = np.bincount(classes, weights=np.where(responded, w, 0.0), minlength=size)
    empty = np.flatnonzero(resp <= 0)
    if len(empty):
        raise AnalysisError(E.NO_RESPONDENTS, cell=labels[int(empty[0])])
    return np.where(responded, w * (eligible / resp)[classes], 0.0)


def trim(
    w: np.ndarray, cap: float, classes: np.ndarray | None = None, max_iter: int = 100, tol: float = 1e-10
) -> np.ndarray:
    """Cap every weight at `cap` and share each class's excess among its untrimmed weights in
    proportion to their size, repeating until no weight exceeds the cap (VDK 2018, sec. 14.4).
    The class totals of the weights are preserved."""
    if not (np.isfinite(cap) and cap > 0):
        raise AnalysisError(E.TRIM_CAP, cap=show(cap))
    codes = np.zeros(len(w), dtype=np.int64) if classes is None else classes
    totals = np.bincount(codes, weights=w)
    counts = np.bincount(codes, minlength=len(totals))
    short = np.flatnonzero(totals > cap * counts * (1 + tol))
    if len(short):
        g = int(short[0])
        raise AnalysisError(E.TRIM_CAP_LOW, count=int(counts[g]), total=show(float(totals[g])), cap=show(cap))
    out = w.astype(np.float64, copy=True)
    for _ in range(max_iter):
        over = out > cap * (1 + tol)
        if not over.any():
            return out
        excess = np.bincount(codes, weights=np.where(over, out - cap, 0.0), minlength=len(totals))
        out[over] = cap
        free = out < cap * (1 - tol)
        room = np.bincount(codes, weights=np.where(free, out, 0.0), minlength=len(totals))
        share = np.divide(excess, room, out=np.zeros_like(excess), where=room > 0)
        out = np.where(free, out * (1 + share[codes]), out)
    raise AnalysisError(E.TRIM_NOT_CONVERGED, iterations=max_iter)


def level_mask(column: Column, value: Any) -> np.ndarray:
    """Rows whose value equals `value` (numbers compare as numbers, anything else as text)."""
    coded = encode(column)
    for i, level in enumerate(coded.levels):
        if lookup_key(level) == lookup_key(value):
            return coded.codes == i
    return np.zeros(len(coded.codes), dtype=bool)
