"""`cunsheng weights`: survey weights from a respondent file and a weighting specification.

Runs the chain of `analysis.weighting` (base weights, nonresponse adjustment within classes,
calibration through `analysis.calibration`, trimming) as the spec JSON asks, writes the respondent
rows with the final weight column (UTF-8 CSV or Parquet), and prints the diagnostics as a table (or
JSON with --json); --report writes them as Markdown or HTML and --plot draws a histogram PNG.
Every bad input exits 2 with one line on standard error, "cunsheng weights: 错误 .../error: ...",
before anything is written. Imports numpy here; pandas (and pyarrow for Parquet) load on use.
Must not import the web framework, the database layer or statsmodels.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from analysis import weighting as wt
from analysis.calibration import CalibrationSpec, bind
from analysis.cli import read_json
from analysis.columns import Columns, encode, from_frame
from analysis.errors import AnalysisError, E, column_missing

PROG = "cunsheng weights"
LABELS = {
    "n": "样本量 n",
    "sum_w": "权重和 Σw",
    "min": "最小 min",
    "max": "最大 max",
    "max_min_ratio": "最大/最小 max/min",
    "mean": "均值 mean",
    "cv": "变异系数 CV",
    "deff_kish": "Kish 设计效应 deff",
    "n_eff": "有效样本量 n_eff",
}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise AnalysisError(E.WEIGHTS_ARGUMENT, detail=message)


def main(argv: list[str]) -> int:
    """Run `cunsheng weights` with `argv` (the arguments after the sub-command); return the exit status."""
    try:
        args = _parser().parse_args(argv)
        out, report, plot = Path(args.out), args.report and Path(args.report), args.plot and Path(args.plot)
        _check_suffix(out, (".csv", ".parquet", ".pq"), "--out")
        if report:
            _check_suffix(report, (".md", ".html", ".htm"), "--report")
        if plot:
            _check_suffix(plot, (".png",), "--plot")
        spec = _read_spec(Path(args.spec))
        frame = _read_frame(Path(args.data))
        result, stages, margins = run(frame, spec)
    except AnalysisError as err:
        print(f"{PROG}: {err.line()}", file=sys.stderr)
        return 2
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0
    if out.suffix.lower() == ".csv":
        result.to_csv(out, index=False, encoding="utf-8")
    else:
        result.to_parquet(out, index=False)
    weights = result[spec.get("weight_column", "weight")].to_numpy(np.float64)
    if report:
        report.write_text(_report(stages, margins, report.suffix.lower() != ".md"), encoding="utf-8")
    if plot:
        from analysis.histogram_png import write_histogram

        write_histogram(plot, weights)
    if args.json:
        doc = {"stages": _clean(stages), "margins": _clean(margins)}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, allow_nan=False) + "\n")
    else:
        sys.stdout.write(_text(stages, margins) + "\n")
    return 0


def _parser() -> _Parser:
    parser = _Parser(prog=PROG, description="Survey weights: base, nonresponse, calibration, trimming.")
    parser.add_argument("data", metavar="DATA", help="CSV (UTF-8) or Parquet file, one row per sampled unit")
    parser.add_argument("--spec", required=True, metavar="SPEC.json", help="the weighting specification")
    parser.add_argument("--out", required=True, metavar="OUT", help="output .csv or .parquet (respondents)")
    parser.add_argument("--report", metavar="REPORT", help="diagnostics report, .md or .html")
    parser.add_argument("--plot", metavar="HIST.png", help="histogram of the final weights (PNG)")
    parser.add_argument("--json", action="store_true", help="print the diagnostics as JSON")
    return parser


def _check_suffix(path: Path, allowed: tuple[str, ...], option: str) -> None:
    if path.suffix.lower() not in allowed:
        raise AnalysisError(E.WEIGHTS_ARGUMENT, detail=f"{option} {path} must end in {' or '.join(allowed)}")


def _clean(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for JSON: non-finite numbers (max/min with a zero weight) become null."""
    return [{k: None if isinstance(v, float) and not np.isfinite(v) else v for k, v in row.items()} for row in rows]


def _read_spec(path: Path) -> dict[str, Any]:
    obj: Any = read_json(path)
    if not isinstance(obj, dict):
        raise AnalysisError(E.WEIGHTS_SPEC, key="(top)", detail="the spec must be a JSON object")
    unknown = set(obj) - {"base", "nonresponse", "calibration", "trim", "weight_column"}
    if unknown:
        raise AnalysisError(E.WEIGHTS_SPEC, key=sorted(unknown)[0], detail="unknown key; see docs/analysis.md")
    return obj


def _read_frame(path: Path) -> Any:
    import pandas as pd

    if not path.is_file():
        raise AnalysisError(E.FILE_MISSING, path=path)
    try:
        if path.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=["", "NA"], low_memory=False)
    except (UnicodeDecodeError, ValueError, OSError) as exc:
        raise AnalysisError(E.FILE_FORMAT, path=path, detail=type(exc).__name__) from None


def _columns(frame: Any, names: Mapping[str, str]) -> Columns:
    available = [str(c) for c in frame.columns]
    for name, role in names.items():
        if name not in available:
            raise column_missing(name, role, available)
    return from_frame(frame, list(names))


def _spec_list(obj: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = obj.get(key, [])
    if not isinstance(value, list):
        raise AnalysisError(E.WEIGHTS_SPEC, key=f"{where}.{key}", detail="must be a list")
    return value


def _base(frame: Any, spec: Any) -> np.ndarray:
    if not isinstance(spec, Mapping) or len(set(spec) & {"probs", "weights", "fractions"}) != 1:
        raise AnalysisError(E.WEIGHTS_SPEC, key="base", detail='give exactly one of "probs", "weights", "fractions"')
    if "weights" in spec:
        name = spec["weights"]
        if not isinstance(name, str):
            raise AnalysisError(E.WEIGHTS_SPEC, key="base.weights", detail="must be a column name")
        return wt.base_from_weights(_columns(frame, {name: "base weight"})[name], name)
    if "probs" in spec:
        probs = _spec_list(spec, "probs", "base")
        if not probs or not all(isinstance(p, str) for p in probs):
            raise AnalysisError(E.WEIGHTS_SPEC, key="base.probs", detail="must be a non-empty list of column names")
        return wt.base_from_probs(_columns(frame, {p: "probability" for p in probs}), probs)
    pairs = _spec_list(spec, "fractions", "base")
    if not all(isinstance(p, Mapping) and isinstance(p.get("n"), str) and isinstance(p.get("N"), str) for p in pairs):
        raise AnalysisError(E.WEIGHTS_SPEC, key="base.fractions", detail='must be a list of {"n": col, "N": col}')
    names = {p[k]: "stage size" for p in pairs for k in ("n", "N")}
    return wt.base_from_fractions(_columns(frame, names), [(p["n"], p["N"]) for p in pairs])


def _respondents(frame: Any, w: np.ndarray, spec: Any) -> tuple[np.ndarray, np.ndarray]:
    """The respondent mask and the nonresponse-adjusted weights."""
    if spec is None:
        return np.ones(len(w), dtype=bool), w
    if not isinstance(spec, Mapping) or not isinstance(spec.get("status"), str):
        raise AnalysisError(E.WEIGHTS_SPEC, key="nonresponse", detail='needs "status": a column name')
    status = spec["status"]
    classes = _spec_list(spec, "classes", "nonresponse")
    if not all(isinstance(c, str) for c in classes):
        raise AnalysisError(E.WEIGHTS_SPEC, key="nonresponse.classes", detail="must be a list of column names")
    columns = _columns(frame, {status: "response status", **{c: "weighting class" for c in classes}})
    missing = np.flatnonzero(encode(columns[status]).codes < 0)
    if len(missing):
        raise AnalysisError(E.WEIGHTS_VALUE_MISSING, column=status, role="response status", row=int(missing[0]) + 1)
    responded = wt.level_mask(columns[status], spec.get("respondent_value", 1))
    if not responded.any():
        detail = f"no row of `{status}` equals {spec.get('respondent_value', 1)!r}; check `respondent_value`"
        raise AnalysisError(E.WEIGHTS_SPEC, key="nonresponse.respondent_value", detail=detail)
    codes, labels = wt.class_codes(columns, classes, len(w))
    return responded, wt.nonresponse_adjust(w, responded, codes, labels)


def run(frame: Any, spec: Mapping[str, Any]) -> tuple[Any, list[dict[str, Any]], list[dict[str, Any]]]:
    """The respondent rows with the final weights, per-stage diagnostics and the margin check."""
    name = spec.get("weight_column", "weight")
    if not isinstance(name, str) or not name:
        raise AnalysisError(E.WEIGHTS_SPEC, key="weight_column", detail="must be a non-empty column name")
    w = _base(frame, spec.get("base"))
    stages = [{"stage": "base", **wt.summary(w)}]
    responded, w = _respondents(frame, w, spec.get("nonresponse"))
    resp = frame.loc[responded].reset_index(drop=True)
    w = w[responded]
    if spec.get("nonresponse") is not None:
        stages.append({"stage": "nonresponse", **wt.summary(w)})
    margins: list[dict[str, Any]] = []
    calibration = None
    if spec.get("calibration") is not None:
        calibration = CalibrationSpec.from_json(spec["calibration"])
        columns = _columns(resp, calibration.columns())
        w = bind(calibration, columns).calibrate(w)
        stages.append({"stage": "calibration", **wt.summary(w)})
    if spec.get("trim") is not None:
        w = _trim(resp, w, spec["trim"])
        stages.append({"stage": "trim", **wt.summary(w)})
    if calibration is not None:
        margins = wt.margin_check(w, _columns(resp, calibration.columns()), calibration.spec)
    return resp.assign(**{name: w}), stages, margins


def _trim(frame: Any, w: np.ndarray, spec: Any) -> np.ndarray:
    cap = spec.get("max") if isinstance(spec, Mapping) else None
    if isinstance(cap, bool) or not isinstance(cap, int | float) or not cap > 0:
        raise AnalysisError(E.WEIGHTS_SPEC, key="trim.max", detail="must be a number > 0")
    relative = spec.get("relative_to")
    if relative not in (None, "median", "mean"):
        raise AnalysisError(E.WEIGHTS_SPEC, key="trim.relative_to", detail='must be "median", "mean" or null')
    bound = float(cap) * (1.0 if relative is None else float(getattr(np, relative)(w)))
    classes = _spec_list(spec, "classes", "trim")
    codes = None
    if classes:
        codes = wt.class_codes(_columns(frame, {c: "trimming class" for c in classes}), classes, len(w))[0]
    max_iter = spec.get("max_iter", 100)
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise AnalysisError(E.WEIGHTS_SPEC, key="trim.max_iter", detail="must be a whole number >= 1")
    return wt.trim(w, bound, codes, max_iter)


def _fmt(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return f"{value:.6g}"


def _table(rows: list[dict[str, Any]], keys: list[str], heads: list[str]) -> list[list[str]]:
    return [heads] + [[_fmt(row[k]) for k in keys] for row in rows]


def _text(stages: list[dict[str, Any]], margins: list[dict[str, Any]]) -> str:
    keys = list(LABELS)
    lines = [_aligned(_table(stages, ["stage", *keys], ["阶段 stage", *LABELS.values()]))]
    if margins:
        heads = ["边际 margin", "类别 cell", "目标 target", "实际 achieved", "差 difference"]
        lines.append(_aligned(_table(margins, ["margin", "cell", "target", "achieved", "difference"], heads)))
    return "\n\n".join(lines)


def _aligned(table: list[list[str]]) -> str:
    widths = [max(_width(row[i]) for row in table) for i in range(len(table[0]))]
    return "\n".join(
        "  ".join(cell + " " * (width - _width(cell)) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in table
    )


def _width(text: str) -> int:
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _report(stages: list[dict[str, Any]], margins: list[dict[str, Any]], html: bool) -> str:
    tables = [_table(stages, ["stage", *LABELS], ["stage", *LABELS.values()])]
    if margins:
        keys = ["margin", "cell", "target", "achieved", "difference"]
        tables.append(_table(margins, keys, keys))
    titles = ["Weight diagnostics 权重诊断", "Calibration margins 校准边际"]
    if not html:
        parts = ["# cunsheng weights report"]
        for title, table in zip(titles, tables, strict=False):
            body = ["| " + " | ".join(row) + " |" for row in table]
            body.insert(1, "|" + " --- |" * len(table[0]))
            parts.append(f"## {title}\n\n" + "\n".join(body))
        return "\n\n".join(parts) + "\n"
    from html import escape

    parts = ['<!doctype html><meta charset="utf-8"><title>cunsheng weights</title><h1>cunsheng weights report</h1>']
    for title, table in zip(titles, tables, strict=False):
        rows = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in table)
        parts.append(f"<h2>{escape(title)}</h2><table border=1>{rows}</table>")
    return "\n".join(parts) + "\n"
