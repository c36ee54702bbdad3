"""BRR and Fay replicate factors from a linearised design (R `survey`'s `brrweights()`, as used by
`as.svrepdesign(type = "BRR" | "Fay")`), and the Hadamard matrices they need.

BRR needs exactly 2 PSUs per stratum (R's `small = "fail"`, `large = "fail"`). The Hadamard matrix
has order the smallest multiple of 4 that is >= strata + 1, normalised so its first column is all
ones; stratum h uses column h + 1, and replicate r gives PSU 1 (first in data order) factor 2 when
H[r, h + 1] = +1 and PSU 2 factor 2 otherwise, the other PSU 0 (Fay: 2 - rho and rho). Because the
used columns are orthogonal to each other and to the constant column (full orthogonal balance), the
BRR variance of a total equals the with-replacement Taylor variance (Wolter 2007, ch. 3). Orders
built: powers of 2 (Sylvester), q + 1 with q prime and q = 3 (mod 4) (Paley I), and their Kronecker
products with powers of 2. R ships precomputed matrices for other orders, so replicates need not
match R's one by one; the variances of totals do. FPCs are ignored, as `brrweights()` does.
Must not read data or draw random numbers (the bootstrap is `analysis.replicate.bootstrap`).
"""

from __future__ import annotations

import numpy as np

from analysis.design.binding import BoundDesign
from analysis.errors import AnalysisError, E
from analysis.replicate.units import units_by_stratum


def _is_prime(q: int) -> bool:
    return q >= 2 and all(q % d for d in range(2, int(q**0.5) + 1))


def _paley(q: int) -> np.ndarray:
    """Paley construction I of order q + 1 (q prime, q = 3 mod 4), first row and column all ones."""
    residues = np.zeros(q, dtype=np.int64)
    residues[(np.arange(1, q) ** 2) % q] = 1
    chi = np.where(residues == 1, 1, -1)
    chi[0] = 0
    idx = np.arange(q)
    jacobsthal = chi[(idx[None, :] - idx[:, None]) % q]
    s = np.zeros((q + 1, q + 1), dtype=np.int64)
    s[0, 1:] = 1
    s[1:, 0] = -1
    s[1:, 1:] = jacobsthal
    h = np.eye(q + 1, dtype=np.int64) + s
    return h * h[:, :1]  # flip rows so the first column is all ones


def hadamard(order: int) -> np.ndarray | None:
    """A normalised Hadamard matrix (first column all ones) of `order`, or None if not constructed:
    Sylvester(2^k) kron Paley(q) for order = 2^k (q + 1), or Sylvester alone for a power of 2."""
    two = 1
    while order % two == 0:
        core = order // two
        if core == 1 or (core % 4 == 0 and (core - 1) % 4 == 3 and _is_prime(core - 1)):
            base = np.ones((1, 1), dtype=np.int64) if core == 1 else _paley(core - 1)
            sylvester = np.ones((1, 1), dtype=np.int64)
            while sylvester.shape[0] < two:
                sylvester = np.block([[sylvester, sylvester], [sylvester, -sylvester]])
            return np.kron(sylvester, base)
        two *= 2
    return None


def brr_factors(bound: BoundDesign, rho: float = 0.0) -> np.ndarray:
    """BRR (rho = 0) or Fay factors, PSUs x replicates."""
    stage = bound.stages[0]
    groups = units_by_stratum(bound)
    for h, units in enumerate(groups):
        if len(units) != 2:
            raise AnalysisError(E.REP_BRR_PAIRS, stratum=bound.stratum_label(0, h), count=len(units))
    strata = len(groups)
    order = 4 * -(-(strata + 1) // 4)
    matrix = hadamard(order)
    if matrix is None:
        raise AnalysisError(E.REP_HADAMARD, strata=strata, order=order)
    signs = matrix[:, 1 : strata + 1].T  # strata x replicates
    factors = np.empty((stage.n_units, order))
    pairs = np.array(groups)
    factors[pairs[:, 0]] = np.where(signs > 0, 2 - rho, rho)
    factors[pairs[:, 1]] = np.where(signs > 0, rho, 2 - rho)
    return factors
