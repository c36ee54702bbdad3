"""Post-stratification of self-completed responses: margins reproduced, small cells merged and listed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.design.spec import Design
from analysis.errors import AnalysisError
from analysis.estimators.estimate import mean
from analysis.weighting.selfcompleted import Target, poststratify

WOMEN = Target(cells=("age_group", "urban_rural"), sexes=("F",), age_groups=("18-34", "35-59", "60+"))
POP = {("18-34", "urban"): 1000, ("35-59", "urban"): 1500, ("60+", "urban"): 700,
       ("18-34", "rural"): 2000, ("35-59", "rural"): 2500, ("60+", "rural"): 1200}


def _frame(counts: dict[tuple[str, str], int], **extra: list[object]) -> pd.DataFrame:
    rows = [{"channel": "web", "sex": "F", "age_group": age, "urban_rural": ur}
            for (age, ur), n in counts.items() for _ in range(n)]
    data = pd.DataFrame(rows)
    data["y"] = np.arange(len(data), dtype=float)
    extra_rows = pd.DataFrame(extra) if extra else None
    return data if extra_rows is None else pd.concat([data, extra_rows], ignore_index=True)


def test_weights_reproduce_the_population_of_every_cell_when_no_cell_is_small() -> None:
    counts = {cell: 20 + i for i, cell in enumerate(POP)}
    out = poststratify(_frame(counts), POP, WOMEN)
    assert out.merges == ()
    by_cell = out.data.groupby(["age_group", "urban_rural"])["weight"].sum()
    assert {k: pytest.approx(v) for k, v in by_cell.items()} == {k: pytest.approx(float(v)) for k, v in POP.items()}
    assert out.data["weight"].sum() == pytest.approx(sum(POP.values()))
    # the design file re-calibrates to the same table: the weights are already calibrated
    design = Design.from_json(out.design)
    assert design.calibration is not None and len(out.design["calibration"]["population"]) == 6
    assert mean(out.data, design, "y")["estimate"][0] == pytest.approx(np.average(out.data["y"], weights=out.data["weight"]))


def test_a_cell_under_ten_merges_with_the_next_age_group_and_the_oldest_with_the_previous() -> None:
    counts = {("18-34", "urban"): 9, ("35-59", "urban"): 30, ("60+", "urban"): 12,
              ("18-34", "rural"): 25, ("35-59", "rural"): 30, ("60+", "rural"): 3}
    out = poststratify(_frame(counts), POP, WOMEN)
    assert [(m.step, m.cells, m.n) for m in out.merges] == [
        ("age_group", (("18-34", "urban"), ("35-59", "urban")), 9),
        ("age_group", (("35-59", "rural"), ("60+", "rural")), 3)]
    labels = {s.label: (s.n, s.population) for s in out.strata}
    assert labels == {"18-34:urban|35-59:urban": (39, 2500.0), "60+:urban": (12, 700.0),
                      "18-34:rural": (25, 2000.0), "35-59:rural|60+:rural": (33, 3700.0)}
    assert out.data.groupby("poststratum")["weight"].sum().to_dict() == pytest.approx(
        {k: v[1] for k, v in labels.items()})


def test_a_whole_urban_side_under_ten_is_merged_across_urban_and_rural() -> None:
    counts = {("18-34", "urban"): 2, ("35-59", "urban"): 3, ("60+", "urban"): 1,
              ("18-34", "rural"): 25, ("35-59", "rural"): 30, ("60+", "rural"): 14}
    out = poststratify(_frame(counts), POP, WOMEN)
    assert [m.step for m in out.merges] == ["age_group", "age_group", "urban_rural"]
    assert out.merges[-1].n == 6 and len(out.strata) == 1  # the urban cell overlaps every rural age group
    assert out.data["weight"].sum() == pytest.approx(sum(POP.values()))


def test_children_cells_merge_across_urban_and_rural_within_a_sex() -> None:
    target = Target(cells=("sex", "urban_rural"), age_groups=("10-17",))
    pop = {("F", "urban"): 300, ("F", "rural"): 500, ("M", "urban"): 320, ("M", "rural"): 510}
    rows = [{"channel": "web", "sex": s, "age_group": "10-17", "urban_rural": u}
            for (s, u), n in {("F", "urban"): 4, ("F", "rural"): 20, ("M", "urban"): 15, ("M", "rural"): 18}.items()
            for _ in range(n)]
    out = poststratify(pd.DataFrame(rows), pop, target)
    assert [(m.step, m.cells) for m in out.merges] == [("urban_rural", (("F", "urban"), ("F", "rural")))]
    assert {s.label: s.population for s in out.strata} == {"M:urban": 320, "M:rural": 510, "F:urban|F:rural": 800}


def test_only_web_rows_inside_the_target_with_their_cells_are_weighted() -> None:
    counts = {cell: 15 for cell in POP}
    extra = {"channel": ["api", "web", "web", "web"], "sex": ["F", "M", "F", "F"],
             "age_group": ["18-34", "18-34", "10-17", None], "urban_rural": ["urban", "urban", "rural", "rural"],
             "y": [0.0, 0.0, 0.0, 0.0]}
    out = poststratify(_frame(counts, **extra), POP, WOMEN)
    assert len(out.data) == 90 and set(out.data["channel"]) == {"web"}
    assert out.excluded == {"not_web": 1, "outside_target": 2, "cell_missing": 1}


def test_no_respondents_or_no_population_is_a_problem() -> None:
    with pytest.raises(AnalysisError) as empty:
        poststratify(_frame({}, channel=["api"], sex=["F"], age_group=["18-34"], urban_rural=["urban"], y=[1.0]),
                     POP, WOMEN)
    assert empty.value.code == "selfcompleted.no_respondents"
    with pytest.raises(AnalysisError) as nobody:
        poststratify(_frame({("18-34", "urban"): 12}), {}, WOMEN)
    assert nobody.value.code == "selfcompleted.no_population"


def test_the_age_bands_are_the_frames() -> None:
    from analysis.weighting.selfcompleted import BANDS
    from surveys.frame import AGE_GROUPS

    assert BANDS == tuple(name for name, _, _ in AGE_GROUPS)
