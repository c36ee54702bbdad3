"""Sampling designs: the design file as a model (`spec`) and its binding to a data set (`binding`)."""
