"""Default weights of self-completed responses: post-stratification to the unit's population.

Residents who complete a questionnaire on the web are a non-probability sample. Until a probability
sample exists, their answers are weighted to the population structure of the unit they live in
(Lohr 2022, "Sampling: Design and Analysis", 3rd ed., §4.4 post-stratification; Valliant, Dever &
Kreuter 2018, §14.2 collapsing cells): each respondent in cell g gets N_g / n_g, and the design
file says `postStratify(svydesign(ids = ~1, weights = ~weight), ~poststratum, population)` so that
the variance knows about the calibration (R `survey`; the calibration leaves these weights as they are).

The cells are the questionnaire's declared ones (sex, age_group, urban_rural). A cell with fewer
than `min_n` respondents (or respondents but no population) is merged with the next age group (the
previous one for the oldest), then across 城乡 with the cells of the same sex and overlapping ages,
then, as a last resort, everything into one cell; every merge is returned so reports can list it.
Cells with neither respondents nor population are left out. Only `channel == "web"` rows whose
cell variables are present and inside the target (its sexes and age groups) are in the pool; the
others are counted by reason. Pure: a DataFrame and a population table in, a DataFrame and a design
document out; must not read storage or render.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from analysis.errors import AnalysisError, E

Cell = tuple[str, ...]
BANDS = ("0-2", "3-5", "6-9", "10-17", "18-34", "35-59", "60+")  # population.csv's age bands, youngest first
LEVELS = {"sex": ("F", "M"), "age_group": BANDS, "urban_rural": ("urban", "rural")}
SELF_CHANNEL = "web"
MIN_N = 10


@dataclass(frozen=True)
class Target:
    """Whom the respondents stand for: residents of some sexes and age groups, or households, by cells."""

    cells: tuple[str, ...]
    count: str = "residents"
    sexes: tuple[str, ...] = ("F", "M")
    age_groups: tuple[str, ...] = ()

    def levels(self, dim: str) -> tuple[str, ...]:
        if dim == "sex":
            return self.sexes
        if dim == "age_group":
            return self.age_groups or BANDS
        return LEVELS[dim]


@dataclass(frozen=True)
class Merge:
    """Cells merged because one of them was too small: `step` is age_group, urban_rural or all."""

    cells: tuple[Cell, ...]
    step: str
    n: int


@dataclass(frozen=True)
class Stratum:
    """A final adjustment cell: its label (the `poststratum` value), original cells, counts, weight."""

    label: str
    cells: tuple[Cell, ...]
    n: int
    population: float

    @property
    def weight(self) -> float:
        return self.population / self.n if self.n else 0.0


@dataclass(frozen=True, eq=False)
class Weighted:
    """The pool with `weight` and `poststratum`, the design document, the cells, merges and exclusions."""

    data: pd.DataFrame
    design: dict[str, Any]
    strata: tuple[Stratum, ...]
    merges: tuple[Merge, ...]
    excluded: dict[str, int]


def label_of(cells: tuple[Cell, ...]) -> str:
    """The `poststratum` value of a group of cells: `35-59:rural|60+:rural`."""
    return "|".join(":".join(cell) for cell in cells)


def pool(frame: pd.DataFrame, target: Target) -> tuple[pd.DataFrame, dict[str, int]]:
    """The rows that are post-stratified, and how many others were left out, by reason."""
    web = frame["channel"].astype("string").eq(SELF_CHANNEL).fillna(False).to_numpy(dtype=bool)
    known = frame[list(target.cells)].notna().all(axis=1).to_numpy(dtype=bool)
    inside = web.copy()
    for dim, allowed in (("sex", target.sexes), ("age_group", target.age_groups or BANDS)):
        values = frame[dim].astype("string")
        inside &= (values.isna() | values.isin(allowed)).to_numpy(dtype=bool)
    excluded = {"not_web": int((~web).sum()), "outside_target": int((web & ~inside).sum()),
                "cell_missing": int((inside & ~known).sum())}
    return frame.loc[inside & known].reset_index(drop=True), excluded


def poststratify(frame: pd.DataFrame, population: Mapping[Cell, float], target: Target,
                 min_n: int = MIN_N) -> Weighted:
    """Post-stratify the self-completed rows of `frame` to `population` (cell tuple in `target.cells`
    order -> count), merging small cells; the design document is the analysis CLI's format."""
    data, excluded = pool(frame, target)
    if data.empty:
        raise AnalysisError(E.SELF_NO_RESPONDENTS)
    keys = list(data[list(target.cells)].astype(str).itertuples(index=False, name=None))
    counts: dict[Cell, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    universe = _cells(target)
    pop = {cell: float(population.get(cell, 0)) for cell in universe}
    if sum(pop.values()) <= 0:
        raise AnalysisError(E.SELF_NO_POPULATION)
    groups = [[cell] for cell in universe if counts.get(cell, 0) > 0 or pop[cell] > 0]
    merges = _Merger(target, counts, pop, min_n).run(groups)
    strata = tuple(Stratum(label_of(tuple(g)), tuple(g), sum(counts.get(c, 0) for c in g), sum(pop[c] for c in g))
                   for g in merges[0])
    of_cell = {cell: s for s in strata for cell in s.cells}
    data = data.copy()
    data["poststratum"] = pd.array([of_cell[k].label for k in keys], dtype="string")
    data["weight"] = pd.array([of_cell[k].weight for k in keys], dtype="float64")
    return Weighted(data, design_document(strata), strata, merges[1], excluded)


def design_document(strata: tuple[Stratum, ...]) -> dict[str, Any]:
    """`postStratify(svydesign(ids=~1, weights=~weight), ~poststratum, population)` as design JSON."""
    rows = [{"poststratum": s.label, "Freq": s.population} for s in strata if s.n > 0]
    return {"ids": [], "strata": None, "weights": "weight", "probs": None, "fpc": None, "nest": False,
            "lonely_psu": "fail", "replicate": None,
            "calibration": {"method": "poststratify", "strata": ["poststratum"], "population": rows}}


def _cells(target: Target) -> list[Cell]:
    cells: list[Cell] = [()]
    for dim in target.cells:
        cells = [(*cell, level) for cell in cells for level in target.levels(dim)]
    return cells


class _Merger:
    """Greedy cell collapsing: next age group, then across 城乡, then everything."""

    def __init__(self, target: Target, counts: Mapping[Cell, int], pop: Mapping[Cell, float], min_n: int):
        self.dims = target.cells
        self.counts, self.pop, self.min_n = counts, pop, min_n
        self.merges: list[Merge] = []

    def n(self, group: list[Cell]) -> int:
        return sum(self.counts.get(c, 0) for c in group)

    def bad(self, group: list[Cell]) -> bool:
        return self.n(group) < self.min_n or sum(self.pop[c] for c in group) <= 0

    def run(self, groups: list[list[Cell]]) -> tuple[list[list[Cell]], tuple[Merge, ...]]:
        if "age_group" in self.dims:
            groups = self._by_age(groups)
        if "urban_rural" in self.dims:
            groups = self._across(groups, self.dims.index("urban_rural"))
        if len(groups) > 1 and any(self.bad(g) for g in groups):
            self.merges.append(Merge(tuple(c for g in groups for c in g), "all",
                                     min(self.n(g) for g in groups if self.bad(g))))
            groups = [[c for g in groups for c in g]]
        return groups, tuple(self.merges)

    def _by_age(self, groups: list[list[Cell]]) -> list[list[Cell]]:
        at = self.dims.index("age_group")
        rest: dict[Cell, list[list[Cell]]] = {}
        for g in groups:  # single cells here, in age order within each combination of the other dims
            rest.setdefault(g[0][:at] + g[0][at + 1:], []).append(g)
        out: list[list[Cell]] = []
        for line in rest.values():
            while len(line) > 1 and (i := next((k for k, g in enumerate(line) if self.bad(g)), None)) is not None:
                j = i + 1 if i + 1 < len(line) else i - 1
                low, high = min(i, j), max(i, j)
                self.merges.append(Merge((*line[low], *line[high]), "age_group", self.n(line[i])))
                line[low:high + 1] = [line[low] + line[high]]
            out += line
        return out

    def _across(self, groups: list[list[Cell]], at: int) -> list[list[Cell]]:
        def rest(g: list[Cell]) -> set[Cell]:
            return {c[:at] + c[at + 1:] for c in g}

        while (g := next((g for g in groups if self.bad(g)
                          and any(h is not g and rest(h) & rest(g) for h in groups)), None)) is not None:
            partners = [h for h in groups if h is not g and rest(h) & rest(g)]
            merged = g + [c for h in partners for c in h]
            self.merges.append(Merge(tuple(merged), "urban_rural", self.n(g)))
            groups = [h for h in groups if h is not g and not any(h is p for p in partners)] + [merged]
        return groups
