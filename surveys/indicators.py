"""The catalogue of plan targets (`surveys/data/indicators.csv`, 685 rows from the five seed plans).

A question names the targets it feeds as "<seed prefix>:<source line>" (e.g. "001:90"); this module
answers whether such a row exists and returns its fields. Read-only; loaded once per process.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

CATALOGUE = Path(__file__).parent / "data" / "indicators.csv"


@cache
def catalogue() -> dict[str, list[dict[str, str]]]:
    """Rows of indicators.csv keyed by "<seed prefix>:<source line>"."""
    out: dict[str, list[dict[str, str]]] = {}
    with CATALOGUE.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            out.setdefault(f"{row['seed_file'][:3]}:{row['source_line']}", []).append(row)
    return out


def exists(ref: str) -> bool:
    """True when `ref` names at least one row of the catalogue."""
    return ref in catalogue()
