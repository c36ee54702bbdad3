"""The result of an estimate as one tidy table, and its renderings: DataFrame, JSON records, text.

One row per domain x level (level = category for proportions and categorical totals, probability
for quantiles, None otherwise) with the columns of `design/analysis_cli.md`: estimate, se, ci_low,
ci_high, df, n, cv, deff, plus the reliability columns n_eff and flags. Undefined numbers are NaN in
the arrays and null in JSON. Compute first, render after (habit 7): must not estimate anything.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

NUMBER_COLUMNS = ("estimate", "se", "ci_low", "ci_high", "cv", "deff", "n_eff")


@dataclass(frozen=True, eq=False)
class Estimates:
    """A finished estimate: per-row domain values, level and numbers, plus what was asked."""

    stat: str
    var: str
    denominator: str | None
    by: tuple[str, ...]
    level: float
    df: int
    domains: list[tuple[Any, ...]]
    levels: list[Any]
    numbers: dict[str, np.ndarray]
    n: np.ndarray
    flags: list[tuple[str, ...]]

    def records(self) -> list[dict[str, Any]]:
        """The `estimates` list of the JSON output."""
        columns = {name: [_number(v) for v in self.numbers[name].tolist()] for name in NUMBER_COLUMNS}
        return [
            {
                "domain": dict(zip(self.by, self.domains[i], strict=True)),
                "level": self.levels[i],
                **{name: columns[name][i] for name in ("estimate", "se", "ci_low", "ci_high")},
                "df": self.df,
                "n": int(self.n[i]),
                **{name: columns[name][i] for name in ("cv", "deff", "n_eff")},
                "flags": list(self.flags[i]),
            }
            for i in range(len(self.levels))
        ]

    def document(self) -> dict[str, Any]:
        """The whole JSON output of `cunsheng estimate --json`."""
        head: dict[str, Any] = {"stat": self.stat, "var": self.var}
        if self.denominator is not None:
            head["denominator"] = self.denominator
        return {**head, "by": list(self.by), "level": self.level, "df": self.df, "estimates": self.records()}

    def to_frame(self) -> Any:
        """The tidy pandas DataFrame: by columns, level, numbers, df, n, flags."""
        import pandas as pd

        data: dict[str, Any] = {name: [d[j] for d in self.domains] for j, name in enumerate(self.by)}
        data["level"] = self.levels
        data.update({name: self.numbers[name] for name in ("estimate", "se", "ci_low", "ci_high")})
        data["df"] = np.full(len(self.levels), self.df)
        data["n"] = self.n
        data.update({name: self.numbers[name] for name in ("cv", "deff", "n_eff")})
        data["flags"] = self.flags
        return pd.DataFrame(data)

    def text(self) -> str:
        """A plain-text table for people (the default output of the command)."""
        title = f"{self.stat} of {self.var}" + (f" / {self.denominator}" if self.denominator else "")
        if self.by:
            title += " by " + ", ".join(self.by)
        title += f"  ({self.level:g} CI, design df {self.df})"
        header = [*self.by, "level", "estimate", "se", "ci_low", "ci_high", "n", "cv", "deff", "flags"]
        body = [
            [
                *(_cell(v) for v in self.domains[i]),
                _cell(self.levels[i]),
                *(_cell(self.numbers[name][i]) for name in ("estimate", "se", "ci_low", "ci_high")),
                str(int(self.n[i])),
                *(_cell(self.numbers[name][i]) for name in ("cv", "deff")),
                " ".join(self.flags[i]),
            ]
            for i in range(len(self.levels))
        ]
        widths = [max(len(row[k]) for row in [header, *body]) for k in range(len(header))]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
            for row in [header, *body]
        ]
        return "\n".join([title, *lines])


def _number(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else value


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.6g}"
    return str(value)
