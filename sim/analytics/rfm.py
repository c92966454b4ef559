"""Recency, frequency, monetary value (RFM): the classic summary of a purchase history.

Two uses, two formats:

* :func:`summary_data` turns a transaction log into the per-customer summary that the
  "buy till you die" models expect (BG/NBD, Pareto/NBD, Gamma-Gamma; the format of the Python
  packages *lifetimes* and *PyMC-Marketing*): ``frequency``, ``recency``, ``T``,
  ``monetary_value``. It works on ``result.transactions`` as it is.
* :func:`rfm_table`, :func:`rfm_scores` and :func:`segment_customers` (or :func:`rfm_analysis`
  for all three) are the marketing practice: score each customer 1-5 on recency, frequency and
  monetary value, and name segments (champions, at risk, ...) by a stated rule (Hughes 1994).

Careful with the word *recency*: in :func:`summary_data` (the models' convention) it is the
time from the first to the last purchase, so a *large* value is good news; in the RFM scores it
is the time since the last purchase, where a *small* value is good news.

What the log cannot show
------------------------
``result.transactions`` starts at day 0: the purchases of the customers on the books at day 0
made before the run are not in it. For them the summary treats the first purchase *in the log*
as the first purchase, so their ``T`` and ``frequency`` describe the part of the relationship
inside the run. Customers who never bought in the window are not in the log, hence not in the
outputs. Departures are not in the log either (the models infer them from silence).

References
----------
* Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). "Counting your customers" the easy way:
  an alternative to the Pareto/NBD model. *Marketing Science* 24(2), 275-284 (the
  frequency/recency/T summary).
* Fader, P. S., Hardie, B. G. S. & Lee, K. L. (2005). RFM and CLV: using iso-value curves for
  customer base analysis. *Journal of Marketing Research* 42(4), 415-430.
* Hughes, A. M. (1994). *Strategic Database Marketing*. Probus (RFM scoring by quintiles).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = [
    "SEGMENTS",
    "quintile_score",
    "rfm_analysis",
    "rfm_scores",
    "rfm_table",
    "segment_customers",
    "summary_data",
]

#: RFM segments, in the order their rules are tried (the first rule that holds names the
#: customer); see :func:`segment_customers`.
SEGMENTS = ("champions", "loyal", "new", "promising", "need_attention", "at_risk",
            "hibernating", "lost")


def summary_data(transactions: pd.DataFrame, observation_end: float,
                 customer_col: str = "customer_id", datetime_col: str = "day",
                 monetary_value_col: str | None = "amount", *,
                 time_unit_days: float = 1.0) -> pd.DataFrame:
    """Per-customer ``frequency, recency, T, monetary_value`` (lifetimes / PyMC-Marketing format).

    Time is cut into periods of ``time_unit_days`` days: period ``p = floor(day /
    time_unit_days)``. Rows after ``observation_end`` are dropped, and the rows of one customer
    in one period are pooled into one purchase occasion (their amounts summed). Then, per
    customer with at least one occasion:

    * ``frequency``: repeat purchase periods, the number of distinct purchase periods minus 1
      (the first purchase is what makes someone a customer, so it is not a repeat);
    * ``recency``: ``p_last - p_first``, periods from the first to the last purchase (0 for
      one purchase occasion);
    * ``T``: ``p_end - p_first``, periods from the first purchase to the end of observation,
      ``p_end = floor(observation_end / time_unit_days)`` (the customer's "age");
    * ``monetary_value``: the mean amount of the *repeat* purchase periods (EUR per period
      total, the first period left out), 0 when ``frequency`` is 0. The first purchase is left
      out because the spend models (Gamma-Gamma) describe repeat spending.

    These are the conventions of ``lifetimes.utils.summary_data_from_transaction_data`` and of
    ``pymc_marketing.clv.rfm_summary`` (with their defaults), so the output can be fed to those
    models directly (``summary.reset_index()`` gives PyMC-Marketing its ``customer_id``
    column).

    For a ``sim.Result``: days are whole days, the log covers days ``0 ..
    horizon_days - 1``, so ``observation_end = result.scenario.horizon_days - 1`` is the last
    day observed.

    Parameters
    ----------
    transactions : pandas.DataFrame
        One row per purchase (or per customer and day): customer, time in days (numeric),
        amount in EUR. ``result.transactions`` works unchanged.
    observation_end : float
        Last day of the observation window (days, same clock as ``datetime_col``); later rows
        are ignored, which lets a log be split into calibration and holdout.
    customer_col, datetime_col, monetary_value_col : str
        Column names; ``monetary_value_col=None`` leaves out ``monetary_value``.
    time_unit_days : float
        Length of a period in days (> 0): 1 for days, 7 for weeks.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer (named ``customer_col``, sorted), columns ``frequency`` (int),
        ``recency`` and ``T`` (periods), ``monetary_value`` (EUR).

    References
    ----------
    Fader, Hardie & Lee (2005), "Counting your customers the easy way" (``x, t_x, T``).
    """
    occasions = _occasions(transactions, observation_end, customer_col, datetime_col,
                           monetary_value_col, time_unit_days)
    end_period = math.floor(observation_end / time_unit_days)
    by = occasions.groupby(customer_col, sort=True)
    first, last = by["period"].min(), by["period"].max()
    n = by.size()
    out = pd.DataFrame({
        "frequency": (n - 1).astype(np.int64),
        "recency": (last - first).astype(float),
        "T": (end_period - first).astype(float),
    })
    if monetary_value_col is not None:
        # Occasions are sorted by customer and period, so the first of each group is the first
        # purchase period; the mean of the others is the repeat spend.
        repeat = occasions[by.cumcount().to_numpy() > 0]
        mean = repeat.groupby(customer_col, sort=True)["amount"].mean()
        out["monetary_value"] = mean.reindex(out.index, fill_value=0.0).astype(float)
    out.index.name = customer_col
    return out


def rfm_table(transactions: pd.DataFrame, observation_end: float,
              customer_col: str = "customer_id", datetime_col: str = "day",
              monetary_value_col: str = "amount") -> pd.DataFrame:
    """Raw recency, frequency and monetary value per customer, for RFM scoring.

    Per customer with a purchase up to ``observation_end`` (rows of one customer and day pooled
    into one purchase occasion, as in :func:`summary_data` with daily periods):

    * ``recency_days``: ``observation_end - last purchase day`` (days; smaller is better);
    * ``frequency``: purchase occasions (days with a purchase) in the window, first included;
    * ``monetary``: mean amount per purchase occasion, first included (EUR). The mean rather
      than the total keeps M apart from F (a total would largely repeat the frequency).

    Parameters
    ----------
    transactions : pandas.DataFrame
        As for :func:`summary_data` (``result.transactions`` works unchanged).
    observation_end : float
        Last day of the window (days); later rows are ignored.
    customer_col, datetime_col, monetary_value_col : str
        Column names.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer (sorted), columns ``recency_days``, ``frequency``, ``monetary``.
    """
    occasions = _occasions(transactions, observation_end, customer_col, datetime_col,
                           monetary_value_col, 1.0)
    by = occasions.groupby(customer_col, sort=True)
    out = pd.DataFrame({
        "recency_days": float(observation_end) - by["day"].max().astype(float),
        "frequency": by.size().astype(np.int64),
        "monetary": by["amount"].mean().astype(float),
    })
    out.index.name = customer_col
    return out


def quintile_score(values, *, higher_is_better: bool = True) -> np.ndarray:
    """Score 1 to 5 by quintile of mid-rank: ``score = ceil(5 (midrank - 1/2) / n)``.

    ``midrank`` is the rank of the value among the ``n`` values (1 = worst), ties sharing the
    mean of their ranks, and ``(midrank - 1/2) / n`` is the value's percentile, strictly
    between 0 and 1. So equal values always get equal scores, a better value never gets a lower
    score, ``n`` distinct values fill each score with a fifth of the customers (when 5 divides
    ``n``), and a lone customer, or a population of ties, scores 3 (the middle). Heavy ties
    (many one-time buyers) make the groups unequal rather than split identical customers.

    Parameters
    ----------
    values : array-like
        Finite numbers, one per customer.
    higher_is_better : bool
        False to score small values high (recency in days since the last purchase).

    Returns
    -------
    numpy.ndarray
        Integer scores in 1..5 (5 = best fifth).
    """
    v = np.asarray(values, dtype=float)
    if v.ndim != 1:
        raise ValueError(f"values: must be one-dimensional, got shape {v.shape}")
    if not np.all(np.isfinite(v)):
        raise ValueError("values: must be finite (no NaN or infinity)")
    if v.size == 0:
        return np.zeros(0, dtype=np.int64)
    rank = pd.Series(v if higher_is_better else -v).rank(method="average").to_numpy()
    # Mid-ranks are halves, so 5 (2 rank - 1) is a whole number and dividing it by 2n is exact
    # whenever the quotient is whole: a percentile on a quintile boundary is not pushed up by
    # rounding.
    score = np.ceil(5.0 * (2.0 * rank - 1.0) / (2.0 * v.size))
    return np.clip(score, 1, 5).astype(np.int64)


def rfm_scores(table: pd.DataFrame) -> pd.DataFrame:
    """Add RFM scores 1-5 and the RFM cell code to an :func:`rfm_table`.

    * ``r_score``: :func:`quintile_score` of ``recency_days``, fewer days scoring higher;
    * ``f_score``, ``m_score``: :func:`quintile_score` of ``frequency`` and ``monetary``;
    * ``rfm_cell``: the three digits as a string, e.g. ``"545"`` (5 x 5 x 5 = 125 cells).

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`rfm_table` (``recency_days``, ``frequency``, ``monetary``).

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with ``r_score``, ``f_score``, ``m_score`` (int) and ``rfm_cell``.
    """
    missing = [c for c in ("recency_days", "frequency", "monetary") if c not in table.columns]
    if missing:
        raise KeyError(f"table: missing column(s) {missing}; pass the output of rfm_table()")
    out = table.copy()
    out["r_score"] = quintile_score(table["recency_days"], higher_is_better=False)
    out["f_score"] = quintile_score(table["frequency"])
    out["m_score"] = quintile_score(table["monetary"])
    out["rfm_cell"] = (out["r_score"].astype(str) + out["f_score"].astype(str)
                       + out["m_score"].astype(str))
    return out


def segment_customers(scores: pd.DataFrame) -> pd.Series:
    """Name each customer's RFM segment; the first rule that holds wins.

    ====================  ==========================================  =========================
    segment               rule (R, F, M scores 1-5)                   reading
    ====================  ==========================================  =========================
    ``champions``         R >= 4, F >= 4, M >= 4                      recent, frequent, big
    ``loyal``             R >= 3, F >= 4                              frequent, still around
    ``new``               R >= 4, one purchase occasion only          just arrived
    ``promising``         R >= 4 (F <= 3)                             recent, not yet frequent
    ``need_attention``    R = 3 (F <= 3)                              cooling down
    ``at_risk``           R <= 2, F >= 4                              used to buy often, silent
    ``hibernating``       R = 2 (F <= 3)                              silent, never frequent
    ``lost``              R = 1 (F <= 3)                              longest silent
    ====================  ==========================================  =========================

    The rules cover every (R, F) pair, so every customer gets exactly one name. ``new`` looks
    at the raw ``frequency`` (one purchase occasion in the window), because a one-time buyer's
    F score depends on how many others tie with them.

    Parameters
    ----------
    scores : pandas.DataFrame
        Output of :func:`rfm_scores` (``r_score``, ``f_score``, ``m_score``, ``frequency``).

    Returns
    -------
    pandas.Series
        Categorical with categories :data:`SEGMENTS`, indexed like ``scores``, named
        ``"segment"``.
    """
    needed = ("r_score", "f_score", "m_score", "frequency")
    missing = [c for c in needed if c not in scores.columns]
    if missing:
        raise KeyError(f"scores: missing column(s) {missing}; pass the output of rfm_scores()")
    r = scores["r_score"].to_numpy()
    f = scores["f_score"].to_numpy()
    m = scores["m_score"].to_numpy()
    once = scores["frequency"].to_numpy() <= 1
    for name, s in (("r_score", r), ("f_score", f), ("m_score", m)):
        if s.size and (s.min() < 1 or s.max() > 5):
            raise ValueError(f"scores[{name!r}]: must be 1 to 5, got {s.min()} to {s.max()}")
    conditions = [
        (r >= 4) & (f >= 4) & (m >= 4),
        (r >= 3) & (f >= 4),
        (r >= 4) & once,
        r >= 4,
        r == 3,
        (r <= 2) & (f >= 4),
        r == 2,
        r == 1,
    ]
    names = np.select(conditions, list(SEGMENTS), default="")
    return pd.Series(pd.Categorical(names, categories=list(SEGMENTS)), index=scores.index,
                     name="segment")


def rfm_analysis(transactions: pd.DataFrame, observation_end: float,
                 customer_col: str = "customer_id", datetime_col: str = "day",
                 monetary_value_col: str = "amount") -> pd.DataFrame:
    """RFM in one call: :func:`rfm_table`, then :func:`rfm_scores`, then the segment.

    Parameters
    ----------
    transactions, observation_end, customer_col, datetime_col, monetary_value_col
        As for :func:`rfm_table`.

    Returns
    -------
    pandas.DataFrame
        Indexed by customer: ``recency_days``, ``frequency``, ``monetary``, ``r_score``,
        ``f_score``, ``m_score``, ``rfm_cell`` and ``segment`` (categorical, :data:`SEGMENTS`).
    """
    scores = rfm_scores(rfm_table(transactions, observation_end, customer_col, datetime_col,
                                  monetary_value_col))
    scores["segment"] = segment_customers(scores)
    return scores


def _occasions(transactions: pd.DataFrame, observation_end: float, customer_col: str,
               datetime_col: str, monetary_value_col: str | None,
               time_unit_days: float) -> pd.DataFrame:
    """Purchase occasions: one row per customer and period up to ``observation_end``, with the
    period's amount summed and its latest day, sorted by customer and period."""
    needed = [customer_col, datetime_col] + ([monetary_value_col] if monetary_value_col else [])
    missing = [c for c in needed if c not in transactions.columns]
    if missing:
        raise KeyError(f"transactions: missing column(s) {missing}; has "
                       f"{list(transactions.columns)} (set customer_col, datetime_col, "
                       "monetary_value_col)")
    try:
        unit = float(time_unit_days)
    except (TypeError, ValueError):
        unit = math.nan
    if not (unit > 0 and math.isfinite(unit)):
        raise ValueError(f"time_unit_days = {time_unit_days}: must be a number > 0 (days)")
    try:
        end = float(observation_end)
    except (TypeError, ValueError):
        raise TypeError(f"observation_end = {observation_end!r}: must be a number of days "
                        "(same clock as the datetime column)") from None
    if not math.isfinite(end):
        raise ValueError(f"observation_end = {observation_end}: must be finite (days)")
    day_col = transactions[datetime_col]
    if not pd.api.types.is_numeric_dtype(day_col) or pd.api.types.is_bool_dtype(day_col):
        raise TypeError(f"transactions[{datetime_col!r}] has dtype {day_col.dtype}: must be "
                        "numeric days (convert dates to days since a start date first)")
    day = day_col.to_numpy(dtype=float)
    if np.isnan(day).any():
        raise ValueError(f"transactions[{datetime_col!r}]: must not contain missing days")
    keep = day <= end
    frame = pd.DataFrame({
        customer_col: transactions[customer_col].to_numpy()[keep],
        "period": np.floor(day[keep] / unit),
        "day": day[keep],
        "amount": (transactions[monetary_value_col].to_numpy(dtype=float)[keep]
                   if monetary_value_col else np.zeros(int(keep.sum()))),
    })
    out = frame.groupby([customer_col, "period"], sort=True).agg(
        day=("day", "max"), amount=("amount", "sum")).reset_index()
    return out
