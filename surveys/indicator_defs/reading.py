"""How a condition of an indicator reads a data file's columns, and its value on one row.

In a data file (the analysis frame, surveys/frame.py) a multiple choice is one 0/1 column per choice,
`<q>_<code>`, with `<q>_n` the number chosen and `<q>` a special code given instead; a ranking is
`<q>_r1`, `<q>_r2`, …; every other question is its own column. `reads()` maps a compiled condition's
uses onto the columns present (so `selected(q, 1, 2)` reads `q_1` and `q_2` of a multiple choice,
`q` itself of a single choice) and names the ones missing; `holds()` evaluates the condition on one
row with the questionnaire language's own semantics (`surveys.expr`), and `missing()` tells whether
a column the condition checks is missing or holds a special code (design/evaluation.md: such a
respondent is out of the numerator). Pure; values arrive as Python scalars (None when missing).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from surveys.expr import Condition, Env


@dataclass(frozen=True)
class Reads:
    """The columns a condition reads in a data file."""

    columns: tuple[str, ...] = ()  # plain columns, read as the answer of the question of that name
    lists: tuple[tuple[str, str, tuple[tuple[int, str], ...]], ...] = ()  # (q, choices|ranks, (code, column))
    checked: tuple[str, ...] = ()  # columns whose missing or special value keeps a row out of the numerator
    unknown: tuple[str, ...] = ()  # columns the data lacks

    @property
    def needed(self) -> tuple[str, ...]:
        """Every column to read from the file, each once."""
        listed = [column for _, _, pairs in self.lists for _, column in pairs]
        return tuple(dict.fromkeys([*self.columns, *listed]))


def _suffixed(q: str, have: Collection[str], prefix: str) -> tuple[tuple[int, str], ...]:
    """(number, column) of the columns `<q>_<prefix><number>`, by number."""
    start = f"{q}_{prefix}"
    found = [(int(name[len(start):]), name) for name in have
             if name.startswith(start) and name[len(start):].lstrip("-").isdigit()]
    return tuple(sorted(found))


def _selected(node: Any) -> Iterator[tuple[str, list[int]]]:
    """(question, codes) of every `selected()` call in a condition's syntax tree (surveys.expr)."""
    if isinstance(node, list):
        for item in node:
            yield from _selected(item)
    elif isinstance(node, dict):
        if node.get("fn") == "selected":
            yield node["q"], list(node["codes"])
        for value in node.values():
            yield from _selected(value)


def reads(condition: Condition, names: Collection[str]) -> Reads:
    """The columns `condition` reads among `names`, and the ones it needs that are missing."""
    have = set(names)
    asked: dict[str, list[int]] = {}
    for q, codes in _selected(condition.tree):
        asked.setdefault(q, []).extend(codes)
    columns: list[str] = []
    lists: dict[str, tuple[str, tuple[tuple[int, str], ...]]] = {}
    checked: list[str] = []
    unknown: list[str] = []
    for how, q in condition.uses:
        choices, ranks = _suffixed(q, have, ""), _suffixed(q, have, "r")
        if how == "compare" or (q in have and not choices and not ranks):
            (columns if q in have else unknown).append(q)
            if how != "answered":
                checked.append(q)
        elif choices:
            lists[q] = ("choices", choices)
            if q in have:  # the special code given instead of choices
                columns.append(q)
            wanted = [f"{q}_{code}" for code in asked.get(q, [])] if how == "selected" else [c for _, c in choices]
            unknown += [c for c in wanted if c not in have]
            if how != "answered":
                checked += [c for c in wanted if c in have]
        elif ranks:
            lists[q] = ("ranks", ranks)
            if how != "answered":
                checked.append(ranks[0][1])
        else:
            unknown.append(q)
    ordered = tuple(dict.fromkeys(columns))
    listed = tuple((q, kind, pairs) for q, (kind, pairs) in lists.items())
    return Reads(ordered, listed, tuple(dict.fromkeys(checked)), tuple(dict.fromkeys(unknown)))


def answers_of(read: Reads, row: Mapping[str, Any]) -> dict[str, Any]:
    """A data row as the answers a condition expects: a multiple choice as the list of codes chosen
    (or the special code given instead), a ranking as the codes ranked."""
    out = {name: row.get(name) for name in read.columns}
    for q, kind, pairs in read.lists:
        values = [(code, row.get(column)) for code, column in pairs]
        if kind == "ranks":
            ranked = [v for _, v in values if v is not None]
            out[q] = ranked or None
        elif all(v is None for _, v in values):
            out[q] = row.get(q)
        else:
            out[q] = [code for code, v in values if v == 1]
    return out


def holds(condition: Condition, read: Reads, row: Mapping[str, Any], specials: frozenset[int]) -> bool:
    """The condition on one row (a comparison with a missing value or a special code is false)."""
    answers = answers_of(read, row)
    return condition(Env(answers, {name: specials for name in answers}))


def missing(read: Reads, row: Mapping[str, Any], specials: frozenset[int]) -> bool:
    """Whether a column the condition checks is missing or holds a special code on this row."""
    for name in read.checked:
        value = row.get(name)
        if value is None or (isinstance(value, int) and not isinstance(value, bool) and value in specials):
            return True
    return False
