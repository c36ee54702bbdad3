"""Input and output at the edge of analysis: columns (numeric arrays and coded categories), data-file
readers (CSV, Parquet), JSON spec files, and the histogram PNG of `cunsheng weights --report`."""
