"""Fieldwork outcomes: AAPOR final dispositions and the outcome rates computed from them (`rates`), the
nonresponse weighting classes (`classes`) and a wave's weights and design for estimation (`design`)."""
