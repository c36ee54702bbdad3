"""A simulated wave on the bundled county (issue 13, acceptance 3): the whole pure chain, replicated.

A fixed synthetic population is built once from `server/data/county/units.csv`: each village's
listing has households/10 entries (at least 20); a household is eligible with probability 0.95
(the rest are NE: no eligible member) and has 1-4 eligible members; each member has a 0/1 answer
whose probability depends on the township and 城乡. Each replication then runs the wave: allocation
and PPS villages, systematic households with a reserve, Kish respondent selection, field outcomes
(unknown eligibility 3 %, response probability varying by township and 城乡 — missing at random
within the weighting classes — and a reserve replacement for the first failed households of a
village), the weights and design of `analysis.fieldwork.design`, and the estimate of the
proportion by `analysis.estimators.estimate.estimate`, the function `cunsheng estimate` runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis.design.spec import Design
from analysis.estimators.estimate import estimate
from analysis.estimators.request import Request
from analysis.fieldwork.design import Margin, wave_design
from analysis.io.columns import from_frame
from analysis.sampling import respondent
from analysis.sampling.allocation import Allocation, allocate, draw_villages
from analysis.sampling.households import select_households

COUNTY = Path(__file__).resolve().parents[2] / "server" / "data" / "county"
M, R = 8, 3  # sample and reserve households per village


def county_units() -> pd.DataFrame:
    """The bundled county's villages as `allocate` reads them."""
    units = pd.read_csv(COUNTY / "units.csv", dtype=str)
    villages = units[units["level"] == "village"].copy()
    villages["township_code"] = villages["parent"]
    villages["urban_rural"] = np.where(villages["urban_rural"].str.startswith("1"), "urban", "rural")
    villages["households"] = villages["households"].astype(int)
    return villages[["code", "township_code", "urban_rural", "households"]].reset_index(drop=True)


@dataclass(frozen=True, eq=False)
class Population:
    """The fixed synthetic population: per village its listing, eligibility, members and answers."""

    units: pd.DataFrame
    listing: dict[str, int]
    eligible: dict[str, np.ndarray]  # per village: household eligible (bool), by listing number - 1
    members: dict[str, np.ndarray]  # eligible members per household (0 where not eligible)
    answers: dict[str, list[np.ndarray]]  # 0/1 answer of each member, per household
    respond: dict[str, float]  # response probability per village
    truth: float  # proportion of 1s among all eligible members
    persons: dict[str, float]  # eligible members by 城乡 (the calibration margin)


def population(rng: np.random.Generator) -> Population:
    """Build the population (the answers' probability varies by township and 城乡)."""
    units = county_units()
    towns = sorted(units["township_code"].unique())
    listing, eligible, members, answers, respond = {}, {}, {}, {}, {}
    ones = total = 0
    persons = {"urban": 0.0, "rural": 0.0}
    for code, town, part, size in units.itertuples(index=False):
        t = towns.index(town)
        big = max(int(round(size / 10)), 20)
        ok = rng.random(big) < 0.95
        count = np.where(ok, 1 + rng.binomial(3, 0.4, big), 0)
        p_yes = 0.2 + 0.05 * t + (0.15 if part == "urban" else 0.0)
        said = [(rng.random(c) < p_yes).astype(np.int64) for c in count]
        listing[code], eligible[code], members[code], answers[code] = big, ok, count, said
        respond[code] = 0.55 + 0.03 * (t % 5) + (0.1 if part == "rural" else 0.0)
        ones += sum(int(a.sum()) for a in said)
        total += int(count.sum())
        persons[part] += float(count.sum())
    return Population(units, listing, eligible, members, answers, respond, ones / total, persons)


def one_wave(pop: Population, allocation: Allocation, rng: np.random.Generator) -> pd.DataFrame:
    """The case records of one replication (one row per approached household)."""
    villages = draw_villages(pop.units, allocation, rng)
    parts: dict[str, list[np.ndarray]] = {k: [] for k in ("village", "index", "p_household", "replacement")}
    for at, code in enumerate(villages["code"]):
        chosen = select_households(pop.listing[code], M, R, rng)
        parts["village"].append(np.full(M + R, at))
        parts["index"].append(np.r_[chosen.sample, chosen.reserve] - 1)
        parts["p_household"].append(np.r_[np.full(M, chosen.prob), np.full(R, chosen.reserve_prob)])
        parts["replacement"].append(np.r_[np.zeros(M, bool), np.ones(R, bool)])
    village, index, p_household, replacement = (np.concatenate(parts[k]) for k in parts)
    cases = villages.iloc[village].reset_index(drop=True)
    codes = cases["code"].to_numpy()
    count = np.array([pop.members[c][i] for c, i in zip(codes, index, strict=True)])
    ok = np.array([pop.eligible[c][i] for c, i in zip(codes, index, strict=True)])
    answered = rng.random(len(codes)) < np.array([pop.respond[c] for c in codes])
    disposition = np.where(rng.random(len(codes)) < 0.03, "3.10", np.where(~ok, "4.70", np.where(answered, "1.1", "2.10")))
    disposition = np.where((disposition == "2.10") & (rng.random(len(codes)) < 0.4), "2.20", disposition)
    used = _reserve_used(village, replacement, np.isin(disposition, ["2.10", "2.20"]))
    lines = respondent.kish_lines(rng.choice(len(respondent.TABLES), size=len(codes), p=respondent.SHARES),
                                  np.maximum(count, 1))
    done = disposition == "1.1"
    y = np.array([pop.answers[c][i][line - 1] if d else np.nan
                  for c, i, line, d in zip(codes, index, lines, done, strict=True)], dtype=np.float64)
    frame = pd.DataFrame({
        "case_id": [f"{c}-{i + 1}" for c, i in zip(codes, index, strict=True)], "village_code": codes,
        "township_code": cases["township_code"], "urban_rural": cases["urban_rural"], "stratum": cases["stratum"],
        "certainty": cases["certainty"], "p_village": cases["prob"], "p_household": p_household,
        "p_person": np.where(done, 1.0 / np.maximum(count, 1), np.nan), "replacement": replacement,
        "disposition": disposition, "y": y,
    })
    return frame.loc[~replacement | used].reset_index(drop=True)


def _reserve_used(village: np.ndarray, replacement: np.ndarray, failed: np.ndarray) -> np.ndarray:
    """Reserve rows used: in each village, in order of use, one per sample household that failed."""
    n_failed = np.bincount(village, weights=failed & ~replacement).astype(np.int64)
    position = np.tile(np.r_[np.zeros(M, np.int64), np.arange(R)], len(n_failed))
    return replacement & (position < n_failed[village])


def replicate(pop: Population, allocation: Allocation, rng: np.random.Generator) -> tuple[float, float, float, float]:
    """One replication's estimate, SE and 95 % interval of the proportion of 1s."""
    cases = one_wave(pop, allocation, rng)
    margin = Margin(("urban_rural",), {(part,): count for part, count in pop.persons.items()})
    wave = wave_design(cases, [margin])
    data = wave.respondents
    design = Design.from_json(wave.design)
    result = estimate(from_frame(data, ["psu", "stratum", "weight", "y"]), design, Request("mean", "y"))
    numbers = result.numbers
    return (float(numbers["estimate"][0]), float(numbers["se"][0]),
            float(numbers["ci_low"][0]), float(numbers["ci_high"][0]))


def simulate(replications: int, seed: int, n_villages: int = 30) -> tuple[float, np.ndarray]:
    """The truth and one row (estimate, se, ci_low, ci_high) per replication."""
    rng = np.random.default_rng(seed)
    pop = population(rng)
    allocation = allocate(pop.units, n_villages)
    out = np.array([replicate(pop, allocation, rng) for _ in range(replications)])
    return pop.truth, out
