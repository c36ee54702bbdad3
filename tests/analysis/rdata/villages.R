# Reference numbers for tests/analysis/test_rdiff.py (issue 10, part 1), computed by R `survey`.
#
#   cd tests/analysis/rdata && Rscript villages.R > villages_r.txt
#
# Builds villages.csv (15 strata x 2 villages, people with unequal weights inside every village and
# every sex x age post-stratum), reads it back so R uses exactly the numbers the tests read, and
# prints one line per number: `<case> <quantity> <value>` at 17 significant digits. Cases:
#   ps_*   postStratify(svydesign(~village, strata = ~stratum, weights = ~w), ~sex + agegrp, pop)
#   brr_*  as.svrepdesign(design, type = "BRR") and type = "Fay" (rho 0.3)
#   rq_*   svyquantile() on replicate designs (default interval.type = "mean"), domains on subsets
#          with df = degf() of the full design, as the contract's `df`.
suppressPackageStartupMessages(library(survey))
options(survey.lonely.psu = "fail")

set.seed(20240610)
villages <- data.frame(stratum = rep(1:15, each = 2), village = sprintf("v%02d", 1:30))
villages$vweight <- round(runif(30, 20, 80))
villages$region <- rep(c("east", "west", "north"), length.out = 15)[villages$stratum]
people <- do.call(rbind, lapply(seq_len(nrow(villages)), function(i) {
  k <- sample(6:11, 1)
  data.frame(
    stratum = villages$stratum[i], village = villages$village[i], region = villages$region[i],
    w = villages$vweight[i] * sample(c(0.5, 1, 1.5, 2, 3), k, replace = TRUE),
    sex = sample(c("F", "M"), k, replace = TRUE),
    agegrp = sample(c("15-39", "40-59", "60+"), k, replace = TRUE, prob = c(0.4, 0.35, 0.25)),
    income = round(rlnorm(k, 8 + villages$stratum[i] / 30, 0.6)),
    expense = 0
  )
}))
people$expense <- round(people$income * runif(nrow(people), 0.4, 0.9) + 200)
people$employed <- as.integer(runif(nrow(people)) < plogis(-0.5 + people$income / 4000))
people$edu <- sample(c("primary", "middle", "high"), nrow(people), replace = TRUE)
people <- people[sample(nrow(people)), ]  # rows shuffled: PSU order is first appearance in the data
write.csv(people, "villages.csv", row.names = FALSE)
d <- read.csv("villages.csv")

pop <- expand.grid(sex = c("F", "M"), agegrp = c("15-39", "40-59", "60+"))
pop$Freq <- c(5200, 4900, 4100, 4300, 2600, 2200)
write.csv(pop, "villages_population.csv", row.names = FALSE)

show <- function(case, quantity, value) cat(case, quantity, format(value, digits = 17), "\n")
stat <- function(case, est, df) {
  ci <- confint(est, df = df)
  for (i in seq_along(coef(est))) {
    id <- if (length(coef(est)) > 1) paste0(case, ":", names(coef(est))[i]) else case
    show(id, "estimate", unname(coef(est)[i]))
    show(id, "se", unname(SE(est)[i]))
    show(id, "ci_low", ci[i, 1])
    show(id, "ci_high", ci[i, 2])
  }
}
cat("# ", R.version.string, "; survey ", as.character(packageVersion("survey")), "\n", sep = "")

# 1. post-stratification of a stratified with-replacement cluster design
des <- svydesign(ids = ~village, strata = ~stratum, weights = ~w, data = d)
ps <- postStratify(des, ~sex + agegrp, pop)
df <- degf(ps)
show("ps", "df", df)
stat("ps_mean_income", svymean(~income, ps), df)
stat("ps_total_income", svytotal(~income, ps), df)
stat("ps_mean_employed", svymean(~employed, ps), df)
stat("ps_prop_edu", svymean(~edu, ps), df)
stat("ps_total_edu", svytotal(~edu, ps), df)
stat("ps_ratio_income_expense", svyratio(~income, ~expense, ps), df)
stat("ps_mean_income_by_region", svyby(~income, ~region, ps, svymean), df)
stat("ps_total_income_by_region", svyby(~income, ~region, ps, svytotal), df)
stat("ps_mean_income_by_sex", svyby(~income, ~sex, ps, svymean), df)
stat("ps_ratio_by_region", svyby(~income, ~region, ps, svyratio, denominator = ~expense), df)

# 2. BRR (and Fay) replicates created from the design: R's hadamard() and PSU order
brr <- as.svrepdesign(des, type = "BRR")
show("brr", "df", degf(brr))
show("brr", "replicates", ncol(brr$repweights$weights))
stat("brr_mean_income", svymean(~income, brr), degf(brr))
stat("brr_total_income", svytotal(~income, brr), degf(brr))
stat("brr_ratio_income_expense", svyratio(~income, ~expense, brr), degf(brr))
stat("brr_mean_income_by_region", svyby(~income, ~region, brr, svymean), degf(brr))
fay <- as.svrepdesign(des, type = "Fay", fay.rho = 0.3)
stat("fay_mean_income", svymean(~income, fay), degf(fay))
# 12 strata: hadamard(12) is R's stored order-16 matrix; 9 strata: paley(9) of order 12
d12 <- d[d$stratum <= 12, ]
brr12 <- as.svrepdesign(svydesign(ids = ~village, strata = ~stratum, weights = ~w, data = d12), type = "BRR")
stat("brr12_mean_income", svymean(~income, brr12), degf(brr12))
d9 <- d[d$stratum <= 9, ]
brr9 <- as.svrepdesign(svydesign(ids = ~village, strata = ~stratum, weights = ~w, data = d9), type = "BRR")
show("brr9", "replicates", ncol(brr9$repweights$weights))
stat("brr9_mean_income", svymean(~income, brr9), degf(brr9))

# 3. quantiles on replicate designs (survey >= 4.1: qrule "math", interval.type "mean")
quant <- function(case, design, df) {
  q <- svyquantile(~income, design, quantiles = c(0.25, 0.5, 0.9), df = df)[[1]]
  for (i in seq_len(nrow(q))) {
    id <- paste0(case, ":", rownames(q)[i])
    show(id, "estimate", q[i, 1])
    show(id, "ci_low", q[i, 2])
    show(id, "ci_high", q[i, 3])
    show(id, "se", q[i, 4])
  }
}
quant("rq_brr", brr, degf(brr))
for (r in c("east", "north", "west")) quant(paste0("rq_brr_region_", r), subset(brr, region == r), degf(brr))
jkn <- as.svrepdesign(des, type = "JKn")
show("rq_jkn", "df", degf(jkn))
quant("rq_jkn", jkn, degf(jkn))
psbrr <- postStratify(brr, ~sex + agegrp, pop)
quant("rq_brr_poststratified", psbrr, degf(psbrr))
