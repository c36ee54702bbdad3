"""svyglm (gaussian and quasibinomial) at library level against refdata's four `regression` cases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.design.spec import Design
from analysis.estimators.regression import svyglm
from tests.analysis.conftest import refdata_dir

PREDICTORS = {
    "api_clus1_svyglm_gaussian": ("api00", ["ell", "meals"], "gaussian"),
    "api_clus1_svyglm_logit": ("sch.wide=='Yes'", ["ell", "meals"], "binomial"),
    "api_strat_svyglm_gaussian_wonly": ("api00", ["ell", "meals", "mobility"], "gaussian"),
    "api_strat_svyglm_logit_full": ("api00>743", ["ell", "meals", "mobility"], "binomial"),
}


def _cases() -> dict[str, dict[str, Any]]:
    found = refdata_dir()
    cases = json.loads((found / "cases_public.json").read_text(encoding="utf-8")) if found else []
    return {c["id"]: c for c in cases if "regression" in c["tags"]}


CASES = _cases()


def _response(data: pd.DataFrame, spec: str) -> Any:
    if spec == "sch.wide=='Yes'":
        return (data["sch.wide"] == "Yes").to_numpy(dtype=np.float64)
    if spec == "api00>743":
        return (data["api00"] > 743).to_numpy(dtype=np.float64)
    return spec


@pytest.mark.parametrize("case_id", sorted(CASES) or ["no-refdata"])
def test_svyglm_reproduces_published_fit(case_id: str, refdata: Path) -> None:
    case = CASES[case_id]
    data = pd.read_csv(refdata / "data" / case["dataset_file"])
    response, predictors, family = PREDICTORS[case_id]
    fit = svyglm(data, Design.from_json(case["design"]), _response(data, response), predictors, family)
    expected = case["expected"]
    if isinstance(expected["coef"], dict):
        for i, name in enumerate(fit.names):
            want = expected["coef"][name]
            assert abs(fit.coef[i] - want["estimate"]) <= want["estimate_abs_tol"], name
            assert abs(fit.se[i] - want["se"]) <= want["se_abs_tol"], name
    else:
        assert fit.coef == pytest.approx(expected["coef"], rel=expected["rel_tol"])
        assert fit.se == pytest.approx(expected["se"], rel=expected["rel_tol"])
    if "dispersion" in expected:
        assert abs(fit.dispersion - expected["dispersion"]) <= 5e-4
    if "df_resid" in expected:
        assert fit.df_resid == expected["df_resid"]
    if "wald_F" in expected:
        assert fit.wald_f(predictors) == pytest.approx(expected["wald_F"], abs=5e-6)
