"""The 12-digit 统计用区划代码 as arithmetic: levels, parents and subtrees, without the database.

A code is 2 province, 2 city, 2 county, 3 township and 3 village digits; a unit's code repeats its
parent's up to the parent's level, has a non-zero segment of its own, and zeros after it. So a grant
on a unit covers exactly the codes that start with the unit's significant prefix.
"""

from __future__ import annotations

import re

LEVELS = ("province", "city", "county", "township", "village")
ENDS = {"province": 2, "city": 4, "county": 6, "township": 9, "village": 12}  # digits that are the unit's own
LEVEL_ZH = {"province": "省", "city": "市", "county": "县", "township": "乡镇", "village": "村（社区）"}
CODE = re.compile(r"[0-9]{12}")


def is_code(text: str) -> bool:
    return bool(CODE.fullmatch(text))


def level_of(code: str) -> str | None:
    """The level a well-formed code names (None for a malformed one: zeros inside, non-zero after)."""
    if not is_code(code):
        return None
    start = 0
    for level in LEVELS:
        end = ENDS[level]
        if int(code[start:end]) == 0:
            return None
        if int(code[end:] or "0") == 0:
            return level
        start = end
    return None


def prefix(code: str) -> str:
    """The digits that identify the unit (its code without the trailing zero segments)."""
    level = level_of(code)
    return code[: ENDS[level]] if level else code


def parent_code(code: str) -> str | None:
    """The code of the level above (None for a province or a malformed code)."""
    level = level_of(code)
    if level is None or level == "province":
        return None
    above = LEVELS[LEVELS.index(level) - 1]
    return code[: ENDS[above]].ljust(12, "0")


def is_under(code: str, ancestor: str) -> bool:
    """Whether `code` is `ancestor` itself or any unit below it."""
    return level_of(ancestor) is not None and code.startswith(prefix(ancestor))
