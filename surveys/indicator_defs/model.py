"""Compiled indicator definitions: frozen objects that `analysis.evaluation` reads.

Produced only by `surveys.indicator_defs.compiler`. An `Indicator` is a share of its population
meeting a condition (`prop`) or the mean of a column (`mean`), with its target on the shown scale;
an `Index` combines indicators of the same file by their scores (丽水's 妇女儿童发展指数). Values
follow design/evaluation.md. Holds no I/O and evaluates nothing (see `reading`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from surveys.expr import Condition

# Targets whose value is a level the estimate must reach (or stay under): they alone can be scored.
AT_LEAST = (">=", ">", "=")
AT_MOST = ("<=", "<")
NUMERIC_OPS = (*AT_LEAST, *AT_MOST, "~")


@dataclass(frozen=True)
class Target:
    """A target as defined: op, value on the shown scale, year, and the tolerance of `~`."""

    op: str
    value: float | None = None
    year: int | None = None
    tolerance: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The target as the definition gives it (the `target` of an output entry)."""
        out: dict[str, Any] = {"op": self.op, "value": self.value, "year": self.year}
        if self.op == "~":
            out["tolerance"] = self.tolerance
        return out


@dataclass(frozen=True)
class Indicator:
    """One indicator: who is counted (`population`), what is measured, and the target."""

    code: str
    name: str
    stat: str  # prop | mean
    target: Target
    scale: float
    ci_method: str
    plan: tuple[str, ...] = ()  # row_ids of indicators.csv
    numerator: Condition | None = None  # prop
    value: str | None = None  # mean: the column averaged
    population: Condition | None = None  # None: everyone
    exclude_missing: bool = False  # `missing: exclude`: a missing numerator value leaves the denominator


@dataclass(frozen=True)
class Component:
    """One indicator of an index: its weight and the floor that scores 0 (its target scores 100)."""

    code: str
    weight: float
    floor: float


@dataclass(frozen=True)
class Index:
    """A development index: the weighted mean of its components' scores, with a target of its own."""

    code: str
    name: str
    components: tuple[Component, ...]
    target: Target


@dataclass(frozen=True)
class IndicatorSet:
    """One compiled indicator file."""

    file: str
    indicators: tuple[Indicator, ...]
    indices: tuple[Index, ...] = ()
    survey: str | None = None
    special_codes: frozenset[int] = frozenset()

    def indicator(self, code: str) -> Indicator:
        """The indicator with this code (the compiler guarantees index components exist)."""
        return next(i for i in self.indicators if i.code == code)
