"""Streaming a Parquet file gives the in-memory numbers (to 1e-12 relative) and the in-memory problems.

Every file here has small row groups and is read in batches of a few dozen rows, so the sums of
`analysis.stream` are accumulated across many batches, with new strata, PSUs, domains and levels
turning up late.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import analysis.stream.plan as plan
from analysis.design.spec import Design
from analysis.estimators.estimate import estimate
from analysis.estimators.request import Request
from analysis.io.readers import parquet_layout, read_table
from analysis.stream import scan as scanning
from tests.analysis.conftest import assert_problem

N = 700
BATCH = 48
TOLERANCE = 1e-12


def _table(seed: int = 7, n: int = N) -> dict[str, Any]:
    """Strata of unequal size, PSUs (unique and re-used labels), weights, fpc, analysis columns."""
    rng = np.random.default_rng(seed)
    stratum = np.sort(rng.integers(0, 6, n))
    within = rng.integers(0, 2 + stratum % 3, n)
    order = np.argsort(rng.random(n))  # rows in no particular order
    stratum, within = stratum[order], within[order]
    psu = stratum * 10 + within
    lonely_psu = np.where(stratum == 4, 40, psu)  # stratum 4 has a single PSU
    g = rng.choice(["a", "b", "c"], n)
    g[stratum == 0] = "a"  # domain c has no row in stratum 0
    return {
        "st": [f"S{s}" for s in stratum],
        "psu": psu,
        "psu_lonely": lonely_psu,
        "psu_in": within + 1,
        "ssu": rng.integers(0, 3, n),
        "w": rng.uniform(1, 9, n),
        "p": rng.uniform(0.05, 0.5, n),
        "N": (stratum + 2) * 7.0,
        "f": (stratum + 1) / 20.0,
        "y": rng.normal(1000, 25, n),
        "ymiss": np.where(rng.random(n) < 0.1, np.nan, rng.normal(5, 2, n)),
        "b": rng.integers(0, 2, n),
        "x": rng.uniform(1, 3, n),
        "cat": rng.choice(["lo", "mid", "hi"], n).tolist(),
        "num_cat": rng.integers(1, 5, n),
        "g": [None if r < 0.04 else v for r, v in zip(rng.random(n), g, strict=True)],
        "h": rng.integers(1, 4, n).astype(float),
    }


def _write(folder: Path, columns: dict[str, Any], name: str = "data.parquet") -> Path:
    path = folder / name
    pq.write_table(pa.table(columns), path, row_group_size=37)
    return path


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _write(tmp_path_factory.mktemp("stream"), _table())


def _relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def compare(path: Path, design: dict[str, Any], **request: Any) -> float:
    """Both paths on the same file: identical domains, levels, counts, df and flags; numbers to
    1e-12 relative. Returns the largest relative difference."""
    spec, ask = Design(**design), Request(**request)
    _, numbers = parquet_layout(path)
    assert plan.streamable(spec, ask, numbers)
    memory = estimate(read_table(path, {**spec.columns(), **ask.columns()}), spec, ask).document()
    streamed = plan.estimate_file(path, spec, ask, numbers, batch_rows=BATCH)
    assert streamed is not None
    stream = streamed.document()
    assert {k: v for k, v in memory.items() if k != "estimates"} == {k: v for k, v in stream.items() if k != "estimates"}
    assert len(memory["estimates"]) == len(stream["estimates"])
    worst = 0.0
    for left, right in zip(memory["estimates"], stream["estimates"], strict=True):
        assert left.keys() == right.keys()
        for key, a in left.items():
            b = right[key]
            if isinstance(a, float) and isinstance(b, float):
                worst = max(worst, _relative(a, b))
                assert _relative(a, b) <= TOLERANCE, (key, a, b, left)
            else:
                assert a == b, (key, a, b, left)
    return worst


DESIGNS = {
    "stratified clusters": {"ids": ["psu"], "strata": "st", "weights": "w"},
    "clusters": {"ids": ["psu"], "weights": "w"},
    "nest": {"ids": ["psu_in"], "strata": "st", "weights": "w", "nest": True},
    "nest without strata": {"ids": ["psu_in"], "weights": "w", "nest": True},
    "fpc counts": {"ids": ["psu"], "strata": "st", "weights": "w", "fpc": ["N"]},
    "fpc fractions, probs": {"ids": ["psu"], "strata": "st", "probs": "p", "fpc": ["f"]},
    "two stages without fpc": {"ids": ["psu", "ssu"], "strata": "st", "weights": "w"},
    "no weights": {"ids": ["psu"], "strata": "st"},
    **{
        f"lonely {rule}": {"ids": ["psu_lonely"], "strata": "st", "weights": "w", "lonely_psu": rule}
        for rule in ("remove", "adjust", "average", "certainty")
    },
    "lonely adjust with fpc": {
        "ids": ["psu_lonely"],
        "strata": "st",
        "weights": "w",
        "fpc": ["N"],
        "lonely_psu": "adjust",
    },
}

REQUESTS = {
    "mean": {"stat": "mean", "var": "y"},
    "mean --deff by g": {"stat": "mean", "var": "y", "by": ("g",), "deff": True},
    **{
        f"mean of 0/1 {method}": {"stat": "mean", "var": "b", "by": ("g",), "ci_method": method, "deff": True}
        for method in ("wald", "logit", "beta", "wilson", "xlogit")
    },
    "total by g, h": {"stat": "total", "var": "y", "by": ("g", "h"), "deff": True},
    "prop by h": {"stat": "prop", "var": "cat", "by": ("h",), "deff": True},
    "prop of numbers by g, beta": {"stat": "prop", "var": "num_cat", "by": ("g",), "ci_method": "beta"},
    "prop logit, level": {"stat": "prop", "var": "cat", "ci_method": "logit", "level": 0.9},
    "ratio by g": {"stat": "ratio", "var": "y", "denominator": "x", "by": ("g",), "deff": True},
    "mean of text": {"stat": "mean", "var": "cat", "by": ("g",)},
    "total of text": {"stat": "total", "var": "cat", "by": ("h", "g"), "deff": True},
    "na drop": {"stat": "mean", "var": "ymiss", "by": ("g",), "na": "drop", "deff": True},
    "na drop ratio": {"stat": "ratio", "var": "ymiss", "denominator": "x", "by": ("h",), "na": "drop"},
}


@pytest.mark.parametrize("design", DESIGNS.values(), ids=DESIGNS.keys())
@pytest.mark.parametrize("request_", REQUESTS.values(), ids=REQUESTS.keys())
def test_streaming_matches_the_in_memory_path(data: Path, design: dict[str, Any], request_: dict[str, Any]) -> None:
    compare(data, design, **request_)


def test_a_domain_absent_from_early_batches_and_from_some_strata(tmp_path: Path) -> None:
    columns = _table(seed=11)
    late = np.arange(N) > N - 60
    columns["g"] = ["late" if is_late and s != "S0" else v for is_late, s, v in zip(late, columns["st"], columns["g"], strict=True)]
    path = _write(tmp_path, columns)
    compare(path, DESIGNS["stratified clusters"], stat="prop", var="cat", by=("g",), deff=True)
    compare(path, DESIGNS["lonely average"], stat="mean", var="b", by=("g", "h"))


def test_zero_weights_count_in_the_design_but_not_in_the_estimates(tmp_path: Path) -> None:
    columns = _table(seed=3)
    columns["w"] = np.where(np.asarray(columns["psu"]) == 21, 0.0, columns["w"])
    path = _write(tmp_path, columns)
    for request in REQUESTS.values():
        compare(path, DESIGNS["stratified clusters"], **request)


def test_the_numbers_are_exact_for_a_variable_far_from_zero(tmp_path: Path) -> None:
    # coefficient of variation 2e-4: the pilot shift keeps the cell sums free of cancellation
    columns = _table(seed=5)
    columns["y"] = 5000 + (np.asarray(columns["y"]) - 1000) / 25
    path = _write(tmp_path, columns)
    assert compare(path, DESIGNS["fpc counts"], stat="mean", var="y", by=("g",), deff=True) <= TOLERANCE
    compare(path, DESIGNS["stratified clusters"], stat="ratio", var="y", denominator="x", deff=True)


def test_what_cannot_stream_is_said_before_reading(data: Path) -> None:
    _, numbers = parquet_layout(data)
    base = DESIGNS["stratified clusters"]
    mean = Request("mean", "y")
    assert not plan.streamable(Design(**{**base, "ids": []}), mean, numbers)
    assert not plan.streamable(Design(**base), Request("quantile", "y", quantiles=(0.5,)), numbers)
    assert not plan.streamable(Design(**{"ids": ["psu"], "strata": "st", "fpc": ["N"]}), mean, numbers)
    assert not plan.streamable(Design(**{**base, "ids": ["psu", "ssu"], "fpc": ["N", "N"]}), mean, numbers)
    assert not plan.streamable(Design(**{**base, "weights": "st"}), mean, numbers)
    assert not plan.streamable(Design(**base), Request("ratio", "cat", denominator="x"), numbers)
    rake = {"method": "poststratify", "strata": ["h"], "population": [{"h": 1, "Freq": 10}]}
    assert not plan.streamable(Design(**{**base, "calibration": rake}), mean, numbers)


def test_a_text_column_of_numbers_goes_back_to_memory(tmp_path: Path) -> None:
    columns = _table()
    columns["cat"] = [str(v) for v in columns["num_cat"]]
    path = _write(tmp_path, columns)
    _, numbers = parquet_layout(path)
    spec, ask = Design(**DESIGNS["stratified clusters"]), Request("mean", "cat")
    assert plan.streamable(spec, ask, numbers)
    assert plan.estimate_file(path, spec, ask, numbers, batch_rows=BATCH) is None


# --- the command line -----------------------------------------------------------------------------


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Streams every Parquet file in small batches and records each streamed estimate."""
    calls: list[Any] = []
    real = plan.estimate_file

    def recording(*args: Any, **kwargs: Any) -> Any:
        calls.append(None)
        calls[-1] = result = real(*args, **kwargs)
        return result

    monkeypatch.setattr(plan, "estimate_file", recording)
    monkeypatch.setattr(scanning, "BATCH_ROWS", BATCH)
    return calls


def _both(estimate_cli: Any, monkeypatch: pytest.MonkeyPatch, path: Path, design: dict[str, Any], *args: str) -> Any:
    """Run the command on both paths; returns (streamed run, in-memory run)."""
    monkeypatch.setenv("CUNSHENG_ESTIMATE_STREAM", "always")
    streamed = estimate_cli(path, design, *args)
    monkeypatch.setenv("CUNSHENG_ESTIMATE_STREAM", "never")
    memory = estimate_cli(path, design, *args)
    return streamed, memory


def test_the_command_streams_large_files_and_prints_the_same_document(
    estimate_cli: Any, monkeypatch: pytest.MonkeyPatch, spy: list[Any], data: Path
) -> None:
    args = ("--stat", "prop", "--var", "cat", "--by", "g", "--deff", "--json")
    streamed, memory = _both(estimate_cli, monkeypatch, data, DESIGNS["stratified clusters"], *args)
    assert len(spy) == 1 and spy[0] is not None
    left, right = streamed.json(), memory.json()
    for a, b in zip(left["estimates"], right["estimates"], strict=True):
        assert a["domain"] == b["domain"] and a["level"] == b["level"] and a["n"] == b["n"]
        assert math.isclose(a["se"], b["se"], rel_tol=TOLERANCE)
    monkeypatch.delenv("CUNSHENG_ESTIMATE_STREAM")
    estimate_cli(data, DESIGNS["stratified clusters"], *args)
    assert len(spy) == 1  # a small file stays in memory by default
    monkeypatch.setattr("analysis.cli.estimate.STREAM_ROWS", 100)
    text = estimate_cli(data, DESIGNS["stratified clusters"], "--stat", "mean", "--var", "y")
    assert len(spy) == 2 and text.status == 0 and text.stdout.startswith("mean of y")


STRAT = DESIGNS["stratified clusters"]
LONELY = {"ids": ["psu_lonely"], "strata": "st", "weights": "w", "lonely_psu": "fail"}
BAD = {
    "unknown column": ({}, STRAT, ("--var", "yy"), "column.missing", ("`yy`",)),
    "unknown design column": ({}, {**STRAT, "strata": "stt"}, (), "column.missing", ("`stt`",)),
    "missing value": ({"ymiss": {}}, STRAT, ("--var", "ymiss"), "estimate.value_missing", ("`ymiss`",)),
    "missing late value": ({"y": {650: None}}, STRAT, (), "estimate.value_missing", ("第 651 行",)),
    "missing stratum": ({"st": {500: None}}, STRAT, (), "design.value_missing", ("第 501 行",)),
    "missing psu": ({"psu": {321: None, 600: None}}, STRAT, (), "design.value_missing", ("第 322 行",)),
    "missing weight": ({"w": {77: None}, "y": {5: None}}, STRAT, (), "design.value_missing", ("第 78 行",)),
    "negative weight": ({"w": {444: -2.0, 600: -1.0}}, STRAT, (), "design.weight_invalid", ("第 445 行", "-2.0")),
    "infinite weight": ({"w": {99: math.inf}}, STRAT, (), "design.weight_invalid", ("inf",)),
    "probability above 1": ({"p": {300: 1.5}}, {**STRAT, "weights": None, "probs": "p"}, (), "design.prob_invalid", ("1.5",)),
    "text weight": ({"w": {}}, {**STRAT, "weights": "cat"}, (), "column.not_numeric", ("`cat`",)),
    "lonely psu": ({}, LONELY, ("--by", "g"), "design.lonely_psu", ("`st`='S4'",)),
    "psu in two strata": ({"psu": {610: 0}}, STRAT, (), "design.not_nested", ("`psu`=0",)),
    "one psu": ({}, {**STRAT, "ids": ["psu_one"], "strata": None}, (), "design.one_psu", ()),
    "fpc mixed": ({"N": {400: 0.5}}, {**STRAT, "fpc": ["N"]}, (), "design.fpc_mixed", ("第 401 行",)),
    "fpc varies": ({"N": {500: 1000.0}}, {**STRAT, "fpc": ["N"]}, (), "design.fpc_varies", ()),
    "fpc too small": ({}, {**STRAT, "fpc": ["small"]}, (), "design.fpc_too_small", ()),
    "fpc all one": ({}, {**STRAT, "fpc": ["one"]}, (), "design.fpc_all_one", ()),
    "missing fpc": ({"N": {333: None}}, {**STRAT, "fpc": ["N"]}, (), "design.value_missing", ("第 334 行",)),
    "by all missing": ({}, STRAT, ("--by", "nothing"), "estimate.all_missing", ("`nothing`",)),
    "var all missing": ({}, STRAT, ("--var", "nothing", "--na", "drop"), "estimate.all_missing", ("`nothing`",)),
    "empty domain": ({}, STRAT, ("--var", "ymiss", "--by", "only_missing", "--na", "drop"), "estimate.empty_domain", ()),
    "zero weights": ({}, {**STRAT, "weights": "w_zero_c"}, ("--by", "g"), "estimate.zero_weights", ("'c'",)),
    "zero denominator": ({}, STRAT, ("--stat", "ratio", "--denominator", "x_zero_c", "--by", "g"), "estimate.zero_denominator", ()),
    "ci of a non-binary mean": ({}, STRAT, ("--ci-method", "beta"), "estimate.ci_method_not_binary", ()),
    "ci of a categorical total": ({}, STRAT, ("--stat", "total", "--var", "cat", "--ci-method", "logit"), "estimate.ci_method_total", ()),
}


def _extra_columns(columns: dict[str, Any]) -> None:
    g = np.array([v if v is not None else "" for v in columns["g"]])
    columns["psu_one"] = np.ones(N, dtype=np.int64)
    columns["small"] = np.full(N, 2.0)
    columns["one"] = np.ones(N)
    columns["nothing"] = pa.array([None] * N, type=pa.float64())
    columns["only_missing"] = np.where(np.isnan(columns["ymiss"]), "gone", "kept")
    columns["w_zero_c"] = np.where(g == "c", 0.0, columns["w"])
    columns["x_zero_c"] = np.where(g == "c", 0.0, columns["x"])


@pytest.mark.parametrize(("changes", "design", "args", "code", "names"), BAD.values(), ids=BAD.keys())
def test_both_paths_report_the_same_problem(
    estimate_cli: Any,
    monkeypatch: pytest.MonkeyPatch,
    spy: list[Any],
    tmp_path: Path,
    changes: dict[str, dict[int, Any]],
    design: dict[str, Any],
    args: tuple[str, ...],
    code: str,
    names: tuple[str, ...],
) -> None:
    columns = _table()
    _extra_columns(columns)
    for name, cells in changes.items():
        values = list(columns[name])
        for row, value in cells.items():
            values[row] = value
        columns[name] = values
    path = _write(tmp_path, columns, "bad.parquet")
    options = {"--stat": "mean", "--var": "y"}
    rest = list(args)
    for key in ("--stat", "--var"):
        if key in rest:
            options[key] = rest.pop(rest.index(key) + 1)
            rest.remove(key)
    argv = [item for pair in options.items() for item in pair] + rest + ["--json"]
    streamed, memory = _both(estimate_cli, monkeypatch, path, design, *argv)
    assert_problem(memory, code, *names)
    assert streamed.stderr == memory.stderr
    assert streamed.stdout == "" and streamed.status == 2
    if code not in ("column.not_numeric",):
        assert spy, "the streaming path was not taken"


def test_a_bad_file_is_the_same_problem_on_both_paths(
    estimate_cli: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    path = tmp_path / "broken.parquet"
    path.write_bytes(b"PAR1 not really")
    streamed, memory = _both(estimate_cli, monkeypatch, path, STRAT, "--stat", "mean", "--var", "y")
    assert_problem(memory, "data.format", "broken.parquet")
    assert streamed.stderr == memory.stderr


def test_json_of_a_streamed_estimate_is_plain_numbers(
    estimate_cli: Any, monkeypatch: pytest.MonkeyPatch, spy: list[Any], data: Path
) -> None:
    monkeypatch.setenv("CUNSHENG_ESTIMATE_STREAM", "always")
    run = estimate_cli(data, DESIGNS["lonely average"], "--stat", "mean", "--var", "b", "--by", "h", "--json")
    document = json.loads(run.stdout)
    assert spy and [e["domain"] for e in document["estimates"]] == [{"h": 1}, {"h": 2}, {"h": 3}]
