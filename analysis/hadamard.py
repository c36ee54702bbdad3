"""BRR, Fay and bootstrap replicate factors from a linearised design (R `survey`'s `brrweights()`
and `bootweights()`, as used by `as.svrepdesign(type = "BRR" | "Fay" | "bootstrap")`).

BRR needs exactly 2 PSUs per stratum (R's `small = "fail"`, `large = "fail"`). The Hadamard matrix
has order the smallest multiple of 4 that is >= strata + 1, normalised so its first column is all
ones; stratum h uses column h + 1, and replicate r gives PSU 1 (first in data order) factor 2 when
H[r, h + 1] = +1 and PSU 2 factor 2 otherwise, the other PSU 0 (Fay: 2 - rho and rho). Because the
used columns are orthogonal to each other and to the constant column (full orthogonal balance), the
BRR variance of a total equals the with-replacement Taylor variance (Wolter 2007, ch. 3). Orders
built: powers of 2 (Sylvester), q + 1 with q prime and q = 3 (mod 4) (Paley I), and their Kronecker
products with powers of 2. R ships precomputed matrices for other orders, so replicates need not
match R's one by one; the variances of totals do. FPCs are ignored, as `brrweights()` does.

The bootstrap is Rao and Wu's rescaled bootstrap (`bootweights()`): in each stratum, n_h - 1 PSUs
drawn with replacement, factor n_h / (n_h - 1) x times drawn; randomness from
`numpy.random.default_rng(seed)`, so a seed gives the same replicates (not R's).
"""

from __future__ import annotations

import numpy as np

from analysis.design import BoundDesign
from analysis.errors import AnalysisError, E

SUPPORTED = "powers of 2, q + 1 with q a prime = 3 (mod 4), and those times a power of 2"


def _bad(detail: str) -> AnalysisError:
    return AnalysisError(E.REPLICATE_SPEC, detail=detail)


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


def _units_by_stratum(bound: BoundDesign) -> list[np.ndarray]:
    """PSUs of each first-stage stratum, in order of their first row in the data."""
    stage = bound.stages[0]
    first = np.full(stage.n_units, len(stage.unit), dtype=np.int64)
    np.minimum.at(first, stage.unit, np.arange(len(stage.unit)))
    order = np.lexsort((first, stage.stratum))
    bounds = np.cumsum(np.bincount(stage.stratum, minlength=stage.n_strata))[:-1]
    return np.split(order, bounds)


def brr_factors(bound: BoundDesign, rho: float = 0.0) -> np.ndarray:
    """BRR (rho = 0) or Fay factors, PSUs x replicates."""
    stage = bound.stages[0]
    groups = _units_by_stratum(bound)
    for h, units in enumerate(groups):
        if len(units) != 2:
            raise _bad(
                f"BRR/Fay replicates need exactly 2 PSUs per stratum; stratum {bound.stratum_label(0, h)} "
                f"has {len(units)}"
            )
    strata = len(groups)
    order = 4 * -(-(strata + 1) // 4)
    matrix = hadamard(order)
    if matrix is None:
        raise _bad(
            f"BRR/Fay with {strata} strata needs a Hadamard matrix of order {order}, which is not "
            f"constructed (orders supported: {SUPPORTED})"
        )
    signs = matrix[:, 1 : strata + 1].T  # strata x replicates
    factors = np.empty((stage.n_units, order))
    pairs = np.array(groups)
    factors[pairs[:, 0]] = np.where(signs > 0, 2 - rho, rho)
    factors[pairs[:, 1]] = np.where(signs > 0, rho, 2 - rho)
    return factors


def bootstrap_factors(bound: BoundDesign, replicates: int, seed: int) -> np.ndarray:
    """Rao-Wu rescaled bootstrap factors, PSUs x replicates."""
    stage = bound.stages[0]
    if stage.popsize is not None and not np.isinf(stage.popsize).all():
        raise _bad(
            "bootstrap replicates are created without an fpc only; remove `fpc` (R's fpc rule is not implemented)"
        )
    rng = np.random.default_rng(seed)
    factors = np.empty((stage.n_units, replicates))
    columns = np.arange(replicates)[None, :]
    for h, units in enumerate(_units_by_stratum(bound)):
        n = len(units)
        if n < 2:
            raise _bad(
                f"bootstrap replicates need at least 2 PSUs per stratum; stratum {bound.stratum_label(0, h)} has {n}"
            )
        drawn = rng.integers(0, n, size=(n - 1, replicates))
        counts = np.zeros((n, replicates))
        np.add.at(counts, (drawn, columns), 1.0)
        factors[units] = counts * (n / (n - 1))
    return factors
