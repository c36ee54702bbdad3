"""`cunsheng rates`: AAPOR outcome rates from a file of final dispositions (fieldwork README, §4).

Reads the disposition column (`--code`, default `disposition`) and any `--by` columns as text,
computes the rates with `analysis.fieldwork.rates.summarise` and prints the JSON document. Every bad
input (an unknown code, an unknown column, an e outside [0, 1]) exits 2 with one line on standard
error, "cunsheng rates: 错误 [code] 中文 / error: English", and prints nothing on standard output.
Must not import the web framework, the database layer or statsmodels.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Any

from analysis.cli.parser import Parser
from analysis.errors import AnalysisError, E, cli_line, column_missing, show
from analysis.fieldwork.rates import summarise
from analysis.io.readers import read_text_frame

PROG = "cunsheng rates"


def main(argv: list[str]) -> int:
    """Run `cunsheng rates` with `argv` (the arguments after the sub-command); return the exit status."""
    try:
        args = _parser().parse_args(argv)
        doc = _rates(args)
    except AnalysisError as err:
        print(cli_line(PROG, err), file=sys.stderr)
        return 2
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0
    sys.stdout.write(json.dumps(doc, ensure_ascii=False, allow_nan=False) + "\n")
    return 0


def _rates(args: Any) -> dict[str, Any]:
    if args.e is not None and not (math.isfinite(args.e) and 0 <= args.e <= 1):
        raise AnalysisError(E.RATES_E, value=show(args.e))
    frame = read_text_frame(Path(args.dispositions))
    names = [str(c) for c in frame.columns]
    for column, role in [(args.code, "code"), *((b, "by") for b in args.by)]:
        if column not in names:
            raise column_missing(column, role, names)
    by = {name: frame[name].tolist() for name in args.by}
    return summarise(frame[args.code].tolist(), by, args.e)


def _parser() -> Parser:
    parser = Parser(prog=PROG, description="AAPOR outcome rates (RR, COOP, REF, CON) from final dispositions.")
    parser.add_argument("dispositions", metavar="DISPOSITIONS.csv", help="CSV, one row per case")
    parser.add_argument("--code", default="disposition", metavar="COL", help="the AAPOR code column")
    parser.add_argument("--by", nargs="+", action="extend", default=[], metavar="COL", help="group columns")
    parser.add_argument("--e", type=float, metavar="VALUE", help="share of unknown-eligibility cases taken as eligible")
    parser.add_argument("--json", action="store_true", required=True, help="print the rates as JSON (required)")
    return parser
