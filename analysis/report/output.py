"""The JSON outputs the report pack reads, checked against their contracts: `cunsheng evaluate --json`
(design/evaluation.md: level, df, year, indicators, gaps, indices) and `cunsheng rates --json`
(fieldwork §4: e, overall, groups).

Both are read into frozen pydantic models; a missing key, a value of the wrong type or a status that
is not one of 达标/未达标/无法判断/不适用 is one `AnalysisError` of the spec catalogue naming the key
path (`indicators[3].status`). Keys the contracts do not name are ignored, so a later version of the
commands can add some. Must not judge, estimate or render anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import ConfigDict, Field, StrictStr

from analysis.report.inputs import Rates, ResponseRates
from analysis.specmodel import Spec, validate

Status = Literal["达标", "未达标", "无法判断", "不适用"]
RATE_NAMES = (*(f"RR{i}" for i in range(1, 7)), *(f"COOP{i}" for i in range(1, 5)),
              *(f"REF{i}" for i in range(1, 4)), *(f"CON{i}" for i in range(1, 4)))
COUNT_NAMES = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")


class Read(Spec):
    """A command's JSON output: frozen, `null` is the default, unknown keys are ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True)


class Target(Read):
    """An entry's target as the definition gives it."""

    op: Literal[">=", ">", "<=", "<", "=", "~", "up", "down", "qual"]
    value: float | None = None
    year: int | None = None
    tolerance: float | None = None


class Entry(Read):
    """One ENTRY: an indicator or index in one domain cell (numbers on the shown scale)."""

    code: StrictStr
    domain: dict[str, Any] = Field(default_factory=dict)
    breakdown: StrictStr | None = None
    estimate: float | None = None
    se: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    n: int | None = None
    df: int | None = None
    flags: tuple[StrictStr, ...] = ()
    suppressed: bool
    status: Status
    target: Target
    warnings: tuple[StrictStr, ...]
    change: float | None = None
    change_se: float | None = None
    change_method: StrictStr | None = None
    projected: float | None = None
    projected_se: float | None = None


class Gap(Read):
    """The difference between the two levels of a two-level breakdown, with its SE from the design."""

    code: StrictStr
    breakdown: StrictStr
    levels: tuple[Any, Any]
    gap: float | None = None
    gap_se: float | None = None
    gap_ci_low: float | None = None
    gap_ci_high: float | None = None


class Evaluation(Read):
    """The whole output of `cunsheng evaluate --json`."""

    level: float = Field(gt=0, lt=1)
    df: int | None = None
    year: int
    indicators: tuple[Entry, ...]
    gaps: tuple[Gap, ...] = ()
    indices: tuple[Entry, ...] = ()


class _RatesEntry(Read):
    """An ENTRY of cunsheng rates: the counts, the group, and the rates beside them (null: denominator 0)."""

    counts: dict[str, int]
    by: dict[str, Any] = Field(default_factory=dict)
    RR1: float | None = None
    RR2: float | None = None
    RR3: float | None = None
    RR4: float | None = None
    RR5: float | None = None
    RR6: float | None = None
    COOP1: float | None = None
    COOP2: float | None = None
    COOP3: float | None = None
    COOP4: float | None = None
    REF1: float | None = None
    REF2: float | None = None
    REF3: float | None = None
    CON1: float | None = None
    CON2: float | None = None
    CON3: float | None = None


class _Rates(Read):
    e: float | None = None
    overall: _RatesEntry
    groups: tuple[_RatesEntry, ...] = ()


def read_evaluation(obj: Mapping[str, Any]) -> Evaluation:
    """The output of `cunsheng evaluate --json`, checked; raises AnalysisError naming the key at fault."""
    return validate(Evaluation, obj)  # type: ignore[no-any-return]


def read_rates(obj: Mapping[str, Any]) -> ResponseRates:
    """The output of `cunsheng rates --json` as the methods record holds it; raises AnalysisError."""
    parsed = validate(_Rates, obj, "rates")
    return ResponseRates(parsed.e, _rates(parsed.overall), tuple(_rates(g) for g in parsed.groups))


def _rates(entry: _RatesEntry) -> Rates:
    return Rates(dict(entry.counts), {name: getattr(entry, name) for name in RATE_NAMES},
                 {k: str(v) for k, v in entry.by.items()})
