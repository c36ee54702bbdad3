"""An earlier wave's results (`cunsheng evaluate --json` output) as the baseline of this one.

The baseline gives each entry's earlier estimate and SE, matched by code, domain and breakdown, and
the earlier wave's year. Its shape is checked here, every problem a catalogue entry naming the file;
an entry this wave has and the baseline lacks simply has no change. Must not read files (the
command line parses the JSON) or estimate anything.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from analysis.errors import AnalysisError, E

# what is wrong with a baseline document: (Chinese, English)
_NOT_OBJECT = ("顶层应为 JSON 对象", "the top level must be a JSON object")
_NO_YEAR = ("缺少整数 `year`", "it has no integer `year`")
_NO_LIST = ("`indicators` 和 `indices` 应为列表", "`indicators` and `indices` must be lists")
_BAD_ENTRY = ("有一项缺少 code、domain、breakdown、estimate 或 se", "an entry lacks code, domain, breakdown, estimate or se")


def key(code: str, domain: Mapping[str, Any], breakdown: str | None) -> str:
    """How an entry is matched across waves."""
    return json.dumps([code, dict(sorted(domain.items())), breakdown], ensure_ascii=False)


@dataclass(frozen=True)
class Baseline:
    """The earlier wave: its year and (estimate, se) per entry key, indicators and indices apart."""

    year: int
    indicators: dict[str, tuple[float, float]] = field(default_factory=dict)
    indices: dict[str, tuple[float, float]] = field(default_factory=dict)

    def find(self, index: bool, code: str, domain: Mapping[str, Any], breakdown: str | None) -> tuple[float, float] | None:
        """The earlier (estimate, se) of an entry, when the baseline has a usable one."""
        found = (self.indices if index else self.indicators).get(key(code, domain, breakdown))
        if found is None or math.isnan(found[0]) or math.isnan(found[1]):
            return None
        return found


def baseline_of(doc: Any, path: str, year: int) -> Baseline:
    """Check an earlier run's document and index its entries; its year must precede `year`."""
    if not isinstance(doc, dict):
        raise _problem(path, _NOT_OBJECT)
    earlier = doc.get("year")
    if not isinstance(earlier, int) or isinstance(earlier, bool):
        raise _problem(path, _NO_YEAR)
    if earlier >= year:
        raise AnalysisError(E.EVAL_BASELINE_YEAR, path=path, baseline=earlier, year=year)
    parts = [doc.get("indicators", []), doc.get("indices", [])]
    if not all(isinstance(part, list) for part in parts):
        raise _problem(path, _NO_LIST)
    indicators, indices = (_entries(part, path) for part in parts)
    return Baseline(earlier, indicators, indices)


def _entries(items: list[Any], path: str) -> dict[str, tuple[float, float]]:
    out = {}
    for item in items:
        ok = isinstance(item, dict) and isinstance(item.get("code"), str) and isinstance(item.get("domain"), dict)
        if not ok or not all(name in item for name in ("breakdown", "estimate", "se")):
            raise _problem(path, _BAD_ENTRY)
        out[key(item["code"], item["domain"], item["breakdown"])] = (_number(item["estimate"]), _number(item["se"]))
    return out


def _number(value: Any) -> float:
    """A JSON number, or NaN for null (a suppressed or undefined earlier estimate)."""
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else math.nan


def _problem(path: str, what: tuple[str, str]) -> AnalysisError:
    return AnalysisError(E.EVAL_BASELINE, path=path, problem_zh=what[0], problem_en=what[1])
