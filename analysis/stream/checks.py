"""The problems of a streamed file, raised in the order the in-memory path raises them.

`analysis.design.binding.bind` checks strata, then every `ids` column, the number of PSUs, the
nesting of PSUs in strata, the fpc and the weights; `analysis.estimators.estimate` then checks the
`--by` columns and the analysis variable. `design_problems` and `request_problems` replay that
order over what `analysis.stream.findings` noted during the pass, so both paths name the same
code, column, row and value. Must not read data or estimate.
"""

from __future__ import annotations

import numpy as np

from analysis.errors import AnalysisError, E, show
from analysis.stream.scan import Scan


def design_problems(state: Scan) -> None:
    """Raise the first design problem of the file (as `bind()` would), if any."""
    design, findings = state.design, state.findings
    names = [(design.strata, "strata")] if design.strata else []
    for name, role in [*names, *((name, "ids") for name in design.ids)]:
        _missing(state, name, role)
    if len(state.psu) <= 1 and not (design.nest and design.strata):
        raise AnalysisError(E.ONE_PSU)
    if state.clashes:
        raise AnalysisError(E.NOT_NESTED, column=design.ids[0], value=show(_clash_value(state)), strata=design.strata)
    if design.fpc:
        name = design.fpc[0]
        _missing(state, name, "fpc")
        as_counts = state.findings.counts["fpc:above_one"] > 0
        below = findings.first("fpc:below_one")
        if as_counts and below is not None:
            raise AnalysisError(E.FPC_MIXED, column=name, row=below[0] + 1, value=show(float(below[1])))
        if not as_counts and below is None:
            raise AnalysisError(E.FPC_ALL_ONE)
        varies = findings.first("fpc:varies")
        if varies is not None:
            raise AnalysisError(E.FPC_VARIES, column=name, stage=1, row=varies[0] + 1)


def fpc_too_small(state: Scan, popsize: np.ndarray, sampled: np.ndarray, order: np.ndarray) -> None:
    """`_popsize()`'s last check: the first stratum (sorted) whose fpc is below its sampled units;
    `order` lists the strata's first-seen codes in sorted order."""
    small = np.flatnonzero(popsize < sampled)
    if len(small):
        g = int(small[0])
        raise AnalysisError(
            E.FPC_TOO_SMALL,
            column=state.design.fpc[0],
            row=int(state.stratum_first.row[order[g]]) + 1,
            popsize=show(float(popsize[g])),
            sampsize=int(sampled[g]),
        )


def weight_problems(state: Scan) -> None:
    """Missing, then invalid weights or probabilities (as `_given_weights()`)."""
    design = state.design
    name = design.weights or design.probs
    if name is None:
        return
    _missing(state, name, "weights" if design.weights else "probs")
    invalid = state.findings.first("weights:invalid")
    if invalid is not None:
        entry = E.WEIGHT_INVALID if design.weights else E.PROB_INVALID
        raise AnalysisError(entry, column=name, row=invalid[0] + 1, value=show(float(invalid[1])))


def request_problems(state: Scan) -> None:
    """Entirely missing `--by` columns, then missing analysis values (as `estimate()`)."""
    request = state.request
    for name, dictionary in zip(request.by, state.by, strict=True):
        if all(key is None for key in dictionary.keys):
            raise AnalysisError(E.ALL_MISSING, column=name)
    for name in [request.var, *([request.denominator] if request.denominator else [])]:
        count = state.findings.counts[f"value:{name}"]
        if count == state.n:
            raise AnalysisError(E.ALL_MISSING, column=name)
        first = state.findings.first(f"value:{name}")
        if request.na == "fail" and first is not None:
            raise AnalysisError(E.VALUE_MISSING, column=name, row=first[0] + 1, count=count)


def _missing(state: Scan, name: str, role: str) -> None:
    first = state.findings.first(f"missing:{name}:{role}")
    if first is not None:
        raise AnalysisError(E.DESIGN_VALUE_MISSING, column=name, role=role, row=first[0] + 1)


def _clash_value(state: Scan) -> object:
    """The PSU `_nested_strata()` names: that of the first row whose stratum differs from the
    stratum of its PSU's last row."""
    best = min(
        (row, psu)
        for psu, strata in state.clashes.items()
        for stratum, row in strata.items()
        if stratum != state.last_stratum[psu]
    )
    value = state.psu.keys[best[1]]
    return float(value) if state.psu.floating else value
