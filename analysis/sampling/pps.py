"""Systematic PPS selection within strata, with certainty rounds (the `cunsheng sample pps` contract).

Within a stratum of N units with sizes M_i and total M, every unit with M_i >= k = M / n is taken with
certainty; they are removed, k is recomputed on the rest with n reduced by their number, and this is
repeated until none remains. The remaining n' units are drawn systematically in frame order: one
u ~ U[0, 1), points (u + j) k' for j = 0 ... n' - 1 on the cumulated sizes, and unit i is selected
when its interval (C_{i-1}, C_i] holds a point (a point at 0 belongs to the first unit). The
inclusion probability is 1 for a certainty unit and n' M_i / M' otherwise (Lohr, *Sampling: Design
and Analysis*, 3rd ed., §6.2; Särndal, Swensson and Wretman 1992, §3.6). Strata are processed in
sorted order of their values as text with one generator for the whole run; each stratum with n' > 0
consumes exactly one `random()`, so the same frame, allocation and seed give the same sample.
Pure functions: no files are read or written here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from analysis.errors import AnalysisError, E, show

ADDED_COLUMNS = ("stratum", "prob", "certainty", "selection_order")
ALL = "all"


@dataclass(frozen=True)
class Selection:
    """One stratum's draw: positions (in the stratum's frame order) and every unit's probability."""

    certainty: np.ndarray  # positions of certainty units, in frame order
    picks: np.ndarray  # positions of systematic picks, in frame order
    prob: np.ndarray  # inclusion probability of every unit of the stratum


def certainty_units(sizes: np.ndarray, n: int) -> np.ndarray:
    """Boolean mask of the certainty units after all rounds (size >= remaining total / remaining n)."""
    sure = np.zeros(sizes.size, dtype=bool)
    remaining = n
    while remaining > 0:
        rest = ~sure
        total = sizes[rest].sum()
        # size >= total / remaining, compared without dividing so integer sizes compare exactly
        new = rest & (sizes * remaining >= total)
        if not new.any():
            break
        sure |= new
        remaining -= int(new.sum())
    return sure


def probabilities(sizes: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """The certainty mask and every unit's inclusion probability for a sample of n."""
    sure = certainty_units(sizes, n)
    prob = np.ones(sizes.size, dtype=np.float64)
    rest = ~sure
    n_rest = n - int(sure.sum())
    total = sizes[rest].sum()
    prob[rest] = n_rest * sizes[rest] / total if n_rest > 0 else 0.0
    return sure, prob


def select(sizes: np.ndarray, n: int, rng: np.random.Generator) -> Selection:
    """Draw n units of one stratum (sizes > 0, n <= number of units); one `rng.random()` if any pick remains."""
    sure, prob = probabilities(sizes, n)
    rest = np.flatnonzero(~sure)
    n_rest = n - int(sure.sum())
    if n_rest == 0:
        return Selection(np.flatnonzero(sure), np.empty(0, dtype=np.int64), prob)
    cumulated = np.cumsum(sizes[rest])
    total = cumulated[-1]
    points = (rng.random() + np.arange(n_rest)) * (total / n_rest)
    hit = np.minimum(np.searchsorted(cumulated, points, side="left"), rest.size - 1)
    return Selection(np.flatnonzero(sure), rest[hit], prob)


def allocation_for(strata: list[str], n: int | None, allocation: Mapping[str, int] | None) -> dict[str, int]:
    """n per stratum: the same n everywhere, or the allocation (every stratum must be in it)."""
    if allocation is None:
        assert n is not None
        return {s: n for s in strata}
    missing = [s for s in strata if s not in allocation]
    if missing:
        raise AnalysisError(E.PPS_STRATUM_UNALLOCATED, stratum=show(missing[0]))
    return {s: allocation[s] for s in strata}


def draw(
    frame: Any,
    size_column: str,
    strata_column: str | None,
    n: int | None,
    allocation: Mapping[str, int] | None,
    seed: int | np.random.Generator,
) -> tuple[Any, list[dict[str, Any]]]:
    """The selected rows (frame columns plus stratum, prob, certainty, selection_order) and the per-stratum
    summary; `frame` is a DataFrame of text columns in frame order whose sizes were checked. `seed` is
    the integer of `numpy.random.default_rng(seed)`, or a generator to draw from (a simulation's)."""
    import pandas as pd

    sizes = frame[size_column].astype(np.float64).to_numpy()
    labels = frame[strata_column].astype(str).to_numpy() if strata_column else np.full(len(frame), ALL, dtype=object)
    strata = sorted(set(labels.tolist()))
    wanted = allocation_for(strata, n, allocation)
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    rows, added, summary = [], [], []
    for stratum in strata:
        where = np.flatnonzero(labels == stratum)
        n_h = wanted[stratum]
        if n_h > where.size:
            raise AnalysisError(E.PPS_N_TOO_LARGE, stratum=show(stratum), units=where.size, n=n_h)
        chosen = select(sizes[where], n_h, rng)
        order = np.concatenate([chosen.certainty, np.sort(chosen.picks)])
        rows.append(where[order])
        added.append((np.full(order.size, stratum, dtype=object), chosen.prob[order],
                      np.r_[np.ones(chosen.certainty.size, int), np.zeros(chosen.picks.size, int)],
                      np.arange(1, order.size + 1)))
        summary.append(
            {
                "stratum": stratum,
                "n": n_h,
                "n_certainty": int(chosen.certainty.size),
                "frame_units": int(where.size),
                "frame_size": _number(sizes[where].sum()),
            }
        )
    selected = frame.iloc[np.concatenate(rows)].reset_index(drop=True)
    for name, values in zip(ADDED_COLUMNS, zip(*added, strict=True), strict=True):
        selected[name] = pd.array(np.concatenate(values), dtype="str") if name == "stratum" else np.concatenate(values)
    return selected, summary


def _number(value: float) -> int | float:
    """A total of sizes as JSON shows it: an integer when it is one."""
    return int(value) if float(value).is_integer() else float(value)


def check_frame(frame: Any, id_column: str, size_column: str, strata_column: str | None) -> None:
    """The frame (text columns) names its columns, has unique ids, positive sizes and a stratum everywhere."""
    from analysis.errors import column_missing

    names = [str(c) for c in frame.columns]
    for column, role in ((id_column, "id"), (size_column, "size"), (strata_column, "strata")):
        if column is not None and column not in names:
            raise column_missing(column, role, names)
    for column in ADDED_COLUMNS:
        if column in names and column != strata_column:
            raise AnalysisError(E.PPS_COLUMN_TAKEN, column=column)
    seen: set[str] = set()
    for row, value in enumerate(frame[id_column].tolist(), start=1):
        if value.strip() == "" or value in seen:
            zh, en = ("缺失", "missing") if value.strip() == "" else ("重复", "a duplicate")
            raise AnalysisError(E.PPS_ID, column=id_column, row=row, value=show(value), problem_zh=zh, problem_en=en)
        seen.add(value)
    for row, value in enumerate(frame[size_column].tolist(), start=1):
        if not _positive(value):
            raise AnalysisError(E.PPS_SIZE, column=size_column, row=row, value=show(value))
    if strata_column is not None:
        for row, value in enumerate(frame[strata_column].tolist(), start=1):
            if value.strip() == "":
                raise AnalysisError(E.PPS_STRATUM_VALUE, column=strata_column, row=row)


def _positive(text: str) -> bool:
    try:
        number = float(text)
    except ValueError:
        return False
    return bool(np.isfinite(number)) and number > 0


def parse_allocation(table: Any, path: object, frame_strata: set[str]) -> dict[str, int]:
    """An allocation CSV (text columns `stratum,n`) as stratum -> n, every stratum in the frame once."""
    given = [str(c) for c in table.columns]
    if given != ["stratum", "n"]:
        raise AnalysisError(E.PPS_ALLOCATION_HEADER, path=path, given=",".join(given) or "（空）")
    out: dict[str, int] = {}
    for row, (stratum, n) in enumerate(zip(table["stratum"].tolist(), table["n"].tolist(), strict=True), start=1):
        if not n.strip().isdigit():
            raise AnalysisError(E.PPS_ALLOCATION_N, path=path, row=row, value=show(n))
        if stratum in out or stratum not in frame_strata:
            zh, en = ("重复出现", "is listed twice") if stratum in out else ("不在抽样框中", "is not in the frame")
            raise AnalysisError(
                E.PPS_ALLOCATION_STRATUM, path=path, row=row, stratum=show(stratum), problem_zh=zh, problem_en=en
            )
        out[stratum] = int(n)
    return out
