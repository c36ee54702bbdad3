"""`cunsheng weights`: survey weights from a respondent file and a weighting specification.

Runs the chain of `analysis.weighting.chain` (base weights, nonresponse adjustment within classes,
calibration, trimming) as the spec JSON asks, writes the respondent rows with the final weight
column (UTF-8 CSV or Parquet), and prints the diagnostics as a table (or JSON with --json);
--report writes them as Markdown or HTML and --plot draws a histogram PNG. Every bad input exits 2
with one line on standard error, "cunsheng weights: 错误 [code] 中文 / error: English", before
anything is written. Imports numpy and pydantic here; pandas (and pyarrow for Parquet) load on use.
Must not import the web framework, the database layer or statsmodels.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import numpy as np

from analysis.cli.parser import Parser, check_suffix
from analysis.errors import AnalysisError, cli_line
from analysis.io.jsonfile import read_json
from analysis.io.readers import read_frame
from analysis.weighting import report
from analysis.weighting.chain import run
from analysis.weighting.spec import WeightsSpec

PROG = "cunsheng weights"


def main(argv: list[str]) -> int:
    """Run `cunsheng weights` with `argv` (the arguments after the sub-command); return the exit status."""
    try:
        args = _parser().parse_args(argv)
        check_suffix(PROG, args.out, (".csv", ".parquet", ".pq"), "--out")
        if args.report:
            check_suffix(PROG, args.report, (".md", ".html", ".htm"), "--report")
        if args.plot:
            check_suffix(PROG, args.plot, (".png",), "--plot")
        spec = WeightsSpec.from_json(read_json(Path(args.spec)))
        result, stages, margins = run(read_frame(Path(args.data)), spec)
    except AnalysisError as err:
        print(cli_line(PROG, err), file=sys.stderr)
        return 2
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0
    _write(args, result, spec.weight_column, stages, margins)
    return 0


def _write(
    args: Any, result: Any, weight_column: str, stages: list[dict[str, Any]], margins: list[dict[str, Any]]
) -> None:
    """Write the output file, the report and the plot, then print the diagnostics."""
    out = Path(args.out)
    if out.suffix.lower() == ".csv":
        result.to_csv(out, index=False, encoding="utf-8")
    else:
        result.to_parquet(out, index=False)
    if args.report:
        path = Path(args.report)
        path.write_text(report.document(stages, margins, path.suffix.lower() != ".md"), encoding="utf-8")
    if args.plot:
        from analysis.io.histogram_png import write_histogram

        write_histogram(Path(args.plot), result[weight_column].to_numpy(np.float64))
    if args.json:
        doc = {"stages": _clean(stages), "margins": _clean(margins)}
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, allow_nan=False) + "\n")
    else:
        sys.stdout.write(report.text(stages, margins) + "\n")


def _parser() -> Parser:
    parser = Parser(prog=PROG, description="Survey weights: base, nonresponse, calibration, trimming.")
    parser.add_argument("data", metavar="DATA", help="CSV (UTF-8) or Parquet file, one row per sampled unit")
    parser.add_argument("--spec", required=True, metavar="SPEC.json", help="the weighting specification")
    parser.add_argument("--out", required=True, metavar="OUT", help="output .csv or .parquet (respondents)")
    parser.add_argument("--report", metavar="REPORT", help="diagnostics report, .md or .html")
    parser.add_argument("--plot", metavar="HIST.png", help="histogram of the final weights (PNG)")
    parser.add_argument("--json", action="store_true", help="print the diagnostics as JSON")
    return parser


def _clean(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows for JSON: non-finite numbers (max/min with a zero weight) become null."""
    return [{k: None if isinstance(v, float) and not np.isfinite(v) else v for k, v in row.items()} for row in rows]
