"""`cunsheng evaluate`: indicators against their targets from a CSV or Parquet file (design/evaluation.md).

```
cunsheng evaluate DATA --design DESIGN.json --indicators IND.yaml [--by COL ...] [--breakdown COL ...]
                  [--level L] [--baseline BASELINE.json] [--year Y] [--json] [--report DIR]
```

`DATA`, `--design`, `--by` and `--level` are those of `cunsheng estimate`. The indicator file is
compiled by the function the dispatcher hands over (`surveys.indicator_defs.compiler.compile_file`:
analysis reads compiled definitions, it never compiles one); only the columns the design, the
domains and the indicators read are loaded. With `--json` the contract's document goes to standard
output, else a table for people. `--report DIR` also writes the report pack (`analysis.report.write_pack`:
report.html, report.pdf, report.xlsx, charts/) into DIR, each code named by the `Describe` function the
dispatcher hands over (`server.report_defs.definitions`: it reads the plan catalogue), the methods
appendix from what the files say (the design file, the software version, the suppression rule); the
standard output is the same with or without it. Any bad input exits 2 with one line on standard error naming the
indicator (or the file, option or column) and the problem; nothing is written to standard output
then. Must not import the web framework or the database layer.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from analysis.cli.evaluate_report import Describe, check_folder, write_report
from analysis.cli.parser import Parser
from analysis.design.spec import Design
from analysis.errors import AnalysisError, E, cli_line
from analysis.evaluation.baseline import baseline_of
from analysis.evaluation.evaluate import Evaluation, Options, evaluate_columns, needed_columns
from analysis.io.jsonfile import read_json
from analysis.io.readers import header, read_table
from surveys.indicator_defs.model import IndicatorSet
from surveys.problem import Problem

PROG = "cunsheng evaluate"
Load = Callable[[Path], IndicatorSet]


def main(argv: list[str], load: Load, describe: Describe) -> int:
    """Run `cunsheng evaluate` with `argv`, compiling the indicator file with `load` and naming its codes
    in a report with `describe`; return the exit status."""
    try:
        args = _parser().parse_args(argv)
        if args.report is not None:
            check_folder(Path(args.report))
        definitions = _definitions(load, Path(args.indicators))
        design = Design.from_json(read_json(Path(args.design)))
        options = Options(tuple(args.by), tuple(args.breakdown), args.level)
        if args.year is not None:
            options = replace(options, year=args.year)
        if args.baseline is not None:
            options = replace(options, baseline=baseline_of(read_json(Path(args.baseline)), args.baseline, options.year))
        result = _evaluate(Path(args.data), design, definitions, options)
        if args.report is not None:
            write_report(result, describe(definitions), args,
                         options.baseline.year if options.baseline else None, Path(args.report))
    except AnalysisError as err:
        print(cli_line(PROG, err), file=sys.stderr)
        return 2
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0
    if args.json:
        sys.stdout.write(json.dumps(result.document(), ensure_ascii=False, allow_nan=False) + "\n")
    else:
        sys.stdout.write(text(result) + "\n")
    return 0


def _definitions(load: Load, path: Path) -> IndicatorSet:
    """The compiled indicator file; its first problem (of the compiler's list) as one line."""
    if not path.is_file():
        raise AnalysisError(E.SPEC_FILE_MISSING, path=path)
    try:
        return load(path)
    except UnicodeDecodeError:
        raise AnalysisError(E.SPEC_FILE_UNREADABLE, path=path) from None
    except Problem as problem:  # the compiler's DefinitionInvalid: its details list every finding
        found = problem.details.get("problems") or [{"code": problem.code, "where": "", "message": problem.message}]
        first = found[0]
        where = f"{first['where']}: " if first["where"] else ""
        raise AnalysisError(E.EVAL_DEFINITION, path=path, count=len(found),
                            first=f"{where}[{first['code']}] {first['message']}") from None


def _evaluate(path: Path, design: Design, definitions: IndicatorSet, options: Options) -> Evaluation:
    names = header(path)
    design = design.resolve(names)
    wanted = needed_columns(design, definitions, options, names)
    roles = {**{name: "indicator" for name in wanted}, **{name: "--by" for name in options.by},
             **{name: "--breakdown" for name in options.breakdown}, **design.columns()}
    return evaluate_columns(read_table(path, {name: roles[name] for name in wanted}), design, definitions, options)


def text(result: Evaluation) -> str:
    """A plain-text table for people: one line per entry, then the gaps."""
    lines = [f"indicators against targets  (year {result.year}, {result.level:g} CI, design df {result.df})"]
    for kind in ("indicators", "indices"):
        for e in getattr(result, kind):
            domain = ", ".join(f"{k}={v}" for k, v in e["domain"].items()) or "全部"
            shown = "—" if e["suppressed"] else f"{_cell(e['estimate'])} [{_cell(e['ci_low'])}, {_cell(e['ci_high'])}]"
            target = f"{e['target']['op']} {_cell(e['target']['value'])}".rstrip(" -")
            lines.append("  ".join([e["code"], domain, shown, f"n={e['n']}", target, e["status"], *e["warnings"]]))
    for g in result.gaps:
        lines.append(f"{g['code']}  {g['breakdown']} {g['levels'][0]} − {g['levels'][1]}: {_cell(g['gap'])} "
                     f"[{_cell(g['gap_ci_low'])}, {_cell(g['gap_ci_high'])}]")
    return "\n".join(lines)


def _cell(value: Any) -> str:
    return "-" if value is None else f"{value:.4g}" if isinstance(value, float) else str(value)


def _parser() -> Parser:
    parser = Parser(prog=PROG, description="Indicators against their targets from a CSV or Parquet file.")
    parser.add_argument("data", metavar="DATA", help="CSV (UTF-8) or Parquet file, one row per respondent")
    parser.add_argument("--design", required=True, metavar="DESIGN.json", help="the design, as svydesign() arguments")
    parser.add_argument("--indicators", required=True, metavar="IND.yaml", help="the indicator definitions")
    parser.add_argument("--by", action="append", default=[], metavar="COL", help="domain column (repeatable)")
    parser.add_argument("--breakdown", action="append", default=[], metavar="COL",
                        help="one-way breakdown column (repeatable)")
    parser.add_argument("--level", type=float, default=0.95, help="confidence level (default 0.95)")
    parser.add_argument("--baseline", metavar="BASELINE.json", help="an earlier wave's --json output")
    parser.add_argument("--year", type=int, help="the year of this wave (default: the current year)")
    parser.add_argument("--json", action="store_true", help="write JSON instead of a table")
    parser.add_argument("--report", metavar="DIR", help="also write the report pack (HTML, PDF, XLSX) into DIR")
    return parser
