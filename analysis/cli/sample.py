"""`cunsheng sample pps`: systematic PPS selection of units from a frame CSV (README of fieldwork, §3).

Reads the frame (every column kept as text), checks it, draws with `analysis.sampling.pps.draw` and
only then writes SELECTED.csv (UTF-8 with BOM, so spreadsheet programs show the Chinese names) and
prints the per-stratum summary (a table, or JSON with --json). Every bad input exits 2 with one line
on standard error, "cunsheng sample: 错误 [code] 中文 / error: English", and writes nothing.
Must not import the web framework, the database layer or statsmodels.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from analysis.cli.parser import Parser, check_suffix
from analysis.errors import AnalysisError, E, cli_line, show
from analysis.io.readers import read_text_frame
from analysis.sampling import pps

PROG = "cunsheng sample"


def main(argv: list[str]) -> int:
    """Run `cunsheng sample` with `argv` (the arguments after the sub-command); return the exit status."""
    try:
        args = _parser().parse_args(argv)
        selected, summary, seed = _draw(args)
    except AnalysisError as err:
        print(cli_line(PROG, err), file=sys.stderr)
        return 2
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0
    selected.to_csv(Path(args.out), index=False, encoding="utf-8-sig")
    if args.json:
        sys.stdout.write(json.dumps({"strata": summary, "seed": seed}, ensure_ascii=False) + "\n")
    else:
        lines = ["stratum\tn\tn_certainty\tframe_units\tframe_size"]
        lines += ["\t".join(str(s[k]) for k in ("stratum", "n", "n_certainty", "frame_units", "frame_size")) for s in summary]
        sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _draw(args: Any) -> tuple[Any, list[dict[str, Any]], int]:
    """Check every input and draw; nothing is written here."""
    check_suffix(PROG, args.out, (".csv",), "--out")
    out = Path(args.out)
    if not out.parent.is_dir():
        raise AnalysisError(E.OUT_DIRECTORY, path=out)
    seed = _whole(args.seed, E.PPS_SEED, minimum=0)
    n = _whole(args.n, E.PPS_N, minimum=1) if args.n is not None else None
    frame_path = Path(args.frame)
    frame = read_text_frame(frame_path)
    if len(frame) == 0:
        raise AnalysisError(E.PPS_FRAME_EMPTY, path=frame_path)
    pps.check_frame(frame, args.id, args.size, args.strata)
    allocation = None
    if args.allocation is not None:
        strata = set(frame[args.strata].tolist()) if args.strata else {pps.ALL}
        path = Path(args.allocation)
        allocation = pps.parse_allocation(read_text_frame(path), path, strata)
    selected, summary = pps.draw(frame, args.size, args.strata, n, allocation, seed)
    return selected, summary, seed


def _whole(text: str, entry: E, minimum: int) -> int:
    """An integer option (--n, --seed) written as digits, at least `minimum`."""
    stripped = text.strip()
    digits = stripped[1:] if stripped.startswith("-") else stripped
    if not digits.isdigit() or int(stripped) < minimum:
        raise AnalysisError(entry, value=show(text))
    return int(stripped)


def _parser() -> Parser:
    parser = Parser(prog=PROG, description="Systematic PPS selection of units within strata, certainty rounds first.")
    parser.add_argument("method", choices=["pps"], help="the selection method (pps)")
    parser.add_argument("frame", metavar="FRAME.csv", help="the frame, one row per unit, in the order to select in")
    parser.add_argument("--id", required=True, metavar="COL", help="the unit's id column (unique)")
    parser.add_argument("--size", required=True, metavar="COL", help="the measure of size (numbers > 0)")
    parser.add_argument("--strata", metavar="COL", help="the stratum column (default: one stratum `all`)")
    how = parser.add_mutually_exclusive_group(required=True)
    how.add_argument("--n", metavar="N", help="units to select in every stratum")
    how.add_argument("--allocation", metavar="ALLOC.csv", help="CSV with columns stratum,n")
    parser.add_argument("--seed", required=True, metavar="S", help="seed of numpy.random.default_rng (integer >= 0)")
    parser.add_argument("--out", required=True, metavar="SELECTED.csv", help="the selected units (CSV)")
    parser.add_argument("--json", action="store_true", help="print the per-stratum summary as JSON")
    return parser
