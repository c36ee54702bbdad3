"""Whether an estimate can stream, and the one call that streams it.

A design streams when its variance is Taylor linearisation over stage-1 units given by `ids`
(stratified or not, `nest`, every `lonely_psu` rule, an fpc for a single-stage design with weights
or probabilities); `replicate`, `calibration`, element samples (`ids: []`), multistage fpc and
weights derived from the fpc stay in memory, as do quantiles and columns of numbers stored as text.
`estimate_file` runs the pass and the finish, or returns None when the data turn out to need the
in-memory path. Must not print or choose by file size (the command line does).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from analysis.design.spec import Design
from analysis.estimators.request import Request
from analysis.estimators.table import Estimates
from analysis.stream import scan as scanning
from analysis.stream.codes import NotStreamable
from analysis.stream.finish import finish

STATS = ("mean", "total", "prop", "ratio")


def streamable(design: Design, request: Request, numbers: Mapping[str, bool]) -> bool:
    """Whether `request` over `design` can be computed in one pass; `numbers` says which of the
    file's columns hold numbers (a column the file lacks is reported by the pass itself)."""
    if design.replicate is not None or design.calibration is not None or request.stat not in STATS:
        return False
    if not design.ids or (design.fpc and (len(design.ids) > 1 or not (design.weights or design.probs))):
        return False
    numeric_roles = [design.weights, design.probs, *design.fpc]
    if request.stat == "ratio":
        numeric_roles += [request.var, request.denominator]
    return all(numbers.get(name, True) for name in numeric_roles if name is not None)


def estimate_file(
    path: Path, design: Design, request: Request, numbers: Mapping[str, bool], batch_rows: int | None = None
) -> Estimates | None:
    """The estimates of a streamable request from one pass over the Parquet file (in batches of
    `batch_rows`, default `scan.BATCH_ROWS`), or None when the in-memory path must take over (too
    many cells, a text `--var` holding numbers)."""
    rows = batch_rows or scanning.BATCH_ROWS
    try:
        return finish(scanning.scan(path, design, request, dict(numbers), rows))
    except NotStreamable:
        return None
