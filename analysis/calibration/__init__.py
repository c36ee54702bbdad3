"""Calibration of weights: the `calibration` spec, post-stratification and raking on cell tables,
model calibration (GREG, raking, logit) and its solvers, and the `Calibrator` that binds them."""
