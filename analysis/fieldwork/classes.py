"""Nonresponse weighting classes of a wave: villages, collapsed when they hold too few respondents.

A class starts as one village. At each level of the unit tree in turn — 乡镇 × 城乡, then 乡镇, then
the whole county — the classes inside one group of that level that have fewer than `min_n`
respondents are merged together; if the merged class is still short and the group holds other
classes, it is merged with the smallest of them (fewest respondents, then code order), and so on
until it reaches `min_n` or is the group's only class (Valliant, Dever & Kreuter 2018, *Practical
Tools for Designing and Weighting Survey Samples*, §13.5.2: collapse cells with too few
respondents with similar neighbours; Kalton & Flores-Cervantes 2003, *J. Official Statistics* 19).
Every merge is recorded with a Chinese description. Pure: no storage.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

LEVELS = ("township_urban_rural", "township", "county")
LEVEL_ZH = {"township_urban_rural": "乡镇 × 城乡", "township": "乡镇", "county": "全县"}


@dataclass(frozen=True)
class Collapse:
    """Weighting classes merged at `level` because the first of them had only `n` respondents."""

    classes: tuple[str, ...]  # labels of the classes merged (the short one first)
    into: str  # the merged class's label
    level: str  # township_urban_rural, township or county
    n: int  # respondents of the short class
    description: str  # the same in Chinese


@dataclass(frozen=True)
class Village:
    """What collapsing needs to know of a village: where it is and its respondents."""

    township: str
    urban_rural: str
    respondents: int


def label_of(villages: tuple[str, ...]) -> str:
    """A class's label: its village codes joined by `+` (one village: its code)."""
    return "+".join(sorted(villages))


def collapse(villages: Mapping[str, Village], min_n: int) -> tuple[dict[str, str], tuple[Collapse, ...]]:
    """Each village's class label after collapsing, and the merges in the order they were made."""
    classes: list[tuple[str, ...]] = [(code,) for code in sorted(villages)]
    merges: list[Collapse] = []
    for level in LEVELS:
        groups: dict[str, list[tuple[str, ...]]] = {}
        for members in classes:
            groups.setdefault(_key(villages[members[0]], level), []).append(members)
        classes = []
        for key, inside in sorted(groups.items()):
            classes += _collapse_group(inside, villages, min_n, level, key, merges)
    return {code: label_of(members) for members in classes for code in members}, tuple(merges)


def _key(village: Village, level: str) -> str:
    if level == "township_urban_rural":
        return f"{village.township}-{village.urban_rural}"
    return village.township if level == "township" else "county"


def _count(members: tuple[str, ...], villages: Mapping[str, Village]) -> int:
    return sum(villages[code].respondents for code in members)


def _collapse_group(inside: list[tuple[str, ...]], villages: Mapping[str, Village], min_n: int, level: str,
                    key: str, merges: list[Collapse]) -> list[tuple[str, ...]]:
    """The classes of one group after merging its short ones (all together, then with the smallest)."""
    short = [c for c in inside if _count(c, villages) < min_n]
    if not short or len(inside) == 1:
        return inside
    rest = [c for c in inside if c not in short]
    merged = tuple(sorted(code for c in short for code in c))
    if len(short) > 1:
        _record(merges, short, merged, level, key, villages)
    while _count(merged, villages) < min_n and rest:
        partner = min(rest, key=lambda c: (_count(c, villages), c))
        rest.remove(partner)
        grown = tuple(sorted(merged + partner))
        _record(merges, [merged, partner], grown, level, key, villages)
        merged = grown
    return sorted([*rest, merged])


def _record(merges: list[Collapse], parts: list[tuple[str, ...]], merged: tuple[str, ...], level: str, key: str,
            villages: Mapping[str, Village]) -> None:
    labels = tuple(label_of(p) for p in parts)
    n = _count(parts[0], villages)
    text = (f"无应答调整类 {'、'.join(labels)} 应答者不足（{n} 人），在{LEVEL_ZH[level]}（{key}）内合并为一类")
    merges.append(Collapse(labels, label_of(merged), level, n, text))
