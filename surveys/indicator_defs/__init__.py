"""Indicator definitions (design/evaluation.md): a YAML file of indicators and development indices,
compiled like a questionnaire (`compiler`) into frozen objects (`model`) that `analysis.evaluation`
reads. Pure Python; imports nothing outside `surveys`."""
