# The matrices R `survey`'s hadamard(n) picks for n = 1..300 strata, as fingerprints for
# tests/analysis/test_r_survey_agreement.py:
#
#   cd tests/analysis/rdata && Rscript hadamard.R > hadamard_r.txt
#
# One line per n: `n order md5`, md5 of the matrix written row by row as 0/1 characters (R's
# 0/1 coding: 1 is +1), rows joined by newlines, no final newline.
suppressPackageStartupMessages(library(survey))
cat("# ", R.version.string, "; survey ", as.character(packageVersion("survey")), "\n", sep = "")
for (n in 1:300) {
  H <- hadamard(n)
  text <- paste(apply(H, 1, paste, collapse = ""), collapse = "\n")
  file <- tempfile()
  writeChar(text, file, eos = NULL)
  cat(n, nrow(H), unname(tools::md5sum(file)), "\n")
}
