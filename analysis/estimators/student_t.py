"""Student's t quantile (R's `qt`) in plain Python, so that an interval does not import scipy.

`scipy.special` costs about 0.15 s to import (it builds array-API namespaces over numpy), more than
a whole 1M-row estimate of the command line; a Wald interval needs one t quantile. The upper tail is
P(T > t) = I_x(nu/2, 1/2) / 2 with x = nu / (nu + t^2) (Abramowitz & Stegun 26.7.1 and 26.5.27),
the regularised incomplete beta by its continued fraction (A&S 26.5.8, evaluated with the modified
Lentz method, Press et al., *Numerical Recipes*, sec. 6.4), and the quantile by Newton's method on
log P(T > t) against log t from the Cornish-Fisher start (A&S 26.7.5). log B(nu/2, 1/2) uses the
asymptotic series of log Gamma(a + 1/2) - log Gamma(a) for large a (Graham, Knuth & Patashnik,
*Concrete Mathematics*, 9.6), where the difference of two `lgamma` values would lose digits. Agrees
with `scipy.special.stdtrit` (Boost) to about 1e-15 relative. Must not import scipy.
"""

from __future__ import annotations

import math
from statistics import NormalDist

_EPS = 1e-16
_TINY = 1e-300


def t_quantile(prob: float, df: float) -> float:
    """R's `qt(prob, df)`: NaN for df <= 0 or prob outside [0, 1], `qnorm` for an infinite df."""
    if not (df > 0) or not (0 <= prob <= 1):
        return math.nan
    if prob == 0.5:
        return 0.0
    if prob in (0.0, 1.0):
        return math.copysign(math.inf, prob - 0.5)
    if math.isinf(df):
        return NormalDist().inv_cdf(prob)
    # 1 - prob is exact for prob in [0.5, 1] (Sterbenz), so the upper tail loses nothing
    upper = _upper_quantile(1.0 - prob if prob > 0.5 else prob, df)
    return upper if prob > 0.5 else -upper


def _upper_quantile(q: float, df: float) -> float:
    """The t > 0 with P(T > t) = q, for 0 < q < 1/2: Newton on log t, on the upper tail or, near
    the centre, on P(0 < T < t) = 1/2 - q (exact for q >= 1/4), whichever is not a cancellation."""
    z = -NormalDist().inv_cdf(q)
    start, last = _cornish_fisher(z, df)
    if last < 1e-17 * z:  # large df: the expansion is exact to rounding, where the continued
        return start  # fraction would lose digits (its terms cancel as x = df / (df + t^2) nears 1)
    if df < 4 or not start > 0:  # the expansion is poor for very small df
        start = max(start, z, 1e-3)
    centre = q >= 0.25
    s, target = math.log(start), math.log(0.5 - q if centre else q)
    for _ in range(100):
        t = math.exp(s)
        upper, inner = _split(t, df)
        p = inner if centre else upper
        slope = t * _density(t, df) / p
        step = (target - math.log(p)) / slope if centre else (math.log(p) - target) / slope
        s += step
        if abs(step) < 4 * _EPS:
            break
    return math.exp(s)


def _cornish_fisher(z: float, df: float) -> tuple[float, float]:
    """The t quantile from the normal one z to 1/df^5 (A&S 26.7.5; the fifth term from Hill 1970,
    CACM 13:619), and the size of that last term (the error is well below it)."""
    z2 = z * z
    g1 = (z2 + 1) * z / 4
    g2 = ((5 * z2 + 16) * z2 + 3) * z / 96
    g3 = (((3 * z2 + 19) * z2 + 17) * z2 - 15) * z / 384
    g4 = ((((79 * z2 + 776) * z2 + 1482) * z2 - 1920) * z2 - 945) * z / 92160
    g5 = (((((27 * z2 + 339) * z2 + 930) * z2 - 1782) * z2 - 765) * z2 + 17955) * z / 368640
    last = g5 / df**5
    return z + (g1 + (g2 + (g3 + (g4 + g5 / df) / df) / df) / df) / df, abs(last)


def _split(t: float, df: float) -> tuple[float, float]:
    """P(T > t) and P(0 < T < t) for t > 0, the smaller one from its own continued fraction."""
    a = df / 2
    t2 = t * t
    # x = df / (df + t^2) and 1 - x = t^2 / (df + t^2), each without cancellation
    log_x = -math.log1p(t2 / df)
    log_1mx = math.log(t2) - math.log(df + t2) if t2 < df else -math.log1p(df / t2)
    front = math.exp(a * log_x + 0.5 * log_1mx - _log_beta_half(a))
    if math.exp(log_x) < (a + 1) / (a + 2.5):
        upper = front * _beta_fraction(a, 0.5, math.exp(log_x)) / a / 2
        return upper, 0.5 - upper
    inner = front * _beta_fraction(0.5, a, math.exp(log_1mx)) / 0.5 / 2
    return 0.5 - inner, inner


def _density(t: float, df: float) -> float:
    """The t density at t."""
    return math.exp(-(df + 1) / 2 * math.log1p(t * t / df) - _log_beta_half(df / 2)) / math.sqrt(df)


def _log_beta_half(a: float) -> float:
    """log B(a, 1/2) = log sqrt(pi) + log Gamma(a) - log Gamma(a + 1/2)."""
    if a < 20:
        ratio = math.log(math.gamma(a + 0.5) / math.gamma(a)) if a < 150 else 0.0
    else:
        inv = 1 / a
        inv2 = inv * inv
        ratio = 0.5 * math.log(a) - inv * (
            1 / 8 - inv2 * (1 / 192 - inv2 * (1 / 640 - inv2 * (17 / 14336 - inv2 * 31 / 18432)))
        )
    return 0.5 * math.log(math.pi) - ratio


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (A&S 26.5.8), by the modified Lentz method."""
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 100_000):
        for numerator in (
            m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
            -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1)),
        ):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > _TINY else _TINY)
            c = 1 + numerator / c
            c = c if abs(c) > _TINY else _TINY
            h *= d * c
        if abs(d * c - 1) < _EPS:
            break
    return h
