"""A synthetic wave for the evaluation tests: a real sample design with a questionnaire's answers.

The design is one replication of the simulated wave on the bundled county (`wave_simulation`: PPS
villages, households, Kish respondents, nonresponse and calibrated weights; `lonely_psu: adjust`).
Each respondent gets random answers to every question of a compiled questionnaire, laid out as its
analysis frame (surveys/frame.py): a multiple choice as 0/1 `<q>_<code>` columns (or a special code
in `<q>`), a ranking as `<q>_r1…`, special codes and missing values sprinkled in. `by_hand` derives
an indicator the plain way (one row at a time, the questionnaire's own answers and special codes)
for the tests to compare with `analysis.evaluation.derive`.
"""

from __future__ import annotations

import contextlib
import io
import json
import math
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from analysis.cli.estimate import main as estimate_main
from analysis.cli.evaluate import main as evaluate_main
from analysis.fieldwork.design import Margin, wave_design
from analysis.sampling.allocation import allocate
from server.report_defs import definitions
from surveys.expr import Env
from surveys.frame import META_NAMES, age_group
from surveys.indicator_defs.compiler import bundled_questionnaires, compile_file
from surveys.indicator_defs.model import Indicator
from surveys.kinds import kind_of
from surveys.model import Question, Survey
from tests.analysis import wave_simulation

DESIGN_COLUMNS = ["psu", "stratum", "weight", "urban_rural", "village_code", "township_code"]


@cache
def wave(seed: int = 11, villages: int = 90) -> tuple[pd.DataFrame, str]:
    """The respondents' design columns of one simulated wave, and its design file (JSON text)."""
    rng = np.random.default_rng(seed)
    pop = wave_simulation.population(rng)
    cases = wave_simulation.one_wave(pop, allocate(pop.units, villages), rng)
    margin = Margin(("urban_rural",), {(part,): count for part, count in pop.persons.items()})
    result = wave_design(cases, [margin])
    return result.respondents[DESIGN_COLUMNS].reset_index(drop=True), json.dumps(result.design)


def _python(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _answer(q: Question, rng: np.random.Generator, n: int) -> dict[str, list[Any]]:
    """Random answers of one question as its frame columns."""
    specials = [s.code for s in q.special]
    control = kind_of(q).control
    draw = rng.random(n)
    special = [int(rng.choice(specials)) if specials and d < 0.05 else None for d in draw]
    gone = draw > 0.96
    codes = [c.code for c in q.choices]
    if control == "checkbox":
        picks = rng.random((n, len(codes))) < 0.4
        asked = [s is None and not g for s, g in zip(special, gone, strict=True)]
        out = {q.name: special}
        for j, code in enumerate(codes):
            out[f"{q.name}_{code}"] = [int(picks[i, j]) if asked[i] else None for i in range(n)]
        out[f"{q.name}_n"] = [int(picks[i].sum()) if asked[i] else None for i in range(n)]
        return out
    if control == "select":
        ranked = [list(rng.permutation(codes)[: q.top or 1]) if not g else [] for g in gone]
        return {f"{q.name}_r{k}": [int(r[k - 1]) if len(r) >= k else None for r in ranked] for k in range(1, (q.top or 1) + 1)}
    out = {}
    for var in q.variables:
        if control == "radio":
            values: list[Any] = [int(rng.choice(codes)) for _ in range(n)]
        elif control in ("numeric", "decimal"):
            low = q.min if isinstance(q.min, int | float) else 0
            high = q.max if isinstance(q.max, int | float) else low + 20
            values = [int(v) for v in rng.integers(int(low), int(high) + 1, n)]
        else:
            values = ["2024-05-01" if control == "date" else "无"] * n
        out[var] = [None if g else s if s is not None else v for v, s, g in zip(values, special, gone, strict=True)]
    return out


def synthetic_wave(survey: Survey, seed: int = 11) -> pd.DataFrame:
    """The wave's design columns with random answers to `survey` and the frame's derived columns."""
    design, _ = wave(seed)
    n = len(design)
    rng = np.random.default_rng(seed + 1)
    columns: dict[str, list[Any]] = {"outcome": list(rng.choice(["complete", "ended"], n, p=[0.92, 0.08]))}
    for q in survey.questions():
        columns.update(_answer(q, rng, n))
    frame = survey.frame
    if frame.sex_variable:
        codes = dict(frame.sex_codes)
        columns["sex"] = [codes.get(v) if isinstance(v, int) else None for v in columns[frame.sex_variable]]
    if frame.age_variable:
        columns["age_group"] = [age_group(v) for v in columns[frame.age_variable]]
    answers = pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in columns.items()})
    numeric = [c for c in answers if all(isinstance(v, int) or v is None for v in answers[c])]
    answers[numeric] = answers[numeric].astype("float64")
    return pd.concat([design, answers], axis=1)


def _answers(survey: Survey, row: dict[str, Any]) -> dict[str, Any]:
    """One frame row as the questionnaire's answers (a multiple choice as its list of codes)."""
    out = {name: _python(row.get(name)) for name in META_NAMES if name in row}
    for q in survey.questions():
        control = kind_of(q).control
        if control == "checkbox":
            picked = [c.code for c in q.choices if _python(row.get(f"{q.name}_{c.code}")) == 1]
            answered = _python(row.get(f"{q.name}_{q.choices[0].code}")) is not None
            out[q.name] = picked if answered else _python(row.get(q.name))
        elif control == "select":
            ranked = [_python(row.get(f"{q.name}_r{k}")) for k in range(1, (q.top or 1) + 1)]
            out[q.name] = [r for r in ranked if r is not None] or None
        else:
            out.update({var: _python(row.get(var)) for var in q.variables})
    return out


def by_hand(survey: Survey, indicator: Indicator, data: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(values, in population) of an indicator, one row at a time (design/evaluation.md's rules)."""
    specials = survey.special_codes_of()
    values, inside = np.zeros(len(data)), np.zeros(len(data), dtype=bool)
    for i, row in enumerate(data.to_dict("records")):
        answers = _answers(survey, row)
        env = Env(answers, specials)
        inside[i] = indicator.population is None or indicator.population(env)
        if indicator.value is not None:
            v = answers.get(indicator.value)
            values[i] = np.nan if v is None or v in specials.get(indicator.value, ()) else v
            continue
        assert indicator.numerator is not None
        gap = any(answers.get(name) is None or (isinstance(answers.get(name), int) and answers[name] in specials.get(name, ()))
                  for how, name in indicator.numerator.uses if how != "answered")
        values[i] = np.nan if gap and indicator.exclude_missing else float(indicator.numerator(env) and not gap)
    return values, inside


def beta_at_bounds(p: float, n: int, df: int, level: float = 0.95) -> tuple[float, float]:
    """The Korn-Graubard interval of a share of 0 or 1 with n_eff = n (Korn & Graubard 1998; Parker et
    al. 2017), from scipy's beta and t distributions."""
    from scipy import stats

    alpha = 1 - level
    size = min(n * (stats.t.ppf(alpha / 2, n - 1) / stats.t.ppf(alpha / 2, df)) ** 2, n)
    return (0.0, float(stats.beta.ppf(1 - alpha / 2, 1, size))) if p == 0 else (float(stats.beta.ppf(alpha / 2, size, 1)), 1.0)


def quiet(main: Any, *args: Any) -> tuple[int, str, str]:
    """Run a command's `main` in-process, capturing (status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(*args)
    return status, out.getvalue(), err.getvalue()


def run_evaluate(data: Path, design: Path, indicators: Path, *options: str) -> tuple[int, str, str]:
    """`cunsheng evaluate` in-process, with the compiler the dispatcher hands over."""
    argv = [str(data), "--design", str(design), "--indicators", str(indicators), *options]
    return quiet(evaluate_main, argv, compile_file, definitions)


def run_estimate(data: Path, design: Path, *options: str) -> dict[str, Any]:
    """`cunsheng estimate --json` in-process: the parsed document."""
    status, out, err = quiet(estimate_main, [str(data), "--design", str(design), *options, "--json"])
    assert status == 0, err
    return json.loads(out)


def questionnaire(name: str) -> Survey:
    """A bundled questionnaire by name."""
    return bundled_questionnaires()[name]
