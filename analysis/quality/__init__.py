"""Data quality of collected responses: automatic review flags (`flags`) such as speeding, straightlining,
duplicates and item nonresponse. Pure functions over stored answers; no storage, no web imports."""
