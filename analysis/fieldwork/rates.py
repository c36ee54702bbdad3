"""AAPOR final disposition codes and outcome rates (the `cunsheng rates` contract, fieldwork README §4).

Codes are those of the AAPOR Standard Definitions (10th edition, 2023) for in-person household
surveys; a code's category is its prefix: I complete, P partial, R refusal and break-off, NC
non-contact, O other, UH unknown if household, UO unknown other, NE not eligible. The rates are
AAPOR's: response RR1-RR6, cooperation COOP1-COOP4, refusal REF1-REF3 and contact CON1-CON3, with e
the estimated share of eligible cases among those of unknown eligibility (the proportional estimate
(I+P+R+NC+O)/(I+P+R+NC+O+NE) of the whole file unless given). A rate whose denominator is 0, or
that needs an e which is undefined, is None. Pure functions: no files are read here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from analysis.errors import AnalysisError, E, show

CATEGORIES = ("I", "P", "R", "NC", "O", "UH", "UO", "NE")
_CODES = {
    "I": ("1.1",),
    "P": ("1.2",),
    "R": ("2.10", "2.11", "2.111", "2.112", "2.12"),
    "NC": ("2.20", "2.21", "2.22", "2.23"),
    "O": ("2.30", "2.31", "2.32", "2.33", "2.331", "2.332", "2.333", "2.35", "2.36"),
    "UH": ("3.10", "3.11", "3.17", "3.18", "3.19"),
    "UO": ("3.20", "3.21", "3.90"),
    "NE": ("4.10", "4.50", "4.51", "4.52", "4.53", "4.60", "4.61", "4.62", "4.63", "4.70", "4.80", "4.90"),
}
CATEGORY = {code: category for category, codes in _CODES.items() for code in codes}


def categories(codes: Iterable[str]) -> list[str]:
    """Each code's category; an unknown code is a problem naming its row (1 = first data row)."""
    out = []
    for row, code in enumerate(codes, start=1):
        category = CATEGORY.get(code.strip())
        if category is None:
            raise AnalysisError(E.RATES_CODE, row=row, code=show(code))
        out.append(category)
    return out


def counts(cats: Iterable[str]) -> dict[str, int]:
    """The number of cases in each category, every category present."""
    out = dict.fromkeys(CATEGORIES, 0)
    for category in cats:
        out[category] += 1
    return out


def proportional_e(c: dict[str, int]) -> float | None:
    """e = (I+P+R+NC+O) / (I+P+R+NC+O+NE): the eligible share among cases of known eligibility."""
    eligible = c["I"] + c["P"] + c["R"] + c["NC"] + c["O"]
    return _ratio(eligible, eligible + c["NE"])


def outcome_rates(c: dict[str, int], e: float | None) -> dict[str, float | None]:
    """AAPOR's RR1-RR6, COOP1-COOP4, REF1-REF3 and CON1-CON3 from the category counts and e."""
    i, p, r, nc, o = c["I"], c["P"], c["R"], c["NC"], c["O"]
    unknown = c["UH"] + c["UO"]
    interviews = i + p
    known = interviews + r + nc + o  # (I+P) + (R+NC+O)
    e_unknown = None if e is None else e * unknown
    contacted = interviews + r + o
    return {
        "RR1": _ratio(i, known + unknown),
        "RR2": _ratio(interviews, known + unknown),
        "RR3": _ratio(i, _plus(known, e_unknown)),
        "RR4": _ratio(interviews, _plus(known, e_unknown)),
        "RR5": _ratio(i, known),
        "RR6": _ratio(interviews, known),
        "COOP1": _ratio(i, interviews + r + o),
        "COOP2": _ratio(interviews, interviews + r + o),
        "COOP3": _ratio(i, interviews + r),
        "COOP4": _ratio(interviews, interviews + r),
        "REF1": _ratio(r, known + unknown),
        "REF2": _ratio(r, _plus(known, e_unknown)),
        "REF3": _ratio(r, known),
        "CON1": _ratio(contacted, contacted + nc + unknown),
        "CON2": _ratio(contacted, _plus(contacted + nc, e_unknown)),
        "CON3": _ratio(contacted, contacted + nc),
    }


def entry(cats: Sequence[str], e: float | None) -> dict[str, Any]:
    """One ENTRY of the output: the counts and every rate."""
    c = counts(cats)
    return {"counts": c, **outcome_rates(c, e)}


def summarise(codes: Sequence[str], by: dict[str, Sequence[str]], e: float | None) -> dict[str, Any]:
    """The whole `cunsheng rates` document: e, the overall entry and one entry per group of the `by`
    columns (groups in sorted order of their values as text); e is the whole file's unless given."""
    cats = categories(codes)
    used = proportional_e(counts(cats)) if e is None else e
    doc: dict[str, Any] = {"e": used, "overall": entry(cats, used), "groups": []}
    if by:
        names = list(by)
        keys = list(zip(*(by[name] for name in names), strict=True))
        for key in sorted(set(keys)):
            members = [cat for cat, k in zip(cats, keys, strict=True) if k == key]
            doc["groups"].append({"by": dict(zip(names, key, strict=True)), **entry(members, used)})
    return doc


def _plus(known: int, extra: float | None) -> float | None:
    return None if extra is None else known + extra


def _ratio(numerator: float, denominator: float | None) -> float | None:
    if denominator is None or denominator == 0:
        return None
    return numerator / denominator
