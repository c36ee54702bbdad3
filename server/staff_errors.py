"""The console's catalogue of problems (accounts, sign-in, permissions): the project's one problem type."""

from __future__ import annotations

from surveys.problem import Catalogue


class S(Catalogue):
    """Staff problems: (code, HTTP status, Chinese message template)."""

    SIGN_IN_REQUIRED = ("auth.sign_in_required", 401, "请先登录。")
    LOGIN_FAILED = ("auth.login_failed", 401, "用户名或密码不正确。")
    LOGIN_LOCKED = ("auth.login_locked", 429, "这个账号在这台设备上输错密码次数太多，已暂停登录，请 {minutes} 分钟后再试。")
    TOKEN_INVALID = ("auth.token_invalid", 401, "访问令牌无效或已被撤销。")
    NOT_FOUND = ("not_found", 404, "页面不存在，或者您没有查看它的权限。")
    FORBIDDEN = ("auth.forbidden", 403, "您的账号没有进行这项操作的权限。")
    DEFINITION_MISSING = ("survey.definition_missing", 422, "请选择要上传的问卷定义文件（.yaml）。")
    DEFINITION_TOO_LARGE = ("survey.definition_too_large", 413, "问卷定义文件太大（{size} KB），上限 {limit} KB。")
    DEFINITION_NOT_TEXT = ("survey.definition_not_text", 422, "问卷定义文件不是 UTF-8 编码的 YAML 文本，请用文本编辑器另存为 UTF-8 后重新上传。")
    DEFINITION_INVALID = ("survey.definition_invalid", 422, "问卷定义 {file} 有 {count} 个问题，没有发布。请逐项修改后重新上传：")
    ALREADY_PUBLISHED = ("survey.already_published", 409, "这份定义与问卷“{survey}”已发布的第 {number} 版完全相同，没有发布新版本。")
    PUBLISH_RACE = ("survey.publish_race", 409, "同一时间有人发布了这份问卷的新版本，请刷新页面后重新上传。")
    TEXT_TOO_LONG = ("survey.text_too_long", 422, "{field}最多 {limit} 个字，现在是 {count} 个字。")
    TOWNSHIP_NOT_FOUND = ("survey.township_not_found", 404, "乡镇代码“{code}”不存在，或不在您管理的范围内。请从问卷管理页选择乡镇。")
    CSRF = ("request.form_expired", 403, "页面已过期，请刷新页面后重试。")
    PASSWORD_WRONG = ("auth.password_wrong", 422, "当前密码不正确。")
    PASSWORD_WEAK = ("staff.password_weak", 422, "密码至少 {length} 位，前后不能有空格，且不能过于简单。")
    PASSWORD_MISMATCH = ("staff.password_mismatch", 422, "两次输入的新密码不一致。")
    USERNAME_INVALID = ("staff.username_invalid", 422, "用户名“{username}”不合规：只能用 2–32 位小写字母、数字、点、横线或下划线，以字母或数字开头。")
    USERNAME_TAKEN = ("staff.username_taken", 409, "用户名“{username}”已经存在。")
    ROLE_UNKNOWN = ("staff.role_unknown", 422, "没有“{role}”这个角色。可用的角色：{roles}。")
    UNIT_CODE_INVALID = ("staff.unit_invalid", 422, "单位代码“{code}”不是有效的 12 位统计用区划代码。")
    STAFF_NOT_FOUND = ("staff.not_found", 404, "没有用户名为“{username}”的账号。")
