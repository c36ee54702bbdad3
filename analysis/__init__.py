"""Weights, design-based estimates and indicators versus targets (pure functions, no web imports)."""
