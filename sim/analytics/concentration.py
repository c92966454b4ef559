"""How unequally customers contribute: Lorenz curve, top-k shares, Gini coefficient.

A customer base is rarely equal: a minority brings most of the revenue (the "80/20 rule" of
CRM courses). These measures say how strongly, from one number per customer (revenue or
purchases, non-negative). They are the reason the strategic CRM levers target: when the top
fifth brings most of the value, keeping them matters most.

* :func:`lorenz_curve`: the points of the Lorenz curve (Lorenz 1905);
* :func:`top_share` / :func:`top_shares`: share of the total held by the top fraction of
  customers (``top_share`` *is* :func:`sim.result.top_share`, the summary's KPI, re-exported so
  both always agree);
* :func:`gini`: the Gini coefficient (Gini 1912), 0 for perfect equality.

References
----------
* Lorenz, M. O. (1905). Methods of measuring the concentration of wealth. *Publications of the
  American Statistical Association* 9(70), 209-219.
* Gini, C. (1912). *Variabilità e mutabilità*. Bologna.
* Cowell, F. A. (2011). *Measuring Inequality*, 3rd ed. Oxford University Press, ch. 2 and
  technical appendix (the formulas below).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..result import top_share

__all__ = ["gini", "lorenz_curve", "top_share", "top_shares"]


def lorenz_curve(values) -> pd.DataFrame:
    """Points of the Lorenz curve: share of customers against their share of the total.

    Sort the ``n`` values ascending, ``x_(1) <= ... <= x_(n)``; point ``k`` (``k = 0 .. n``) is
    ``(k / n, (x_(1) + ... + x_(k)) / total)``: the poorest ``k / n`` of the customers hold
    that share. The curve starts at ``(0, 0)``, ends at ``(1, 1)``, never rises above the
    diagonal (perfect equality) and is convex; straight lines between the points are the
    curve of the empirical distribution.

    Parameters
    ----------
    values : array-like
        Non-negative amounts, one per customer (e.g. revenue in EUR).

    Returns
    -------
    pandas.DataFrame
        ``n + 1`` rows, columns ``customer_share`` and ``value_share`` (fractions, 0 to 1).
    """
    v = _values(values)
    if v.size == 0:
        raise ValueError("values: empty; the Lorenz curve needs at least one customer")
    total = v.sum()
    if total <= 0:
        raise ValueError("values: all zero; the Lorenz curve needs a positive total")
    cumulative = np.concatenate([[0.0], np.cumsum(np.sort(v))]) / total
    cumulative[-1] = 1.0  # exactly, whatever the rounding of the running sum
    return pd.DataFrame({"customer_share": np.arange(v.size + 1) / v.size,
                         "value_share": cumulative})


def top_shares(values, tops=(0.01, 0.05, 0.1, 0.2, 0.5)) -> pd.Series:
    """Share of the total held by the top ``t`` of customers, for each ``t`` in ``tops``.

    Each entry is :func:`top_share` (``sim.result.top_share``): the ``ceil(t n)`` largest
    values over the total, at least one customer.

    Parameters
    ----------
    values : array-like
        Non-negative amounts, one per customer (EUR).
    tops : sequence of float
        Fractions of customers, each in (0, 1].

    Returns
    -------
    pandas.Series
        Share (fraction) per ``t``, indexed by ``t`` (named ``"top"``); NaN if the total is 0.
    """
    v = _values(values)
    tops = [float(t) for t in tops]
    bad = [t for t in tops if not 0.0 < t <= 1.0]
    if bad:
        raise ValueError(f"tops = {bad}: each must be in (0, 1] (fraction of customers)")
    return pd.Series([top_share(v, t) for t in tops], index=pd.Index(tops, name="top"),
                     name="share", dtype=float)


def gini(values, *, small_sample: bool = False) -> float:
    """Gini coefficient of non-negative amounts: 0 when everyone holds the same.

    The estimator used by default is the Gini of the *empirical distribution* (the "plug-in"
    estimator): half the mean absolute difference over all ordered pairs, relative to the mean,

    ``G = sum_i sum_j |x_i - x_j| / (2 n^2 mean)
        = 2 sum_k k x_(k) / (n sum x) - (n + 1) / n``   (``x_(k)`` sorted ascending),

    which is one minus twice the area under :func:`lorenz_curve` (trapezoids between its
    points). It is 0 for a uniform population and ``(n - 1) / n`` when one customer holds
    everything, so it cannot reach 1 in a finite sample.

    ``small_sample=True`` multiplies by ``n / (n - 1)`` (pairs ``i != j`` only, the mean
    difference of two *different* customers): 1 when one customer holds everything, and less
    biased downward in small samples.

    Parameters
    ----------
    values : array-like
        Non-negative amounts, one per customer (EUR). Negative amounts (a margin) are refused:
        the Gini of signed amounts can exceed 1 and has no Lorenz reading.
    small_sample : bool
        Apply the ``n / (n - 1)`` correction.

    Returns
    -------
    float
        0 to ``(n - 1) / n`` (0 to 1 corrected); NaN for no customer or a zero total (and
        corrected, for a single customer).

    References
    ----------
    Gini (1912); Cowell (2011), technical appendix A.
    """
    v = _values(values)
    n = v.size
    total = v.sum()
    if n == 0 or total <= 0:
        return math.nan
    k = np.arange(1, n + 1, dtype=float)
    g = 2.0 * float(np.dot(k, np.sort(v))) / (n * total) - (n + 1.0) / n
    g = max(g, 0.0)  # a uniform population can round to -1e-17
    if small_sample:
        return g * n / (n - 1.0) if n > 1 else math.nan
    return g


def _values(values) -> np.ndarray:
    v = np.asarray(values, dtype=float).ravel()
    if not np.all(np.isfinite(v)):
        raise ValueError("values: must be finite (no NaN or infinity)")
    if v.size and v.min() < 0:
        raise ValueError(f"values: must be >= 0, smallest is {v.min()} (use revenue rather than "
                         "margin, or clip)")
    return v
