"""Survey weights step by step: the weighting spec, base weights, nonresponse adjustment,
trimming, the chain `cunsheng weights` runs, and its diagnostics."""
