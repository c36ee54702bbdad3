"""`cunsheng estimate`: design-based estimates from a CSV or Parquet file, per design/analysis_cli.md.

Reads the design JSON and only the columns the estimate needs, runs `analysis.estimators.estimate`,
and prints a table for people or, with `--json`, the JSON document of the contract. Any bad input
exits 2 with one line on standard error, "cunsheng estimate: 错误 [code] 中文 / error: English",
naming the column, row or key and the fix; nothing is written to standard output then. A hot path
as a whole process (issue 10: within 1.5x a plain-numpy script on 1M rows, `bench/estimate.py`):
imports numpy and pydantic here; pandas (CSV), pyarrow (Parquet), the replicate, calibration and
streaming rooms, and scipy.special (interval methods other than wald, NCHS flags of intervals that
are not certainly narrow) load on use; the t quantile is plain Python. Must not import the web
framework, the database layer or statsmodels.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from analysis.cli.parser import Parser
from analysis.design.spec import Design
from analysis.errors import AnalysisError, cli_line
from analysis.estimators.estimate import estimate
from analysis.estimators.intervals import CI_METHODS
from analysis.estimators.request import NA_POLICIES, STATS, Request
from analysis.estimators.table import Estimates
from analysis.io.jsonfile import read_json
from analysis.io.readers import header, parquet_layout, read_table

PROG = "cunsheng estimate"
# A Parquet file of at least this many rows is streamed when the design allows it; the variable
# CUNSHENG_ESTIMATE_STREAM=always|never (tests, benchmarks) forces one path.
STREAM_ROWS = 2_000_000


def main(argv: list[str]) -> int:
    """Run `cunsheng estimate` with `argv` (the arguments after the sub-command); return the exit status."""
    try:
        args = _parser().parse_args(argv)
        design = Design.from_json(read_json(Path(args.design)))
        result = _estimate(Path(args.data), design, request_of(args))
    except AnalysisError as err:
        print(cli_line(PROG, err), file=sys.stderr)
        return 2
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0
    write(result, args.json)
    return 0


def request_of(args: argparse.Namespace) -> Request:
    """The estimate request of parsed options (those of `add_request_options`)."""
    return Request(stat=args.stat, var=args.var, by=tuple(args.by), denominator=args.denominator,
                   quantiles=tuple(args.quantile), level=args.level, ci_method=args.ci_method, deff=args.deff,
                   na=args.na)


def write(result: Estimates, as_json: bool) -> None:
    """The result on standard output: the contract's JSON document, or the table for people."""
    if as_json:
        sys.stdout.write(json.dumps(result.document(), ensure_ascii=False, allow_nan=False) + "\n")
    else:
        sys.stdout.write(result.text() + "\n")


def _estimate(path: Path, design: Design, request: Request) -> Estimates:
    """Stream a large Parquet file when the design allows it (`analysis.stream`), else read the
    columns into memory; both give the same numbers and the same problems."""
    mode = os.environ.get("CUNSHENG_ESTIMATE_STREAM", "auto")
    if mode != "never" and path.suffix.lower() in (".parquet", ".pq"):
        rows, numbers = parquet_layout(path)
        if mode == "always" or rows >= STREAM_ROWS:
            from analysis.stream.plan import estimate_file, streamable  # only for files that may stream

            if streamable(design, request, numbers):
                streamed = estimate_file(path, design, request, numbers)
                if streamed is not None:
                    return streamed
    if design.replicate is not None and design.replicate.weights_prefix is not None:
        design = design.resolve(header(path))
    return estimate(read_table(path, {**design.columns(), **request.columns()}), design, request)


def _parser() -> Parser:
    parser = Parser(
        prog=PROG,
        description="Design-based estimates (R survey conventions) from a CSV or Parquet file.",
    )
    parser.add_argument("data", metavar="DATA", help="CSV (UTF-8) or Parquet file, one row per respondent")
    parser.add_argument("--design", required=True, metavar="DESIGN.json", help="the design, as svydesign() arguments")
    add_request_options(parser)
    return parser


def add_request_options(parser: Parser) -> None:
    """The options that say what to estimate (shared with `cunsheng estimate --survey`)."""
    parser.add_argument("--stat", required=True, choices=STATS, help="the statistic")
    parser.add_argument("--var", required=True, metavar="COL", help="the analysis variable")
    parser.add_argument("--denominator", metavar="COL", help="the denominator of --stat ratio")
    parser.add_argument("--by", action="append", default=[], metavar="COL", help="domain column (repeatable)")
    parser.add_argument(
        "--quantile", action="append", default=[], type=float, metavar="P", help="0 < P < 1 (repeatable)"
    )
    parser.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    parser.add_argument("--ci-method", choices=CI_METHODS, default="wald", help="interval for proportions")
    parser.add_argument("--deff", action="store_true", help="report the design effect (SRS without replacement)")
    parser.add_argument("--na", choices=NA_POLICIES, default="fail", help="missing values: fail (default) or drop")
    parser.add_argument("--json", action="store_true", help="write JSON instead of a table")

