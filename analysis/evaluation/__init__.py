"""Indicators against targets (design/evaluation.md): each indicator of a compiled definition file
derived as a 0/1 (or a mean) over its population, estimated as a domain of the full design, judged
against its target (达标 / 未达标 / 无法判断 / 不适用), with breakdowns, gaps, change, projection,
early warnings and development indices. Entry point: `analysis.evaluation.evaluate`."""
