"""Probability samples: systematic PPS selection with certainty rounds (`pps`), the allocation of a wave's
villages to strata and its draw (`allocation`), households from a listing with a reserve (`households`)
and the respondent within a household (`respondent`)."""
