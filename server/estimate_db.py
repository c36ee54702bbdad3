"""`cunsheng estimate --survey NAME [--wave W] [--unit CODE] --stat … --var … [options]`: estimates
straight from the database, with the frame and design the results pages use (analysis_cli.md, "From
the database"). DATA and --design are not given; every other option and the output are those of
`cunsheng estimate`. A bad option or input exits 2 with one line on standard error, nothing on stdout.
"""

from __future__ import annotations

import sys
from typing import Any

from analysis.cli.estimate import PROG, add_request_options, request_of, write
from analysis.cli.parser import Parser
from analysis.errors import AnalysisError, cli_line
from analysis.estimators.request import Request
from analysis.estimators.table import Estimates
from surveys.problem import Problem


def wants_database(argv: list[str]) -> bool:
    """Whether `cunsheng estimate` was asked to read stored responses (`--survey`)."""
    return any(a == "--survey" or a.startswith("--survey=") for a in argv)


def _parser() -> Parser:
    parser = Parser(prog=PROG, description="Design-based estimates from the stored responses of a questionnaire.")
    parser.add_argument("--survey", required=True, metavar="NAME", help="the questionnaire")
    parser.add_argument("--unit", default="", metavar="CODE", help="a unit's subtree (default: the whole tree)")
    parser.add_argument("--wave", metavar="W", help="a sample wave (its design); default: self-completed responses")
    add_request_options(parser)
    return parser


def main(argv: list[str]) -> int:
    """Run the database form of `cunsheng estimate`; return the exit status."""
    try:
        args = _parser().parse_args(argv)
        request = request_of(args)
        result = _estimate(args.survey, args.unit, args.wave, request)
    except (AnalysisError, Problem) as err:
        print(cli_line(PROG, err), file=sys.stderr)
        return 2
    except SystemExit as done:
        return done.code if isinstance(done.code, int) else 0
    write(result, args.json)
    return 0


def _pool(session: Any, catalog: Any, survey: str, unit: Any, wave: str | None) -> Any:
    """A wave's weighted interviews (by name or number), or the self-completed pool."""
    from server import results, wavedesign
    from server.store import waves

    if wave is None:
        return results.pool_of(session, catalog, survey, unit)
    found = waves.find_wave(session, wave) or (waves.get_wave(session, int(wave)) if wave.isdigit() else None)
    if found is None:
        raise Problem(results.R.NO_WAVE, wave=wave[:40])
    return wavedesign.pool(session, catalog, found, survey, unit)


def _estimate(survey: str, unit_code: str, wave: str | None, request: Request) -> Estimates:
    from sqlmodel import Session, select

    from server import results
    from server.app import prepare_database
    from server.errors import P
    from server.settings import Settings
    from server.staff_errors import S
    from server.store.units import Unit, get_unit

    engine, catalog = prepare_database(Settings())
    try:
        if survey not in catalog.current:
            raise Problem(P.SURVEY_NOT_FOUND, survey=survey[:64])
        with Session(engine) as session:
            if unit_code:
                unit = get_unit(session, unit_code)
                if unit is None:
                    raise Problem(S.NOT_FOUND if len(unit_code) == 12 else results.R.BAD_UNIT, unit=unit_code[:20])
            else:
                unit = session.exec(select(Unit).where(Unit.parent == None).order_by(Unit.code)).first()  # noqa: E711
                if unit is None:
                    raise Problem(S.NOT_FOUND)
            pool = _pool(session, catalog, survey, unit, wave)
        if pool.problem is not None:
            raise pool.problem
        assert pool.design is not None and pool.weighted is not None
        variable = next((v for v in results.variables(pool.survey) if v.name == request.var), None)
        data = results.analysis_data(pool, variable) if variable else pool.weighted.data
        return results.run(data, pool.design, request)
    finally:
        engine.dispose()
