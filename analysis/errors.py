"""The catalogue of analysis problems: every bad input `cunsheng estimate`, `weights`, `evaluate`, … report.

`E` is a `surveys.problem.Catalogue`: each entry has a stable code (tests and clients branch on it),
the exit status 2, a Chinese template that names the column, row or key at fault and says what to
fix, and an English one after it. Analysis code raises only `AnalysisError(E.X, ...)` (a `Problem`);
it never formats ad-hoc messages or passes free text as a parameter. Messages are one line by
construction: values taken from the data go through `show()`. Must not import the web or database
layers, pandas or pydantic (the command lines import this module first).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from surveys.problem import Catalogue, Problem


class E(Catalogue):
    """Problem codes of `analysis`: (code, exit status, Chinese template, English template)."""

    # One entry per line, so the catalogue reads as a table.
    # fmt: off
    # data and spec files
    FILE_MISSING = ("data.missing", 2, "找不到数据文件 {path}，请检查路径", "data file {path} does not exist; check the path")
    FILE_ENCODING = ("data.encoding", 2, "数据文件 {path} 不是 UTF-8 编码，请另存为 UTF-8 CSV", "data file {path} is not UTF-8; save it as a UTF-8 CSV")
    FILE_EMPTY = ("data.empty", 2, "数据文件 {path} 是空的，请给出带表头的 CSV", "data file {path} is empty; give a CSV with a header row")
    FILE_FORMAT = ("data.format", 2, "无法读取数据文件 {path}：不是有效的 {kind} 文件，请给出 UTF-8 CSV 或 Parquet 文件", "cannot read data file {path}: not a valid {kind} file; give a UTF-8 CSV or a Parquet file")
    SPEC_FILE_MISSING = ("spec.file_missing", 2, "找不到设定文件 {path}，请检查路径", "spec file {path} does not exist; check the path")
    SPEC_FILE_UNREADABLE = ("spec.file_unreadable", 2, "无法读取设定文件 {path}：须为 UTF-8 文本文件", "cannot read spec file {path}; it must be a UTF-8 text file")
    SPEC_FILE_JSON = ("spec.not_json", 2, "设定文件 {path} 第 {line} 行第 {column} 列不是有效的 JSON，请修正该处", "spec file {path} is not valid JSON at line {line} column {column}; fix it there")

    # the shape of a JSON spec (design, replicate, calibration, weights), from pydantic's errors
    SPEC_UNKNOWN_KEY = ("spec.unknown_key", 2, "设定中的键 `{key}` 无法识别{hint_zh}；可用的键：{known}", "unknown key `{key}`{hint_en}; known keys: {known}")
    SPEC_MISSING_KEY = ("spec.missing_key", 2, "设定缺少键 `{key}`，请补上（见 docs/analysis.md）", "key `{key}` is missing; add it (see docs/analysis.md)")
    SPEC_TYPE = ("spec.type", 2, "设定中 `{key}` 的值 {value} 类型不对：应为{expected_zh}", "key `{key}` has {value}; it must be {expected_en}")
    SPEC_CHOICE = ("spec.choice", 2, "设定中 `{key}` 的值 {value} 无效：只能是 {allowed} 之一", "key `{key}` has {value}; it must be one of {allowed}")
    SPEC_RANGE = ("spec.range", 2, "设定中 `{key}` 的值 {value} 超出范围：须 {bound}", "key `{key}` has {value}; it must be {bound}")
    SPEC_TOO_SHORT = ("spec.too_short", 2, "设定中 `{key}` 至少要有 {minimum} 项", "key `{key}` needs at least {minimum} item(s)")
    SPEC_EMPTY_TEXT = ("spec.empty_text", 2, "设定中 `{key}` 不能是空字符串，请写列名", "key `{key}` must not be an empty string; give a column name")

    # design
    BOTH_WEIGHTS = ("design.weights_and_probs", 2, "设计同时给了 `weights` 和 `probs`，只能保留其中一个", "the design gives both `weights` and `probs`; keep one of them")
    FPC_STAGES = ("design.fpc_stages", 2, "`fpc` 有 {n_fpc} 列，但 `ids` 有 {n_ids} 个阶段；每个阶段需要一列 fpc", "`fpc` has {n_fpc} column(s) but `ids` has {n_ids} stage(s); give one fpc column per stage")
    COLUMN_MISSING = ("column.missing", 2, "数据中没有列 `{column}`（{role}）{hint_zh}", "column `{column}` ({role}) is not in the data{hint_en}")
    NOT_NUMERIC = ("column.not_numeric", 2, "列 `{column}`（{role}）必须是数值：第 {row} 行是 {value}，请改正该值或换一列", "column `{column}` ({role}) must be numeric: row {row} has {value}; fix the value or choose another column")
    DESIGN_VALUE_MISSING = ("design.value_missing", 2, "列 `{column}`（{role}）第 {row} 行缺失；每一行都必须有抽样设计信息", "column `{column}` ({role}) is missing at row {row}; every row needs its design values")
    WEIGHT_INVALID = ("design.weight_invalid", 2, "列 `{column}`（weights）第 {row} 行的值 {value} 无效：权重必须是有限的非负数", "column `{column}` (weights) has {value} at row {row}; weights must be finite and >= 0")
    PROB_INVALID = ("design.prob_invalid", 2, "列 `{column}`（probs）第 {row} 行的值 {value} 无效：入样概率必须在 (0, 1] 之间", "column `{column}` (probs) has {value} at row {row}; selection probabilities must be in (0, 1]")
    FPC_MIXED = ("design.fpc_mixed", 2, "fpc 列混合了抽样比（≤1）和总体数（>1）：列 `{column}` 第 {row} 行是 {value}；各阶段请用同一种", "fpc columns mix sampling fractions (<=1) and population counts (>1): column `{column}` row {row} has {value}; use one kind for every stage")
    FPC_ALL_ONE = ("design.fpc_all_one", 2, "fpc 全部等于 1，无法判断是抽样比还是总体数；请给出总体数或小于 1 的抽样比", "every fpc value is 1, which is ambiguous (R refuses it too); give population counts or fractions < 1")
    FPC_TOO_SMALL = ("design.fpc_too_small", 2, "列 `{column}` 第 {row} 行的 fpc 表示总体只有 {popsize} 个单位，但该层抽了 {sampsize} 个（超过 100%）；请检查 fpc", "fpc column `{column}` at row {row} implies a population of {popsize} units but {sampsize} were sampled in that stratum (more than 100%); check the fpc values")
    FPC_VARIES = ("design.fpc_varies", 2, "列 `{column}` 的 fpc 在第 {stage} 阶段的同一层内不一致（第 {row} 行）；同一层的每一行须填该层的总体数", "fpc column `{column}` varies within a stratum at stage {stage} (row {row}); it must hold the stratum's population size, the same on every row of the stratum")
    FPC_NO_WEIGHTS = ("design.fpc_infinite", 2, "`weights` 和 `probs` 都是 null，而 fpc 没有给出有限的总体数，无法得到权重；请给出 weights 或 probs", "`weights` and `probs` are null and the fpc gives no finite population size; give weights or probs")
    NOT_NESTED = ("design.not_nested", 2, '初级抽样单位 `{column}`={value} 出现在 `{strata}` 的多个层中；如果各层重复使用单位编号，请设 "nest": true', 'PSU `{column}`={value} appears in more than one stratum of `{strata}`; set "nest": true if PSU labels are re-used across strata')
    ONE_PSU = ("design.one_psu", 2, "整个设计只有一个初级抽样单位；请检查 `ids`（元素抽样用 []）", "the design has only one primary sampling unit; check `ids` (use [] for an element sample)")
    LONELY_PSU = ("design.lonely_psu", 2, '第 {stage} 阶段的层 {stratum} 只有一个抽样单位；请把 "lonely_psu" 设为 remove、adjust、average 或 certainty，或与相邻层合并', 'stratum {stratum} has only one sampled unit at stage {stage}; set "lonely_psu" in the design to remove, adjust, average or certainty, or merge the stratum with a neighbour')

    # replicate weights
    REP_COLUMNS_AND_CREATE = ("replicate.create_with_columns", 2, "`replicate.create` 为 true 时由设计生成复制权重；请删去 `replicate.weights`/`replicate.weights_prefix`", "`replicate.create: true` builds the replicates from the design; remove `replicate.weights`/`replicate.weights_prefix`")
    REP_NO_COLUMNS = ("replicate.no_columns", 2, "`replicate` 既没有复制权重列也没有 create：请给出 `weights`、`weights_prefix`，或设 `create: true`", "`replicate` names no replicate columns: give `weights` or `weights_prefix`, or set `create: true`")
    REP_NOT_CREATABLE = ("replicate.not_creatable", 2, "类型 {type} 的复制权重不能自动生成（可生成：{creatable}）；请给出复制权重列", "replicates of type {type} cannot be created (creatable: {creatable}); give the replicate weight columns")
    REP_FAY_RHO = ("replicate.fay_rho", 2, "类型 Fay 需要 `replicate.rho`，取值在 [0, 1) 内", "type Fay needs `replicate.rho` in [0, 1)")
    REP_JKN_RSCALES = ("replicate.jkn_rscales", 2, "类型 JKn 读取列时需要 `replicate.rscales`（每个复制的 (n_h - 1)/n_h，或一个数用于全部）", "type JKn needs `replicate.rscales` ((n_h - 1)/n_h for each replicate, or one number for all)")
    REP_PREFIX_NONE = ("replicate.prefix_unmatched", 2, "没有列名以 `replicate.weights_prefix` {prefix} 开头；请检查前缀", "no column starts with `replicate.weights_prefix` {prefix}; check the prefix")
    REP_PREFIX_UNRESOLVED = ("replicate.prefix_unresolved", 2, "`replicate.weights_prefix` 尚未按数据列展开；请先调用 Design.resolve(列名)", "`replicate.weights_prefix` was not expanded against the data; call Design.resolve(names) first")
    REP_WEIGHT_INVALID = ("replicate.weight_invalid", 2, "复制权重列 `{column}` 第 {row} 行缺失、为负或不是有限数；请修正该值", "replicate weight column `{column}` row {row} is missing, negative or not finite; fix the value")
    REP_RSCALES_COUNT = ("replicate.rscales_count", 2, "`replicate.rscales` 有 {given} 个值，但有 {count} 个复制权重；请给 1 个或 {count} 个", "`replicate.rscales` has {given} values for {count} replicate columns; give one or {count}")
    REP_TOO_FEW = ("replicate.too_few", 2, "只有 {count} 个复制权重，至少需要 2 个", "{count} replicate column(s); at least 2 are needed")
    REP_JK1_STRATIFIED = ("replicate.jk1_stratified", 2, "JK1 复制权重要求不分层的设计；分层设计请用类型 JKn", "JK1 replicates need an unstratified design; use type JKn for a stratified one")
    REP_JKN_ONE_PSU = ("replicate.jkn_one_psu", 2, "JKn 复制权重要求每层至少 2 个初级抽样单位，层 {stratum} 只有 {count} 个；请合并该层", "JKn replicates need at least 2 PSUs in every stratum; stratum {stratum} has {count}; merge it with a neighbour")
    REP_EXHAUSTIVE = ("replicate.exhaustive", 2, "每一层都是全数抽取（n = N），没有抽样方差可复制；请检查 fpc", "every stratum is sampled exhaustively (n = N): there is no sampling variance to replicate; check the fpc")
    REP_BRR_PAIRS = ("replicate.brr_pairs", 2, "BRR/Fay 复制权重要求每层恰好 2 个初级抽样单位，层 {stratum} 有 {count} 个；请合并或拆分层", "BRR/Fay replicates need exactly 2 PSUs per stratum; stratum {stratum} has {count}; merge or split strata")
    REP_HADAMARD = ("replicate.hadamard_order", 2, "{strata} 层的 BRR/Fay 在 R 中使用其内置表格中的 {order} 阶 Hadamard 矩阵（由 28 或 36 阶的表构成），这里无法重现；请合并或拆分层使层数改变，或改用 JKn", "BRR/Fay with {strata} strata uses R's tabulated Hadamard matrix of order {order} (built from its order-28 or order-36 table), which is not reproduced here; merge or split strata to change their number, or use JKn")
    REP_BOOTSTRAP_FPC = ("replicate.bootstrap_fpc", 2, "自助法复制权重只能在没有 fpc 的设计上生成；请删去 `fpc`", "bootstrap replicates are created without an fpc only; remove `fpc` (R's fpc rule is not implemented)")
    REP_BOOTSTRAP_ONE_PSU = ("replicate.bootstrap_one_psu", 2, "自助法复制权重要求每层至少 2 个初级抽样单位，层 {stratum} 只有 {count} 个；请合并该层", "bootstrap replicates need at least 2 PSUs per stratum; stratum {stratum} has {count}; merge it with a neighbour")

    # calibration
    CAL_ROW_KEYS = ("calibration.population_row", 2, "`{key}` 的键必须恰好是 {names} 和 Freq，现在是 {given}", "`{key}` must have exactly the keys {names} and Freq, not {given}")
    CAL_BOUNDS = ("calibration.bounds", 2, "`{key}` 须满足 下限 < 1 < 上限，现在是 {value}", "`{key}` must satisfy lower < 1 < upper, not {value}")
    CAL_LOGIT_BOUNDS = ("calibration.logit_bounds", 2, "method logit 需要 `{key}`：[下限, 上限]", "method logit needs `{key}`: [lower, upper]")
    CAL_ZERO_WEIGHTS = ("calibration.zero_weights", 2, "{margin}：有应答者的一个类别权重全为 0；请检查权重", "{margin}: a cell has respondents but all their weights are zero; check the weights")
    CAL_CELL_NO_RESPONDENTS = ("calibration.cell_no_respondents", 2, "{margin}：总体类别 {cell} 在数据中没有应答者；请合并类别", "{margin}: population cell {cell} has no respondents in the data; collapse cells")
    CAL_CELL_TWICE = ("calibration.cell_twice", 2, "{margin}：总体类别 {cell} 列出了两次；请只保留一行", "{margin}: population cell {cell} is listed twice; keep one row")
    CAL_CELL_MISSING = ("calibration.cell_missing", 2, "{margin}：数据中有 {cell}（第 {row} 行），但 `population` 中没有这个类别；请补上", "{margin}: the data have {cell} (row {row}) but `population` has no such cell; add it")
    CAL_CELL_ZERO = ("calibration.cell_zero", 2, "{margin}：类别 {cell} 有应答者，但总体数 Freq 为 0；请改正总体数", "{margin}: cell {cell} has respondents but population Freq 0; fix the population count")
    CAL_MARGINS_DIFFER = ("calibration.margins_differ", 2, "各边际的总体合计必须相同：{listed}", "the margins must sum to the same population size: {listed}")
    CAL_NOT_CONVERGED = ("calibration.rake_not_converged", 2, "raking 在 {sweeps} 轮内没有收敛；{margin} 无法满足，请检查边际", "raking did not converge in {sweeps} sweeps; {margin} cannot be matched; check the margins")
    CAL_UNKNOWN_TOTAL = ("calibration.unknown_total", 2, "`population` 的键 `{name}` 不是公式 {formula} 的模型矩阵列；请用 R 的列名，如 (Intercept)、数值列名、<列><水平>", "population key `{name}` is not a model-matrix column of formula {formula}; use R's names such as (Intercept), a numeric column, <column><level>")
    CAL_NO_TOTAL = ("calibration.formula_no_total", 2, "公式中的列 `{column}` 在 `population` 中没有总体合计；请补上", "formula column `{column}` has no total in `population`; add it")
    CAL_CLUSTERS = ("calibration.needs_clusters", 2, "`aggregate_stage` 需要设计的第一阶段群；请通过设计文件使用", "`aggregate_stage` needs the design's stage-1 clusters; use it through a design")
    CAL_COLLINEAR = ("calibration.collinear", 2, "校准变量在样本中共线；请删去其中一个", "the calibration variables are collinear in the sample; drop one")
    CAL_BOUNDS_UNMET = ("calibration.bounds_unmet", 2, "{method} 校准在 {iterations} 次迭代内没有收敛：`{name}` 的总体合计在界限内无法满足；请放宽 `bounds`", "{method} calibration did not converge in {iterations} iterations: the total of `{name}` cannot be met within the bounds; widen `bounds`")

    # the estimate request
    STAT_UNKNOWN = ("estimate.stat_unknown", 2, "--stat 只能是 {allowed} 之一，不能是 {value}", "--stat must be one of {allowed}, not {value}")
    NA_UNKNOWN = ("estimate.na_unknown", 2, "--na 只能是 drop 或 fail，不能是 {value}", "--na must be drop or fail, not {value}")
    CI_UNKNOWN = ("estimate.ci_method_unknown", 2, "--ci-method 只能是 {allowed} 之一，不能是 {value}", "--ci-method must be one of {allowed}, not {value}")
    LEVEL_RANGE = ("estimate.level_range", 2, "--level 须在 0 和 1 之间（如 0.95），不能是 {value}", "--level must be between 0 and 1 (such as 0.95), not {value}")
    DENOMINATOR_MISSING = ("estimate.denominator_missing", 2, "--stat ratio 需要 --denominator 列", "--stat ratio needs --denominator COL")
    DENOMINATOR_UNEXPECTED = ("estimate.denominator_unexpected", 2, "--denominator 只用于 --stat ratio，请删去或改用 ratio", "--denominator is only allowed with --stat ratio; remove it or use ratio")
    QUANTILE_MISSING = ("estimate.quantile_missing", 2, "--stat quantile 至少需要一个 --quantile P（0 < P < 1）", "--stat quantile needs at least one --quantile P (0 < P < 1)")
    QUANTILE_UNEXPECTED = ("estimate.quantile_unexpected", 2, "--quantile 只用于 --stat quantile，请删去", "--quantile is only allowed with --stat quantile; remove it")
    QUANTILE_RANGE = ("estimate.quantile_range", 2, "--quantile {value} 须在 0 和 1 之间（不含端点）", "--quantile {value} must be between 0 and 1 (exclusive)")

    # estimation on the data
    VALUE_MISSING = ("estimate.value_missing", 2, "列 `{column}` 第 {row} 行缺失（共 {count} 行缺失）；可用 --na drop 把缺失值排除在各子总体之外", "column `{column}` is missing at row {row} ({count} missing in all); use --na drop to leave missing values out of every domain")
    ALL_MISSING = ("estimate.all_missing", 2, "列 `{column}` 没有任何非缺失值；请换一列", "column `{column}` has no non-missing value; choose another column")
    EMPTY_DOMAIN = ("estimate.empty_domain", 2, "子总体 {domain} 中 {columns} 没有可用的观测值；请从 --by 中去掉或与其他子总体合并", "domain {domain} has no row with a usable value of {columns}; drop that domain from --by or combine it with another")
    ZERO_WEIGHTS = ("estimate.zero_weights", 2, "子总体 {domain} 的权重合计为 0，无法计算；请检查权重或子总体", "domain {domain}: the weights sum to 0, so the estimate is undefined; check the weights or the domain")
    ZERO_DENOMINATOR = ("estimate.zero_denominator", 2, "子总体 {domain} 中分母 `{column}` 的加权合计为 0，无法计算比率；请检查分母或子总体", "domain {domain}: the weighted total of the denominator `{column}` is 0, so the ratio is undefined; check the denominator or the domain")
    CI_FOR_TOTAL = ("estimate.ci_method_total", 2, "--ci-method {method} 只适用于比例；`{column}` 的分类合计请用 wald", "--ci-method {method} applies only to proportions; `{column}` is a categorical total, use wald")
    CI_NOT_BINARY = ("estimate.ci_method_not_binary", 2, "--ci-method {method} 只适用于比例（prop 或 0/1 变量的 mean）；`{column}` 不是 0/1 变量（--stat {stat}），请用 wald", "--ci-method {method} applies only to proportions (prop, or mean of a 0/1 variable); `{column}` is not a 0/1 variable (stat {stat}), use wald")
    CI_FOR_QUANTILE = ("estimate.ci_method_quantile", 2, "--ci-method {method} 只适用于比例；分位数的区间总是 Woodruff 区间，请删去 --ci-method", "--ci-method {method} applies only to proportions; quantiles always take Woodruff's interval, remove --ci-method")
    NEEDS_NUMERIC = ("estimate.not_numeric_stat", 2, "--stat {stat} 需要数值列，`{column}` 是分类变量（第 {row} 行是 {value}）", "--stat {stat} needs a numeric column but `{column}` is categorical (row {row} has {value})")

    # indicators against targets (analysis.evaluation, cunsheng evaluate)
    EVAL_DEFINITION = ("evaluate.definition", 2, "指标文件 {path} 有 {count} 个问题，第一个：{first}；运行 `cunsheng check {path}` 查看全部", "the indicator file {path} has {count} problem(s), the first: {first}; run `cunsheng check {path}` to see them all")
    EVAL_COLUMN = ("evaluate.column_missing", 2, "指标 {code} 的 {field} 读取列 `{column}`，数据中没有这一列{hint_zh}", "indicator {code}: {field} reads column `{column}`, which is not in the data{hint_en}")
    EVAL_EMPTY = ("evaluate.empty_population", 2, "指标 {code} 的总体在数据中没有一个有值的回答者；请检查 population 条件、value 列或数据", "indicator {code}: no respondent of its population has a value in the data; check the population condition, the value column or the data")
    EVAL_INDICATOR = ("evaluate.indicator", 2, "指标 {code}：[{inner}] {message}", "indicator {code}: [{inner}] {message_en}")
    EVAL_BASELINE = ("evaluate.baseline", 2, "基线文件 {path} 不是 cunsheng evaluate --json 的输出：{problem_zh}", "the baseline {path} is not the output of cunsheng evaluate --json: {problem_en}")
    EVAL_BASELINE_YEAR = ("evaluate.baseline_year", 2, "基线文件 {path} 的年份 {baseline} 不早于本轮的 --year {year}；请给出更早一轮的结果，或改正 --year", "the baseline {path} is of year {baseline}, not before this wave's --year {year}; give an earlier wave or correct --year")

    # regression (library)
    GLM_FAMILY = ("regression.family", 2, "family 只能是 {allowed} 之一，不能是 {value}", "family must be one of {allowed}, not {value}")
    GLM_DESIGN = ("regression.unsupported_design", 2, "svyglm 只支持不含 `replicate` 和 `calibration` 的线性化设计", "svyglm supports linearisation designs without `replicate` or `calibration` only")
    GLM_MISSING = ("regression.missing_values", 2, "svyglm 的变量中有缺失值；请先删去这些行", "svyglm: the variables have missing values; remove those rows first")
    GLM_NOT_CONVERGED = ("regression.not_converged", 2, "svyglm 的 logistic 拟合在 {iterations} 次迭代内没有收敛", "svyglm: the logistic fit did not converge in {iterations} iterations")

    # command lines (argparse's cases, translated)
    CLI_MISSING_OPTION = ("cli.missing_option", 2, "缺少必需的参数 {options}；运行 `{prog} --help` 查看用法", "missing required argument(s) {options}; run `{prog} --help`")
    CLI_INVALID_CHOICE = ("cli.invalid_choice", 2, "参数 {option} 的值 {value} 无效，只能是 {allowed} 之一", "argument {option}: {value} is not one of {allowed}; run `{prog} --help`")
    CLI_UNKNOWN_ARGUMENT = ("cli.unknown_argument", 2, "无法识别的参数 {arguments}；运行 `{prog} --help` 查看用法", "unrecognised argument(s) {arguments}; run `{prog} --help`")
    CLI_BAD_NUMBER = ("cli.bad_number", 2, "参数 {option} 需要一个数，{value} 不是数", "argument {option} needs a number, not {value}; run `{prog} --help`")
    CLI_NEEDS_VALUE = ("cli.needs_value", 2, "参数 {option} 后面需要一个值", "argument {option} needs a value; run `{prog} --help`")
    CLI_USAGE = ("cli.usage", 2, "命令行参数有误（{message}）；运行 `{prog} --help` 查看用法", "{message}; run `{prog} --help`")
    CLI_SUFFIX = ("cli.suffix", 2, "参数 {option} 的文件 {path} 须以 {allowed} 结尾", "{option} {path} must end in {allowed}; run `{prog} --help`")

    # weighting
    WEIGHTS_VALUE_MISSING = ("weights.value_missing", 2, "列 `{column}`（{role}）第 {row} 行缺失；每一行都需要值", "column `{column}` ({role}) is missing at row {row}; every row needs a value")
    PROB = ("weights.prob", 2, "列 `{column}` 第 {row} 行的概率 {value} 不在 (0, 1] 内", "column `{column}` has probability {value} at row {row}; inclusion probabilities must be in (0, 1]")
    WEIGHT = ("weights.weight", 2, "列 `{column}`（{role}）第 {row} 行的值 {value} 无效：须为有限正数", "column `{column}` ({role}) has {value} at row {row}; it must be a finite number > 0")
    N_EXCEEDS_N = ("weights.n_exceeds_population", 2, "列 `{column}` 第 {row} 行的样本数 {value} 大于 `{population}` 的总体数；请检查", "column `{column}` has {value} at row {row}, more than the population count in `{population}`; check them")
    FRACTIONS_EMPTY = ("weights.fractions_empty", 2, "`base.fractions` 至少需要一对 {{n, N}}", "`base.fractions` needs at least one {{n, N}} pair")
    BASE_ONE_OF = ("weights.base_one_of", 2, "`base` 须恰好给出 probs、weights、fractions 中的一个，现在给了 {given}", "`base` must give exactly one of probs, weights, fractions, not {given}")
    NO_RESPONDENT_VALUE = ("weights.no_respondent_value", 2, "列 `{column}` 中没有一行等于 {value}；请检查 `nonresponse.respondent_value`", "no row of `{column}` equals {value}; check `nonresponse.respondent_value`")
    NO_RESPONDENTS = ("weights.no_respondents", 2, "加权类 {cell} 没有应答者；请在 `nonresponse.classes` 中与相邻类合并", "weighting class {cell} has no respondents; collapse it with a neighbouring class in `nonresponse.classes`")
    TRIM_CAP = ("weights.trim_cap", 2, "修剪上限 {cap} 须是有限正数", "the trimming cap {cap} must be a finite number > 0")
    TRIM_CAP_LOW = ("weights.trim_cap_too_low", 2, "有一类 {count} 个权重合计 {total}，超过 {count} × 上限 {cap}；请提高 `trim.max`", "a class has {count} weights summing to {total}, more than {count} x the cap {cap}; raise `trim.max`")
    TRIM_NOT_CONVERGED = ("weights.trim_not_converged", 2, "修剪 {iterations} 次后仍有权重超过上限；请提高 `trim.max` 或 `trim.max_iter`", "weights still exceed the cap after {iterations} iterations; raise `trim.max` or `trim.max_iter`")
    # post-stratification of self-completed responses (analysis.weighting.selfcompleted)
    SELF_NO_RESPONDENTS = ("selfcompleted.no_respondents", 2, "没有可加权的自填答卷（网页自填、调整格变量齐全、属于目标人群）", "no self-completed responses to weight (web channel, cell variables present, in the target population)")
    SELF_NO_POPULATION = ("selfcompleted.no_population", 2, "该单位的目标人群人口数为 0；请先导入人口数据（cunsheng units import --population）", "the unit's target population is 0; import the population first (cunsheng units import --population)")
    # PPS selection of units (analysis.sampling.pps, cunsheng sample pps)
    PPS_SIZE = ("sample.size", 2, "列 `{column}`（规模）第 {row} 行的值 {value} 无效：规模须为正数", "column `{column}` (size) has {value} at row {row}; sizes must be numbers > 0")
    PPS_ID = ("sample.id", 2, "列 `{column}`（编号）第 {row} 行的值 {value} {problem_zh}；每个单位须有唯一编号", "column `{column}` (id) has {value} at row {row}, {problem_en}; every unit needs a unique id")
    PPS_STRATUM_VALUE = ("sample.stratum_missing", 2, "列 `{column}`（分层）第 {row} 行缺失；每个单位都须属于一层", "column `{column}` (strata) is missing at row {row}; every unit needs a stratum")
    PPS_COLUMN_TAKEN = ("sample.column_taken", 2, "抽样框已有列 `{column}`，与输出列同名；请先改名", "the frame already has a column `{column}`, which the output adds; rename it first")
    PPS_FRAME_EMPTY = ("sample.frame_empty", 2, "抽样框 {path} 没有数据行", "the frame {path} has no rows")
    PPS_N = ("sample.n", 2, "--n 须为正整数，不能是 {value}", "--n must be a positive integer, not {value}")
    PPS_SEED = ("sample.seed", 2, "--seed 须为非负整数，不能是 {value}", "--seed must be an integer >= 0, not {value}")
    PPS_N_TOO_LARGE = ("sample.n_exceeds_stratum", 2, "层 {stratum} 只有 {units} 个单位，不能抽 {n} 个；请减少样本量", "stratum {stratum} has {units} unit(s), fewer than n = {n}; lower n")
    PPS_STRATUM_UNALLOCATED = ("sample.stratum_unallocated", 2, "层 {stratum} 不在分配文件中；请为它补一行 stratum,n", "stratum {stratum} is not in the allocation; add a stratum,n row for it")
    PPS_ALLOCATION_HEADER = ("sample.allocation_header", 2, "分配文件 {path} 的表头须恰好是 stratum,n，现在是 {given}", "the allocation {path} must have the header stratum,n, not {given}")
    PPS_ALLOCATION_N = ("sample.allocation_n", 2, "分配文件 {path} 第 {row} 行的 n 值 {value} 无效：须为非负整数", "the allocation {path} has n = {value} at row {row}; it must be an integer >= 0")
    PPS_ALLOCATION_STRATUM = ("sample.allocation_stratum", 2, "分配文件 {path} 第 {row} 行的层 {stratum} {problem_zh}", "the allocation {path} row {row}: stratum {stratum} {problem_en}")
    # allocation of villages to strata and the wave's samples (analysis.sampling.allocation, households, respondent)
    ALLOC_METHOD = ("sample.allocation_method", 2, "分配方法只能是 {allowed} 之一，不能是 {value}", "the allocation method must be one of {allowed}, not {value}")
    ALLOC_GIVEN = ("sample.allocation_given", 2, "给定分配 {problem_zh}：{value}", "the given allocation {problem_en}: {value}")
    ALLOC_N = ("sample.allocation_total", 2, "样本量 n = {n} 无效：须在 2 和抽样框村数 {units} 之间", "the sample size n = {n} must be between 2 and the {units} villages of the frame")
    ALLOC_TOO_SMALL = ("sample.allocation_too_small", 2, "合并所有层后非必选村仍少于 2 个（n = {n}）；请增加样本量", "even with every stratum merged fewer than 2 non-certainty villages remain (n = {n}); raise n")
    HH_SAMPLE = ("sample.households", 2, "住户名单有 {listing} 户，不能抽 {m} 户样本户和 {r} 户备用户；请减少", "a listing of {listing} households cannot give {m} sample and {r} reserve households; lower them")
    KISH_TABLE = ("sample.kish_table", 2, "Kish 表只能是 {allowed} 之一，不能是 {value}", "the Kish table must be one of {allowed}, not {value}")
    RESPONDENT_NONE = ("sample.no_eligible", 2, "该户没有合格成员，无法选择受访者", "the household has no eligible member to select")
    BIRTHDAY = ("sample.birthday", 2, "第 {row} 位成员的生日 {value} 不是有效的月-日", "member {row} has birthday {value}, which is not a valid month-day")
    # the wave's weights and design (analysis.fieldwork.design)
    WAVE_COLUMN = ("wave.column", 2, "个案记录缺少列 `{column}`；请补上", "the case records lack the column `{column}`; add it")
    WAVE_NO_RESPONDENTS = ("wave.no_respondents", 2, "没有完成访问的个案（处置码类别 {categories}）；无法加权", "no case is a respondent (disposition categories {categories}); nothing to weight")
    WAVE_PROB = ("wave.prob", 2, "个案 {case} 的列 `{column}` 的概率 {value} 不在 (0, 1] 内", "case {case} has {value} in `{column}`; probabilities must be in (0, 1]")
    OUT_DIRECTORY = ("cli.out_directory", 2, "输出文件 {path} 的目录不存在；请先建立目录", "the directory of the output file {path} does not exist; create it first")

    # AAPOR outcome rates (analysis.fieldwork.rates, cunsheng rates)
    RATES_CODE = ("rates.code_unknown", 2, "第 {row} 行的处置码 {code} 不是可用的 AAPOR 处置码（见 docs/guide/supervisor.md）", "row {row} has disposition code {code}, which is not an accepted AAPOR code (see README, Fieldwork tools)")
    RATES_E = ("rates.e_range", 2, "--e 须在 0 和 1 之间，不能是 {value}", "--e must be between 0 and 1, not {value}")

    # the report pack (analysis.report)
    REPORT_UNDEFINED = ("report.undefined_indicator", 2, "评估结果中的 {code} 没有指标定义（名称、规划领域）；请在指标定义中补上它", "the evaluation has {code}, which has no definition (name, plan domain); add it to the definitions")
    REPORT_FOLDER = ("report.folder", 2, "报告目录 {path} 已存在且不是目录；请换一个目录", "the report folder {path} exists and is not a folder; choose another")
    REPORT_CHROMIUM = ("report.chromium_missing", 2, "找不到 chromium，无法把报告打印为 PDF；请安装 Debian 的 chromium（make chromium）", "chromium is not installed, so the report cannot be printed to PDF; install Debian's chromium (make chromium)")
    REPORT_PDF = ("report.pdf_failed", 2, "chromium 未能把报告打印为 PDF（{reason}）", "chromium could not print the report to PDF ({reason})")
    # fmt: on


class AnalysisError(Problem):
    """A bad input to an estimate or a weighting: a `Problem` whose entry is in `E` (exit status 2)."""

    def __init__(self, entry: E, **params: Any) -> None:
        super().__init__(entry, **params)


def cli_line(prog: str, problem: Problem) -> str:
    """The one line a command prints on standard error: program, code, Chinese, then English."""
    english = f" / error: {problem.message_en}" if problem.message_en else ""
    return f"{prog}: 错误 [{problem.code}] {problem.message}{english}"


def show(value: object) -> str:
    """A data value as it appears in a message: quoted text, plain numbers, never a line break."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def close_hint(name: str, available: Iterable[str]) -> tuple[str, str]:
    """The 'did you mean' halves (Chinese, English) for a name close to one of `available`."""
    close = difflib.get_close_matches(name, list(available), n=1, cutoff=0.6)
    if close:
        return f"，是不是 `{close[0]}`？", f"; did you mean `{close[0]}`?"
    return "，请检查拼写（区分大小写）", "; check the spelling (names are case-sensitive)"


def column_missing(column: str, role: str, available: Iterable[str]) -> AnalysisError:
    """The unknown-column problem with a 'did you mean' hint when a name is close."""
    hint_zh, hint_en = close_hint(column, available)
    return AnalysisError(E.COLUMN_MISSING, column=column, role=role, hint_zh=hint_zh, hint_en=hint_en)
