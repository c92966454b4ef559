"""Customer lifetimes: the Kaplan-Meier survival curve with right censoring and delayed entry.

A customer's **lifetime** is the time from acquisition to the first loss, in days of age
(``age = day - acquired_day``). The run observes it only partly:

* **right censoring**: a customer still active at the horizon is known to have lived at least
  ``horizon_days - acquired_day`` days; her lifetime is censored there;
* **left truncation (delayed entry)**: a customer on the books at day 0 was acquired before the
  run (``acquired_day < 0``) and is in the data *because* she survived to day 0. She is
  observed from age ``-acquired_day`` on. Counting her as at risk from age 0 would put into the
  early risk sets people who could not have been seen leaving then (had they left, they would
  not be in the table), so early hazards would be too low and survival too high. Delayed
  entry counts her in the risk set only from the age at which she entered observation.

The **Kaplan-Meier** (product-limit) estimator with delayed entry (Kaplan & Meier 1958;
Klein & Moeschberger 2003, *Survival Analysis*, section 4.6) is::

    S(t) = prod_{t_i <= t} (1 - d_i / n_i),   n_i = #{j : entry_j < t_i <= time_j}

over the distinct event times ``t_i`` with ``d_i`` losses, ``n_i`` being the customers under
observation just before ``t_i``. Its variance is Greenwood's formula
``Var S(t) = S(t)^2 sum_{t_i <= t} d_i / (n_i (n_i - d_i))`` (Greenwood 1926).

**Won-back customers** (``lives > 1``): a lifetime ends at the *first* loss; a win-back starts
a new relationship that is not added to the first (retention is about keeping, not about
winning back). See :func:`first_loss_day` for how the day of that first loss is read.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from statistics import NormalDist

import numpy as np
import pandas as pd

__all__ = ["first_loss_day", "kaplan_meier", "km_estimate", "lifetimes", "median_lifetime",
           "survival_at"]

#: Columns of a Kaplan-Meier curve (:func:`km_estimate`); anything else in a curve is a group.
CURVE_COLUMNS = ("time", "at_risk", "events", "censored", "survival", "se", "lower", "upper")


def first_loss_day(customers: pd.DataFrame, campaigns: pd.DataFrame | None = None) -> pd.Series:
    """Day of each customer's first loss (days since the start of the run; NaN if never lost).

    Rule: a customer counts as retained until the first loss; winning her back does not undo
    it. For a customer never won back (``lives == 1``) that is ``lost_day``. The engine
    overwrites ``lost_day`` when a customer is won back, so for ``lives > 1`` the day of the
    first loss is not in the customers table; it is bounded from above by the first win-back
    (the customer had left before she was won back), and that bound is used:

    1. a ``first_lost_day`` column, if the table has one, is used as it is (exact);
    2. otherwise the first accepted ``winback`` contact in ``campaigns`` (exact first win-back);
    3. otherwise ``won_back_day`` (the *last* win-back: the first one when ``lives == 2``).

    The bound makes won-back customers look retained a little longer than they were: by the
    delay between loss and win-back (at most the ``max_days_lost`` of the win-back strategy).

    Parameters
    ----------
    customers : pandas.DataFrame
        Needs ``lost_day``; uses ``lives``, ``won_back_day``, ``customer_id`` and
        ``first_lost_day`` when present.
    campaigns : pandas.DataFrame, optional
        The campaign log (``result.campaigns``: ``day, customer_id, campaign, accepted``).

    Returns
    -------
    pandas.Series
        Float days, aligned with ``customers``.
    """
    if "first_lost_day" in customers.columns:
        return customers["first_lost_day"].astype(float)
    day = customers["lost_day"].astype(float).copy()
    if "lives" not in customers.columns:
        return day
    again = customers["lives"].to_numpy() > 1
    if not again.any():
        return day
    bound = pd.Series(np.nan, index=customers.index)
    if campaigns is not None and len(campaigns):
        back = campaigns[(campaigns["campaign"] == "winback") & campaigns["accepted"]]
        first_back = back.groupby("customer_id")["day"].min()
        bound = customers["customer_id"].map(first_back).astype(float)
    if "won_back_day" in customers.columns:
        bound = bound.fillna(customers["won_back_day"].astype(float))
    if bound[again].isna().any():
        raise ValueError(
            "customers: some rows have lives > 1 but no day of a win-back (no first_lost_day "
            "column, no accepted winback in campaigns, no won_back_day); the first loss of a "
            "won-back customer cannot be placed")
    day[again] = bound[again]
    return day


def lifetimes(source, *, horizon_days: float | None = None,
              campaigns: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each customer's observed lifetime: entry age, exit age and whether the exit is a loss.

    Ages are days since acquisition. ``entry = max(0, -acquired_day)`` (customers on the books
    at day 0 enter observation at their tenure then; everyone else at 0); ``time`` is the age
    at the first loss (:func:`first_loss_day`) or, for customers not lost, at the horizon
    (right-censored); ``event`` is True for a loss.

    Parameters
    ----------
    source : Result or pandas.DataFrame
        A run, or a customers table (needs ``acquired_day`` and ``lost_day``).
    horizon_days : float, optional
        Days run; required with a customers table, taken from the scenario of a Result.
    campaigns : pandas.DataFrame, optional
        Campaign log for the first win-back of won-back customers; taken from a Result.

    Returns
    -------
    pandas.DataFrame
        The customers table with three columns added: ``entry`` and ``time`` (days of age) and
        ``event`` (bool).
    """
    customers, horizon, campaigns = _customers_of(source, horizon_days, campaigns)
    acquired = customers["acquired_day"].to_numpy(dtype=float)
    loss = first_loss_day(customers, campaigns).to_numpy(dtype=float)
    event = ~np.isnan(loss)
    if np.any(loss[event] > horizon):
        raise ValueError(f"customers: a loss after horizon_days = {horizon:g} "
                         f"(latest lost day {np.nanmax(loss):g}); losses must be in the run")
    if np.any(loss[event] <= acquired[event]):
        raise ValueError("customers: a loss on or before the acquisition day; a lost customer "
                         "must have lost_day > acquired_day")
    if np.any(acquired >= horizon):
        raise ValueError(f"customers: acquired_day must be below horizon_days = {horizon:g}, "
                         f"got up to {acquired.max():g}")
    out = customers.copy()
    out["entry"] = np.maximum(0.0, -acquired)
    out["time"] = np.where(event, loss, horizon) - acquired
    out["event"] = event
    return out


def km_estimate(time, event, entry=None, *, conf_level: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier survival curve with right censoring and delayed entry, Greenwood errors.

    ``S(t) = prod_{t_i <= t} (1 - d_i / n_i)`` over distinct event times ``t_i``, with
    ``d_i`` events at ``t_i`` and the risk set ``n_i = #{j : entry_j < t_i <= time_j}``: a
    subject counts from her entry (delayed entry, left truncation) until she leaves or is
    censored; one censored at ``t_i`` is still at risk at ``t_i`` (the usual convention that
    censoring follows events at tied times). Greenwood's variance
    ``Var S(t) = S(t)^2 sum_{t_i <= t} d_i / (n_i (n_i - d_i))``. The pointwise band is the
    log-log ("exponential Greenwood") interval ``S(t) ** exp(+-z sigma(t) / ln S(t))`` with
    ``sigma^2 = sum d_i / (n_i (n_i - d_i))``, which stays inside [0, 1] (Kalbfleisch &
    Prentice 2002, section 1.4; Klein & Moeschberger 2003, section 4.3).

    With delayed entry only (no subject entering at 0) the curve is survival *conditional* on
    having reached the smallest entry age. Subjects with ``time == entry`` were never at risk
    and are ignored.

    Parameters
    ----------
    time : array-like
        Exit age of each subject (days): loss or censoring, ``>= entry``.
    event : array-like of bool
        True if the exit is a loss (an event), False if censored.
    entry : array-like, optional
        Age at which each subject enters observation (days, ``>= 0``); default all 0.
    conf_level : float
        Confidence level of the band, in (0, 1).

    Returns
    -------
    pandas.DataFrame
        One row at the origin (``time = 0``, survival 1) and one per distinct exit time:
        ``time`` (days), ``at_risk`` (``n_i``; at the origin: subjects under observation at
        0), ``events`` (``d_i``), ``censored``, ``survival`` (``S(t)`` just after ``t``), ``se``
        (Greenwood standard error of ``S``), ``lower``, ``upper`` (band). Where ``S = 0`` the
        Greenwood error is undefined: ``se``, ``lower`` and ``upper`` are NaN.

    References
    ----------
    Kaplan, E. L., & Meier, P. (1958). Nonparametric estimation from incomplete observations.
    *JASA* 53, 457-481. Greenwood, M. (1926). *The Natural Duration of Cancer*. HMSO.
    """
    t = np.asarray(time, dtype=float).ravel()
    d = np.asarray(event).ravel()
    e = np.zeros_like(t) if entry is None else np.asarray(entry, dtype=float).ravel()
    if d.dtype != bool:
        if not np.isin(d, (0, 1)).all():
            raise ValueError("event: must be booleans (or 0/1), True for a loss")
        d = d.astype(bool)
    if not (t.size == d.size == e.size):
        raise ValueError(f"time, event and entry must have the same length, got {t.size}, "
                         f"{d.size} and {e.size}")
    if not (0.0 < conf_level < 1.0):
        raise ValueError(f"conf_level = {conf_level!r}: must be in (0, 1)")
    if np.isnan(t).any() or np.isnan(e).any():
        raise ValueError("time and entry: must not contain NaN")
    if (e < 0).any():
        raise ValueError(f"entry: ages must be >= 0, got {e.min():g}")
    if (t < e).any():
        raise ValueError("time: must be >= entry for every subject (exit after entry)")
    if (d & (t == e)).any():
        raise ValueError("time: a loss at the entry age (time == entry with event True); a "
                         "subject can only leave after entering observation")
    keep = t > e  # time == entry: never at risk, no information
    t, d, e = t[keep], d[keep], e[keep]

    times, inverse = np.unique(t, return_inverse=True)
    events = np.bincount(inverse, weights=d, minlength=times.size).astype(np.int64)
    censored = np.bincount(inverse, minlength=times.size).astype(np.int64) - events
    # n(u) = #{entry < u <= time} = #{entry < u} - #{time < u}, as entry <= time for everyone.
    at_risk = (np.searchsorted(np.sort(e), times, side="left")
               - np.searchsorted(np.sort(t), times, side="left"))
    with np.errstate(divide="ignore", invalid="ignore"):
        step = np.where(events > 0, 1.0 - events / np.maximum(at_risk, 1), 1.0)
        survival = np.cumprod(step)
        # Greenwood's sum; infinite once a risk set is emptied (n = d, S = 0).
        term = np.where(events > 0, events / (at_risk * (at_risk - events).astype(float)), 0.0)
        sigma2 = np.cumsum(term)
        dead = survival <= 0.0
        se = np.where(dead, np.nan, survival * np.sqrt(sigma2))
        z = NormalDist().inv_cdf(0.5 + conf_level / 2.0)
        # log-log band: S ** exp(+-a), a = z sigma / |ln S|; before the first event S = 1,
        # sigma = 0 and the band is [1, 1].
        a = np.where(sigma2 > 0, z * np.sqrt(sigma2) / np.abs(np.log(survival)), 0.0)
        lower = np.where(dead, np.nan, survival ** np.exp(a))
        upper = np.where(dead, np.nan, survival ** np.exp(-a))
    origin = pd.DataFrame({"time": [0.0], "at_risk": [int(np.sum((e <= 0) & (t > 0)))],
                           "events": [0], "censored": [0], "survival": [1.0], "se": [0.0],
                           "lower": [1.0], "upper": [1.0]})
    body = pd.DataFrame({"time": times, "at_risk": at_risk.astype(np.int64), "events": events,
                         "censored": censored, "survival": survival, "se": se,
                         "lower": lower, "upper": upper})
    return pd.concat([origin, body], ignore_index=True)


def kaplan_meier(source, *, by: str | Sequence[str] | None = None,
                 horizon_days: float | None = None, campaigns: pd.DataFrame | None = None,
                 include_before_run: bool = True, conf_level: float = 0.95) -> pd.DataFrame:
    """Kaplan-Meier curve(s) of customer lifetimes (days of age), overall or by group.

    Lifetimes come from :func:`lifetimes` (first loss, censoring at the horizon) and the curve
    from :func:`km_estimate`. Customers on the books at day 0 enter with delayed entry at their
    tenure on day 0 (see the module docstring for why ignoring it biases survival upwards);
    with ``include_before_run=False`` they are left out and the curve describes customers won
    during the run only.

    Parameters
    ----------
    source : Result, pandas.DataFrame, sequence of Result or mapping of label -> Result
        One run, a customers table (then ``horizon_days`` is required), or several runs
        (e.g. strategies): then one curve per run, labelled in a ``strategy`` column by the
        run's strategy name or by the mapping's key.
    by : str or sequence of str, optional
        Customers column(s) to split by, e.g. ``"segment"`` or ``"channel"``.
    horizon_days : float, optional
        Days run, with a customers table.
    campaigns : pandas.DataFrame, optional
        Campaign log, with a customers table (see :func:`first_loss_day`).
    include_before_run : bool
        Whether customers acquired before day 0 are included (with delayed entry).
    conf_level : float
        Level of the pointwise band.

    Returns
    -------
    pandas.DataFrame
        Long format: the group columns (``strategy`` for several runs, then ``by``) followed by
        the columns of :func:`km_estimate` (``time, at_risk, events, censored, survival, se,
        lower, upper``), one curve per group, each starting with its origin row.
    """
    by = [] if by is None else [by] if isinstance(by, str) else list(by)
    if isinstance(source, Mapping):
        runs = dict(source)
    elif isinstance(source, Sequence) and not isinstance(source, str | pd.DataFrame):
        names = [r.strategy for r in source]
        if len(set(names)) < len(names):
            raise ValueError(f"source: several runs share a strategy name ({names}); pass a "
                             "dict label -> Result to tell them apart")
        runs = dict(zip(names, source, strict=True))
    else:
        runs = None
    if runs is not None:
        if not runs:
            raise ValueError("source: no runs given")
        parts = []
        for label, result in runs.items():
            curve = kaplan_meier(result, by=by or None, include_before_run=include_before_run,
                                 conf_level=conf_level)
            curve.insert(0, "strategy", label)
            parts.append(curve)
        return pd.concat(parts, ignore_index=True)

    life = lifetimes(source, horizon_days=horizon_days, campaigns=campaigns)
    missing = [c for c in by if c not in life.columns]
    if missing:
        raise ValueError(f"by = {by!r}: no column {missing} in the customers table; allowed: "
                         f"{list(life.columns)}")
    if not include_before_run:
        life = life[life["acquired_day"] >= 0]
    if not by:
        return km_estimate(life["time"], life["event"], life["entry"], conf_level=conf_level)
    parts = []
    for key, grp in life.groupby(by, observed=True, sort=True):
        curve = km_estimate(grp["time"], grp["event"], grp["entry"], conf_level=conf_level)
        for name, value in zip(by, key, strict=True):
            curve[name] = value
        parts.append(curve[[*by, *CURVE_COLUMNS]])
    return pd.concat(parts, ignore_index=True)


def median_lifetime(curve: pd.DataFrame, by: str | Sequence[str] | None = None):
    """Median lifetime from a Kaplan-Meier curve (days): the first time ``S(t) <= 0.5``.

    ``median = min{t : S(t) <= 0.5}`` (Klein & Moeschberger 2003, section 4.5). NaN when the
    curve stays above one half (too few losses in the run to see half the customers go).

    Parameters
    ----------
    curve : pandas.DataFrame
        Output of :func:`km_estimate` or :func:`kaplan_meier`.
    by : str or sequence of str, optional
        The group columns of a curve holding several groups.

    Returns
    -------
    float or pandas.Series
        One median, or one per group (named ``median_lifetime``, indexed by the group columns)
        when ``by`` is given.
    """
    def one(c: pd.DataFrame) -> float:
        below = c.loc[c["survival"] <= 0.5, "time"]
        return float(below.min()) if len(below) else math.nan

    names = _group_names(curve, by)
    if not names:
        return one(curve)
    medians = {key: one(g) for key, g in curve.groupby(names, observed=True, sort=True)}
    index = pd.MultiIndex.from_tuples(list(medians), names=names)
    if len(names) == 1:
        index = index.get_level_values(0)
    return pd.Series(list(medians.values()), index=index, name="median_lifetime")


def survival_at(curve: pd.DataFrame, times, by: str | Sequence[str] | None = None
                ) -> pd.DataFrame:
    """Read a Kaplan-Meier step function at given ages (right-continuous: ``S(t)`` after t).

    Parameters
    ----------
    curve : pandas.DataFrame
        Output of :func:`km_estimate` or :func:`kaplan_meier`.
    times : float or array-like
        Ages in days, ``>= 0``.
    by : str or sequence of str, optional
        The group columns of a curve holding several groups.

    Returns
    -------
    pandas.DataFrame
        Group columns (if any), ``time``, ``survival``, ``se``, ``lower``, ``upper``: the values
        of the last curve row at or before each time. Beyond the curve's last time the
        estimate is undefined (NaN) unless survival has already reached 0.
    """
    t = np.atleast_1d(np.asarray(times, dtype=float))
    if np.isnan(t).any() or (t < 0).any():
        raise ValueError(f"times: ages must be >= 0 and not NaN, got {t.tolist()}")
    cols = ["survival", "se", "lower", "upper"]

    def one(c: pd.DataFrame) -> pd.DataFrame:
        c = c.sort_values("time", kind="stable")
        row = np.searchsorted(c["time"].to_numpy(), t, side="right") - 1
        vals = c[cols].to_numpy(dtype=float)[row]
        if c["survival"].iloc[-1] > 0:
            vals[t > c["time"].iloc[-1]] = np.nan
        out = pd.DataFrame(vals, columns=cols)
        out.insert(0, "time", t)
        return out

    names = _group_names(curve, by)
    if not names:
        return one(curve)
    frames = []
    for key, g in curve.groupby(names, observed=True, sort=True):
        frame = one(g)
        for i, (name, value) in enumerate(zip(names, key, strict=True)):
            frame.insert(i, name, value)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _group_names(curve: pd.DataFrame, by) -> list[str]:
    """The group columns ``by`` as a list; with none, check that the curve is a single one."""
    if by is None:
        if (curve["time"] == 0).sum() > 1:
            extra = [c for c in curve.columns if c not in CURVE_COLUMNS]
            raise ValueError(f"curve: holds several curves (group columns {extra}); pass by=")
        return []
    names = [by] if isinstance(by, str) else list(by)
    missing = [n for n in names if n not in curve.columns]
    if missing:
        raise ValueError(f"by = {by!r}: no column {missing} in the curve")
    return names


def _customers_of(source, horizon_days, campaigns):
    """The customers table, horizon and campaign log of a Result or of a customers table."""
    if isinstance(source, pd.DataFrame):
        if horizon_days is None:
            raise ValueError("horizon_days: required with a customers table (days run)")
        customers = source
        horizon = float(horizon_days)
    elif hasattr(source, "customers") and hasattr(source, "scenario"):
        if horizon_days is not None or campaigns is not None:
            raise ValueError("horizon_days and campaigns come from the Result; pass them only "
                             "with a customers table")
        customers, horizon = source.customers, float(source.scenario.horizon_days)
        campaigns = source.campaigns
    else:
        raise TypeError(f"source: expected a Result or a customers DataFrame, got "
                        f"{type(source).__name__}")
    if not horizon > 0:
        raise ValueError(f"horizon_days = {horizon_days!r}: must be > 0")
    missing = [c for c in ("acquired_day", "lost_day") if c not in customers.columns]
    if missing:
        raise ValueError(f"customers: missing column(s) {missing}; need acquired_day, lost_day")
    return customers, horizon, campaigns
