"""Fieldwork outcomes: AAPOR final dispositions and the outcome rates computed from them (`rates`)."""
