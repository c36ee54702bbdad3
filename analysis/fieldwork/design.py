"""A wave's weights and its design for estimation, built from the case records (README §5).

One row per case (household) carries the stage probabilities p_village, p_household and p_person
(NaN where the person stage was not reached), its AAPOR final disposition (§4) and, for a
respondent, the calibration variables. The weighting chain follows Valliant, Dever & Kreuter (2018),
*Practical Tools for Designing and Weighting Survey Samples*, ch. 13-14, as `analysis.weighting`:

1. household base weight 1/(p_village · p_household) for every case of the original sample;
2. unknown eligibility (UH, UO): within each weighting class the weights of the cases of known
   eligibility (I, P, R, NC, O, NE) are multiplied by Σ w(all) / Σ w(known) (VDK §13.4);
   the not eligible (NE) are then dropped;
3. nonresponse (R, NC, O, and P unless P counts as a respondent): respondents' weights times
   Σ w(eligible) / Σ w(respondents) in their class (VDK §13.5). Classes are villages, collapsed to
   乡镇 × 城乡, then 乡镇, then the county below `min_respondents` (`analysis.fieldwork.classes`).
   A field replacement from the reserve list (`analysis.sampling.households`) keeps its own
   probability; it is not part of the original sample, so it adds to the class's respondent total
   only (the households it replaces are already counted among the eligible); replacements that
   did not respond are dropped;
4. the person weight: the adjusted household weight times 1/p_person (`base_weight` of a
   respondent is the full 1/(p_village · p_household · p_person));
5. calibration to population margins (`Margin`): one margin is post-stratification, several are
   raking (R `survey`'s `postStratify()` / `rake()`, through `analysis.calibration`);
6. trimming at `trim_multiple` × the median weight, the excess shared among the other weights so
   the total is kept (`analysis.weighting.steps.trim`, VDK §14.4).

The design for `cunsheng estimate` treats stage 1 as sampling with replacement (Hansen-Hurwitz;
Lohr 2022, §6.4; Särndal, Swensson & Wretman 1992, §4.6): ids = the PSU, strata, the final weight,
no fpc. A certainty village is a stratum of its own and its households are its PSUs. Pure: a
DataFrame in, frames and a design document out; must not read storage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from analysis.calibration.calibrator import bind
from analysis.calibration.spec import CalibrationSpec, PostStratify, Rake
from analysis.calibration.spec import Margin as RakeMargin
from analysis.errors import AnalysisError, E, show
from analysis.fieldwork import rates
from analysis.fieldwork.classes import Collapse, Village, collapse
from analysis.io.columns import from_frame
from analysis.weighting import steps
from analysis.weighting.diagnostics import margin_check, summary

REQUIRED = ("case_id", "village_code", "township_code", "urban_rural", "stratum", "certainty",
            "p_village", "p_household", "p_person", "replacement", "disposition")
KNOWN = ("I", "P", "R", "NC", "O", "NE")
ELIGIBLE = ("I", "P", "R", "NC", "O")
MIN_RESPONDENTS = 10
TRIM_MULTIPLE = 5.0


@dataclass(frozen=True)
class Margin:
    """A calibration margin: the respondent columns it crosses and the population count of each cell."""

    vars: tuple[str, ...]  # e.g. ("age_group", "urban_rural")
    population: Mapping[tuple[str, ...], float]  # cell (values in `vars` order) -> count

    def rows(self) -> tuple[dict[str, Any], ...]:
        """The population as the design file writes it: one {var: value, ..., "Freq": count} per cell."""
        return tuple({**dict(zip(self.vars, cell, strict=True)), "Freq": float(count)}
                     for cell, count in self.population.items())


@dataclass(frozen=True, eq=False)
class WaveDesign:
    """The respondents with every step's weights, the cases, the summaries, collapses and the design."""

    respondents: pd.DataFrame  # + base_weight, nr_weight, cal_weight, weight, stratum, psu, nr_class
    cases: pd.DataFrame  # every case: category, nr_class, household_weight, known_weight, nr_household_weight
    steps: tuple[dict[str, Any], ...]  # {"stage": base|nonresponse|calibration|trim, **summary}
    collapses: tuple[Collapse, ...]
    margins: tuple[dict[str, Any], ...]  # calibration check of the final weights, per cell
    design: dict[str, Any]  # the `cunsheng estimate` design document
    note: str  # the methods note, in Chinese


def calibration_spec(margins: Sequence[Margin]) -> CalibrationSpec | None:
    """Post-stratification for one margin, raking for several, nothing for none."""
    if not margins:
        return None
    if len(margins) == 1:
        return PostStratify(method="poststratify", strata=margins[0].vars, population=margins[0].rows())
    return Rake(method="rake", margins=tuple(RakeMargin(vars=m.vars, population=m.rows()) for m in margins))


def wave_design(
    cases: pd.DataFrame,
    margins: Sequence[Margin] = (),
    respondent_categories: Sequence[str] = ("I",),
    min_respondents: int = MIN_RESPONDENTS,
    trim_multiple: float | None = TRIM_MULTIPLE,
    lonely_psu: str = "adjust",
) -> WaveDesign:
    """Weights and the estimation design of a wave from its case records (one row per household);
    `respondent_categories` are the AAPOR categories that count as respondents (I, or I and P)."""
    frame = _checked(cases, respondent_categories)
    responded = frame["category"].isin(respondent_categories).to_numpy()
    labels_of, collapses = collapse(_villages(frame, responded), min_respondents)
    frame["nr_class"] = frame["village_code"].map(labels_of)
    frame = _household_weights(frame, responded)
    resp = frame.loc[responded].reset_index(drop=True)
    resp["base_weight"] = resp["household_weight"] / resp["p_person"]
    resp["nr_weight"] = resp["nr_household_weight"] / resp["p_person"]
    spec = calibration_spec(margins)
    w = resp["nr_weight"].to_numpy()
    if spec is not None:
        w = bind(spec, from_frame(resp, list(spec.columns()))).calibrate(w)
    resp["cal_weight"] = w
    if trim_multiple is not None:
        w = steps.trim(w, trim_multiple * float(np.median(w)))
    resp["weight"] = w
    resp = _design_columns(resp)
    stages = [{"stage": name, **summary(resp[column].to_numpy())} for name, column in
              (("base", "base_weight"), ("nonresponse", "nr_weight"), ("calibration", "cal_weight"), ("trim", "weight"))]
    check = margin_check(w, from_frame(resp, list(spec.columns())), spec) if spec is not None else []
    design = design_document(lonely_psu)
    note = methods_note(resp, collapses, trim_multiple)
    return WaveDesign(resp, frame, tuple(stages), collapses, tuple(check), design, note)


def design_document(lonely_psu: str = "adjust") -> dict[str, Any]:
    """`svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, nest = TRUE)`: stage 1 with replacement."""
    return {"ids": ["psu"], "strata": "stratum", "weights": "weight", "probs": None, "fpc": None, "nest": True,
            "lonely_psu": lonely_psu, "replicate": None, "calibration": None}


def _checked(cases: pd.DataFrame, respondent_categories: Sequence[str]) -> pd.DataFrame:
    """A copy with a `category` column, every required column present and the probabilities in (0, 1]."""
    for column in REQUIRED:
        if column not in cases.columns:
            raise AnalysisError(E.WAVE_COLUMN, column=column)
    frame = cases.reset_index(drop=True).copy()
    frame["category"] = rates.categories([str(c) for c in frame["disposition"]])
    for column in ("case_id", "village_code", "township_code", "urban_rural", "stratum"):
        frame[column] = frame[column].astype(str)
    for column in ("certainty", "replacement"):
        frame[column] = frame[column].astype(bool)
    responded = frame["category"].isin(respondent_categories)
    if not responded.any():
        raise AnalysisError(E.WAVE_NO_RESPONDENTS, categories=", ".join(respondent_categories))
    for column, rows in (("p_village", None), ("p_household", None), ("p_person", responded)):
        p = frame[column].astype(np.float64)
        bad = ~((p > 0) & (p <= 1)) if rows is None else rows & ~((p > 0) & (p <= 1))
        if bad.any():
            at = int(np.flatnonzero(bad.to_numpy())[0])
            raise AnalysisError(E.WAVE_PROB, case=show(frame["case_id"][at]), column=column, value=show(float(p[at])))
        frame[column] = p
    return frame


def _villages(frame: pd.DataFrame, responded: np.ndarray) -> dict[str, Village]:
    """Each village's township, 城乡 and respondent count (replacements included)."""
    grouped = frame.assign(responded=responded).groupby("village_code", sort=True).agg(
        township=("township_code", "first"), part=("urban_rural", "first"), n=("responded", "sum"))
    return {str(code): Village(str(t), str(p), int(n)) for code, t, p, n in grouped.itertuples()}


def _household_weights(frame: pd.DataFrame, responded: np.ndarray) -> pd.DataFrame:
    """Household base weights, then the unknown-eligibility and nonresponse adjustments within classes;
    rows outside a step (NE, unknown, non-responding replacements) get weight 0 from it on."""
    hw = 1.0 / (frame["p_village"].to_numpy() * frame["p_household"].to_numpy())
    original = ~frame["replacement"].to_numpy()
    category = frame["category"].to_numpy()
    codes, labels = pd.factorize(frame["nr_class"], sort=True)
    names = [str(label) for label in labels]
    known = np.isin(category, KNOWN)
    w1 = np.zeros(len(frame))
    w1[original] = steps.nonresponse_adjust(hw[original], known[original], codes[original], names)
    w1[~original] = np.where(responded[~original], hw[~original], 0.0)
    eligible = np.isin(category, ELIGIBLE) & (original | responded)
    w2 = np.zeros(len(frame))
    w2[eligible] = steps.nonresponse_adjust(w1[eligible], responded[eligible], codes[eligible], names,
                                            counted=original[eligible])
    return frame.assign(household_weight=hw, known_weight=w1, nr_household_weight=w2)


def _design_columns(resp: pd.DataFrame) -> pd.DataFrame:
    """`stratum` and `psu` of the design: a certainty village is its own stratum with households as PSUs."""
    sure = resp["certainty"].to_numpy()
    resp["stratum"] = np.where(sure, resp["village_code"], resp["stratum"])
    resp["psu"] = np.where(sure, resp["case_id"], resp["village_code"])
    return resp


def methods_note(resp: pd.DataFrame, collapses: Sequence[Collapse], trim_multiple: float | None) -> str:
    """The methods note of the report, in Chinese."""
    n_rep = int(resp["replacement"].sum())
    n_sure = int(resp.loc[resp["certainty"], "village_code"].nunique())
    parts = [
        "方差估计把第一阶段（按住户数规模成比例的系统抽样抽取村/社区）近似为有放回抽样，不作有限总体校正；"
        "这是不放回 PPS 抽样的常用近似，所得标准误一般略偏保守。",
        f"必选（自代表）村/社区共 {n_sure} 个，各自单独成层，以样本户为初级抽样单位。",
        "权重：基础权重为各阶段入样概率（村、户、人）乘积的倒数；先在调整类内对住户资格未知（UH、UO）的个案作资格调整，"
        "剔除不符合资格（NE）的个案，再在调整类内作无应答调整（调整类为村，应答者不足时依次合并到乡镇 × 城乡、乡镇、全县），"
        "然后校准到人口边际"
        + (f"，最后把权重截尾在中位数的 {trim_multiple:g} 倍并把超出部分分摊到其余权重。" if trim_multiple else "。"),
        f"无应答调整类合并 {len(collapses)} 次。",
    ]
    if n_rep:
        parts.append(f"有 {n_rep} 名受访者来自备用户替补：替补户按其自身的入备用名单概率加权，不取被替补户的入样概率，"
                     "只计入所在调整类的应答者合计；替补相当于一种无应答调整，估计的无偏性依赖调整类内随机缺失的假定。")
    return "".join(parts)
