"""The argument parser of the analysis command lines: argparse whose usage errors are problems.

argparse reports a bad command line as an English sentence and exits; `Parser.error` turns the
common cases into their own catalogue entries (a missing required option, an invalid choice, an
unrecognised argument, a value that is not a number, an option without its value), each in Chinese
then English, and carries any other argparse message as the parameter of `cli.usage`. The
command then prints one line and exits 2. Must not run a command.
"""

from __future__ import annotations

import argparse
import re
from typing import NoReturn

from analysis.errors import AnalysisError, E

_CASES: list[tuple[re.Pattern[str], E]] = [
    (re.compile(r"the following arguments are required: (?P<options>.+)"), E.CLI_MISSING_OPTION),
    (
        re.compile(r"argument (?P<option>\S+?): invalid choice: (?P<value>.+?) \(choose from (?P<allowed>.+)\)"),
        E.CLI_INVALID_CHOICE,
    ),
    (re.compile(r"unrecognized arguments: (?P<arguments>.+)"), E.CLI_UNKNOWN_ARGUMENT),
    (re.compile(r"argument (?P<option>\S+?): invalid (?:float|int) value: (?P<value>.+)"), E.CLI_BAD_NUMBER),
    (re.compile(r"argument (?P<option>\S+?): expected one argument"), E.CLI_NEEDS_VALUE),
]


class Parser(argparse.ArgumentParser):
    """argparse that raises a usage error as an AnalysisError (one line, exit 2) instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise usage_problem(self.prog, message)


def usage_problem(prog: str, message: str) -> AnalysisError:
    """The catalogue problem for one of argparse's usage messages."""
    for pattern, entry in _CASES:
        found = pattern.fullmatch(message.strip())
        if found:
            return AnalysisError(entry, prog=prog, **found.groupdict())
    return AnalysisError(E.CLI_USAGE, prog=prog, message=message)


def check_suffix(prog: str, path_text: str, allowed: tuple[str, ...], option: str) -> None:
    """A file option must end in one of the allowed suffixes (case-insensitive)."""
    if not path_text.lower().endswith(allowed):
        raise AnalysisError(E.CLI_SUFFIX, prog=prog, option=option, path=path_text, allowed=" | ".join(allowed))
