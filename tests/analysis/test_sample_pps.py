"""`cunsheng sample pps` follows the fieldwork contract (§3): certainty rounds, systematic selection on
one generator per run, the output columns and the JSON summary, checked against a hand computation on
the synthetic county (server/data/county/units.csv, villages by households); bad input exits 2 with
one line and writes nothing."""

from __future__ import annotations

import csv
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import server
from analysis.cli.sample import main
from analysis.sampling.pps import select
from tests.analysis.conftest import Run, assert_problem

UNITS = Path(server.__file__).parent / "data" / "county" / "units.csv"
PROG = "cunsheng sample"


def villages() -> list[dict[str, str]]:
    with UNITS.open(encoding="utf-8-sig", newline="") as f:
        return [row for row in csv.DictReader(f) if row["level"] == "village"]


@pytest.fixture
def frame(tmp_path: Path) -> Path:
    rows = villages()
    path = tmp_path / "frame.csv"
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture
def sample(capsys: pytest.CaptureFixture[str]) -> Callable[..., Run]:
    def run(*argv: str | Path) -> Run:
        status = main(["pps", *map(str, argv)])
        out, err = capsys.readouterr()
        return Run(status, out, err)

    return run


def hand_probabilities(sizes: list[int], n: int) -> tuple[list[Fraction], int]:
    """The contract by hand, in exact fractions: certainty rounds, then n' M_i / M'; and the number of rounds."""
    sure: set[int] = set()
    rounds = 0
    while n - len(sure) > 0:
        rest = [i for i in range(len(sizes)) if i not in sure]
        k = Fraction(sum(sizes[i] for i in rest), n - len(sure))
        new = {i for i in rest if sizes[i] >= k}
        if not new:
            break
        sure |= new
        rounds += 1
    rest = [i for i in range(len(sizes)) if i not in sure]
    n_rest, total = n - len(sure), sum(sizes[i] for i in rest)
    return [Fraction(1) if i in sure else Fraction(n_rest * sizes[i], total) for i in range(len(sizes))], rounds


def hand_picks(sizes: list[int], prob: list[Fraction], u: float) -> list[int]:
    """Systematic selection by hand: walk the cumulated sizes of the non-certainty units."""
    rest = [i for i, p in enumerate(prob) if p != 1]
    n_rest = round(sum(prob[i] for i in rest))
    k = sum(sizes[i] for i in rest) / n_rest
    points, picks, upper = [(u + j) * k for j in range(n_rest)], [], 0
    for i in rest:
        lower, upper = upper, upper + sizes[i]
        if any(lower < p <= upper or (p == 0 and lower == 0) for p in points):
            picks.append(i)
    return picks


def read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, encoding="utf-8-sig", keep_default_na=False)


def test_unstratified_n60_takes_two_certainty_rounds_and_matches_the_hand_computation(
    sample: Callable[..., Run], frame: Path, tmp_path: Path
) -> None:
    rows = villages()
    sizes = [int(r["households"]) for r in rows]
    prob, rounds = hand_probabilities(sizes, 60)
    assert rounds == 2
    out = tmp_path / "selected.csv"
    run = sample(frame, "--id", "code", "--size", "households", "--n", "60", "--seed", "2024", "--out", out, "--json")
    certain = [i for i, p in enumerate(prob) if p == 1]
    assert run.json() == {
        "strata": [{"stratum": "all", "n": 60, "n_certainty": len(certain), "frame_units": 169,
                    "frame_size": sum(sizes)}],
        "seed": 2024,
    }
    picks = hand_picks(sizes, prob, np.random.default_rng(2024).random())
    assert len(picks) == 60 - len(certain)
    chosen = read(out)
    assert list(chosen.columns) == [*rows[0], "stratum", "prob", "certainty", "selection_order"]
    assert chosen["code"].tolist() == [rows[i]["code"] for i in certain + picks]
    assert chosen["name"].tolist() == [rows[i]["name"] for i in certain + picks]
    assert chosen["stratum"].eq("all").all()
    assert chosen["certainty"].tolist() == ["1"] * len(certain) + ["0"] * len(picks)
    assert chosen["selection_order"].tolist() == [str(j) for j in range(1, 61)]
    assert np.allclose(chosen["prob"].astype(float), [float(prob[i]) for i in certain + picks], rtol=1e-12)
    assert sum(prob) == 60


def test_strata_are_drawn_in_text_order_each_taking_one_random_number(
    sample: Callable[..., Run], frame: Path, tmp_path: Path
) -> None:
    rows = villages()
    out = tmp_path / "selected.csv"
    run = sample(frame, "--id", "code", "--size", "households", "--strata", "parent", "--n", "3",
                 "--seed", "11", "--out", out, "--json")
    townships = sorted({r["parent"] for r in rows})
    rng = np.random.default_rng(11)
    expected, summary = [], []
    for township in townships:
        members = [r for r in rows if r["parent"] == township]
        sizes = [int(r["households"]) for r in members]
        prob, _ = hand_probabilities(sizes, 3)
        certain = [i for i, p in enumerate(prob) if p == 1]
        picks = hand_picks(sizes, prob, rng.random()) if len(certain) < 3 else []
        expected += [(members[i]["code"], township, float(prob[i])) for i in certain + picks]
        summary.append({"stratum": township, "n": 3, "n_certainty": len(certain), "frame_units": len(members),
                        "frame_size": sum(sizes)})
    assert run.json() == {"strata": summary, "seed": 11}
    chosen = read(out)
    assert list(zip(chosen["code"], chosen["stratum"], strict=True)) == [(c, s) for c, s, _ in expected]
    assert np.allclose(chosen["prob"].astype(float), [p for *_, p in expected], rtol=1e-12)
    assert chosen.groupby("stratum")["selection_order"].apply(list).tolist() == [["1", "2", "3"]] * len(townships)


def test_an_allocation_gives_each_stratum_its_own_n_and_an_all_certainty_stratum_draws_nothing(
    sample: Callable[..., Run], tmp_path: Path
) -> None:
    path = tmp_path / "frame.csv"
    path.write_text("id,size,s\na1,5,b\na2,1,b\na3,4,b\nb1,2,a\nb2,2,a\n", encoding="utf-8")
    allocation = tmp_path / "alloc.csv"
    allocation.write_text("stratum,n\na,2\nb,2\n", encoding="utf-8")
    out = tmp_path / "selected.csv"
    run = sample(path, "--id", "id", "--size", "size", "--strata", "s", "--allocation", allocation,
                 "--seed", "5", "--out", out, "--json")
    assert run.json()["strata"] == [
        {"stratum": "a", "n": 2, "n_certainty": 2, "frame_units": 2, "frame_size": 4},
        {"stratum": "b", "n": 2, "n_certainty": 1, "frame_units": 3, "frame_size": 10},
    ]
    chosen = read(out)
    u = np.random.default_rng(5).random()  # stratum a is all certainty: b takes the first number
    second = "a2" if u < 0.2 else "a3"  # one point (u + 0) * 5 on a2 (0, 1], a3 (1, 5]
    assert chosen["id"].tolist() == ["b1", "b2", "a1", second]
    assert chosen["prob"].astype(float).tolist() == [1, 1, 1, 0.2 if second == "a2" else 0.8]
    assert chosen["s"].tolist() == chosen["stratum"].tolist()


def test_the_same_seed_gives_the_same_selection_and_another_seed_another(
    sample: Callable[..., Run], frame: Path, tmp_path: Path
) -> None:
    outs = [tmp_path / f"s{i}.csv" for i in range(3)]
    for out, seed in zip(outs, ["8", "8", "9"], strict=True):
        args = ("--id", "code", "--size", "households", "--n", "20", "--seed", seed, "--out", out)
        assert sample(frame, *args).status == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()
    assert read(outs[0])["code"].tolist() != read(outs[2])["code"].tolist()


def test_over_2000_seeds_every_village_is_selected_within_4_se_of_its_probability() -> None:
    sizes = np.array([int(r["households"]) for r in villages()], dtype=np.float64)
    prob = np.array([float(p) for p in hand_probabilities([int(s) for s in sizes], 60)[0]])
    reps = 2000
    hits = np.zeros(sizes.size)
    for seed in range(reps):
        chosen = select(sizes, 60, np.random.default_rng(seed))
        hits[chosen.certainty] += 1
        hits[chosen.picks] += 1
        assert chosen.certainty.size + np.unique(chosen.picks).size == 60
    frequency = hits / reps
    se = np.sqrt(prob * (1 - prob) / reps)
    assert np.all(np.abs(frequency - prob) <= 4 * se), np.flatnonzero(np.abs(frequency - prob) > 4 * se)


def test_text_output_without_json_lists_the_strata(sample: Callable[..., Run], frame: Path, tmp_path: Path) -> None:
    run = sample(frame, "--id", "code", "--size", "households", "--n", "5", "--seed", "1", "--out", tmp_path / "o.csv")
    assert run.status == 0 and run.stdout.splitlines()[1].startswith("all\t5\t")


# bad input: exit 2, one line naming it, nothing written


def fails(run: Run, out: Path, code: str, *names: str) -> None:
    assert_problem(run, code, *names, prog=PROG)
    assert not out.exists()


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.csv"
    path.write_text("id,size,s\n1,5,x\n2,3,x\n3,2,y\n4,7,y\n", encoding="utf-8")
    return path


def test_an_unknown_column_is_named_with_a_suggestion(sample: Callable[..., Run], small: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    fails(sample(small, "--id", "id", "--size", "sise", "--n", "1", "--seed", "1", "--out", out),
          out, "column.missing", "`sise`", "`size`")


@pytest.mark.parametrize("value", ["0", "-3", "many", ""])
def test_a_non_positive_or_non_numeric_size_names_the_row(
    sample: Callable[..., Run], tmp_path: Path, value: str
) -> None:
    path = tmp_path / "f.csv"
    path.write_text(f"id,size\n1,5\n2,{value}\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    fails(sample(path, "--id", "id", "--size", "size", "--n", "1", "--seed", "1", "--out", out),
          out, "sample.size", "`size`", "第 2 行")


def test_n_larger_than_a_stratum_names_the_stratum(sample: Callable[..., Run], small: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    fails(sample(small, "--id", "id", "--size", "size", "--strata", "s", "--n", "3", "--seed", "1", "--out", out),
          out, "sample.n_exceeds_stratum", "'x'", "2")


def test_a_stratum_missing_from_the_allocation_is_named(sample: Callable[..., Run], small: Path, tmp_path: Path) -> None:
    allocation = tmp_path / "alloc.csv"
    allocation.write_text("stratum,n\nx,1\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    run = sample(small, "--id", "id", "--size", "size", "--strata", "s", "--allocation", allocation,
                 "--seed", "1", "--out", out)
    fails(run, out, "sample.stratum_unallocated", "'y'")


@pytest.mark.parametrize("text, code, name", [
    ("stratum,n\nx,1\nz,1\ny,1\n", "sample.allocation_stratum", "'z'"),
    ("stratum,n\nx,1\nx,2\ny,1\n", "sample.allocation_stratum", "第 2 行"),
    ("stratum,n\nx,1.5\ny,1\n", "sample.allocation_n", "'1.5'"),
    ("layer,n\nx,1\n", "sample.allocation_header", "layer,n"),
])
def test_a_broken_allocation_names_the_row(
    sample: Callable[..., Run], small: Path, tmp_path: Path, text: str, code: str, name: str
) -> None:
    allocation = tmp_path / "alloc.csv"
    allocation.write_text(text, encoding="utf-8")
    out = tmp_path / "o.csv"
    run = sample(small, "--id", "id", "--size", "size", "--strata", "s", "--allocation", allocation,
                 "--seed", "1", "--out", out)
    fails(run, out, code, name)


@pytest.mark.parametrize("option, value, code", [
    ("--n", "2.5", "sample.n"), ("--n", "0", "sample.n"), ("--seed", "-1", "sample.seed"), ("--seed", "x", "sample.seed"),
])
def test_a_bad_n_or_seed_is_named(
    sample: Callable[..., Run], small: Path, tmp_path: Path, option: str, value: str, code: str
) -> None:
    out = tmp_path / "o.csv"
    options = {"--n": "1", "--seed": "1", option: value}
    run = sample(small, "--id", "id", "--size", "size", *[x for kv in options.items() for x in kv], "--out", out)
    fails(run, out, code, repr(value))


def test_a_duplicate_id_names_the_row(sample: Callable[..., Run], tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("id,size\n1,5\n1,3\n", encoding="utf-8")
    out = tmp_path / "o.csv"
    fails(sample(path, "--id", "id", "--size", "size", "--n", "1", "--seed", "1", "--out", out),
          out, "sample.id", "第 2 行")


def test_unreadable_frames_are_named(sample: Callable[..., Run], tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    fails(sample(tmp_path / "nope.csv", "--id", "id", "--size", "size", "--n", "1", "--seed", "1", "--out", out),
          out, "data.missing", "nope.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("id,size,name\n1,5,村\n".encode("gbk"))
    fails(sample(latin, "--id", "id", "--size", "size", "--n", "1", "--seed", "1", "--out", out),
          out, "data.encoding", "latin.csv")


def test_an_error_leaves_an_existing_output_untouched(sample: Callable[..., Run], small: Path, tmp_path: Path) -> None:
    out = tmp_path / "o.csv"
    out.write_text("before\n", encoding="utf-8")
    run = sample(small, "--id", "id", "--size", "size", "--n", "9", "--seed", "1", "--out", out)
    assert_problem(run, "sample.n_exceeds_stratum", "'all'", prog=PROG)
    assert out.read_text(encoding="utf-8") == "before\n"


def test_the_dispatcher_runs_sample_and_lists_it(tmp_path: Path, small: Path) -> None:
    from server.cli import USAGE
    from server.cli import main as cli_main

    assert "\n  sample " in USAGE and "\n  rates " in USAGE
    out = tmp_path / "o.csv"
    assert cli_main(["sample", "pps", str(small), "--id", "id", "--size", "size", "--n", "2", "--seed", "3",
                     "--out", str(out), "--json"]) == 0
    assert read(out).columns.tolist() == ["id", "size", "s", "stratum", "prob", "certainty", "selection_order"]
