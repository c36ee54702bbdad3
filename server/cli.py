"""The `cunsheng` command line: one dispatcher, each sub-command imported only when it runs.

Must not import the web framework, the database layer or statsmodels at module level:
`cunsheng estimate` is a hot path as a whole process and only pays for `analysis`.
"""

from __future__ import annotations

import gc
import sys

USAGE = """usage: cunsheng <command> [options]

commands:
  serve      start the web server (applies migrations, loads the bundled questionnaires)
  init-db    create or upgrade the database schema and load the questionnaires
  check      compile every questionnaire and indicator definition and report errors
  estimate   design-based estimates from a CSV or Parquet file, or --survey NAME from the database
  evaluate   indicators against their targets from a CSV or Parquet file and an indicator definition file
  weights    survey weights from a respondent file and a weighting specification
  sample     draw units from a frame CSV (cunsheng sample pps FRAME.csv --size COL --n N --seed S ...)
  rates      AAPOR response, cooperation, refusal and contact rates from final dispositions
  units      import the org-unit tree and population (cunsheng units import UNITS.csv --population POP.csv)
  staff      console accounts: add one (the first admin too), issue a device token
  export     one questionnaire's responses to CSV, XLSX, Parquet, Stata, SPSS or a codebook
  backup     copy the whole database to a file (SQLite online backup; pg_dump on PostgreSQL)
  restore    replace the database with a backup (--force when it holds responses)

Run `cunsheng <command> --help` for the options of a command."""


def main(argv: list[str] | None = None) -> int:
    """Dispatch to a sub-command; return its exit status."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help", "help"):
        print(USAGE)
        return 0
    command, rest = args[0], args[1:]
    if command == "estimate":
        from server.estimate_db import main as db_main
        from server.estimate_db import wants_database

        if wants_database(rest):  # stored responses: analysis only, and this module's light imports
            return db_main(rest)
        # A short process whose imports (pydantic building the spec models) allocate objects that
        # live to its end: collecting them is ~90 young-generation passes for nothing. Import with
        # the collector off, then freeze that heap so later collections skip it.
        gc.disable()
        from analysis.cli.estimate import main as estimate_main

        gc.freeze()
        gc.enable()
        return estimate_main(rest)
    if command == "evaluate":
        from analysis.cli.evaluate import main as evaluate_main
        from server.report_defs import definitions
        from surveys.indicator_defs.compiler import compile_file as compile_indicators

        return evaluate_main(rest, compile_indicators, definitions)
    if command in ("weights", "sample", "rates"):  # file-based analysis commands: analysis.cli.<command>.main
        import importlib

        return int(importlib.import_module(f"analysis.cli.{command}").main(rest))
    if command == "export":
        from server.exports_cli import main as export_main

        return export_main(rest)
    if command in ("backup", "restore"):
        from server.backup import main as backup_main

        return backup_main(command, rest)
    if command == "units":
        from server.units_cli import main as units_main

        return units_main(rest)
    if command == "staff":
        from server.staff_cli import main as staff_main

        return staff_main(rest)
    if command in ("serve", "init-db", "check"):
        from server.commands import run

        return run(command, rest)
    print(f"cunsheng: 未知命令 unknown command '{command}'\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
