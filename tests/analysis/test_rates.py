"""`cunsheng rates` follows the fieldwork contract (§4): AAPOR's RR1-RR6, COOP1-COOP4, REF1-REF3 and
CON1-CON3 on a hand-built disposition file, computed by hand here, with groups, a given e, zero
denominators (null) and an unknown code (exit 2, the row and the code named, nothing on stdout)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from analysis.cli.rates import main
from tests.analysis.conftest import Run, assert_problem

PROG = "cunsheng rates"
# township a: I=3 P=1 R=2 (2.10, 2.112) NC=1 O=1 UH=2 UO=1 NE=1; township b: I=1 NE=2 (no unknowns, no R)
ROWS = [
    ("1.1", "a"), ("1.1", "a"), ("1.1", "a"), ("1.2", "a"), ("2.10", "a"), ("2.112", "a"), ("2.21", "a"),
    ("2.332", "a"), ("3.10", "a"), ("3.19", "a"), ("3.21", "a"), ("4.51", "a"),
    ("1.1", "b"), ("4.70", "b"), ("4.10", "b"),
]


@pytest.fixture
def dispositions(tmp_path: Path) -> Path:
    path = tmp_path / "d.csv"
    path.write_text("case,outcome,township\n" + "".join(f"{i},{c},{t}\n" for i, (c, t) in enumerate(ROWS, 1)),
                    encoding="utf-8")
    return path


@pytest.fixture
def rates(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    def run(*argv: str | Path) -> Run:
        status = main([*map(str, argv)])
        out, err = capsys.readouterr()
        return Run(status, out, err)

    return run


def by_hand(I: int, P: int, R: int, NC: int, O: int, UH: int, UO: int, NE: int, e: float | None) -> dict:  # noqa: E741, N803
    def div(a: float, b: float | None) -> float | None:
        return None if b is None or b == 0 else a / b

    eu = None if e is None else e * (UH + UO)

    def plus(x: int) -> float | None:
        return None if eu is None else x + eu

    return {
        "counts": {"I": I, "P": P, "R": R, "NC": NC, "O": O, "UH": UH, "UO": UO, "NE": NE},
        "RR1": div(I, (I + P) + (R + NC + O) + (UH + UO)),
        "RR2": div(I + P, (I + P) + (R + NC + O) + (UH + UO)),
        "RR3": div(I, plus((I + P) + (R + NC + O))),
        "RR4": div(I + P, plus((I + P) + (R + NC + O))),
        "RR5": div(I, (I + P) + (R + NC + O)),
        "RR6": div(I + P, (I + P) + (R + NC + O)),
        "COOP1": div(I, (I + P) + R + O),
        "COOP2": div(I + P, (I + P) + R + O),
        "COOP3": div(I, (I + P) + R),
        "COOP4": div(I + P, (I + P) + R),
        "REF1": div(R, (I + P) + (R + NC + O) + (UH + UO)),
        "REF2": div(R, plus((I + P) + (R + NC + O))),
        "REF3": div(R, (I + P) + (R + NC + O)),
        "CON1": div((I + P) + R + O, (I + P) + R + O + NC + (UH + UO)),
        "CON2": div((I + P) + R + O, plus((I + P) + R + O + NC)),
        "CON3": div((I + P) + R + O, (I + P) + R + O + NC),
    }


A = {"I": 3, "P": 1, "R": 2, "NC": 1, "O": 1, "UH": 2, "UO": 1, "NE": 1}
B = {"I": 1, "P": 0, "R": 0, "NC": 0, "O": 0, "UH": 0, "UO": 0, "NE": 2}
ALL = {k: A[k] + B[k] for k in A}


def close(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for key, value in want.items():
        if isinstance(value, float):
            assert got[key] == pytest.approx(value, rel=1e-12), key
        else:
            assert got[key] == value, key


def test_rates_overall_and_by_township_match_the_hand_computation(rates: Callable[..., Run], dispositions: Path) -> None:
    doc = rates(dispositions, "--code", "outcome", "--by", "township", "--json").json()
    e = (4 + 1 + 2 + 1 + 1) / (4 + 1 + 2 + 1 + 1 + 3)  # (I+P+R+NC+O) / (... + NE) of the whole file
    assert doc["e"] == pytest.approx(e)
    close(doc["overall"], by_hand(**ALL, e=e))
    assert [g["by"] for g in doc["groups"]] == [{"township": "a"}, {"township": "b"}]
    close({k: v for k, v in doc["groups"][0].items() if k != "by"}, by_hand(**A, e=e))
    close({k: v for k, v in doc["groups"][1].items() if k != "by"}, by_hand(**B, e=e))
    assert doc["overall"]["RR1"] == pytest.approx(4 / 12) and doc["overall"]["RR3"] == pytest.approx(4 / (9 + 3 * e))


def test_a_given_e_is_used_everywhere(rates: Callable[..., Run], dispositions: Path) -> None:
    doc = rates(dispositions, "--code", "outcome", "--by", "township", "--e", "0.5", "--json").json()
    assert doc["e"] == 0.5
    close(doc["overall"], by_hand(**ALL, e=0.5))
    assert doc["overall"]["RR3"] == pytest.approx(4 / (9 + 1.5))
    close({k: v for k, v in doc["groups"][0].items() if k != "by"}, by_hand(**A, e=0.5))


def test_zero_denominators_are_null(rates: Callable[..., Run], dispositions: Path) -> None:
    group_b = rates(dispositions, "--code", "outcome", "--by", "township", "--json").json()["groups"][1]
    assert group_b["RR1"] == 1.0 and group_b["COOP3"] == 1.0 and group_b["REF3"] == 0.0
    only_unknown = dispositions.parent / "unknown.csv"
    only_unknown.write_text("disposition\n3.10\n3.90\n", encoding="utf-8")
    doc = rates(only_unknown, "--json").json()
    assert doc["e"] is None  # no case of known eligibility
    assert doc["overall"]["RR1"] == 0.0 and doc["overall"]["CON1"] == 0.0
    assert all(doc["overall"][k] is None for k in ("RR3", "RR4", "REF2", "CON2", "RR5", "COOP1", "CON3"))
    assert doc["groups"] == []


def test_groups_of_several_columns_are_sorted_by_their_values(rates: Callable[..., Run], tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("disposition,t,c\n1.1,b,x\n2.21,a,y\n1.2,a,x\n4.90,a,y\n", encoding="utf-8")
    doc = rates(path, "--by", "t", "c", "--json").json()
    assert [g["by"] for g in doc["groups"]] == [{"t": "a", "c": "x"}, {"t": "a", "c": "y"}, {"t": "b", "c": "x"}]
    assert [g["counts"]["NC"] for g in doc["groups"]] == [0, 1, 0]
    assert doc["e"] == pytest.approx(3 / 4)


def test_an_unknown_code_names_the_row_and_the_code(rates: Callable[..., Run], dispositions: Path) -> None:
    text = dispositions.read_text(encoding="utf-8").replace("\n5,2.10,a\n", "\n5,2.4,a\n")
    dispositions.write_text(text, encoding="utf-8")
    assert_problem(rates(dispositions, "--code", "outcome", "--json"), "rates.code_unknown", "第 5 行", "'2.4'", prog=PROG)


def test_an_unknown_column_is_named(rates: Callable[..., Run], dispositions: Path) -> None:
    assert_problem(rates(dispositions, "--json"), "column.missing", "`disposition`", prog=PROG)
    assert_problem(rates(dispositions, "--code", "outcome", "--by", "town", "--json"), "column.missing", "`town`",
                   prog=PROG)


@pytest.mark.parametrize("value, code", [("1.5", "rates.e_range"), ("-0.1", "rates.e_range"), ("half", "cli.bad_number")])
def test_an_e_outside_0_1_is_refused(rates: Callable[..., Run], dispositions: Path, value: str, code: str) -> None:
    assert_problem(rates(dispositions, "--code", "outcome", f"--e={value}", "--json"), code, value, prog=PROG)


def test_a_missing_file_is_named(rates: Callable[..., Run], tmp_path: Path) -> None:
    assert_problem(rates(tmp_path / "none.csv", "--json"), "data.missing", "none.csv", prog=PROG)
