"""Strategies compared over replications: means, and paired differences with intervals.

Runs of different strategies with the same seed face the same market (common random numbers),
so the difference between two strategies is measured seed by seed; the t interval of the mean
paired difference is far narrower than the strategies' own intervals, and a difference is
significant when that interval excludes zero (Law 2015, *Simulation Modeling and Analysis*,
5th ed., section 10.2: the paired-t confidence interval). Used by the comparison report, the
comparison figure and :class:`sim.experiments.Comparison`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

__all__ = ["COMPARISON_KPIS", "comparison_table", "t_half_width"]

#: KPIs a comparison shows by default, in order (those present in the runs table).
COMPARISON_KPIS = ("profit", "customer_equity", "annual_churn_rate", "customers_active_end",
                   "realised_clv", "cac", "mean_wait_minutes", "satisfaction_end")


def t_half_width(values, level: float = 0.95) -> float:
    """Half-width of the two-sided t interval of the mean of ``values``:
    ``t(0.5 + level / 2, n - 1) s / sqrt(n)`` (same unit as the values; NaN for n < 2)."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    if v.size < 2:
        return math.nan
    return float(stats.t.ppf(0.5 + level / 2, v.size - 1) * v.std(ddof=1) / math.sqrt(v.size))


def comparison_table(runs: pd.DataFrame, kpis=None, *, baseline: str | None = None,
                     level: float = 0.95) -> pd.DataFrame:
    """Mean of each KPI per strategy, and the paired difference to ``baseline`` with its
    confidence interval and whether it is significant.

    Parameters
    ----------
    runs : pandas.DataFrame
        One row per run: ``strategy``, ``seed`` and KPI columns. Runs of different strategies
        with the same seed are paired (common random numbers).
    kpis : sequence of str, optional
        KPI columns (default: those of :data:`COMPARISON_KPIS` present).
    baseline : str, optional
        Strategy the others are compared with (default: the first in ``runs``).
    level : float
        Two-sided confidence level (fraction), t distribution on the paired differences.

    Returns
    -------
    pandas.DataFrame
        One row per strategy and KPI: ``strategy``, ``kpi``, ``runs``, ``mean`` and
        ``mean_half_width`` (the half-width of the strategy's own interval), ``difference``,
        ``low``, ``high`` (the interval of the paired difference, in the KPI's unit) and
        ``significant`` (the interval excludes 0; NaN for the baseline).
    """

    for column in ("strategy", "seed"):
        if column not in runs.columns:
            raise ValueError(f"runs has no column {column!r}: need one row per run with "
                             "strategy, seed and KPI columns")
    names = list(dict.fromkeys(runs["strategy"]))
    baseline = names[0] if baseline is None else baseline
    if baseline not in names:
        raise ValueError(f"baseline = {baseline!r}: strategies are {', '.join(names)}")
    twice = runs.duplicated(["strategy", "seed"])
    if twice.any():
        first = runs.loc[twice, ["strategy", "seed"]].iloc[0]
        raise ValueError(f"runs has more than one row for strategy {first['strategy']!r}, seed "
                         f"{first['seed']}: pairing by seed needs one run per strategy and seed")
    kpis = [k for k in (COMPARISON_KPIS if kpis is None else kpis) if k in runs.columns]
    rows = []
    for kpi in kpis:
        # Every strategy keeps its column, even one whose KPI is NaN in every run (pivot_table
        # drops those): its row then reads NaN instead of the table failing.
        wide = runs.pivot_table(index="seed", columns="strategy", values=kpi, aggfunc="first",
                                sort=False).reindex(columns=names)
        for name in names:
            values = wide[name].dropna().to_numpy(dtype=float)
            row = {"strategy": name, "kpi": kpi, "runs": values.size,
                   "mean": float(values.mean()) if values.size else np.nan,
                   "mean_half_width": t_half_width(values, level),
                   "difference": np.nan, "low": np.nan, "high": np.nan, "significant": np.nan}
            if name != baseline:
                d = (wide[name] - wide[baseline]).dropna().to_numpy(dtype=float)
                if d.size:
                    row["difference"] = float(d.mean())
                if d.size > 1:
                    half = t_half_width(d, level)
                    row.update(low=d.mean() - half, high=d.mean() + half,
                               significant=bool(d.mean() - half > 0 or d.mean() + half < 0))
            rows.append(row)
    return pd.DataFrame(rows)
