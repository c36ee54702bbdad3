"""BRR, Fay and bootstrap replicates created from a linearised design (`replicate.create: true`).

Identities: with full orthogonal balance the BRR and Fay variances of a total equal the
with-replacement Taylor variance of a 2-PSU-per-stratum design exactly (Wolter 2007, ch. 3);
Fay with rho = 0 is BRR; the Rao-Wu bootstrap SE of a mean approaches the Taylor SE with many
replicates, and a seed reproduces the replicates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from analysis.replicate.hadamard import r_hadamard
from tests.analysis.conftest import assert_problem
from tests.analysis.test_replicate_calibration import write


def paired(strata: int, seed: int = 3) -> pd.DataFrame:
    """`strata` strata of 2 PSUs with 3 rows each, rows shuffled."""
    rng = np.random.default_rng(seed)
    n = strata * 6
    frame = pd.DataFrame(
        {
            "st": np.repeat(np.arange(strata), 6),
            "psu": np.repeat(np.arange(2 * strata), 3),
            "w": rng.uniform(5, 15, n).round(2),
            "y": rng.normal(50, 10, n).round(2),
        }
    )
    return frame.sample(frac=1, random_state=seed).reset_index(drop=True)


def se(run: Any) -> float:
    return float(run.json()["estimates"][0]["se"])


@pytest.mark.parametrize("strata", [1, 3, 4, 9, 12, 15, 16, 20, 39, 40, 44, 64, 80, 130])
def test_hadamard_matrices_are_normalised_and_orthogonal(strata: int) -> None:
    order, h = r_hadamard(strata)
    assert h is not None and h.shape == (order, order) and order > strata
    assert (h @ h.T == order * np.eye(order)).all() and (h[:, 0] == 1).all() and (h[0] == 1).all()


@pytest.mark.parametrize("strata", [1, 3, 5, 10, 22, 39])
@pytest.mark.parametrize("fay", [None, 0.0, 0.3])
def test_brr_and_fay_variance_of_a_total_equals_the_taylor_variance(
    estimate_cli: Any, tmp_path: Path, strata: int, fay: float | None
) -> None:
    path = write(tmp_path, paired(strata))
    taylor = {"ids": ["psu"], "strata": "st", "weights": "w"}
    kind = {"type": "BRR", "create": True} if fay is None else {"type": "Fay", "rho": fay, "create": True}
    args = ("--stat", "total", "--var", "y", "--json")
    a = estimate_cli(path, taylor, *args)
    b = estimate_cli(path, {**taylor, "replicate": kind}, *args)
    assert se(b) == pytest.approx(se(a), rel=1e-10)
    assert b.json()["estimates"][0]["estimate"] == pytest.approx(a.json()["estimates"][0]["estimate"], rel=1e-12)


@pytest.mark.parametrize("stat", ["mean", "total"])
def test_fay_with_rho_zero_is_brr(estimate_cli: Any, tmp_path: Path, stat: str) -> None:
    path = write(tmp_path, paired(7))
    base = {"ids": ["psu"], "strata": "st", "weights": "w"}
    args = ("--stat", stat, "--var", "y", "--json")
    brr = estimate_cli(path, {**base, "replicate": {"type": "BRR", "create": True}}, *args).json()
    fay = estimate_cli(path, {**base, "replicate": {"type": "Fay", "rho": 0, "create": True}}, *args).json()
    assert fay == brr


def test_brr_with_an_unsupported_hadamard_order_exits_2(estimate_cli: Any, tmp_path: Path) -> None:
    path = write(tmp_path, paired(27))
    design = {"ids": ["psu"], "strata": "st", "weights": "w", "replicate": {"type": "BRR", "create": True}}
    run = estimate_cli(path, design, "--stat", "total", "--var", "y")
    assert_problem(run, "replicate.hadamard_order", "27", "28")


def bootstrap_design(**extra: Any) -> dict[str, Any]:
    return {"ids": ["psu"], "strata": "st", "weights": "w", "replicate": {"type": "bootstrap", "create": True, **extra}}


def test_bootstrap_se_of_a_mean_approaches_the_taylor_se(estimate_cli: Any, tmp_path: Path) -> None:
    frame = paired(6).assign(psu=np.arange(36))  # every row a PSU: 6 per stratum
    path = write(tmp_path, frame)
    args = ("--stat", "mean", "--var", "y", "--json")
    taylor = se(estimate_cli(path, {"ids": ["psu"], "strata": "st", "weights": "w"}, *args))
    boot = estimate_cli(path, bootstrap_design(replicates=2000, seed=11), *args).json()
    assert boot["estimates"][0]["se"] == pytest.approx(taylor, rel=0.10)
    assert boot["df"] == 36 - 6  # rank: PSUs minus (strata - 1), as each stratum's factors sum to n_h; minus 1


def test_bootstrap_seed_reproduces_and_defaults_to_50_replicates(estimate_cli: Any, tmp_path: Path) -> None:
    path = write(tmp_path, paired(8))
    args = ("--stat", "mean", "--var", "y", "--json")
    default = estimate_cli(path, bootstrap_design(), *args).json()
    assert estimate_cli(path, bootstrap_design(seed=0, replicates=50), *args).json() == default
    assert estimate_cli(path, bootstrap_design(), *args).json() == default
    assert se(estimate_cli(path, bootstrap_design(seed=1), *args)) != default["estimates"][0]["se"]


@pytest.mark.parametrize(
    ("replicate", "code", "key"),
    [
        ({"type": "bootstrap", "create": True, "replicates": 1}, "spec.range", "`replicate.replicates`"),
        ({"type": "bootstrap", "create": True, "seed": -1}, "spec.range", "`replicate.seed`"),
        ({"type": "bootstrap", "create": True, "seed": 1.5}, "spec.type", "`replicate.seed`"),
    ],
)
def test_bad_bootstrap_keys_exit_2(
    estimate_cli: Any, tmp_path: Path, replicate: dict[str, Any], code: str, key: str
) -> None:
    path = write(tmp_path, paired(3))
    design = {"ids": ["psu"], "strata": "st", "weights": "w", "replicate": replicate}
    assert_problem(estimate_cli(path, design, "--stat", "mean", "--var", "y"), code, key)


def test_bootstrap_needs_two_psus_per_stratum(estimate_cli: Any, tmp_path: Path) -> None:
    frame = paired(3)
    frame.loc[frame["st"] == 2, "psu"] = 4
    path = write(tmp_path, frame)
    run = estimate_cli(path, bootstrap_design(), "--stat", "mean", "--var", "y")
    assert_problem(run, "replicate.bootstrap_one_psu", "`st`=2", "1")
