"""One pass over a Parquet file: per (stage-1 unit x domain [x level]) weighted sums, batch by batch.

`scan(path, design, request, batch_rows)` reads only the needed columns (`analysis.io.readers`),
gives strata, PSUs, domains and levels global codes (`analysis.stream.codes`), notes the first
bad row of every check (`analysis.stream.findings`) without stopping, and adds per cell: rows,
the sum of weights, and the shifted numerator a = w (y - c_d) (mean, total) or w (y - c_d x)
(ratio) with its denominator w x, or the weight of every level (categorical); per domain the
shifted second moments the design effect needs. c_d is a pilot value of the domain's estimate
(its first batch's weighted mean or ratio), so that unit totals and variances come out of sums of
small numbers (the shifted-data algorithm, Chan, Golub & LeVeque 1983), as exact as the in-memory
per-row influence values. Per unit: its stratum and whether it has a non-zero weight (for
`degf()`); per stratum: its first row and fpc value. Must not estimate or raise a data problem
(except what reading the file raises), and must not import pandas.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from analysis.design.spec import Design
from analysis.estimators.request import Request
from analysis.io.columns import Coded, Columns, is_text, nrows, numeric
from analysis.io.readers import iter_parquet
from analysis.stream.codes import Dictionary, Firsts, Grid, PairCodes
from analysis.stream.findings import Findings

BATCH_ROWS = 1 << 20


@dataclass(eq=False)
class Scan:
    """Everything one pass accumulates (mutable while the pass runs, read by `finish`)."""

    design: Design
    request: Request
    categorical: bool
    findings: Findings = field(default_factory=Findings)
    strata: Dictionary = field(default_factory=Dictionary)
    psu: Dictionary = field(default_factory=Dictionary)
    others: list[Dictionary] = field(default_factory=list)
    nested: PairCodes | None = None
    unit_stratum: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    last_stratum: dict[int, int] = field(default_factory=dict)
    clashes: dict[int, dict[int, int]] = field(default_factory=dict)
    by: list[Dictionary] = field(default_factory=list)
    combos: list[PairCodes] = field(default_factory=list)
    levels: Dictionary = field(default_factory=Dictionary)
    cells: Grid = field(default_factory=lambda: Grid(("n", "zero", "w", "a", "x"), 2))
    level_cells: Grid = field(default_factory=lambda: Grid(("w",), 3))
    domains: Grid = field(default_factory=lambda: Grid(("rows", "q", "ee", "ex", "xx"), 1))
    units: Grid = field(default_factory=lambda: Grid(("nonzero",), 1))
    stratum_first: Firsts = field(default_factory=Firsts)
    unit_first: Firsts = field(default_factory=Firsts)
    pilot: np.ndarray = field(default_factory=lambda: np.zeros(0))
    binary: bool = True
    n: int = 0

    @property
    def n_units(self) -> int:
        return len(self.nested) if self.nested is not None else len(self.psu)

    @property
    def n_domains(self) -> int:
        if len(self.by) > 1:
            return len(self.combos[-1])
        return len(self.by[0]) if self.by else 1


def scan(path: Path, design: Design, request: Request, numbers: dict[str, bool], batch_rows: int) -> Scan:
    """Accumulate the sums of `request` over `design` in one pass over the Parquet file at `path`;
    `numbers` says which columns hold numbers (a text `--var` of mean or total is categorical)."""
    categorical = request.stat == "prop" or (request.stat in ("mean", "total") and not numbers.get(request.var, True))
    state = Scan(design, request, categorical)
    state.others = [Dictionary() for _ in design.ids[1:]]
    state.by = [Dictionary(missing_level=True) for _ in request.by]
    state.combos = [PairCodes() for _ in request.by[1:]]
    if design.nest and design.strata:
        state.nested = PairCodes()
    needed = {**design.columns(), **request.columns()}
    for columns in iter_parquet(path, needed, batch_rows):
        _batch(state, columns, state.n)
        state.n += nrows(columns)
    return state


def _batch(state: Scan, columns: Columns, offset: int) -> None:
    with np.errstate(all="ignore"):
        strata, psu = _design_codes(state, columns, offset)
        units = _units(state, strata, psu, offset)
        w = _weights(state, columns, offset)
        _fpc(state, columns, strata, offset)
        domain = _domain_codes(state, columns)
        usable, y, x = _analysis(state, columns, offset)
        if not usable.all():
            # rows without a usable value still count in their unit (degf) and domain (rows)
            out = ~usable
            state.units.add([units[out]], {"nonzero": (w[out] != 0).astype(np.float64)})
            state.domains.add([domain[out]], {"rows": None})
            units, domain, w, y = units[usable], domain[usable], w[usable], y[usable]
            x = None if x is None else x[usable]
        zero = w == 0
        if zero.any():
            state.cells.add([units[zero], domain[zero]], {"zero": None})
        if state.categorical:
            _add_levels(state, units, domain, w, y)
        else:
            _add_numbers(state, units, domain, w, y, x)


def _codes(state: Scan, dictionary: Dictionary, columns: Columns, name: str, role: str, offset: int) -> np.ndarray:
    """Global codes of a design column; a missing value is noted and coded 0 (an error follows)."""
    column = columns[name]
    codes = dictionary.codes(column)
    if isinstance(column, np.ndarray) and column.dtype.kind in "biu":
        return codes  # integers read without nulls: nothing is missing
    missing = codes < 0
    state.findings.note(f"missing:{name}:{role}", missing, offset)
    return np.where(missing, 0, codes) if missing.any() else codes


def _design_codes(state: Scan, columns: Columns, offset: int) -> tuple[np.ndarray, np.ndarray]:
    """Stratum codes (0 without strata) and PSU codes; checks every `ids` column for missing values."""
    design = state.design
    n = nrows(columns)
    strata = np.zeros(n, dtype=np.int64)
    if design.strata:
        strata = _codes(state, state.strata, columns, design.strata, "strata", offset)
    if not design.fpc:
        state.stratum_first.note(strata, offset)  # with an fpc, `_fpc` notes the first value too
    ids = [_codes(state, d, columns, name, "ids", offset) for d, name in zip([state.psu, *state.others], design.ids, strict=True)]
    return strata, ids[0]


def _units(state: Scan, strata: np.ndarray, psu: np.ndarray, offset: int) -> np.ndarray:
    """Stage-1 unit codes: the PSU, or the (stratum, PSU) pair under `nest`; records each unit's stratum."""
    if state.nested is not None:
        units = state.nested.codes(strata, psu)
        state.unit_stratum = state.nested.first
        return units
    found = state.unit_first.note(psu, offset)
    if found is not None:
        new, index = found
        fresh = np.full(len(state.psu), -1, dtype=np.int64)
        fresh[: len(state.unit_stratum)] = state.unit_stratum
        fresh[new] = strata[index]
        state.unit_stratum = fresh
    if state.design.strata:
        clash = strata != np.take(state.unit_stratum, psu)
        if clash.any() or state.clashes:
            _note_clashes(state, psu, strata, clash, offset)
    return psu


def _note_clashes(state: Scan, psu: np.ndarray, strata: np.ndarray, clash: np.ndarray, offset: int) -> None:
    """For PSUs found in two strata: the first row of each of their strata and the stratum of
    their last row, so that the error names the PSU the in-memory check names (that of the first
    row off its PSU's last stratum)."""
    for p in np.unique(psu[clash]).tolist():
        if p not in state.clashes:
            state.clashes[p] = {int(state.unit_stratum[p]): int(state.unit_first.row[p])}
    involved = np.flatnonzero(np.isin(psu, np.fromiter(state.clashes, dtype=np.int64)))
    keys = psu[involved] * (int(strata.max(initial=0)) + 1) + strata[involved]
    _, first = np.unique(keys, return_index=True)
    for i in involved[first].tolist():
        state.clashes[int(psu[i])].setdefault(int(strata[i]), offset + i)
    for i in involved.tolist():
        state.last_stratum[int(psu[i])] = int(strata[i])


def _weights(state: Scan, columns: Columns, offset: int) -> np.ndarray:
    """Sampling weights of the batch; missing and invalid values are noted and weighted 0."""
    design = state.design
    name = design.weights or design.probs
    if name is None:
        return np.ones(nrows(columns))
    role = "weights" if design.weights else "probs"
    values = numeric(columns[name], name, role)
    valid = (values >= 0) & (values < np.inf) if design.weights else (values > 0) & (values <= 1)
    if valid.all():  # NaN fails every comparison: nothing missing or invalid
        return values if design.weights else 1.0 / values
    missing = np.isnan(values)
    state.findings.note(f"missing:{name}:{role}", missing, offset)
    if design.weights:
        bad = ~np.isfinite(values) | (values < 0)
    else:
        bad = ~np.isfinite(values) | (values <= 0) | (values > 1)
    state.findings.note("weights:invalid", bad & ~missing, offset, values)
    w = values if design.weights else 1.0 / values
    return np.where(bad, 0.0, w) if bad.any() else w


def _fpc(state: Scan, columns: Columns, strata: np.ndarray, offset: int) -> None:
    """The one fpc column of a single-stage design: missing values, fractions vs counts, and
    whether it varies within a stratum (against the stratum's first value)."""
    if not state.design.fpc:
        return
    name = state.design.fpc[0]
    values = numeric(columns[name], name, "fpc")
    missing = np.isnan(values)
    findings = state.findings
    findings.note(f"missing:{name}:fpc", missing, offset)
    findings.note("fpc:below_one", values < 1, offset, values)
    findings.count("fpc:above_one", values > 1)
    state.stratum_first.note(strata, offset, values)
    first = state.stratum_first.value[strata]
    findings.note("fpc:varies", (values != first) & ~missing & ~np.isnan(first), offset)


def _domain_codes(state: Scan, columns: Columns) -> np.ndarray:
    """Domain codes: the `--by` column's code, or a pair code chained over several columns."""
    if not state.by:
        return np.zeros(nrows(columns), dtype=np.int64)
    names = state.request.by
    domain = state.by[0].codes(columns[names[0]])
    for dictionary, combos, name in zip(state.by[1:], state.combos, names[1:], strict=True):
        domain = combos.codes(domain, dictionary.codes(columns[name]))
    return domain


def _analysis(state: Scan, columns: Columns, offset: int) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Usable rows, the analysis values (level codes when categorical) and the denominator."""
    request = state.request
    column = columns[request.var]
    if state.categorical:
        y = state.levels.codes(column)
        missing = y < 0
    else:
        y = numeric(column, request.var, "--var")
        missing = np.isnan(y)
    state.findings.note(f"value:{request.var}", missing, offset)
    state.findings.count(f"value:{request.var}", missing)
    usable = ~missing
    x = None
    if request.denominator is not None:
        x = numeric(columns[request.denominator], request.denominator, "--denominator")
        lacking = np.isnan(x)
        state.findings.note(f"value:{request.denominator}", lacking, offset)
        state.findings.count(f"value:{request.denominator}", lacking)
        usable &= ~lacking
    return usable, y, x


def _add_levels(state: Scan, units: np.ndarray, domain: np.ndarray, w: np.ndarray, levels: np.ndarray) -> None:
    state.cells.add([units, domain], {"n": None, "w": w})
    state.level_cells.add([units, domain, levels], {"w": w})


def _add_numbers(
    state: Scan, units: np.ndarray, domain: np.ndarray, w: np.ndarray, y: np.ndarray, x: np.ndarray | None
) -> None:
    """Cell sums of w, of the shifted numerator and of w x; the domain's shifted second moments."""
    if state.binary and not ((y == 0) | (y == 1)).all():
        state.binary = False
    c = np.take(_pilot(state, domain, w, y, x), domain)
    e = np.subtract(y, c, out=c) if x is None else y - c * x
    a = w * e
    values: dict[str, np.ndarray | None] = {"n": None, "w": w, "a": a}
    moments: dict[str, np.ndarray | None] = {}
    if x is None:
        moments["q"] = np.multiply(a, e, out=e)
    else:
        values["x"] = w * x
        moments.update(ee=a * e, ex=a * x, xx=values["x"] * x)
    state.cells.add([units, domain], values)
    state.domains.add([domain], moments)


def _pilot(state: Scan, domain: np.ndarray, w: np.ndarray, y: np.ndarray, x: np.ndarray | None) -> np.ndarray:
    """The pilot c_d of every domain: fixed at the first batch where the domain has a non-zero
    weight (rows of zero weight add nothing whatever c is, so they use 0 until then)."""
    size = int(domain.max(initial=-1)) + 1
    if size > len(state.pilot):
        state.pilot = np.concatenate([state.pilot, np.full(size - len(state.pilot), np.nan)])
    if np.isnan(state.pilot[:size]).any():
        total_w = np.bincount(domain, weights=w, minlength=size)
        top = np.bincount(domain, weights=w * y, minlength=size)
        below = total_w if x is None else np.bincount(domain, weights=w * x, minlength=size)
        fresh = np.isnan(state.pilot[:size]) & (total_w > 0)
        state.pilot[:size][fresh] = np.where(below[fresh] != 0, top[fresh] / below[fresh], 0.0)
    return np.where(np.isnan(state.pilot), 0.0, state.pilot)


def text_levels(state: Scan) -> bool:
    """Whether a categorical `--var` of mean or total really is text (no level reads as a number)."""
    return is_text(Coded(np.zeros(0, dtype=np.int64), tuple(state.levels.levels())))
