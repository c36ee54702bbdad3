"""The inputs of the report pack besides the evaluation itself: what each indicator is and how the wave
was run, as frozen dataclasses.

A `Definition` says what a code of `cunsheng evaluate`'s output means in the report: its name, the plan
domain (the `domain` column of indicators.csv for its plan row, e.g. 妇女与健康), the plan rows, the
shown scale and unit, and the plan's own wording of the target. The numeric target is not repeated
here: every ENTRY carries it "as defined" (design/evaluation.md). `Methods` is the methods appendix:
the sample design, the response rates (`cunsheng rates --json`), the weighting steps, the variance
method, the questionnaire versions with their sha256, the software version, the suppression rule,
and the wave. Must not read files or compute anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

INDEX_DOMAIN = "发展指数"  # the section of the development indices (they have no plan row)
OTHER_DOMAIN = "其他指标"  # an indicator without a plan domain


@dataclass(frozen=True)
class Definition:
    """One indicator (or index) code as the report names and groups it."""

    code: str
    name: str
    domain: str = ""  # the plan domain of its plan row; empty: 发展指数 for an index, else 其他指标
    plan: tuple[str, ...] = ()  # row_ids of indicators.csv
    scale: float = 1.0  # 100: shown as a percentage
    unit: str = ""  # the unit of a value shown as is (岁, 1/10万, 分)
    plan_target: str = ""  # the plan's wording of the target (indicators.csv `target`), e.g. 达到80%以上
    index: bool = False
    decimals: int = 1  # decimal places of its values, changes and intervals

    @property
    def section(self) -> str:
        """The report section the code belongs to."""
        return self.domain or (INDEX_DOMAIN if self.index else OTHER_DOMAIN)

    @property
    def percent(self) -> bool:
        """True when values are shown as percentages."""
        return self.scale == 100


@dataclass(frozen=True)
class Breakdown:
    """A breakdown column as the report labels it: 城乡 for `urban`, and its levels' labels."""

    column: str
    label: str
    levels: Mapping[str, str] = field(default_factory=dict)  # a level as text -> its label

    def level(self, value: Any) -> str:
        """The label of one level (the level itself when it has none)."""
        text = str(value)
        return self.levels.get(text, text)


@dataclass(frozen=True)
class Rates:
    """One ENTRY of `cunsheng rates --json`: the AAPOR counts and rates, and the group it is for."""

    counts: Mapping[str, int]
    rates: Mapping[str, float | None]
    by: Mapping[str, str] = field(default_factory=dict)  # empty: the whole sample


@dataclass(frozen=True)
class ResponseRates:
    """`cunsheng rates --json`: e, the whole sample and its groups."""

    e: float | None
    overall: Rates
    groups: tuple[Rates, ...] = ()


@dataclass(frozen=True)
class WeightingStep:
    """One step of the weighting chain as the appendix describes it."""

    name: str  # 基础权重, 无回答调整, 事后分层, 截尾
    summary: str


@dataclass(frozen=True)
class Questionnaire:
    """One questionnaire version whose answers the evaluation read."""

    name: str
    title: str
    version: int
    sha256: str


@dataclass(frozen=True)
class Methods:
    """The wave and the methods appendix of the report."""

    title: str  # 枣岭县妇女儿童发展规划中期评估报告
    wave: str  # 2024 年中期评估入户调查
    year: int
    unit: str  # the county (or township) the report is about
    design: str  # the sample design in a few sentences
    variance: str  # how standard errors were estimated
    software: str  # cunsheng 0.1.0
    suppression: str  # the suppression rule as text
    rates: ResponseRates | None = None
    weighting: tuple[WeightingStep, ...] = ()
    questionnaires: tuple[Questionnaire, ...] = ()
    breakdowns: tuple[Breakdown, ...] = ()
    baseline: str = ""  # the baseline wave (for change and projection), e.g. 2022 年基线调查

    def breakdown(self, column: str) -> Breakdown:
        """The breakdown of `column` (labelled by its own name when the record does not name it)."""
        for known in self.breakdowns:
            if known.column == column:
                return known
        return Breakdown(column, column)
