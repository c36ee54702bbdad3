"""What each code of an evaluation means in the report pack: `Definition`s built from a compiled indicator
file and the plan catalogue (surveys/data/indicators.csv), for `cunsheng evaluate --report` and the
server's evaluation pages alike.

An indicator's plan domain (妇女与健康, 儿童与安全, …) and the plan's wording of its target are those of
its first plan row; the wording of every plan row it names is kept (joined by "；"). A value shown as is
takes its unit from that row (岁, 小时, ‰). An index has no plan row: it is scored in 分. Import-light:
`cunsheng evaluate` loads this module, so it must not import the web framework or the database layer.
"""

from __future__ import annotations

from analysis.report.inputs import Definition
from surveys.indicator_defs.model import Indicator, IndicatorSet
from surveys.indicators import catalogue

PERCENT = 100


def definitions(indicators: IndicatorSet) -> tuple[Definition, ...]:
    """One `Definition` per indicator and per index of a compiled indicator file, in file order."""
    out = [_indicator(i) for i in indicators.indicators]
    out += [Definition(x.code, x.name, scale=1, unit="分", index=True) for x in indicators.indices]
    return tuple(out)


def _indicator(indicator: Indicator) -> Definition:
    rows = [catalogue()[r] for r in indicator.plan if r in catalogue()]
    first = rows[0] if rows else {}
    wording = "；".join(dict.fromkeys(r["target"] for r in rows if r["target"]))
    unit = "" if indicator.scale == PERCENT else first.get("unit", "").replace("%", "")
    return Definition(indicator.code, indicator.name, first.get("domain", ""), indicator.plan, indicator.scale,
                      unit=unit, plan_target=wording, decimals=1 if indicator.scale == PERCENT else 2)
