"""The leaderboard: teams ranked by an objective, with the uncertainty the replications leave.

Every team played the same replications (the same seeds: the same market, customers and
competitor waves, DESIGN section 6), so two teams are compared seed by seed: the paired
difference's t interval (Law 2015, *Simulation Modeling and Analysis*, 5th ed., section 10.2;
:func:`sim.analytics.comparison.t_half_width`) is far narrower than either team's own
interval. Teams are ranked by their mean; each is compared with the team ranked just below,
and when that difference's interval covers zero the two are noted as not significantly
different: the ranking between them is luck of the draw, not skill.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..analytics.comparison import t_half_width

__all__ = ["LEADERBOARD_COLUMNS", "leaderboard"]

#: The leaderboard's columns, in order.
LEADERBOARD_COLUMNS = (
    "rank", "team", "replications", "mean", "std_error", "low", "high", "next_team",
    "difference", "difference_low", "difference_high", "significant", "note", "beats",
    "fallbacks",
)


def _paired(wide: pd.DataFrame, a: str, b: str, level: float) -> tuple[float, float, float]:
    """Mean of ``a - b`` over the seeds both have, and its interval (NaN with < 2 pairs)."""
    d = (wide[a] - wide[b]).dropna().to_numpy(dtype=float)
    if not d.size:
        return math.nan, math.nan, math.nan
    half = t_half_width(d, level)
    return float(d.mean()), float(d.mean() - half), float(d.mean() + half)


def leaderboard(runs: pd.DataFrame, objective: str, *, level: float = 0.95) -> pd.DataFrame:
    """Rank the teams of a tournament's runs by ``objective``.

    Parameters
    ----------
    runs : pandas.DataFrame
        ``TournamentResult.runs``: one row per (team, replication) with ``team``, ``kind``
        (``"team"`` or ``"preset"``), ``seed``, ``fallbacks`` and the objective's column.
    objective : str
        The KPI to rank by (larger is better), in its own unit (EUR for profit and customer
        equity).
    level : float
        Confidence level of the intervals (two-sided fraction).

    Returns
    -------
    pandas.DataFrame
        One row per team, best first, with :data:`LEADERBOARD_COLUMNS`: ``rank`` (1 = best);
        ``replications`` (runs with a value); ``mean``, ``std_error`` and the t interval
        ``low``-``high`` of the team's objective; ``next_team`` (ranked just below),
        ``difference`` = this team minus it, paired by seed, with its interval
        ``difference_low``-``difference_high`` and ``significant`` (the interval excludes 0;
        missing for the last team or with one replication); ``note`` (which neighbours it is
        not significantly different from); ``beats`` (the presets it beats significantly,
        paired, comma-separated); ``fallbacks`` (cycles decided by the fallback, all runs).
    """
    if objective not in runs.columns:
        raise ValueError(f"objective = {objective!r}: not a column of the runs")
    teams = runs[runs["kind"] == "team"]
    presets = runs[runs["kind"] == "preset"]
    wide = runs.pivot_table(index="seed", columns="team", values=objective, aggfunc="first",
                            sort=False, dropna=False)
    names = list(dict.fromkeys(teams["team"]))
    rows = []
    for name in names:
        values = wide[name].dropna().to_numpy(dtype=float) if name in wide else np.zeros(0)
        n = values.size
        mean = float(values.mean()) if n else math.nan
        se = float(values.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        half = t_half_width(values, level)
        rows.append({"team": name, "replications": n, "mean": mean, "std_error": se,
                     "low": mean - half, "high": mean + half,
                     "fallbacks": int(teams.loc[teams["team"] == name, "fallbacks"].sum())})
    table = pd.DataFrame(rows, columns=["team", "replications", "mean", "std_error", "low",
                                        "high", "fallbacks"])
    # Best first; a team without a value last; ties in team-name order, so ranks are stable.
    table = table.assign(_key=table["mean"].fillna(-np.inf)).sort_values(
        ["_key", "team"], ascending=[False, True], kind="stable").drop(columns="_key")
    table = table.reset_index(drop=True)
    table.insert(0, "rank", np.arange(1, len(table) + 1))
    order = list(table["team"])
    nxt, diff, d_low, d_high, sig = [], [], [], [], []
    for i, name in enumerate(order):
        if i + 1 < len(order):
            d, lo, hi = _paired(wide, name, order[i + 1], level)
            nxt.append(order[i + 1])
            diff.append(d)
            d_low.append(lo)
            d_high.append(hi)
            sig.append(pd.NA if math.isnan(lo) else bool(lo > 0 or hi < 0))
        else:
            nxt.append(None)
            diff.append(math.nan)
            d_low.append(math.nan)
            d_high.append(math.nan)
            sig.append(pd.NA)
    table["next_team"] = nxt
    table["difference"] = diff
    table["difference_low"] = d_low
    table["difference_high"] = d_high
    table["significant"] = pd.array(sig, dtype="boolean")
    table["note"] = [_note(order, list(table["significant"]), i, int(table["replications"][i]))
                     for i in range(len(order))]
    beaten = []
    for name in order:
        wins = []
        for preset in dict.fromkeys(presets["team"]):
            _, lo, _ = _paired(wide, name, preset, level)
            if lo > 0:
                wins.append(preset)
        beaten.append(", ".join(wins))
    table["beats"] = beaten
    return table[list(LEADERBOARD_COLUMNS)]


def _note(order: list[str], significant: list, i: int, n: int) -> str:
    """Which neighbours team ``i`` cannot be told apart from."""
    if n < 2:
        return "fewer than 2 replications: no interval, the ranking is untested"
    ties = []
    if i > 0 and significant[i - 1] is not pd.NA and not significant[i - 1]:
        ties.append(order[i - 1])
    if i + 1 < len(order) and significant[i] is not pd.NA and not significant[i]:
        ties.append(order[i + 1])
    return f"not significantly different from {' or '.join(ties)}" if ties else ""
