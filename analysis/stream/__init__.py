"""Estimates that stream past memory: one pass over a Parquet file's batches, accumulating weighted
sums per (stage-1 unit x domain [x level]) cell, then the same Taylor-linearised estimates as the
in-memory path (`analysis.estimators`) from those sums. `plan` says when a design and request can
stream, `codes` grows global codes batch by batch, `scan` runs the pass, `findings` keeps the first
bad row of every check so the errors match the in-memory path's, and `finish` turns the sums into
the estimates table.
"""
