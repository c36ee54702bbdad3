"""`cunsheng estimate`: design-based estimates from a CSV or Parquet file, per docs/analysis_cli.md.

Reads the design JSON and only the columns the estimate needs, runs `analysis.estimate`, and prints
a table for people or, with `--json`, the JSON document of the contract. Any bad input exits 2 with
one line on standard error, "cunsheng estimate: 错误 .../error: ...", naming the column, row or key
and the fix; nothing is written to standard output then. A hot path as a whole process: imports only
numpy here; pandas (CSV), pyarrow (Parquet) and scipy.special (quantiles of t and beta) load on use.
Must not import the web framework, the database layer or statsmodels.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from analysis.columns import header, read_table
from analysis.design import Design
from analysis.errors import AnalysisError, E
from analysis.estimate import NA_POLICIES, STATS, Request, estimate
from analysis.intervals import CI_METHODS

PROG = "cunsheng estimate"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as an AnalysisError (one line, exit 2) instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise AnalysisError(E.ARGUMENT, detail=message)


def main(argv: list[str]) -> int:
    """Run `cunsheng estimate` with `argv` (the arguments after the sub-command); return the exit status."""
    try:
        args = _parser().parse_args(argv)
        design = _read_design(Path(args.design))
        request = Request(
            stat=args.stat,
            var=args.var,
            by=tuple(args.by),
            denominator=args.denominator,
            quantiles=tuple(args.quantile),
            level=args.level,
            ci_method=args.ci_method,
            deff=args.deff,
            na=args.na,
        )
        if design.replicate is not None and design.replicate.prefix is not None:
            design = design.resolve(header(Path(args.data)))
        columns = read_table(Path(args.data), {**design.columns(), **request.columns()})
        result = estimate(columns, design, request)
    except AnalysisError as err:
        print(f"{PROG}: {err.line()}", file=sys.stderr)
        return 2
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0
    if args.json:
        sys.stdout.write(json.dumps(result.document(), ensure_ascii=False, allow_nan=False) + "\n")
    else:
        sys.stdout.write(result.text() + "\n")
    return 0


def _parser() -> _Parser:
    parser = _Parser(
        prog=PROG,
        description="Design-based estimates (R survey conventions) from a CSV or Parquet file.",
    )
    parser.add_argument("data", metavar="DATA", help="CSV (UTF-8) or Parquet file, one row per respondent")
    parser.add_argument("--design", required=True, metavar="DESIGN.json", help="the design, as svydesign() arguments")
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
    return parser


def read_json(path: Path) -> Any:
    """A JSON file given on the command line (design or weighting spec), or a named AnalysisError."""
    try:
        return json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise AnalysisError(E.DESIGN_FILE, path=path, detail="no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AnalysisError(E.DESIGN_FILE, path=path, detail=type(exc).__name__) from None
    except json.JSONDecodeError as exc:
        raise AnalysisError(
            E.DESIGN_FILE, path=path, detail=f"invalid JSON at line {exc.lineno} column {exc.colno}"
        ) from None


def _read_design(path: Path) -> Design:
    return Design.from_json(read_json(path))
