"""Cohort retention: who of each acquisition cohort is still a customer, period by period.

An **acquisition cohort** is the customers won in the same window of ``cohort_days`` days
(by default one CRM cycle, ``scenario.cycle_days``): cohort ``k >= 0`` holds those with
``k C <= acquired_day < (k + 1) C``. Customers on the books at day 0 (``acquired_day < 0``)
form cohort ``-1``, "before the run"; their ages are mixed, so for them period ``j`` is counted
from day 0 instead of from acquisition (``include_before_run=False`` leaves them out).

Cell ``(k, j)`` is the share of cohort ``k`` still a customer ``j`` periods of
``period_days`` (``P``) after acquisition: ``retained_kj / size_k`` with
``retained_kj = #{i in k : first_loss_i > acquired_i + j P}`` (each customer measured at
her own age ``j P``). **Right censoring**: the cell is known only if *every* member has been
observed to age ``j P``, i.e. ``max_i acquired_i + j P <= horizon_days``; otherwise it is NaN
(not 0, and not a share of a part of the cohort, which would mix ages).

**Won-back customers** count as retained until their *first* loss; winning a customer back
does not put her back into her cohort's retention (retention measures keeping customers;
win-backs are measured by the campaign log). The day of that first loss is read by
:func:`sim.analytics.survival.first_loss_day`.

Reference: the cohort (life) table of customer-base analysis, e.g. Fader & Hardie (2007),
"How to project customer retention", *Journal of Interactive Marketing* 21(1), 76-90.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .survival import first_loss_day, lifetimes

__all__ = ["BEFORE_RUN", "cohort_table", "overall_retention", "retention_curves"]

#: Cohort number of the customers on the books at day 0 (acquired before the run).
BEFORE_RUN = -1


def retention_curves(source, *, horizon_days: float | None = None,
                     cycle_days: float | None = None, cohort_days: float | None = None,
                     period_days: float | None = None, include_before_run: bool = True,
                     campaigns: pd.DataFrame | None = None) -> pd.DataFrame:
    """Retention of each acquisition cohort, period by period, as tidy (long) data.

    For cohort ``k`` and period ``j >= 1``: ``retained = #{first loss > acquired + j P}``,
    ``share = retained / cohort_size``, ``at_risk = retained`` at ``j - 1`` (the cohort size
    for ``j = 1``) and ``retention_rate = retained / at_risk`` (period-over-period retention).
    Only cells observed for every member are listed (see the module docstring); censored ones
    are absent here and NaN in :func:`cohort_table`.

    Parameters
    ----------
    source : Result or pandas.DataFrame
        A run, or a customers table with ``acquired_day`` and ``lost_day`` (and ``lives``,
        ``won_back_day``, ``customer_id`` if customers were won back).
    horizon_days : float, optional
        Days run; required with a customers table (taken from the Result's scenario).
    cycle_days : float, optional
        Length of a CRM cycle (days); the default cohort length. Required with a customers
        table unless ``cohort_days`` is given.
    cohort_days : float, optional
        Width of an acquisition cohort (days, > 0); default ``cycle_days``.
    period_days : float, optional
        Length of a retention period (days, > 0); default ``cohort_days``.
    include_before_run : bool
        Whether customers on the books at day 0 appear, as cohort ``BEFORE_RUN`` (-1), with
        periods counted from day 0.
    campaigns : pandas.DataFrame, optional
        Campaign log with a customers table (first win-back of won-back customers).

    Returns
    -------
    pandas.DataFrame
        One row per observed cell: ``cohort`` (int; -1 before the run), ``cohort_start_day``
        (first day of the window, NaN for -1), ``cohort_size``, ``period`` (j), ``age_days``
        (``j P``), ``at_risk``, ``retained``, ``share``, ``retention_rate``.
    """
    people, horizon, cohort_len, period_len = _prepare(
        source, horizon_days, cycle_days, cohort_days, period_days, campaigns)
    if not include_before_run:
        people = people[people["cohort"] != BEFORE_RUN]
    return _cells(people, horizon, cohort_len, period_len)


def _cells(people: pd.DataFrame, horizon: float, cohort_len: float,
           period_len: float) -> pd.DataFrame:
    """The observed cells of :func:`retention_curves` from the per-customer frame."""
    rows = []
    for k, grp in people.groupby("cohort", sort=True):
        origin = grp["origin"].to_numpy()
        loss = grp["loss"].to_numpy()
        size = origin.size
        # Every member is observed up to age horizon - origin: the cohort up to the smallest.
        last = math.floor((horizon - origin.max()) / period_len + 1e-9)
        at_risk = size
        for j in range(1, last + 1):
            retained = int(np.sum(~(loss <= origin + j * period_len)))  # NaN loss: never lost
            rows.append((int(k), math.nan if k == BEFORE_RUN else k * cohort_len, size, j,
                         j * period_len, at_risk, retained, retained / size,
                         retained / at_risk if at_risk else math.nan))
            at_risk = retained
    columns = ["cohort", "cohort_start_day", "cohort_size", "period", "age_days", "at_risk",
               "retained", "share", "retention_rate"]
    out = pd.DataFrame(rows, columns=columns)
    return out.astype({"cohort": np.int64, "cohort_start_day": float, "cohort_size": np.int64,
                       "period": np.int64, "age_days": float, "at_risk": np.int64,
                       "retained": np.int64, "share": float, "retention_rate": float})


def cohort_table(source, *, horizon_days: float | None = None, cycle_days: float | None = None,
                 cohort_days: float | None = None, period_days: float | None = None,
                 include_before_run: bool = True,
                 campaigns: pd.DataFrame | None = None) -> pd.DataFrame:
    """The cohort retention table: acquisition cohort x periods since acquisition.

    Cell ``(k, j)`` = share of cohort ``k`` still a customer (not yet lost for the first time)
    ``j`` periods after acquisition; NaN where the run ended before every member reached that
    age (right censoring). Arguments as in :func:`retention_curves`.

    Returns
    -------
    pandas.DataFrame
        Index ``cohort`` (int: -1 before the run, then 0, 1, ... for every window that won at
        least one customer), columns ``period`` 1 .. ``floor(horizon_days / period_days)``,
        values shares in [0, 1] or NaN. Cohort sizes are in :func:`retention_curves`.
    """
    people, horizon, cohort_len, period_len = _prepare(
        source, horizon_days, cycle_days, cohort_days, period_days, campaigns)
    if not include_before_run:
        people = people[people["cohort"] != BEFORE_RUN]
    cells = _cells(people, horizon, cohort_len, period_len)
    cohorts = np.unique(people["cohort"])
    periods = np.arange(1, math.floor(horizon / period_len + 1e-9) + 1)
    table = cells.pivot(index="cohort", columns="period", values="share")
    table = table.reindex(index=pd.Index(cohorts, name="cohort"),
                          columns=pd.Index(periods, name="period"))
    return table.astype(float)


def overall_retention(source, *, horizon_days: float | None = None,
                      cycle_days: float | None = None, cohort_days: float | None = None,
                      period_days: float | None = None,
                      campaigns: pd.DataFrame | None = None) -> pd.DataFrame:
    """Retention pooled over the acquisition cohorts, period over period.

    ``r_j = sum_k retained_kj / sum_k retained_k,j-1`` over the cohorts observed at period
    ``j``, and the pooled retention curve ``S_j = r_1 r_2 ... r_j`` (the actuarial life-table
    estimator: each period's rate uses every cohort old enough to show it, so later periods
    rest on fewer, earlier cohorts). Customers on the books at day 0 are left out: their
    periods are not ages (use :func:`sim.analytics.survival.kaplan_meier`, which places them
    at their true ages with delayed entry).

    Arguments as in :func:`retention_curves`.

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period``, ``age_days``, ``cohorts`` (number pooled),
        ``at_risk``, ``retained``, ``retention_rate`` (``r_j``), ``survival`` (``S_j``).
    """
    cells = retention_curves(source, horizon_days=horizon_days, cycle_days=cycle_days,
                             cohort_days=cohort_days, period_days=period_days,
                             include_before_run=False, campaigns=campaigns)
    pooled = (cells.groupby("period", sort=True)
              .agg(age_days=("age_days", "first"), cohorts=("cohort", "size"),
                   at_risk=("at_risk", "sum"), retained=("retained", "sum"))
              .reset_index())
    at_risk = pooled["at_risk"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(at_risk > 0, pooled["retained"] / np.maximum(at_risk, 1), np.nan)
    pooled["retention_rate"] = rate
    pooled["survival"] = np.cumprod(rate)
    return pooled


def _prepare(source, horizon_days, cycle_days, cohort_days, period_days, campaigns):
    """Per customer: cohort, origin of her periods and first loss; and the lengths used."""
    # lifetimes() reads and checks the input (first loss, losses inside the run).
    life = lifetimes(source, horizon_days=horizon_days, campaigns=campaigns)
    if isinstance(source, pd.DataFrame):
        if cohort_days is None and cycle_days is None:
            raise ValueError("cycle_days: required with a customers table unless cohort_days "
                             "is given (the length of an acquisition cohort, days)")
    elif cycle_days is not None:
        raise ValueError("cycle_days comes from the Result; pass it only with a customers "
                         "table (or choose cohort_days)")
    else:
        cycle_days = source.scenario.cycle_days
        horizon_days = source.scenario.horizon_days
    cohort_len = float(cohort_days if cohort_days is not None else cycle_days)
    period_len = float(period_days if period_days is not None else cohort_len)
    for name, value in (("cohort_days", cohort_len), ("period_days", period_len)):
        if not (value > 0 and math.isfinite(value)):
            raise ValueError(f"{name} = {value!r}: must be a positive number of days")
    horizon = float(horizon_days)
    acquired = life["acquired_day"].to_numpy(dtype=float)
    # The day itself, not acquired + age, so that a loss exactly at a period's end is not
    # moved across it by rounding.
    loss = first_loss_day(life, campaigns if campaigns is not None
                          else getattr(source, "campaigns", None)).to_numpy(dtype=float)
    before = acquired < 0
    cohort = np.where(before, BEFORE_RUN, np.floor(acquired / cohort_len)).astype(np.int64)
    people = pd.DataFrame({"cohort": cohort, "origin": np.where(before, 0.0, acquired),
                           "loss": loss})
    return people, horizon, cohort_len, period_len
