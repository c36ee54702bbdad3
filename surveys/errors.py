"""The surveys room's catalogues: definition errors (`DefErr`), condition errors (`ExprErr`) and
answer messages (`AnswerErr`), all of the project's one problem type (`surveys.problem`).

`cunsheng check` reports definition problems with their code, file, question and fix (pyxform's
ErrorCode idea); invalid answers are data (`Invalid`, shown next to the field), never exceptions.
No module of this room formats a user-visible message outside these tables. Must not import
anything from the web or database layers.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from surveys.problem import Catalogue, Problem

CHECK_FAILED = 1  # exit status of `cunsheng check` on a broken definition


class DefErr(Catalogue):
    """Definition errors: (code, exit status, Chinese template)."""

    INVALID = ("D00", CHECK_FAILED, "问卷定义 {file} 有 {count} 个问题，请逐项修改后运行 `cunsheng check`。")
    YAML_SYNTAX = ("D01", CHECK_FAILED, "YAML 语法错误：{detail}。请检查缩进和冒号。")
    MISSING_KEY = ("D02", CHECK_FAILED, "缺少必填键 `{key}`。")
    DUPLICATE_NAME = ("D03", CHECK_FAILED, "名称 `{name}` 重复出现（第一次在 {first}）。每个页面、问题和矩阵行的名称必须唯一，请改名。")
    UNKNOWN_REFERENCE = ("D04", CHECK_FAILED, "{field} 引用了不存在的问题 `{ref}`{hint}")
    FORWARD_REFERENCE = ("D05", CHECK_FAILED, "{field} 引用了后面才出现的问题 `{ref}`。条件只能引用前面的问题，请调整问题顺序或条件。")
    UNKNOWN_CHOICE_LIST = ("D06", CHECK_FAILED, "选项列表 `{ref}` 不存在{hint}（请在 choice_lists 中定义）")
    KIND_CHANGED = ("D07", CHECK_FAILED, "问题 `{name}` 的题型从已发布版本的 `{old}` 改成了 `{new}`。已发布的名称不能改题型，请给新题目起新名称。")
    UNKNOWN_KIND = ("D08", CHECK_FAILED, "题型 `{kind}` 不存在{hint}。可用题型：{kinds}")
    EXPRESSION_SYNTAX = ("D09", CHECK_FAILED, "{field} 表达式 `{expr}` 无法解析：{detail}")
    UNKNOWN_INDICATOR = ("D10", CHECK_FAILED, "指标 `{ref}` 不在 indicators.csv 中。请写该表 row_id 列的值：\"<规划编号>:<行号>\"，一行有几个目标时再加 .1、.2…，例如 \"001:90\" 或 \"001:64.3\"。")
    AMBIGUOUS_INDICATOR = ("D33", CHECK_FAILED, "指标 `{ref}` 对应 indicators.csv 中的多行：{candidates}。请改写为其中一行（或几行）的 row_id，例如 \"{first}\"。")
    BAD_DATE_BOUND = ("D11", CHECK_FAILED, "`{key}` 应为 YYYY-MM-DD 或 today，而不是 `{value}`。")
    DUPLICATE_CODE = ("D12", CHECK_FAILED, "选项代码 {code} 重复，请给每个选项不同的代码。")
    UNKNOWN_SPECIAL = ("D13", CHECK_FAILED, "特殊代码 `{ref}` 未在 special_codes 中定义{hint}")
    SENSITIVE_NOT_SKIPPABLE = ("D14", CHECK_FAILED, "敏感模块中的问题 `{name}` 必须可以跳过：请设 `required: false` 或提供 `special: [refuse]`。")
    COMPARE_NOT_ALLOWED = ("D15", CHECK_FAILED, "{field} 中 `{ref}` 是{kind}题，不能直接比较：请用 selected({ref}, 代码) 或 count({ref})。")
    UNKNOWN_KEY = ("D16", CHECK_FAILED, "未知键 `{key}`{hint}")
    BAD_NAME = ("D17", CHECK_FAILED, "名称 `{value}` 无效：只能用小写字母、数字和下划线，并以字母开头。")
    BAD_VALUE = ("D18", CHECK_FAILED, "键 `{key}` 的值无效：{expected}")
    KEY_NOT_FOR_KIND = ("D19", CHECK_FAILED, "键 `{key}` 不适用于题型 {kind}（可用：{allowed}）。")
    KIND_NEEDS_KEY = ("D20", CHECK_FAILED, "题型 {kind} 需要键 `{key}`。")
    BOUND_NOT_NUMBER = ("D21", CHECK_FAILED, "`{key}` 必须是数字。")
    MIN_ABOVE_MAX = ("D22", CHECK_FAILED, "最小值 {min} 大于最大值 {max}，请交换或修改。")
    COUNT_ABOVE_CHOICES = ("D23", CHECK_FAILED, "`{key}: {value}` 超过了选项数 {limit}。")
    MIN_CHOICES_ABOVE_MAX = ("D24", CHECK_FAILED, "min_choices 不能大于 max_choices。")
    EXCLUSIVE_NOT_CHOICE = ("D25", CHECK_FAILED, "exclusive 中的代码 {code} 不是本题的选项（可用：{codes}）。")
    SPECIAL_CONFLICT = ("D26", CHECK_FAILED, "特殊代码 {key}={code} 与本题的有效答案冲突，请换一个负数代码。")
    SELECTED_NOT_ALLOWED = ("D27", CHECK_FAILED, "{field} 中 `{ref}` 是{kind}题：selected() 只能用于选择题。")
    COUNT_NOT_ALLOWED = ("D28", CHECK_FAILED, "{field} 中 `{ref}` 是{kind}题：count() 只能用于多选题或排序题。")
    RESERVED_NAME = ("D43", CHECK_FAILED, "名称 `{name}` 是分析数据框的保留列名（如 sex、age_group、village、weight），请给问题另起名称，例如 resp_{name}。")
    FRAME_QUESTION = ("D40", CHECK_FAILED, "frame.{key} 引用了不存在的问题 `{ref}`{hint}")
    FRAME_KIND = ("D41", CHECK_FAILED, "frame.{key} 的问题 `{ref}` 是{kind}题，应为{expected}题。")
    FRAME_SEX_CODES = ("D42", CHECK_FAILED, "frame.sex.codes 应把问题 `{ref}` 的选项代码对应到 F 或 M：{detail}")
    POPULATION = ("D44", CHECK_FAILED, "population.{key} 的值 `{value}` 不可用：{fix}")
    CONSTRAINT_QUESTION = ("D29", CHECK_FAILED, "constraints.question 引用了 `{ref}`，它不是本页的问题{hint}")
    DUPLICATE_HELPLINE = ("D30", CHECK_FAILED, "求助热线 {number} 重复出现，请只列一次。")
    SENSITIVE_WITHOUT_HELPLINES = ("D31", CHECK_FAILED, "敏感模块之后要列出求助热线：请在顶层 `helplines` 中列出，例如 {{number: \"110\", label: 遇到危险请立即报警}}。")
    THANKS_REPEATS_HELPLINE = ("D32", CHECK_FAILED, "感谢语 `thanks` 里写了热线 {number}，它已在 `helplines` 中列出、会显示在感谢页上：请从感谢语中删去，避免重复。")
    # indicator definition files (surveys.indicator_defs; design/evaluation.md)
    IND_UNKNOWN_SURVEY = ("D50", CHECK_FAILED, "`survey: {ref}` 不是已知的问卷{hint}。可用：{known}")
    IND_NEEDS_KEY = ("D51", CHECK_FAILED, "stat: {stat} 需要键 `{key}`：{why}")
    IND_KEY_NOT_FOR_STAT = ("D52", CHECK_FAILED, "键 `{key}` 不适用于 stat: {stat}，请删去（{why}）。")
    IND_UNKNOWN_COLUMN = ("D53", CHECK_FAILED, "{field} 读取的列 `{ref}` 不在问卷 {survey} 的分析数据框中（多选题的选项列是 `<题目>_<代码>`，用 selected(题目, 代码) 读取）{hint}")
    IND_TARGET_OP = ("D54", CHECK_FAILED, "目标 `{op}` 不适合 {stat}：{fix}")
    IND_TOLERANCE_MISSING = ("D55", CHECK_FAILED, "目标 `~` 需要 `tolerance`：在 value ± tolerance 以内为达标，请补上，例如 tolerance: 2。")
    IND_TOLERANCE_UNUSED = ("D56", CHECK_FAILED, "`tolerance` 只用于目标 `~`，目标 `{op}` 不读它，请删去。")
    IND_DUPLICATE_CODE = ("D57", CHECK_FAILED, "代码 `{code}` 重复出现（第一次在 {first}）。每个指标和指数的代码必须唯一，且不能改作他用。")
    IND_UNKNOWN_COMPONENT = ("D58", CHECK_FAILED, "成分 `{ref}` 不是本文件中的指标{hint}")
    IND_DUPLICATE_COMPONENT = ("D59", CHECK_FAILED, "成分 `{ref}` 重复出现，每个指标只能计入一次，请删去重复的一项。")
    IND_COMPONENT_TARGET = ("D60", CHECK_FAILED, "成分 `{ref}` 的目标是 `{op}`：只有带数值的 >=、>、<=、<、= 目标可以计分，请换一个指标。")
    IND_FLOOR = ("D61", CHECK_FAILED, "成分 `{ref}` 的 floor {floor} 应{side}目标值 {value}（得分 = 100·(p − floor)/(目标 − floor)），请修改 floor。")
    IND_BAD_CODE = ("D62", CHECK_FAILED, "代码 `{value}` 无效：只能用大写字母、数字和连字符，并以大写字母开头，例如 W-HEALTH-01。")


class ExprErr(Catalogue):
    """Why a condition cannot be parsed; carried into DefErr.EXPRESSION_SYNTAX as its detail."""

    SYNTAX = ("expr.syntax", CHECK_FAILED, "语法错误（{reason}）")
    UNSUPPORTED = ("expr.unsupported", CHECK_FAILED, "不支持 `{text}`；只能使用比较、and/or/not 和 {functions}")
    OPERATOR = ("expr.operator", CHECK_FAILED, "不支持运算符 `{text}`；请用 == != < <= > >= 或 selected()")
    UNKNOWN_FUNCTION = ("expr.unknown_function", CHECK_FAILED, "未知函数 `{func}()`；可用：{functions}")
    FIRST_ARGUMENT = ("expr.first_argument", CHECK_FAILED, "`{func}()` 的第一个参数必须是问题名称")
    ONE_ARGUMENT = ("expr.one_argument", CHECK_FAILED, "`{func}()` 只接受一个问题名称")
    CODE_NOT_INTEGER = ("expr.code_not_integer", CHECK_FAILED, "`selected()` 的选项代码必须是整数，例如 selected(q5, 1, 2)")
    NO_CODE = ("expr.no_code", CHECK_FAILED, "`selected()` 需要至少一个选项代码，例如 selected(q5, 1)")


class AnswerErr(Catalogue):
    """What is wrong with one answer (HTTP 422 when it comes through the API)."""

    REQUIRED = ("answer.required", 422, "此题必须回答。")
    ROW_REQUIRED = ("answer.row_required", 422, "请回答这一行。")
    FORM_CHOICE = ("answer.form_choice", 422, "选项无效，请重新选择。")
    FORM_INTEGER = ("answer.form_integer", 422, "请填写整数，例如 {example}。")
    FORM_NUMBER = ("answer.form_number", 422, "请填写数字，例如 7.5。")
    FORM_DURATION = ("answer.form_duration", 422, "小时和分钟请填写整数。")
    FORM_MINUTES = ("answer.form_minutes", 422, "分钟请填写 0–59 之间的整数，小时不能为负数。")
    FORM_RANK_GAP = ("answer.form_rank_gap", 422, "请从第 1 位开始依次排序，中间不要留空。")
    NOT_A_CHOICE = ("answer.not_a_choice", 422, "选项无效，请从列出的选项中选择。")
    NOT_CHOICES = ("answer.not_choices", 422, "请选择列出的选项。")
    EXCLUSIVE = ("answer.exclusive", 422, "“{label}”不能与其他选项同时选择。")
    TOO_MANY = ("answer.too_many", 422, "最多选择 {max} 项，您选了 {count} 项。")
    TOO_FEW = ("answer.too_few", 422, "请至少选择 {min} 项。")
    NOT_RANKING = ("answer.not_ranking", 422, "请按顺序选择选项。")
    RANK_REPEATED = ("answer.rank_repeated", 422, "同一选项不能排在两个位置。")
    RANK_TOO_MANY = ("answer.rank_too_many", 422, "最多排出前 {top} 位。")
    RANK_TOO_FEW = ("answer.rank_too_few", 422, "请排出前 {top} 位。")
    NOT_INTEGER = ("answer.not_integer", 422, "请填写整数。")
    NOT_NUMBER = ("answer.not_number", 422, "请填写数字。")
    OUT_OF_RANGE = ("answer.out_of_range", 422, "请填写 {min}–{max}{unit} 之间的数。")
    DECIMALS = ("answer.decimals", 422, "最多保留 {decimals} 位小数。")
    NOT_DURATION = ("answer.not_duration", 422, "请填写时长（小时和分钟）。")
    DURATION_TOO_LONG = ("answer.duration_too_long", 422, "时长不能超过 {hours} 小时 {minutes} 分钟。")
    NOT_DATE = ("answer.not_date", 422, "请按“年-月-日”填写日期，例如 2024-05-01。")
    DATE_RANGE = ("answer.date_range", 422, "日期应在 {low} 至 {high} 之间。")
    NOT_TEXT = ("answer.not_text", 422, "请填写文字。")
    BAD_CHARACTERS = ("answer.bad_characters", 422, "文字中有无法保存的特殊字符，请删除后重新填写。")
    TEXT_TOO_LONG = ("answer.text_too_long", 422, "最多 {max} 个字，现在是 {count} 个字。")
    UNKNOWN_QUESTION = ("answer.unknown_question", 422, "问卷中没有这个问题。")
    NOT_ASKED = ("answer.not_asked", 422, "根据跳题逻辑，此题不应作答。")
    CONSTRAINT = ("answer.constraint", 422, "{message}")  # the definition's own message for its constraint


@dataclass(frozen=True)
class Invalid:
    """One invalid answer, as data: its code and the Chinese message shown next to the field."""

    code: str
    message: str

    def __str__(self) -> str:
        return self.message

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def invalid(entry: AnswerErr, **params: Any) -> Invalid:
    """An `Invalid` from a catalogue entry."""
    return Invalid(entry.code, entry.zh.format(**params))


@dataclass(frozen=True)
class Finding:
    """One problem found in a definition file, located at a question (or page)."""

    error: DefErr
    file: str
    where: str
    message: str

    def __str__(self) -> str:
        place = f"{self.file}: {self.where}: " if self.where else f"{self.file}: "
        return f"{place}[{self.error.code} {self.error.name.lower()}] {self.message}"


def finding(error: DefErr, file: str, where: str, **params: Any) -> Finding:
    """A `Finding` from a catalogue entry."""
    return Finding(error, file, where, error.zh.format(**params))


class DefinitionInvalid(Problem):
    """Raised by the compiler with every finding in one file (details list them)."""

    def __init__(self, findings: Sequence[Finding]):
        self.findings = list(findings)
        file = self.findings[0].file if self.findings else ""
        details = {"problems": [{"code": f.error.code, "where": f.where, "message": f.message} for f in self.findings]}
        super().__init__(DefErr.INVALID, details=details, file=file, count=len(self.findings))

    def __str__(self) -> str:
        return "\n".join(str(f) for f in self.findings)


class ExpressionError(Problem):
    """A condition that cannot be parsed (an `ExprErr` entry)."""


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """A Chinese ';did you mean' hint, or an empty string when nothing is close."""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"；是否应为 `{close[0]}`？" if close else ""
