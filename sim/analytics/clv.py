"""Customer lifetime value (CLV): what a customer is worth, realised, predicted and in theory.

CLV is the present value of the margin a customer brings over the relationship (Gupta &
Lehmann 2003; Gupta, Lehmann & Stuart 2004). Three views of it live here:

* **realised CLV** (:func:`realised_clv`, :func:`mean_realised_clv`): the margin a customer has
  brought *so far*, discounted to day 0. It is a fact of the records, not a forecast.
* **predicted CLV** (:func:`predicted_clv`): the remaining value of each active customer,
  estimated from observable data only (a thin wrapper of
  :func:`sim.analytics.churn_model.predicted_value`, so the two can never disagree).
* **closed forms** (:func:`gupta_lehmann_clv`, :func:`continuous_clv`): the textbook value of a
  customer with constant margin and constant retention, in discrete and continuous time, over
  an infinite or a finite horizon. They are what a course derives on the board, and what the
  simulation's ground truth uses (``truth.expected_remaining_value = m / (h + delta)``).

Summed over the active customers, CLV is **customer equity** (:func:`customer_equity`), the
value of the customer base as an asset (Rust, Lemon & Zeithaml 2004; Gupta & Lehmann 2005).

Timing conventions matter
-------------------------
Formulas for "the same" CLV differ by a whole period of margin depending on *when* margins are
received and whether the first one is certain (Fader & Hardie 2012, "Reconciling and clarifying
CLV formulas"). :func:`gupta_lehmann_clv` states both conventions exactly and lets the caller
choose; the two differ by exactly one margin ``m``.

References
----------
* Gupta, S. & Lehmann, D. R. (2003). Customers as assets. *Journal of Interactive Marketing*
  17(1), 9-24.
* Gupta, S., Lehmann, D. R. & Stuart, J. A. (2004). Valuing customers. *Journal of Marketing
  Research* 41(1), 7-18.
* Gupta, S. & Lehmann, D. R. (2005). *Managing Customers as Investments*. Wharton School
  Publishing.
* Fader, P. S. & Hardie, B. G. S. (2012). Reconciling and clarifying CLV formulas. Note,
  brucehardie.com/notes/024.
* Rust, R. T., Lemon, K. N. & Zeithaml, V. A. (2004). Return on marketing: using customer
  equity to focus marketing strategy. *Journal of Marketing* 68(1), 109-127.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .records import segment_codes

__all__ = [
    "continuous_clv",
    "continuous_discount_rate",
    "customer_equity",
    "customer_equity_by_segment",
    "discounted_margin_from_log",
    "gupta_lehmann_clv",
    "margin_multiple",
    "mean_realised_clv",
    "predicted_clv",
    "realised_clv",
]

_TIMINGS = ("end", "start")
_BASES = ("truth", "predicted")


# --------------------------------------------------------------------------------------------
# Realised CLV: the records
# --------------------------------------------------------------------------------------------

def realised_clv(customers: pd.DataFrame) -> pd.Series:
    """Realised CLV of every customer: margin to date, discounted to day 0 (EUR).

    ``realised_clv_j = sum over purchase days d of margin_jd x exp(-delta (d + 1/2))``, with
    ``margin = revenue x segment gross margin - cost to serve`` and the continuous daily discount
    rate ``delta = ln(1 + annual_discount_rate) / 365``; each day's purchases count at the middle
    of their day. This is the ``discounted_margin`` column of the customer table, which the
    engine accumulates purchase by purchase.

    Why the column and not the transaction log: the log records amounts (and purchase counts),
    not margins. The margin of a log row follows from the segment's terms (gross margin share
    and cost per purchase, see :func:`discounted_margin_from_log`, which reproduces the column
    exactly), but the column needs no scenario and also works on a ``view.customers`` table.
    Purchases before day 0 of the customers already on the books at day 0 are in neither: the
    realised CLV of those customers is the part of their relationship inside the run.

    Parameters
    ----------
    customers : pandas.DataFrame
        Shaped like ``result.customers`` (needs ``customer_id`` and ``discounted_margin``).

    Returns
    -------
    pandas.Series
        EUR per customer (negative if service cost more than the purchases earned), indexed by
        ``customer_id``, named ``"realised_clv"``.
    """
    _require(customers, ("customer_id", "discounted_margin"), "customers")
    return pd.Series(customers["discounted_margin"].to_numpy(dtype=float),
                     index=pd.Index(customers["customer_id"].to_numpy(), name="customer_id"),
                     name="realised_clv")


def mean_realised_clv(customers: pd.DataFrame) -> float:
    """Mean realised CLV of the customers acquired during the run (EUR per customer).

    The mean of :func:`realised_clv` over customers whose ``channel`` is not ``"initial"``
    (DESIGN section 7, ``Result.summary()["realised_clv"]``). Customers on the books at day 0
    are left out: their relationship started before the records, so their margin to date is
    only its tail.

    Parameters
    ----------
    customers : pandas.DataFrame
        Shaped like ``result.customers`` (needs ``channel`` and ``discounted_margin``).

    Returns
    -------
    float
        EUR per customer; NaN when nobody was acquired.
    """
    _require(customers, ("customer_id", "channel", "discounted_margin"), "customers")
    new = (customers["channel"] != "initial").to_numpy()
    if not new.any():
        return math.nan
    return float(customers["discounted_margin"].to_numpy(dtype=float)[new].mean())


def discounted_margin_from_log(transactions: pd.DataFrame, customers: pd.DataFrame,
                               scenario) -> pd.Series:
    """Realised discounted margin per customer, rebuilt from the transaction log (EUR).

    Each log row (one customer, one day ``d``) earns
    ``margin = amount x gross_margin_s - purchases x cost_per_purchase_s``, with the terms of
    the customer's segment ``s`` from the scenario, discounted as in :func:`realised_clv`:
    ``x exp(-delta (d + 1/2))``, ``delta = ln(1 + annual_discount_rate) / 365``. The sum per
    customer equals ``customers.discounted_margin`` (up to rounding), which makes this a check
    of the definition, and a way to value a log cut at another day (filter the rows first).

    Parameters
    ----------
    transactions : pandas.DataFrame
        ``result.transactions`` (``customer_id``, ``day``, ``amount`` in EUR, ``purchases``).
    customers : pandas.DataFrame
        ``result.customers`` (``customer_id``, ``segment``): the segment of each customer.
    scenario : sim.Scenario
        The run's scenario (``segments`` with ``name``, ``margin``, ``cost_per_purchase``, and
        ``annual_discount_rate``).

    Returns
    -------
    pandas.Series
        EUR per customer of ``customers`` (0 for those without a row in the log), indexed by
        ``customer_id``, named ``"discounted_margin"``.
    """
    _require(transactions, ("customer_id", "day", "amount", "purchases"), "transactions")
    _require(customers, ("customer_id", "segment"), "customers")
    ids = customers["customer_id"].to_numpy()
    tx_ids = transactions["customer_id"].to_numpy()
    row = pd.Index(ids).get_indexer(tx_ids)  # each transaction's row in customers
    if (row < 0).any():
        missing = tx_ids[row < 0][:5]
        raise ValueError(f"transactions: customer_id {missing.tolist()} not in customers "
                         "(first five shown)")
    # Margin share and cost per purchase by segment code; a segment the scenario does not
    # know (or none: code -1, the appended last entry) gives NaN.
    codes, names = segment_codes(customers)
    known = {s.name: s for s in scenario.segments}
    gross = np.array([known[n].margin if n in known else np.nan for n in names] + [np.nan],
                     dtype=float)
    serve = np.array([known[n].cost_per_purchase if n in known else np.nan for n in names]
                     + [np.nan], dtype=float)
    seg = codes[row]
    margin = (transactions["amount"].to_numpy(dtype=float) * gross[seg]
              - transactions["purchases"].to_numpy(dtype=float) * serve[seg])
    delta = continuous_discount_rate(scenario.annual_discount_rate, unit_days=1.0)
    discounted = margin * np.exp(-delta * (transactions["day"].to_numpy(dtype=float) + 0.5))
    total = np.bincount(row, weights=discounted, minlength=ids.size)
    return pd.Series(total, index=pd.Index(ids, name="customer_id"), name="discounted_margin")


# --------------------------------------------------------------------------------------------
# Predicted CLV: observable estimate
# --------------------------------------------------------------------------------------------

def predicted_clv(customers: pd.DataFrame, *, horizon_days: float = 3 * 365,
                  annual_discount_rate: float = 0.10) -> pd.Series:
    """Predicted remaining CLV of every active customer, from observable data (EUR).

    ``value = m (1 - exp(-(h + delta) H)) / (h + delta)``: :func:`continuous_clv` with the
    customer's observed margin per day ``m``, the churn hazard ``h`` observed in their segment,
    ``delta = ln(1 + annual_discount_rate) / 365`` and horizon ``H = horizon_days``. The
    estimate is :func:`sim.analytics.churn_model.predicted_value` (see it for how ``m`` and
    ``h`` are measured), wrapped here so CLV has one home and the strategies' estimate and the
    reports' estimate stay the same number.

    Parameters
    ----------
    customers : pandas.DataFrame
        Shaped like ``view.customers`` or ``result.customers`` (all customers: the lost ones
        inform the hazard).
    horizon_days : float
        Horizon ``H`` (days, >= 0; ``math.inf`` for the whole expected relationship).
    annual_discount_rate : float
        Yearly discount rate (fraction, > -1).

    Returns
    -------
    pandas.Series
        EUR per active customer, indexed by ``customer_id``, named ``"predicted_clv"``.
    """
    # Imported here: churn_model pulls in scikit-learn, which the rest of this module avoids.
    from .churn_model import predicted_value

    value = predicted_value(customers, horizon_days=horizon_days,
                            annual_discount_rate=annual_discount_rate)
    return value.rename("predicted_clv")


# --------------------------------------------------------------------------------------------
# Closed forms
# --------------------------------------------------------------------------------------------

def margin_multiple(retention, discount_rate, *, timing: str = "end", periods=None):
    """Gupta-Lehmann margin multiple: CLV per unit of margin per period (dimensionless).

    With ``q = r / (1 + i)`` (retention ``r`` per period, discount rate ``i`` per period):

    * ``timing="end"``: margins at the *end* of periods 1, 2, ...; the margin of period ``t``
      is received only if the customer survives ``t`` periods (probability ``r**t``) and is
      discounted by ``(1 + i)**t``. Infinite horizon: ``sum_{t>=1} q**t = r / (1 + i - r)``.
      Over ``N`` periods: ``q (1 - q**N) / (1 - q)``.
    * ``timing="start"``: margins at the *start* of periods 0, 1, ...; the first is certain
      (the customer is there now). Infinite horizon: ``sum_{t>=0} q**t = (1 + i) / (1 + i -
      r)``. Over ``N`` periods (``t = 0 .. N-1``): ``(1 - q**N) / (1 - q)``.

    The two differ by exactly one margin: ``start = 1 + end`` (infinite horizon). When
    ``q = 1`` the finite sums are ``N``.

    Parameters
    ----------
    retention : float or array-like
        ``r``, probability of staying one more period (fraction, 0 to 1).
    discount_rate : float or array-like
        ``i``, discount rate per period (fraction, > -1).
    timing : {"end", "start"}
        When margins are received (see above).
    periods : int, array-like or None
        Horizon ``N`` in periods (>= 0); None for an infinite horizon, which needs
        ``1 + i - r > 0`` (else the series diverges).

    Returns
    -------
    float or numpy.ndarray
        A float for scalar inputs, else an array broadcast from the inputs.

    References
    ----------
    Gupta & Lehmann (2003), eq. for CLV with constant margin and retention; Gupta & Lehmann
    (2005), ch. 2 (the "margin multiple"); Fader & Hardie (2012) on the timing conventions.
    """
    r = _as_float("retention", retention)
    i = _as_float("discount_rate", discount_rate)
    if np.any((r < 0) | (r > 1)):
        raise ValueError(f"retention = {retention}: must be 0 to 1 (probability per period)")
    if np.any(i <= -1):
        raise ValueError(f"discount_rate = {discount_rate}: must be > -1 (fraction per period)")
    if timing not in _TIMINGS:
        raise ValueError(f"timing = {timing!r}: must be one of {_TIMINGS}")
    q = r / (1.0 + i)
    if periods is None:
        if np.any(1.0 + i - r <= 0):
            raise ValueError(f"retention = {retention}, discount_rate = {discount_rate}: an "
                             "infinite horizon needs 1 + discount_rate - retention > 0 (the "
                             "series diverges otherwise); give a finite `periods`")
        first = 1.0 if timing == "start" else q
        return _out(first / (1.0 - q))
    n = _as_float("periods", periods)
    if np.any((n < 0) | (n != np.floor(n))):
        raise ValueError(f"periods = {periods}: must be a whole number >= 0 (or None)")
    first = 1.0 if timing == "start" else q
    with np.errstate(divide="ignore", invalid="ignore"):
        # The geometric sum (1 - q^N) / (1 - q); q = 1 (r = 1 + i) is its limit N, and q = 0
        # gives 1 - 0^N: 1 for N >= 1 (numpy's 0.0 ** 0 is 1, so N = 0 gives 0).
        geometric = np.where(np.isclose(q, 1.0, rtol=0.0, atol=1e-12), n,
                             (1.0 - q ** n) / (1.0 - q))
    return _out(first * geometric)


def gupta_lehmann_clv(margin, retention, discount_rate, *, timing: str = "end", periods=None):
    """CLV with constant margin and retention per period (Gupta & Lehmann 2003), in EUR.

    ``CLV = m x margin_multiple(r, i)``; with the default timing (margin at the end of each
    period, the first one after one period, received only if the customer survives the period)
    and an infinite horizon::

        CLV = sum_{t=1}^inf m r^t / (1 + i)^t = m r / (1 + i - r)

    With margins at the start of each period (the first one now, certain)::

        CLV = sum_{t=0}^inf m r^t / (1 + i)^t = m (1 + i) / (1 + i - r)

    Finite horizons of ``N`` periods and the exact conventions are in :func:`margin_multiple`.
    Valid for any period length as long as ``m``, ``r`` and ``i`` refer to the same period
    (e.g. a year: annual margin, annual retention, annual discount rate).

    Parameters
    ----------
    margin : float or array-like
        ``m``, margin per period (EUR per customer and period; may be negative).
    retention : float or array-like
        ``r``, retention probability per period (0 to 1).
    discount_rate : float or array-like
        ``i``, discount rate per period (fraction, > -1).
    timing : {"end", "start"}
        When margins are received.
    periods : int, array-like or None
        Horizon in periods (None: infinite, needs ``1 + i - r > 0``).

    Returns
    -------
    float or numpy.ndarray
        EUR per customer.

    Examples
    --------
    >>> round(gupta_lehmann_clv(100.0, 0.8, 0.1), 6)        # 100 x 0.8 / 0.3
    266.666667
    >>> round(gupta_lehmann_clv(100.0, 0.8, 0.1, timing="start"), 6)   # 100 x 1.1 / 0.3
    366.666667
    """
    m = _as_float("margin", margin)
    if np.any(~np.isfinite(m)):
        raise ValueError(f"margin = {margin}: must be finite (EUR per period)")
    return _out(m * margin_multiple(retention, discount_rate, timing=timing, periods=periods))


def continuous_clv(margin_rate, hazard, delta, *, horizon=None):
    """CLV in continuous time: margin rate ``m``, churn hazard ``h``, discount rate ``delta``.

    A customer who earns margin at rate ``m`` while alive, leaves at constant hazard ``h``
    (exponential lifetime, survival ``exp(-h t)``), with continuous discounting at ``delta``::

        CLV = integral_0^H m exp(-(h + delta) t) dt = m (1 - exp(-(h + delta) H)) / (h + delta)

    which is ``m / (h + delta)`` for an infinite horizon (needs ``h + delta > 0``) and ``m H``
    when ``h + delta = 0``. It is the continuous counterpart of :func:`gupta_lehmann_clv`: with
    ``r = exp(-h)`` and ``i = exp(delta) - 1`` per unit of time, margin that flows continuously
    instead of in lumps. The simulation's ``truth.expected_remaining_value`` is this formula
    per day, at each customer's baseline hazard.

    All three rates must use the same unit of time (e.g. per day: ``m`` in EUR/day, ``h`` per
    day, ``delta = continuous_discount_rate(annual, unit_days=1)``).

    Parameters
    ----------
    margin_rate : float or array-like
        ``m``, margin per unit of time (EUR; may be negative).
    hazard : float or array-like
        ``h``, churn hazard per unit of time (>= 0); expected lifetime ``1 / h``.
    delta : float or array-like
        Continuous discount rate per unit of time, ``ln(1 + i)`` for a discount rate ``i``
        (see :func:`continuous_discount_rate`).
    horizon : float, array-like or None
        ``H`` in units of time (>= 0); None or ``inf`` for an infinite horizon.

    Returns
    -------
    float or numpy.ndarray
        EUR per customer.

    References
    ----------
    Gupta & Lehmann (2003), continuous-time version; Fader & Hardie (2012).
    """
    m = _as_float("margin_rate", margin_rate)
    h = _as_float("hazard", hazard)
    d = _as_float("delta", delta)
    if np.any(~np.isfinite(m)):
        raise ValueError(f"margin_rate = {margin_rate}: must be finite (EUR per unit time)")
    if np.any(~np.isfinite(h) | (h < 0)):
        raise ValueError(f"hazard = {hazard}: must be finite and >= 0 (per unit time)")
    if np.any(~np.isfinite(d)):
        raise ValueError(f"delta = {delta}: must be finite (continuous rate per unit time)")
    k = h + d
    if horizon is None:
        big_h = np.asarray(np.inf)
    else:
        big_h = _as_float("horizon", horizon)
        if np.any(np.isnan(big_h) | (big_h < 0)):
            raise ValueError(f"horizon = {horizon}: must be >= 0 (units of time) or None")
    if np.any(np.isinf(big_h) & (k <= 0)):
        raise ValueError(f"hazard = {hazard}, delta = {delta}: an infinite horizon needs "
                         "hazard + delta > 0 (the integral diverges otherwise)")
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # -expm1(-k H) / k is (1 - e^{-kH}) / k without cancellation for small kH; k = 0 is the
        # limit H. An infinite H gives 1 / k (expm1(-inf) = -1).
        span = np.where(np.abs(k) > 1e-15, -np.expm1(-k * big_h) / k, big_h)
    return _out(m * span)


def continuous_discount_rate(annual_rate, unit_days: float = 365.0):
    """Continuous discount rate per unit of time: ``delta = ln(1 + i) x unit_days / 365``.

    Discounting continuously at ``delta`` per year, ``exp(-delta)``, equals discounting once a
    year at ``1 / (1 + i)``; per unit of ``unit_days`` days it scales linearly (per day:
    ``ln(1 + i) / 365``, the engine's convention).

    Parameters
    ----------
    annual_rate : float or array-like
        ``i``, the effective yearly discount rate (fraction, > -1).
    unit_days : float
        Length of the unit of time in days (> 0): 365 per year, 1 per day.

    Returns
    -------
    float or numpy.ndarray
        ``delta`` per unit of time.
    """
    i = _as_float("annual_rate", annual_rate)
    if np.any(i <= -1):
        raise ValueError(f"annual_rate = {annual_rate}: must be > -1 (fraction per year)")
    if not unit_days > 0:
        raise ValueError(f"unit_days = {unit_days}: must be > 0 (days)")
    return _out(np.log1p(i) * unit_days / 365.0)


# --------------------------------------------------------------------------------------------
# Customer equity
# --------------------------------------------------------------------------------------------

def customer_equity(result, *, basis: str = "truth", horizon_days: float = math.inf) -> float:
    """Customer equity of a run's final customer base: the sum of CLV over active customers.

    * ``basis="truth"``: the ground truth, ``sum of truth.expected_remaining_value`` over the
      customers active at the end, each ``m / (h + delta)`` at their latent margin rate and
      baseline hazard (infinite horizon; ``horizon_days`` is not used). This is
      ``result.summary()["customer_equity"]``.
    * ``basis="predicted"``: what the firm can estimate, the sum of :func:`predicted_clv` over
      the same customers, at the scenario's discount rate and the given horizon (infinite by
      default, to be comparable with the truth).

    Parameters
    ----------
    result : sim.Result
        A finished run.
    basis : {"truth", "predicted"}
        Which CLV is summed.
    horizon_days : float
        Horizon of the predicted CLV (days, >= 0); ignored for the truth.

    Returns
    -------
    float
        EUR.

    References
    ----------
    Rust, Lemon & Zeithaml (2004); Gupta & Lehmann (2005).
    """
    if basis not in _BASES:
        raise ValueError(f"basis = {basis!r}: must be one of {_BASES}")
    if basis == "truth":
        return float(_truth_active(result).sum())
    return float(predicted_clv(result.customers, horizon_days=horizon_days,
                               annual_discount_rate=result.scenario.annual_discount_rate).sum())


def customer_equity_by_segment(result, *, horizon_days: float = math.inf) -> pd.DataFrame:
    """Customer equity per segment, ground truth beside the observable estimate.

    Parameters
    ----------
    result : sim.Result
        A finished run.
    horizon_days : float
        Horizon of the predicted CLV (days, >= 0).

    Returns
    -------
    pandas.DataFrame
        One row per segment of the scenario (index ``segment``): ``active`` (customers active
        at the end), ``truth`` and ``predicted`` equity (EUR), as in :func:`customer_equity`.
        The column totals equal :func:`customer_equity` of each basis.
    """
    names = list(result.scenario.segment_names)
    cu = result.customers
    segment = pd.Series(cu["segment"].astype(str).to_numpy(), index=cu["customer_id"].to_numpy())
    truth = _truth_active(result)
    predicted = predicted_clv(cu, horizon_days=horizon_days,
                              annual_discount_rate=result.scenario.annual_discount_rate)
    active = segment[(cu["status"] == "active").to_numpy()]
    out = pd.DataFrame({
        "active": active.value_counts().reindex(names, fill_value=0).astype(int),
        "truth": truth.groupby(segment.reindex(truth.index).to_numpy()).sum()
        .reindex(names, fill_value=0.0),
        "predicted": predicted.groupby(segment.reindex(predicted.index).to_numpy()).sum()
        .reindex(names, fill_value=0.0),
    })
    out.index.name = "segment"
    return out


def _truth_active(result) -> pd.Series:
    """Ground-truth remaining value of the customers active at the end (the summary's rule)."""
    cu, truth = result.customers, result.truth
    active = truth["customer_id"].isin(cu.loc[cu["status"] == "active", "customer_id"])
    return pd.Series(truth.loc[active, "expected_remaining_value"].to_numpy(dtype=float),
                     index=truth.loc[active, "customer_id"].to_numpy())


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

def _require(frame: pd.DataFrame, columns, name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise KeyError(f"{name}: missing column(s) {missing}; has {list(frame.columns)}")


def _as_float(name: str, value) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} = {value!r}: must be a number or an array of numbers") from None
    if np.any(np.isnan(arr)):
        raise ValueError(f"{name} = {value}: must not be NaN")
    return arr


def _out(value):
    arr = np.asarray(value, dtype=float)
    return float(arr) if arr.ndim == 0 else arr
