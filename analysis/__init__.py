"""Weights, design-based estimates and indicators versus targets (pure functions, no web imports).

Sub-rooms by noun: `design` (the design file and its binding to data), `replicate` (replicate
weights), `calibration`, `estimators`, `weighting`, `sampling` (PPS selection), `fieldwork` (AAPOR
outcome rates), `quality` (review flags on responses), `io` (columns and files), `cli` (command lines);
`errors` is the problem catalogue and `specmodel` the base of every JSON spec model.
"""
