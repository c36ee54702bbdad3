"""Reading a unit file and its population file (../shared/fieldwork/README.md §1), all or nothing.

`read_units` and `read_population` check every row and return the rows to store, or raise
`UnitsInvalid` listing every problem with its file, row (the file's line number) and column.
A broken file changes nothing: `import_files` stores only after both files passed.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from server.startup_errors import StartErr
from server.store import units
from server.unitcodes import LEVELS, level_of, parent_code, prefix
from surveys.problem import Problem

UNIT_COLUMNS = ("code", "name", "level", "parent", "urban_rural", "households")
POPULATION_COLUMNS = ("code", "year", "sex", "age_group", "count")


@dataclass(frozen=True)
class Finding:
    file: str
    row: int
    column: str
    message: str

    def line(self) -> str:
        return f"{self.file} 第 {self.row} 行，{self.column} 列：{self.message}"


class UnitsInvalid(Problem):
    """A unit or population file with problems; `findings` lists each (nothing was stored)."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        super().__init__(StartErr.UNITS_INVALID, details={"problems": [f.line() for f in findings]},
                         count=len(findings), first=findings[0].line())


def _rows(path: Path, columns: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [c for c in columns if c not in (reader.fieldnames or [])]
    if missing:
        raise UnitsInvalid([Finding(path.name, 1, c, "缺少这一列（表头应为 " + ",".join(columns) + "）") for c in missing])
    return [(i + 2, {k: (v or "").strip() for k, v in row.items() if k}) for i, row in enumerate(reader)]


def _count(value: str, file: str, row: int, column: str, out: list[Finding], required: bool) -> int | None:
    if value == "":
        if required:
            out.append(Finding(file, row, column, "不能为空"))
        return None
    if not value.lstrip("-").isdigit():
        out.append(Finding(file, row, column, f"“{value[:20]}”不是整数"))
        return None
    if int(value) < 0:
        out.append(Finding(file, row, column, f"不能为负数（{value}）"))
        return None
    return int(value)


def _unit_row(row: dict[str, str], line: int, file: str, seen: dict[str, str], known: set[str],
              out: list[Finding]) -> dict[str, object] | None:
    code, level, parent, ur = row["code"], row["level"], row["parent"], row["urban_rural"]
    before = len(out)
    if level_of(code) is None:
        out.append(Finding(file, line, "code", f"“{code[:20]}”不是有效的 12 位统计用区划代码"))
    elif code in seen:
        out.append(Finding(file, line, "code", f"代码 {code} 重复（第 {seen[code]} 行已有）"))
    if level not in LEVELS:
        out.append(Finding(file, line, "level", f"未知的层级“{level[:20]}”（可用 {', '.join(LEVELS)}）"))
    elif level_of(code) not in (None, level):
        out.append(Finding(file, line, "level", f"代码 {code} 是{level_of(code)}级，与层级 {level} 不符"))
    if level in LEVELS and level_of(code) == level:
        _check_parent(code, level, parent, line, file, seen, known, out)
    if level == "village":
        if ur not in units.URBAN | units.RURAL:
            out.append(Finding(file, line, "urban_rural", f"未知的城乡分类代码“{ur[:10]}”"))
        households = _count(row["households"], file, line, "households", out, required=True)
    else:
        if ur:
            out.append(Finding(file, line, "urban_rural", "只有村（社区）一级才填城乡分类代码"))
        households = _count(row["households"], file, line, "households", out, required=False)
    if not row["name"]:
        out.append(Finding(file, line, "name", "名称不能为空"))
    seen.setdefault(code, str(line))
    if len(out) > before:
        return None
    return {"code": code, "name": row["name"][:100], "level": level, "parent": parent or None,
            "urban_rural": ur or None, "households": households}


def _check_parent(code: str, level: str, parent: str, line: int, file: str, seen: dict[str, str],
                  known: set[str], out: list[Finding]) -> None:
    if not parent:
        if level != LEVELS[0]:
            out.append(Finding(file, line, "parent", "只有最上一级（省）可以没有上级"))
        return
    if level_of(parent) is None:
        out.append(Finding(file, line, "parent", f"上级代码“{parent[:20]}”无效"))
    elif not code.startswith(prefix(parent)) or code == parent:
        out.append(Finding(file, line, "parent", f"代码 {code} 不在上级 {parent} 之下"))
    elif parent_code(code) != parent:
        out.append(Finding(file, line, "level", f"跳过了一级：{level} 不能直接属于 {level_of(parent)} {parent}"))
    elif parent not in seen and parent not in known:
        out.append(Finding(file, line, "parent", f"上级 {parent} 不存在（应写在本行之前，或已导入）"))


def read_units(path: Path, known: set[str]) -> list[dict[str, object]]:
    out: list[Finding] = []
    seen: dict[str, str] = {}
    rows = [_unit_row(row, line, path.name, seen, known, out) for line, row in _rows(path, UNIT_COLUMNS)]
    if out:
        raise UnitsInvalid(out)
    return [r for r in rows if r is not None]


def read_population(path: Path, villages: set[str]) -> list[dict[str, object]]:
    out: list[Finding] = []
    rows = []
    for line, row in _rows(path, POPULATION_COLUMNS):
        before = len(out)
        if row["code"] not in villages:
            out.append(Finding(path.name, line, "code", f"没有代码为 {row['code'][:20]} 的村（社区）"))
        if row["sex"] not in units.SEXES:
            out.append(Finding(path.name, line, "sex", f"未知的性别“{row['sex'][:5]}”（应为 F 或 M）"))
        if row["age_group"] not in units.AGE_GROUPS:
            out.append(Finding(path.name, line, "age_group", f"未知的年龄组“{row['age_group'][:10]}”"))
        year = _count(row["year"], path.name, line, "year", out, required=True)
        count = _count(row["count"], path.name, line, "count", out, required=True)
        if len(out) == before:
            rows.append({"code": row["code"], "year": year, "sex": row["sex"], "age_group": row["age_group"],
                         "count": count})
    if out:
        raise UnitsInvalid(out)
    return rows


def import_files(session: Session, units_csv: Path, population_csv: Path | None) -> dict[str, object]:
    """Check both files, then store (one transaction); a report of what changed and what was kept."""
    known = units.codes(session)
    rows = read_units(units_csv, known)
    villages = {str(r["code"]) for r in rows if r["level"] == "village"} | {
        c for c in known if level_of(c) == "village"}
    population = read_population(population_csv, villages) if population_csv is not None else []
    stats: dict[str, object] = dict(units.upsert(session, rows, population))
    stats["kept"] = sorted(known - {str(r["code"]) for r in rows})  # never deleted, listed in the report
    session.commit()
    return stats
