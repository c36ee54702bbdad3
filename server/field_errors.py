"""The fieldwork catalogue of problems (waves, samples, listings, cases, reviews, the field app's sync):
the project's one problem type."""

from __future__ import annotations

from surveys.problem import Catalogue


class F(Catalogue):
    """Fieldwork problems: (code, HTTP status, Chinese message template)."""

    WAVE_FIELD = ("wave.field_invalid", 422, "“{field}”填写不正确：{why}")
    WAVE_NAME_TAKEN = ("wave.name_taken", 409, "已经有名为“{name}”的调查轮次，请换一个名称。")
    WAVE_SURVEY = ("wave.survey_unknown", 422, "问卷“{survey}”不存在，请从列表中选择要调查的问卷。")
    WAVE_CLOSED = ("wave.closed", 409, "调查轮次“{name}”已结束，只能查看，不能再修改。")
    WAVE_STATUS = ("wave.status", 409, "调查轮次“{name}”现在是“{status}”阶段，不能进行这项操作（{needs}）。")
    SAMPLE_DRAWN = ("wave.sample_drawn", 409, "调查轮次“{name}”已经抽过样本，不能重抽（样本和随机种子已记录，可以复现）。")
    SAMPLE_FAILED = ("wave.sample_failed", 422, "无法抽取样本：{why}")
    GIVEN_MISSING = ("wave.given_missing", 409, "调查轮次“{name}”按“指定”分配样本：请先填写每层要抽取的村数，再抽样。")
    GIVEN_INVALID = ("wave.given_invalid", 422, "指定的样本分配不能使用：{why}")
    LISTING_DONE = ("listing.already_listed", 409, "{village}的住户清单已经上传并抽取了样本户，不能再次上传。")
    LISTING_MISSING = ("listing.file_missing", 422, "请选择住户清单文件（CSV，列为 number,locator）。")
    LISTING_INVALID = ("listing.invalid", 422, "住户清单有 {count} 处问题，没有保存。请修改后重新上传：")
    LISTING_SMALL = ("listing.too_small", 422, "住户清单只有 {size} 户，少于需要抽取的 {need} 户（样本户加备用户）。")
    CASE_CLOSED = ("case.closed", 409, "这个个案已经结案（{disposition}），不能再修改。")
    CASE_INPUT = ("case.input_invalid", 422, "“{field}”填写不正确：{why}")
    DISPOSITION_UNKNOWN = ("case.disposition_unknown", 422, "结案代码“{code}”不在 AAPOR 代码表中，请从列表中选择。")
    DISPOSITION_NEEDS_RESPONSE = ("case.needs_response", 409, "结案为“{label}”需要先提交这一户的问卷。")
    RESPONDENT_FIRST = ("case.respondent_first", 409, "请先登记合格成员人数并按规则选出受访者，再开始访问。")
    RESPONDENT_MISSING = ("case.respondent_missing", 409, "结案为“{label}”需要先登记合格成员人数并按规则选出受访者。")
    ALREADY_INTERVIEWED = ("case.already_interviewed", 409, "这一户的问卷已经提交，不能再次访问。")
    NO_RESERVE = ("case.no_reserve", 409, "{village}的备用户已经用完，无法替换。")
    NOT_REPLACEABLE = ("case.not_replaceable", 409, "只有以无应答（拒访、未接触、其他）结案的个案才能用备用户替换。")
    COLLECTOR_UNKNOWN = ("case.collector_unknown", 422, "账号“{username}”不是这个村的儿童主任，不能分配给他/她。")
    REVIEW_INPUT = ("review.input_invalid", 422, "“{field}”填写不正确：{why}")
    REVIEW_LEVEL = ("review.level", 409, "这份答卷现在是“{status}”，{why}")
    NOT_RETURNED = ("case.not_returned", 409, "只有被审核退回的答卷才能修改；修改会另存为新版本，原答卷保留。")
    NO_PRACTICE_WAVE = ("case.no_practice_wave", 409, "您所在的村没有正在实地调查的轮次，无法创建练习个案。")
    CASE_NOT_ASSIGNED = ("case.not_assigned", 409, "个案 {case} 没有分配给您（可能已改派给其他儿童主任），这条记录没有保存，已留给督导员查看。")
    CASE_MISMATCH = ("case.interview_mismatch", 422, "这份问卷的{field}“{value}”与个案不符（个案为“{expected}”），没有保存。")
    UPDATE_CONFLICT = ("sync.update_conflict", 409, "记录编号 {id} 已经提交过内容不同的记录。同一条记录重发时内容必须相同；新的记录请使用新的编号。")
