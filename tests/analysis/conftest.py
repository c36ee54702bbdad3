"""Fixtures of the analysis tests: where the shared reference data lives, and a CLI runner.

The reference data sits outside the repository (`/work/shared/refdata`, or `$CUNSHENG_REFDATA`).
When it is absent the tests that need it are skipped locally and fail on CI (env `CI` set), so a
missing mount is never mistaken for a pass.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from analysis.cli.estimate import main


def refdata_dir() -> Path | None:
    """The refdata folder: $CUNSHENG_REFDATA, ../shared/refdata beside the checkout, /work/shared/refdata."""
    candidates = [
        os.environ.get("CUNSHENG_REFDATA"),
        Path(__file__).resolve().parents[3] / "shared" / "refdata",
        "/work/shared/refdata",
    ]
    for candidate in candidates:
        if candidate and (Path(candidate) / "cases_public.json").is_file():
            return Path(candidate)
    return None


@pytest.fixture(scope="session")
def refdata() -> Path:
    found = refdata_dir()
    if found is None:
        message = "shared reference data not found (set CUNSHENG_REFDATA)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


@dataclass(frozen=True)
class Run:
    """The outcome of one in-process `cunsheng estimate` run."""

    status: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        assert self.status == 0, self.stderr
        return json.loads(self.stdout)

    @property
    def code(self) -> str | None:
        """The problem code printed on stderr (`prog: 错误 [code] ...`), if any."""
        found = re.search(r": 错误 \[([a-z0-9_.]+)\] ", self.stderr)
        return found.group(1) if found else None


def assert_problem(run: Run, code: str, *names: str, prog: str = "cunsheng estimate") -> None:
    """A bad input: exit 2, nothing on stdout, one line on stderr with the code, Chinese then English,
    naming each of `names` (columns, rows, keys, values)."""
    assert run.status == 2 and run.stdout == "", (run.status, run.stdout)
    assert run.stderr.endswith("\n") and run.stderr.count("\n") == 1, run.stderr
    assert run.stderr.startswith(f"{prog}: 错误 [{code}] ") and " / error: " in run.stderr, run.stderr
    for name in names:
        assert name in run.stderr, (name, run.stderr)


@pytest.fixture
def estimate_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> Callable[..., Run]:
    """Run `cunsheng estimate` in-process: design (a dict) is written to a temporary DESIGN.json."""

    def run(data: Path | str, design: dict[str, Any] | None, *args: str) -> Run:
        argv = [str(data)]
        if design is not None:
            path = tmp_path / "DESIGN.json"
            path.write_text(json.dumps(design), encoding="utf-8")
            argv += ["--design", str(path)]
        capsys.readouterr()
        status = main([*argv, *args])
        out = capsys.readouterr()
        return Run(status, out.out, out.err)

    return run
