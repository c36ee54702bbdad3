"""BRR and Fay replicate factors from a linearised design, exactly as R `survey`'s `brrweights()`
used by `as.svrepdesign(type = "BRR" | "Fay")`, with the Hadamard matrix R's `hadamard()` picks.

BRR needs exactly 2 PSUs per stratum (R's `small = "fail"`; more PSUs are refused rather than
split). R orders the strata by their labels as text (`as.character`, so stratum 10 comes before
2) and the two PSUs of a stratum by their first row in the data. With H the +-1 Hadamard matrix of
`r_hadamard(strata)` (first row and column all ones), replicate r gives the first PSU of the k-th
stratum factor 2 (Fay: 2 - rho) when H[k, r] = +1 (k = 1, 2, ...; row 0 is unused) and 0 (rho)
otherwise, the second PSU the other; there is one replicate per column. Because the rows used are
orthogonal to each other and to the ones row, the BRR variance of a total equals the
with-replacement Taylor variance (full orthogonal balance; Wolter 2007, ch. 3).

`r_hadamard(n)` follows R's choice of matrix for n strata: a stored matrix (orders 4, 16, 28, 36)
when one has order in (m, m + 4] for m = n - n mod 4; otherwise, of the stored orders doubled until
they exceed n, the closest; if that is more than 4 above n, Paley's construction (R's `paley()`:
q + 1 with q prime, q = 3 mod 4, entries from the quadratic character of i + j mod q, possibly
doubled), else the stored matrix doubled ([[H, H], [H, -H]]). The stored 4 and 16 are Sylvester
matrices; R's stored 28 and 36 are tabulated matrices that are not built here, so strata counts
that need them are refused. FPCs are ignored, as `brrweights()` does. Must not read data or draw
random numbers (the bootstrap is `analysis.replicate.bootstrap`).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from analysis.design.binding import BoundDesign
from analysis.errors import AnalysisError, E
from analysis.replicate.units import units_by_stratum

STORED = (4, 16, 28, 36)
"""Orders of the matrices R `survey` ships (`hadamard.sizes`)."""
TABULATED = (28, 36)
"""Stored orders whose matrices are R's own tables, not a construction we can repeat."""
LARGEST_PRIME = 7919
"""R's `paley()` knows the primes q = 3 (mod 4) up to this one."""


def _is_prime(q: int) -> bool:
    return q >= 2 and all(q % d for d in range(2, math.isqrt(q) + 1))


def _small_primes() -> tuple[int, ...]:
    return tuple(q for q in range(3, LARGEST_PRIME + 1, 4) if _is_prime(q))


_PRIMES = _small_primes()


def _double(h: np.ndarray, times: int = 1) -> np.ndarray:
    """R's `hadamard.doubler()`: [[H, H], [H, -H]]."""
    for _ in range(times):
        h = np.block([[h, h], [h, -h]])
    return h


def _sylvester(order: int) -> np.ndarray:
    return _double(np.ones((1, 1), dtype=np.int64), order.bit_length() - 1)


def _paley_prime(q: int) -> np.ndarray:
    """R's `paley(prime = q)`: order q + 1, first row and column +1; entry (i, j) of the core is -1
    when i + j mod q is 0 or a quadratic residue, +1 otherwise."""
    residue = np.zeros(q, dtype=bool)
    residue[0] = True
    residue[(np.arange(1, (q - 1) // 2 + 1) ** 2) % q] = True
    idx = np.arange(q)
    core = np.where(residue[(idx[:, None] + idx[None, :]) % q], -1, 1)
    h = np.ones((q + 1, q + 1), dtype=np.int64)
    h[1:, 1:] = core
    return h


def _paley(n: int, nmax: int) -> np.ndarray | None:
    """R's `paley(n, nmax)`: a Paley matrix of order > n (at most about nmax), or None."""
    nceil = nn = n + 4 - n % 4
    if n % 4 + 4 == n % 8:
        while nn % 8 == 0:
            nn //= 2
        if nn - 1 in _PRIMES:
            h = _paley_prime(nn - 1)
            while nn < nceil:
                h, nn = _double(h), nn * 2
            return h
    if n > _PRIMES[-1]:
        return None
    q = min(p for p in _PRIMES if p >= n)
    if q + 1 > nceil + 4 and nceil + 4 < nmax:
        return _paley(nceil + 3, 2 * (nceil + 3))
    return None if q > nmax else _paley_prime(q)


def r_hadamard(n: int) -> tuple[int, np.ndarray | None]:
    """The order of R's `hadamard(n)` for n strata and its +-1 matrix (None where the matrix is
    one of R's tables, or doubles one)."""
    m = n - n % 4
    for size in STORED:
        if m < size <= m + 4:
            return size, _stored(size, size)
    sizes = [size * 2 ** max(0, math.ceil(math.log2((n + 1) / size))) for size in STORED]
    best = int(np.argmin([size - n for size in sizes]))
    if sizes[best] - n > 4:
        paley = _paley(n, sizes[best])
        if paley is not None:
            return paley.shape[0], paley
    return sizes[best], _stored(STORED[best], sizes[best])


def _stored(size: int, order: int) -> np.ndarray | None:
    """R's stored matrix of `size`, doubled up to `order`; None for R's own tables."""
    if size in TABULATED:
        return None
    return _double(_sylvester(size), (order // size).bit_length() - 1)


def brr_factors(bound: BoundDesign, rho: float = 0.0) -> np.ndarray:
    """BRR (rho = 0) or Fay factors, PSUs x replicates, in R's stratum and PSU order."""
    groups = units_by_stratum(bound)
    for h, units in enumerate(groups):
        if len(units) != 2:
            raise AnalysisError(E.REP_BRR_PAIRS, stratum=bound.stratum_label(0, h), count=len(units))
    order, matrix = r_hadamard(len(groups))
    if matrix is None:
        raise AnalysisError(E.REP_HADAMARD, strata=len(groups), order=order)
    labels = [r_label(value) for value in bound.stratum_values()]
    ranked = sorted(range(len(groups)), key=lambda h: (labels[h].casefold(), labels[h].swapcase()))
    pairs = np.array([groups[h] for h in ranked])  # k-th stratum in R's order: its two PSUs
    signs = matrix[1 : len(groups) + 1]  # strata x replicates
    factors = np.empty((bound.stages[0].n_units, order))
    factors[pairs[:, 0]] = np.where(signs > 0, 2 - rho, rho)
    factors[pairs[:, 1]] = np.where(signs > 0, rho, 2 - rho)
    return factors


def r_label(value: Any) -> str:
    """A stratum value as R's `as.character()` writes it: 15 significant digits for numbers,
    TRUE/FALSE for logicals."""
    if isinstance(value, bool | np.bool_):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float | np.integer | np.floating):
        number = float(value)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else f"{number:.15g}"
    return str(value)
