"""The catalogue of estimation problems: every bad input `cunsheng estimate` can report.

Each entry has a stable code (tests assert on it), a Chinese and an English template, and every
template names the column, row or key at fault and says what to fix. Estimation code raises only
`AnalysisError(E.X, ...)`; it never formats ad-hoc messages. Messages are one line by construction:
values taken from the data are shortened and stripped of line breaks. Must not import the web or
database layers.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from enum import Enum
from typing import Any


class E(Enum):
    """Problem codes: (code, Chinese template, English template)."""

    FILE_MISSING = (
        "data.missing",
        "找不到数据文件 {path}",
        "data file {path} does not exist; check the path",
    )
    FILE_FORMAT = (
        "data.format",
        "无法读取数据文件 {path}：{detail}",
        "cannot read data file {path}: {detail}; give a UTF-8 CSV or a Parquet file",
    )
    DESIGN_FILE = (
        "design.file",
        "无法读取设计文件 {path}：{detail}",
        "cannot read design file {path}: {detail}; give a JSON object as in docs/analysis.md",
    )
    DESIGN_KEY = (
        "design.key",
        "设计文件中的键 `{key}` 无效：{detail}",
        "design key `{key}`: {detail}",
    )
    REPLICATE_SPEC = (
        "design.replicate",
        "复制权重 `replicate` 设定有误：{detail}",
        "design key `replicate`: {detail}",
    )
    CALIBRATION_SPEC = (
        "design.calibration",
        "校准 `calibration` 设定有误：{detail}",
        "design key `calibration`: {detail}",
    )
    COLUMN_MISSING = (
        "column.missing",
        "数据中没有列 `{column}`（{role}）{hint_zh}",
        "column `{column}` ({role}) is not in the data{hint_en}",
    )
    NOT_NUMERIC = (
        "column.not_numeric",
        "列 `{column}`（{role}）必须是数值：第 {row} 行是 {value}",
        "column `{column}` ({role}) must be numeric: row {row} has {value}; fix the value or choose another column",
    )
    DESIGN_VALUE_MISSING = (
        "design.value_missing",
        "列 `{column}`（{role}）第 {row} 行缺失；每一行都必须有抽样设计信息",
        "column `{column}` ({role}) is missing at row {row}; every row needs its design values",
    )
    WEIGHT_INVALID = (
        "design.weight_invalid",
        "列 `{column}`（{role}）第 {row} 行的值 {value} 无效：{rule_zh}",
        "column `{column}` ({role}) has {value} at row {row}; {rule_en}",
    )
    BOTH_WEIGHTS = (
        "design.weights_and_probs",
        "设计文件同时给了 weights 和 probs，只能给其中一个",
        "the design gives both `weights` and `probs`; keep one of them",
    )
    FPC_STAGES = (
        "design.fpc_stages",
        "fpc 有 {n_fpc} 列，但 ids 有 {n_ids} 个阶段；每个阶段需要一列 fpc",
        "`fpc` has {n_fpc} column(s) but `ids` has {n_ids} stage(s); give one fpc column per stage",
    )
    FPC_MIXED = (
        "design.fpc_mixed",
        "fpc 列混合了抽样比（≤1）和总体数（>1）：列 `{column}` 第 {row} 行是 {value}",
        "fpc columns mix sampling fractions (<=1) and population counts (>1): column `{column}` row {row} "
        "has {value}; use one kind for every stage",
    )
    FPC_ALL_ONE = (
        "design.fpc_all_one",
        "fpc 全部等于 1，无法判断是抽样比还是总体数",
        "every fpc value is 1, which is ambiguous (R refuses it too); give population counts or fractions < 1",
    )
    FPC_TOO_SMALL = (
        "design.fpc_too_small",
        "列 `{column}` 第 {row} 行的 fpc 表示总体只有 {popsize} 个单位，但该层抽了 {sampsize} 个",
        "fpc column `{column}` at row {row} implies a population of {popsize} units but {sampsize} were "
        "sampled in that stratum (more than 100%); check the fpc values",
    )
    FPC_VARIES = (
        "design.fpc_varies",
        "列 `{column}` 的 fpc 在第 {stage} 阶段的同一层内不一致（第 {row} 行）",
        "fpc column `{column}` varies within a stratum at stage {stage} (row {row}); it must hold the "
        "stratum's population size, the same on every row of the stratum",
    )
    NOT_NESTED = (
        "design.not_nested",
        "初级抽样单位 `{column}`={value} 出现在多个层中",
        'PSU `{column}`={value} appears in more than one stratum of `{strata}`; set "nest": true if PSU '
        "labels are re-used across strata",
    )
    ONE_PSU = (
        "design.one_psu",
        "整个设计只有一个初级抽样单位",
        "the design has only one primary sampling unit; check `ids` (use [] for an element sample)",
    )
    LONELY_PSU = (
        "design.lonely_psu",
        "第 {stage} 阶段的层 {stratum} 只有一个抽样单位",
        'stratum {stratum} has only one sampled unit at stage {stage}; set "lonely_psu" in the design to '
        "remove, adjust, average or certainty, or merge the stratum with a neighbour",
    )
    VALUE_MISSING = (
        "estimate.value_missing",
        "列 `{column}` 第 {row} 行缺失（共 {count} 行缺失）",
        "column `{column}` is missing at row {row} ({count} missing in all); use --na drop to leave "
        "missing values out of every domain",
    )
    ALL_MISSING = (
        "estimate.all_missing",
        "列 `{column}` 没有任何非缺失值",
        "column `{column}` has no non-missing value; choose another column",
    )
    EMPTY_DOMAIN = (
        "estimate.empty_domain",
        "子总体 {domain} 中没有可用的观测值",
        "domain {domain} has no row with a usable value of {columns}; drop that domain from --by or "
        "combine it with another",
    )
    ZERO_DENOMINATOR = (
        "estimate.zero_denominator",
        "子总体 {domain} 中 {what} 的加权合计为 0，无法计算",
        "domain {domain}: the weighted total of {what} is 0, so the estimate is undefined; check the "
        "weights or the domain",
    )
    CI_METHOD = (
        "estimate.ci_method",
        "--ci-method {method} 只适用于比例（prop 或 0/1 变量的 mean）",
        "--ci-method {method} applies only to proportions (prop, or mean of a 0/1 variable); `{column}` is {detail}",
    )
    NEEDS_NUMERIC = (
        "estimate.not_numeric_stat",
        "--stat {stat} 需要数值列，`{column}` 是分类变量",
        "--stat {stat} needs a numeric column but `{column}` is categorical (row {row} has {value})",
    )
    ARGUMENT = ("cli.argument", "参数错误：{detail}", "{detail}; run `cunsheng estimate --help`")

    WEIGHTS_ARGUMENT = ("weights.argument", "参数错误：{detail}", "{detail}; run `cunsheng weights --help`")
    WEIGHTS_SPEC = ("weights.spec", "权重设定 `{key}` 有误：{detail}", "spec key `{key}`: {detail}")
    WEIGHTS_VALUE_MISSING = (
        "weights.value_missing",
        "列 `{column}`（{role}）第 {row} 行缺失",
        "column `{column}` ({role}) is missing at row {row}; every row needs a value",
    )
    PROB = (
        "weights.prob",
        "列 `{column}` 第 {row} 行的概率 {value} 不在 (0, 1] 内",
        "column `{column}` has probability {value} at row {row}; inclusion probabilities must be in (0, 1]",
    )
    WEIGHT = (
        "weights.weight",
        "列 `{column}` 第 {row} 行的值 {value} 无效：须为有限正数",
        "column `{column}` has {value} at row {row}; {rule}",
    )
    NO_RESPONDENTS = (
        "weights.no_respondents",
        "加权类 {cell} 没有应答者",
        "weighting class {cell} has no respondents; collapse it with a neighbouring class in `nonresponse.classes`",
    )
    TRIM = ("weights.trim", "无法修剪权重：{detail}", "cannot trim the weights: {detail}")

    @property
    def code(self) -> str:
        return self.value[0]


class AnalysisError(ValueError):
    """A bad input, named in both languages; the CLI prints it as one line and exits 2."""

    def __init__(self, error: E, **params: Any):
        self.error = error
        self.params = params
        self.zh = _one_line(error.value[1].format(**params))
        self.en = _one_line(error.value[2].format(**params))
        super().__init__(self.en)

    @property
    def code(self) -> str:
        return self.error.code

    def line(self) -> str:
        """The message as printed by the CLI after the program name."""
        return f"错误 {self.zh}/error: {self.en}"


def show(value: object) -> str:
    """A data value as it appears in a message: quoted text, plain numbers, never a line break."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def column_missing(column: str, role: str, available: Iterable[str]) -> AnalysisError:
    """The unknown-column problem with a 'did you mean' hint when a name is close."""
    close = difflib.get_close_matches(column, list(available), n=1, cutoff=0.6)
    hint_zh = f"，是不是 `{close[0]}`？" if close else ""
    hint_en = f"; did you mean `{close[0]}`?" if close else "; check the spelling (names are case-sensitive)"
    return AnalysisError(E.COLUMN_MISSING, column=column, role=role, hint_zh=hint_zh, hint_en=hint_en)


def _one_line(text: str) -> str:
    return " ".join(text.split())
