"""Replicate weights: the `replicate` spec, reading or creating replicates (JK1, JKn, BRR, Fay,
bootstrap; Hadamard matrices) and their variance."""
