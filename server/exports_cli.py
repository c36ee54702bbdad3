"""`cunsheng export SURVEY --format F --out FILE [filters]`: one questionnaire's responses to a file.

Reads the published versions and the responses from the database (publishes nothing), writes to a
temporary file beside FILE and renames it at the end, so a refused or failed export leaves no file
behind; an existing FILE is kept unless --force. A progress bar goes to stderr when it is a terminal.
One audit row (`export`, actor `cli`) per finished export; none for a refused one. Every refusal is
one Chinese line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import NoReturn

from sqlmodel import Session

from server import exports
from server.catalog import read_catalog
from server.db import make_engine, migrate
from server.settings import Settings
from server.store import audit
from surveys.problem import Problem


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse's English usage error becomes a catalogue problem
        raise Problem(exports.X.ARGUMENTS, reason=message)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="cunsheng export", description="导出一份问卷的答卷（分析数据框）")
    parser.add_argument("survey", help="问卷名，如 women")
    parser.add_argument("--format", required=True, help="csv | xlsx | parquet | dta | sav | codebook")
    parser.add_argument("--out", required=True, type=Path, help="输出文件（codebook 写成 .html 时为网页）")
    parser.add_argument("--unit", default="", help="只导出这个单位（12 位代码）及其下级的答卷")
    parser.add_argument("--labels", action="store_true", help="CSV / XLSX 用值标签和变量标签代替代码和变量名")
    parser.add_argument("--since", default="", help="收到日期从（YYYY-MM-DD，北京时间，含当天）")
    parser.add_argument("--until", default="", help="收到日期到（YYYY-MM-DD，北京时间，含当天）")
    parser.add_argument("--outcome", default="", help="complete（答完）或 ended（按问卷规则提前结束）")
    parser.add_argument("--wave", default="", help="调查轮次（编号或名称）：导出这一轮的加权受访者，带 stratum、psu、weight 等设计列")
    parser.add_argument("--include-free-text", action="store_true", help="包含文字题（可能含姓名等个人信息）")
    parser.add_argument("--force", action="store_true", help="覆盖已有的输出文件")
    return parser


def _target(args: argparse.Namespace) -> Path:
    out: Path = args.out
    if out.exists() and not args.force:
        raise Problem(exports.X.OUT_EXISTS, path=out)
    if not out.parent.is_dir():
        raise Problem(exports.X.OUT_DIR, path=out.parent)
    return out


def _progress(total: int) -> tuple[exports.Progress, object]:
    from tqdm import tqdm

    bar = tqdm(total=total, unit="份", desc="导出", file=sys.stderr, disable=None, dynamic_ncols=True)
    shown = [0]

    def update(done: int) -> None:
        bar.update(done - shown[0])
        shown[0] = done

    return update, bar


def _system_allocator() -> None:
    """Arrow's buffers from malloc rather than its default mimalloc, which keeps freed memory for reuse:
    about 20 MB less at the peak of a million-row Parquet export. Arrow reads the choice when it is
    first imported (later, by the writer); for this one-shot process only, the server keeps the default,
    and an ARROW_DEFAULT_MEMORY_POOL already set wins."""
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")


def _run(args: argparse.Namespace, engine: object) -> int:
    out = _target(args)
    with Session(engine) as session:  # type: ignore[call-overload]
        catalog = read_catalog(session, args.survey)
        job = exports.plan(session, catalog, args.survey, args.format, args.unit, args.since, args.until,
                           args.outcome, args.labels, args.include_free_text, args.wave)
        total = exports.count(session, catalog, job)
        if job.format in ("csv", "parquet"):
            _system_allocator()
        update, bar = _progress(total)
        fd, name = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".part")
        os.close(fd)
        temp = Path(name)
        try:
            rows = exports.write(temp, job, exports.batches(session, catalog, job), update,
                                 as_html=out.suffix.lower() == ".html")
            bar.close()  # type: ignore[attr-defined]
            os.replace(temp, out)
        finally:
            temp.unlink(missing_ok=True)
        audit.record(session, "cli", None, "export", "survey", job.frame.survey, job.filters.under,
                     job.summary(rows) | {"file": out.name})
        session.commit()
    if job.format == "codebook":
        print(f"已写出变量说明到 {out}")
        return 0
    free = "含文字题：可能有个人信息，请妥善保管" if job.free_text else "不含文字题"
    print(f"已导出 {rows} 份答卷到 {out}（{args.format}，{free}）")
    return 0


def main(argv: list[str]) -> int:
    try:
        args = _parser().parse_args(argv)
    except Problem as exc:
        print(f"cunsheng export: 错误 {exc.line()}", file=sys.stderr)
        return 2
    engine = make_engine(Settings().database_url)
    try:
        migrate(engine)
        return _run(args, engine)
    except Problem as exc:
        print(f"cunsheng export: 错误 {exc.line()}", file=sys.stderr)
        return 2
    finally:
        engine.dispose()
