"""Probability samples of units: systematic PPS selection with certainty rounds (`pps`)."""
