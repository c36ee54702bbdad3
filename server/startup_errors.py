"""The catalogue of start-up and command problems: what stops `cunsheng serve`, `init-db` or `check`.

Entries are of the one problem type (`surveys.problem`); `status` is the command's exit status.
The command line prints `cunsheng <command>: 错误 [code] 中文 / English` and exits with it.
Must not hold request problems (those are `server.errors`) or open anything.
"""

from __future__ import annotations

from surveys.problem import Catalogue

SECRET_HOWTO = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'


class StartErr(Catalogue):
    """Start-up problem codes: (code, exit status, Chinese, English)."""

    SECRET_MISSING = (
        "settings.secret_missing",
        2,
        "使用 PostgreSQL 等共享数据库时必须设置密钥：请设置环境变量 CUNSHENG_SECRET_KEY（例如用 "
        + SECRET_HOWTO + " 生成），同一部署的所有进程使用同一个值。",
        "CUNSHENG_SECRET_KEY is not set: a shared (PostgreSQL) database needs one secret for every process of "
        "the deployment; generate one with " + SECRET_HOWTO + " and give all processes the same value.",
    )
    WORKERS = ("cli.workers", 2, "--workers 至少为 1，现在是 {workers}。", "--workers must be at least 1, not {workers}")
    PATH_MISSING = ("check.path_missing", 2, "找不到文件或目录 {path}，请检查路径。", "no such file or folder: {path}")
    DEFINITIONS_FAILED = ("check.failed", 1, "{count} 个问题，{files} 个问卷定义。请逐项修改后再运行 `cunsheng check`。",
                          "{count} problem(s) in {files} definition(s)")
    DEFINITIONS_INVALID = ("settings.definitions_invalid", 1, "问卷定义有错误，服务器未启动。请修改后运行 `cunsheng check`。",
                           "a questionnaire definition is invalid; the server did not start (run `cunsheng check`)")
    RATE_LIMITS = ("settings.rate_limits", 2, "CUNSHENG_RATE_LIMITS 中的 `{item}` 无效：应为 动作=次数/秒数，动作可用 {actions}，或写 off。",
                   "CUNSHENG_RATE_LIMITS: `{item}` is not action=hits/seconds (actions: {actions}) or off")
    BACKUP_EXISTS = ("backup.exists", 2, "备份文件 {path} 已经存在，请换一个文件名（不会覆盖已有备份）。",
                     "backup file {path} exists; choose another name (a backup is never overwritten)")
    BACKUP_MISSING = ("backup.missing", 2, "找不到备份文件 {path}。", "no such backup file: {path}")
    BACKUP_NOT_EMPTY = ("backup.target_not_empty", 2, "目标数据库已有 {count} 份答卷：恢复会替换全部数据。确认无误请加 --force。",
                        "the target database holds {count} response(s); restore replaces everything: add --force")
    BACKUP_FAILED = ("backup.failed", 2, "{tool} 失败：{reason}", "{tool} failed: {reason}")
    BACKUP_KIND = ("backup.wrong_kind", 2, "{path} 不是{kind}备份文件（SQLite 用 .db 备份，PostgreSQL 用 pg_dump 自定义格式）。",
                   "{path} is not a {kind} backup")
    UNITS_INVALID = ("units.invalid", 2, "行政区划文件有 {count} 处问题，未导入任何内容。第一处：{first}",
                     "{count} problem(s) in the unit files; nothing was imported. First: {first}")
    UNITS_MISSING = ("units.file_missing", 2, "找不到文件 {path}。", "no such file: {path}")
