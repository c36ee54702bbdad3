"""Design-based estimators: means, totals, proportions, ratios, quantiles and regression over
domains, the choice of variance (Taylor, calibrated, replicate), intervals, reliability flags and
the tidy result table."""
