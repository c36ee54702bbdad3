"""The weighting chain `cunsheng weights` runs: base -> nonresponse -> calibration -> trim.

`run(frame, spec)` takes a pandas DataFrame of sampled units and a validated `WeightsSpec`, applies
each step the spec asks for (analysis.weighting.steps; calibration through
analysis.calibration.calibrator), and returns the respondent rows with the final weight column,
the per-stage diagnostics and the calibration margin check (Valliant, Dever & Kreuter 2018,
ch. 13-14). Must not read or write files.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from analysis.calibration.calibrator import bind
from analysis.errors import AnalysisError, E, column_missing, show
from analysis.io.columns import Columns, encode, from_frame
from analysis.weighting import steps
from analysis.weighting.diagnostics import margin_check, summary
from analysis.weighting.spec import Base, Nonresponse, Trim, WeightsSpec


def columns_of(frame: Any, names: Mapping[str, str]) -> Columns:
    """The named columns (name -> role, for messages) of a DataFrame, each one checked to exist."""
    available = [str(c) for c in frame.columns]
    for name, role in names.items():
        if name not in available:
            raise column_missing(name, role, available)
    return from_frame(frame, list(names))


def base_weights(frame: Any, base: Base) -> np.ndarray:
    """The base weights the spec's `base` key asks for."""
    if base.weights is not None:
        return steps.base_from_weights(columns_of(frame, {base.weights: "base weight"})[base.weights], base.weights)
    if base.probs is not None:
        return steps.base_from_probs(columns_of(frame, {p: "probability" for p in base.probs}), base.probs)
    pairs = base.fractions or ()
    names = {name: "stage size" for p in pairs for name in (p.n, p.N)}
    return steps.base_from_fractions(columns_of(frame, names), [(p.n, p.N) for p in pairs])


def respondents(frame: Any, w: np.ndarray, spec: Nonresponse | None) -> tuple[np.ndarray, np.ndarray]:
    """The respondent mask and the nonresponse-adjusted weights."""
    if spec is None:
        return np.ones(len(w), dtype=bool), w
    roles = {spec.status: "response status", **{c: "weighting class" for c in spec.classes}}
    columns = columns_of(frame, roles)
    missing = np.flatnonzero(encode(columns[spec.status]).codes < 0)
    if len(missing):
        raise AnalysisError(
            E.WEIGHTS_VALUE_MISSING, column=spec.status, role="response status", row=int(missing[0]) + 1
        )
    responded = steps.level_mask(columns[spec.status], spec.respondent_value)
    if not responded.any():
        raise AnalysisError(E.NO_RESPONDENT_VALUE, column=spec.status, value=show(spec.respondent_value))
    codes, labels = steps.class_codes(columns, spec.classes, len(w))
    return responded, steps.nonresponse_adjust(w, responded, codes, labels)


def trimmed(frame: Any, w: np.ndarray, spec: Trim) -> np.ndarray:
    """The weights trimmed at the spec's cap (absolute or relative), within its classes."""
    bound = spec.max * (1.0 if spec.relative_to is None else float(getattr(np, spec.relative_to)(w)))
    codes = None
    if spec.classes:
        columns = columns_of(frame, {c: "trimming class" for c in spec.classes})
        codes = steps.class_codes(columns, spec.classes, len(w))[0]
    return steps.trim(w, bound, codes, spec.max_iter)


def run(frame: Any, spec: WeightsSpec) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:
    """The respondent rows with the final weights, per-stage diagnostics and the margin check."""
    w = base_weights(frame, spec.base)
    stages = [{"stage": "base", **summary(w)}]
    responded, w = respondents(frame, w, spec.nonresponse)
    resp = frame.loc[responded].reset_index(drop=True)
    w = w[responded]
    if spec.nonresponse is not None:
        stages.append({"stage": "nonresponse", **summary(w)})
    if spec.calibration is not None:
        w = bind(spec.calibration, columns_of(resp, spec.calibration.columns())).calibrate(w)
        stages.append({"stage": "calibration", **summary(w)})
    if spec.trim is not None:
        w = trimmed(resp, w, spec.trim)
        stages.append({"stage": "trim", **summary(w)})
    margins: list[dict[str, Any]] = []
    if spec.calibration is not None:
        margins = margin_check(w, columns_of(resp, spec.calibration.columns()), spec.calibration)
    return resp.assign(**{spec.weight_column: w}), stages, margins
