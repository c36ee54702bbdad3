"""Allocation of a wave's villages to strata, and the stratified PPS draw (fieldwork README §3, §5).

The default strata are 乡镇 × 城乡 (stratum id `<township_code>-urban` / `-rural`). The n villages are
allocated in proportion to the strata's households (or equally, or as given), rounded by the largest
remainder method (Hamilton; Cochran 1977, *Sampling Techniques*, §5.5 proportional allocation),
never more than a stratum's villages (a stratum whose quota exceeds its villages takes them all and
the rest is apportioned again). In each stratum the certainty villages of §3's iterative rule
(size >= k = M_h / n_h, repeated on the rest) are self-representing: each becomes a stratum of its
own whose id is its village code (Kish 1965, *Survey Sampling*, §7.2). Every other stratum must
keep at least 2 non-certainty villages (so that the with-replacement variance can be estimated;
Lohr 2022, §6.4): the first stratum in code order that would get fewer is merged with the other
城乡 part of its township, else with the next township in code order (the previous one for the
last), the allocation is made again, and so on; every merge is recorded with a Chinese description.
A merged stratum is named by its parts: a township's two parts by the township code, several
townships joined with `+`. `draw_villages` then runs `analysis.sampling.pps.draw` over the units in
code order with that allocation, exactly as `cunsheng sample pps FRAME --strata stratum --allocation`
would with the same seed. Pure: no files, no storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.errors import AnalysisError, E, show
from analysis.sampling import pps

METHODS = ("proportional", "equal", "given")
MIN_VILLAGES = 2
COLUMNS = ("code", "township_code", "urban_rural", "households")
PART_ZH = {"urban": "城镇", "rural": "乡村"}
METHOD_ZH = {"proportional": "按住户数比例", "equal": "等额", "given": "按给定"}

Cell = tuple[str, str]  # (township_code, urban_rural): one stratum of the default stratification
Group = frozenset[Cell]


@dataclass(frozen=True)
class Merge:
    """Two strata merged because `short` would keep fewer than 2 non-certainty villages."""

    short: str  # the stratum that was short
    partner: str  # the stratum it was merged with
    into: str  # the merged stratum's id
    step: str  # "urban_rural" (other part of the township) or "township" (next township)
    n: int  # non-certainty villages the short stratum would have got
    description: str  # the same in Chinese, for the report


@dataclass(frozen=True, eq=False)
class Allocation:
    """The strata of a wave: each unit's stratum, villages to draw per stratum, certainty units, merges."""

    method: str
    n: int
    stratum: Mapping[str, str]  # unit code -> stratum id (a certainty village: its own code)
    sizes: Mapping[str, int]  # stratum id -> villages to draw (1 for a certainty stratum)
    certainty: tuple[str, ...]  # codes of the certainty villages, in code order
    merges: tuple[Merge, ...]

    def table(self) -> pd.DataFrame:
        """The allocation as `cunsheng sample pps --allocation` reads it (columns stratum, n)."""
        return pd.DataFrame({"stratum": list(self.sizes), "n": list(self.sizes.values())})


def stratum_id(group: Group) -> str:
    """A stratum's id from its cells: `<township>-urban`, a whole township's code, parts joined by `+`."""
    parts: dict[str, set[str]] = {}
    for township, part in group:
        parts.setdefault(township, set()).add(part)
    return "+".join(t if len(p) == 2 else f"{t}-{next(iter(p))}" for t, p in sorted(parts.items()))


def allocate(
    units: pd.DataFrame, n: int, method: str = "proportional", given: Mapping[str, int] | None = None
) -> Allocation:
    """Allocate n villages to 乡镇 × 城乡 strata of `units` (columns code, township_code, urban_rural,
    households): proportional / equal / given (default-stratum id -> n, summing to n), largest
    remainder, certainty villages as their own strata, short strata merged (README §5)."""
    frame = _frame(units)
    if method not in METHODS:
        raise AnalysisError(E.ALLOC_METHOD, value=show(method), allowed=", ".join(METHODS))
    if not MIN_VILLAGES <= n <= len(frame):
        raise AnalysisError(E.ALLOC_N, n=n, units=len(frame))
    cells = list(zip(frame["township_code"], frame["urban_rural"], strict=True))
    groups: list[Group] = [frozenset({cell}) for cell in sorted(set(cells))]
    wanted = _given(given, groups, n, cells) if method == "given" else None
    townships = sorted({t for t, _ in cells})
    merges: list[Merge] = []
    while True:
        counts = _apportion_groups(frame, cells, groups, n, method, wanted)
        short = _first_short(frame, cells, groups, counts)
        if short is None:
            break
        at, n_rest = short
        if len(groups) == 1:
            raise AnalysisError(E.ALLOC_TOO_SMALL, n=n)
        partner, step = _partner(groups, groups[at], townships)
        short_group = groups[at]
        merges.append(_merge(short_group, partner, short_group | partner, step, n_rest, method))
        groups = sorted([g for g in groups if g not in (short_group, partner)] + [short_group | partner], key=min)
    return _result(frame, cells, groups, counts, method, n, merges)


def draw_villages(units: pd.DataFrame, allocation: Allocation, seed: int | np.random.Generator) -> pd.DataFrame:
    """The selected villages: the units' columns plus stratum, prob, certainty (bool) and
    selection_order, drawn by `pps.draw` in code order (one `default_rng(seed)` as `cunsheng sample pps`,
    or the given generator)."""
    frame = _frame(units).drop(columns=["stratum"], errors="ignore")
    frame["stratum"] = [allocation.stratum[code] for code in frame["code"]]
    selected, _ = pps.draw(frame, "households", "stratum", None, dict(allocation.sizes), seed)
    return selected.assign(certainty=selected["certainty"].astype(bool))


def _frame(units: pd.DataFrame) -> pd.DataFrame:
    """The units in code order with text codes and integer households."""
    for column in COLUMNS:
        if column not in units.columns:
            raise AnalysisError(E.WAVE_COLUMN, column=column)
    frame = units.copy()
    for column in ("code", "township_code", "urban_rural"):
        frame[column] = frame[column].astype(str)
    frame["households"] = frame["households"].astype(np.float64)
    return frame.sort_values("code", kind="stable").reset_index(drop=True)


def _given(given: Mapping[str, int] | None, groups: list[Group], n: int, cells: list[Cell]) -> dict[Cell, int]:
    """The given allocation per default stratum, checked: every stratum once, within its villages, sum n."""
    ids = {stratum_id(g): next(iter(g)) for g in groups}
    given = given or {}
    unknown = [s for s in given if s not in ids]
    missing = [s for s in ids if s not in given]
    if unknown or missing:
        zh, en = ("含有未知的层", "names an unknown stratum") if unknown else ("缺少层", "lacks the stratum")
        raise AnalysisError(E.ALLOC_GIVEN, problem_zh=zh, problem_en=en, value=show((unknown or missing)[0]))
    over = [s for s, cell in ids.items() if not 0 <= given[s] <= cells.count(cell)]
    if over:
        raise AnalysisError(E.ALLOC_GIVEN, problem_zh="超出该层村数", problem_en="exceeds the stratum's villages",
                            value=show(over[0]))
    if sum(given.values()) != n:
        raise AnalysisError(E.ALLOC_GIVEN, problem_zh=f"合计不等于 n = {n}", problem_en=f"does not sum to n = {n}",
                            value=show(sum(given.values())))
    return {cell: int(given[s]) for s, cell in ids.items()}


def apportion(weights: np.ndarray, n: int, caps: np.ndarray) -> np.ndarray:
    """Largest-remainder apportionment of n in proportion to `weights`, none above its cap (capped
    groups take their cap and the rest is apportioned again); ties go to the earlier group."""
    out = np.zeros(len(weights), dtype=np.int64)
    free = np.ones(len(weights), dtype=bool)
    left = n
    while True:
        where = np.flatnonzero(free)
        if where.size == 0:
            return out
        quota = left * weights[where] / weights[where].sum()
        over = quota > caps[where] + 1e-9
        if not over.any():
            break
        out[where[over]] = caps[where[over]]
        left -= int(caps[where[over]].sum())
        free[where[over]] = False
    floor = np.floor(quota + 1e-9).astype(np.int64)
    extra = left - int(floor.sum())
    order = np.argsort(-(quota - floor), kind="stable")[:extra]
    floor[order] += 1
    out[where] = floor
    return out


def _members(cells: list[Cell], group: Group) -> np.ndarray:
    return np.array([cell in group for cell in cells], dtype=bool)


def _apportion_groups(frame: pd.DataFrame, cells: list[Cell], groups: list[Group], n: int, method: str,
                      wanted: Mapping[Cell, int] | None) -> list[int]:
    """Villages per group: given counts summed, or the largest-remainder apportionment."""
    if wanted is not None:
        return [sum(wanted[c] for c in g) for g in groups]
    masks = [_members(cells, g) for g in groups]
    caps = np.array([m.sum() for m in masks], dtype=np.int64)
    households = frame["households"].to_numpy()
    weights = np.array([households[m].sum() if method == "proportional" else 1.0 for m in masks])
    return apportion(weights, n, caps).tolist()


def _first_short(frame: pd.DataFrame, cells: list[Cell], groups: list[Group],
                 counts: list[int]) -> tuple[int, int] | None:
    """The first group (code order) whose non-certainty villages would get fewer than 2 draws."""
    households = frame["households"].to_numpy()
    for at, (group, n_h) in enumerate(zip(groups, counts, strict=True)):
        sizes = households[_members(cells, group)]
        sure = pps.certainty_units(sizes, n_h) if n_h > 0 else np.zeros(len(sizes), dtype=bool)
        rest, n_rest = int((~sure).sum()), n_h - int(sure.sum())
        if rest > 0 and n_rest < MIN_VILLAGES:
            return at, n_rest
    return None


def _partner(groups: list[Group], short: Group, townships: list[str]) -> tuple[Group, str]:
    """The other 城乡 part of the short group's township, else the next township's (the previous for the last)."""
    own = {t for t, _ in short}
    for group in groups:
        if group != short and any(t in own for t, _ in group):
            return group, "urban_rural"
    later = [t for t in townships if t > max(own)]
    target = later[0] if later else [t for t in townships if t < min(own)][-1]
    return next(g for g in groups if any(t == target for t, _ in g)), "township"


def _merge(short: Group, partner: Group, merged: Group, step: str, n_rest: int, method: str) -> Merge:
    a, b, into = stratum_id(short), stratum_id(partner), stratum_id(merged)
    if step == "urban_rural":
        other = "、".join(sorted({PART_ZH[p] for _, p in partner}))
        whom = f"同乡镇的{other}部分（层 {b}）"
    else:
        whom = f"按代码顺序相邻乡镇的层 {b} "
    text = (f"层 {a} {METHOD_ZH[method]}分配只得 {n_rest} 个非必选村（每层至少 {MIN_VILLAGES} 个），"
            f"与{whom}合并为层 {into}")
    return Merge(a, b, into, step, n_rest, text)


def _result(frame: pd.DataFrame, cells: list[Cell], groups: list[Group], counts: list[int], method: str,
            n: int, merges: list[Merge]) -> Allocation:
    """Each unit's final stratum (certainty villages their own), the sizes, the certainty codes."""
    households, codes = frame["households"].to_numpy(), frame["code"].to_numpy()
    stratum: dict[str, str] = {}
    sizes: dict[str, int] = {}
    certainty: list[str] = []
    for group, n_h in zip(groups, counts, strict=True):
        where = np.flatnonzero(_members(cells, group))
        sure = pps.certainty_units(households[where], n_h) if n_h > 0 else np.zeros(len(where), dtype=bool)
        name = stratum_id(group)
        for code, is_sure in zip(codes[where], sure, strict=True):
            stratum[str(code)] = str(code) if is_sure else name
        if (~sure).any():
            sizes[name] = n_h - int(sure.sum())
        certainty += [str(c) for c in codes[where][sure]]
    for code in certainty:
        sizes[code] = 1
    ordered = dict(sorted(sizes.items()))
    return Allocation(method, n, stratum, ordered, tuple(sorted(certainty)), tuple(merges))
