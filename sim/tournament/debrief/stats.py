"""The numbers of the debrief: spending by lever, KPI bands, luck and skill, the entry facts.

Everything the pages show and the rules read is computed here from the tournament's tables
(:class:`~sim.tournament.result.TournamentResult`): no text and no figures, so a researcher can
use these functions on their own. Comparisons are paired by seed: every entry ran on the same
seeds (common random numbers), and a paired difference removes the market's luck that all
entries shared.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ...analytics.comparison import t_half_width
from ..result import TournamentResult
from .course import LEVERS, NOT_LEVERS

__all__ = ["entry_facts", "kpi_bands", "lever_spending", "luck_and_skill"]


def _lever_map(columns) -> dict[str, tuple[str, list[str]]]:
    """Lever key -> (label, the cost columns of it present in ``columns``)."""
    present = set(columns)
    out = {key: (lever.label, [c for c in lever.columns if c in present])
           for key, lever in LEVERS.items()}
    out = {key: value for key, value in out.items() if value[1]}
    known = {c for lever in LEVERS.values() for c in lever.columns} | set(NOT_LEVERS)
    for col in columns:  # a cost the engine gained after this module was written
        if col.startswith("cost_") and col not in known:
            out[col.removeprefix("cost_")] = (col.removeprefix("cost_").replace("_", " "), [col])
    return out


def lever_spending(timelines: pd.DataFrame) -> pd.DataFrame:
    """EUR each run spent on each lever over the whole horizon.

    Parameters
    ----------
    timelines : pandas.DataFrame
        :attr:`TournamentResult.timelines` (``team``, ``kind``, ``replication`` and the
        timeline's ``cost_*`` columns, EUR per cycle).

    Returns
    -------
    pandas.DataFrame
        One row per (team, replication): ``team``, ``kind``, ``replication``, then one column
        per lever key of :data:`LEVERS` present (and any unknown ``cost_*`` column), EUR.
        ``attrs["labels"]`` maps each lever key to its label.
    """
    levers = _lever_map(timelines.columns)
    cols = sorted({c for _, group in levers.values() for c in group})
    sums = timelines.groupby(["team", "kind", "replication"], sort=False)[cols].sum()
    out = pd.DataFrame({key: sums[group].sum(axis=1) for key, (_, group) in levers.items()},
                       index=sums.index).reset_index()
    out.attrs["labels"] = {key: label for key, (label, _) in levers.items()}
    return out


def kpi_bands(timelines: pd.DataFrame, column: str, *, cumulative: bool = False) -> pd.DataFrame:
    """A timeline KPI per entry and cycle: mean over replications and the range of them.

    Parameters
    ----------
    timelines : pandas.DataFrame
        :attr:`TournamentResult.timelines`.
    column : str
        Timeline column (``profit``: EUR per cycle; ``active_end``: customers; ...).
    cumulative : bool
        Cumulate each run over its cycles first (profit to date).

    Returns
    -------
    pandas.DataFrame
        Indexed by (team, cycle): ``end_day`` (day), ``mean``, ``low`` and ``high`` (the lowest
        and highest replication) in the column's unit.
    """
    tl = timelines.sort_values(["team", "replication", "cycle"], kind="stable")
    values = tl.groupby(["team", "replication"], sort=False)[column].cumsum() if cumulative \
        else tl[column]
    return (tl.assign(_value=values.astype(float))
            .groupby(["team", "cycle"], sort=False)
            .agg(end_day=("end_day", "first"), mean=("_value", "mean"), low=("_value", "min"),
                 high=("_value", "max")))


def _wide(runs: pd.DataFrame, column: str, entries: list[str]) -> pd.DataFrame:
    """``column`` with one row per replication and one column per entry (paired by seed)."""
    return runs.pivot_table(index="replication", columns="team", values=column,
                            aggfunc="first").reindex(columns=entries).astype(float)


def _seeds(runs: pd.DataFrame) -> dict:
    """Replication -> its seed (every entry ran each replication on the same seed)."""
    return dict(runs.drop_duplicates("replication")[["replication", "seed"]].values)


def _paired(a: pd.Series, b: pd.Series, level: float) -> tuple[float, float, float, bool]:
    """Mean paired difference ``a - b`` over common replications, its t interval and whether
    the interval excludes 0 (False when fewer than two pairs)."""
    d = (a - b).dropna().to_numpy(dtype=float)
    if d.size == 0:
        return math.nan, math.nan, math.nan, False
    half = t_half_width(d, level)
    low, high = d.mean() - half, d.mean() + half
    return float(d.mean()), float(low), float(high), bool(low > 0 or high < 0)


def luck_and_skill(runs: pd.DataFrame, objective: str, teams: list[str]) -> dict:
    """How much of the spread of the objective is skill and how much luck, paired over seeds.

    Two-way analysis of variance without replication on the teams x seeds table of the
    objective (replications where every team has a value): the total sum of squares splits
    into *between teams* (the strategies: skill), *between seeds* (the market's luck, shared
    by every team because they all ran on the same seeds, and removed by a paired comparison)
    and the *team x seed interaction* (each team's own luck on each seed: what is left in a
    paired comparison). The F test of the team effect is ``(SS_team / (T - 1)) / (SS_own /
    ((T - 1)(S - 1)))``.

    Parameters
    ----------
    runs : pandas.DataFrame
        :attr:`TournamentResult.runs`.
    objective : str
        The KPI ranked by.
    teams : list of str
        Teams in leaderboard order (presets are left out: they are yardsticks, not players).

    Returns
    -------
    dict
        ``teams`` and ``seeds`` (counts used), ``skill``, ``market`` and ``own`` (shares of the
        total sum of squares, summing to 1; NaN when fewer than two teams or seeds, or no
        spread), ``f`` and ``p`` (the team effect's F statistic and p-value), ``top_two`` (the
        two best teams of the leaderboard), ``flips`` (replications on which the second beat
        the first) and ``seed_winners`` (team -> replications on which it had the best
        objective of the teams).
    """
    from scipy import stats

    y = _wide(runs, objective, teams).dropna()
    t, s = y.shape[1], y.shape[0]
    out = {"teams": t, "seeds": s, "skill": math.nan, "market": math.nan, "own": math.nan,
           "f": math.nan, "p": math.nan, "top_two": teams[:2], "flips": 0,
           "seed_winners": {}}
    if s:
        winners = y.idxmax(axis=1).value_counts()
        out["seed_winners"] = {str(k): int(v) for k, v in winners.items()}
    if t >= 2:
        out["flips"] = int((y[teams[1]] > y[teams[0]]).sum())
    if t < 2 or s < 2:
        return out
    v = y.to_numpy()
    grand = v.mean()
    team_eff = v.mean(axis=0) - grand
    seed_eff = v.mean(axis=1) - grand
    total = float(((v - grand) ** 2).sum())
    ss_team = float(s * (team_eff ** 2).sum())
    ss_seed = float(t * (seed_eff ** 2).sum())
    ss_own = float(((v - grand - team_eff[None, :] - seed_eff[:, None]) ** 2).sum())
    if total > 0:
        out.update(skill=ss_team / total, market=ss_seed / total, own=ss_own / total)
    dof = (t - 1) * (s - 1)
    if ss_own > 0:
        f = (ss_team / (t - 1)) / (ss_own / dof)
        out.update(f=float(f), p=float(stats.f.sf(f, t - 1, dof)))
    return out


def entry_facts(result: TournamentResult, *, level: float = 0.95) -> pd.DataFrame:
    """One row per entry (teams in leaderboard order, then presets): what the rules read.

    Columns: ``kind``, ``rank`` (teams), ``objective`` (mean over replications), the mean of
    every numeric column of the runs (the KPIs of ``Result.summary()``), ``adoption_end`` (mean
    share of employees using the CRM system on the last cycle, when the timeline has it),
    ``spend_<lever>`` and ``share_<lever>`` (EUR per run and share of ``lever_total``, the
    money spent on levers), the mean per run of every raw ``cost_*`` column, ``incidents``,
    and, for teams, ``neighbour``/``close_call``/``close_diff``/``close_low``/``close_high``
    (the nearest-ranked team whose paired difference is not significant at ``level``),
    ``presets_beaten`` and ``presets_significant`` (presets with a lower mean; of them, those
    with a significant paired difference), ``best_preset``, ``best_preset_gap``,
    ``closest_preset`` and ``closest_margin`` (EUR, the team's mean minus the preset's).
    """
    runs, teams, presets = result.runs, result.teams, result.presets
    entries = teams + presets
    numeric = [c for c in runs.select_dtypes("number").columns
               if c not in ("replication", "seed")]
    facts = runs.groupby("team")[numeric].mean().reindex(entries)
    facts.insert(0, "objective", facts[result.objective])
    facts.insert(0, "kind", ["team"] * len(teams) + ["preset"] * len(presets))
    ranks = result.leaderboard.set_index("team")["rank"]
    facts.insert(1, "rank", [ranks.get(e, np.nan) for e in entries])
    spend = lever_spending(result.timelines)
    levers = [c for c in spend.columns if c not in ("team", "kind", "replication")]
    per_run = spend.groupby("team")[levers].mean().reindex(entries)
    total = per_run.sum(axis=1, min_count=1)  # NaN for an entry without a timeline
    facts["lever_total"] = total
    for key in levers:
        facts[f"spend_{key}"] = per_run[key]
        facts[f"share_{key}"] = per_run[key] / total.where(total > 0)
    tl = result.timelines
    costs = [c for c in tl.columns if c.startswith("cost_")]
    runs_costs = tl.groupby(["team", "replication"])[costs].sum().groupby("team").mean()
    for col in costs:
        facts[col] = runs_costs[col].reindex(entries)
    if "adoption" in tl.columns:
        last = tl.sort_values("cycle").groupby(["team", "replication"])["adoption"].last()
        facts["adoption_end"] = last.groupby("team").mean().reindex(entries)
    facts["incidents"] = result.incidents.groupby("team").size().reindex(entries).fillna(0)
    _add_comparisons(facts, result, level)
    facts.attrs.update(labels=spend.attrs["labels"], objective=result.objective, level=level,
                       seeds=len(result.seeds))
    return facts


def _add_comparisons(facts: pd.DataFrame, result: TournamentResult, level: float) -> None:
    """Close calls with ranking neighbours and the margins over presets, paired by seed."""
    teams, presets = result.teams, result.presets
    y = _wide(result.runs, result.objective, teams + presets)
    for col in ("neighbour", "best_preset", "closest_preset"):
        facts[col] = None
    for col in ("close_diff", "close_low", "close_high", "best_preset_gap", "closest_margin"):
        facts[col] = np.nan
    facts["close_call"] = False
    facts["presets_beaten"] = 0
    facts["presets_significant"] = 0
    facts["n_presets"] = len(presets)
    for i, team in enumerate(teams):
        for j in (i - 1, i + 1):  # the team ranked above, then below
            if 0 <= j < len(teams):
                d, low, high, sig = _paired(y[team], y[teams[j]], level)
                # One seed gives no interval: nothing can be called close or clear.
                if not sig and not math.isnan(low) and not facts.at[team, "close_call"]:
                    facts.loc[team, ["neighbour", "close_call", "close_diff", "close_low",
                                     "close_high"]] = [teams[j], True, d, low, high]
        if not presets:
            continue
        means = facts.loc[presets, "objective"]
        best = means.idxmax()
        facts.loc[team, ["best_preset", "best_preset_gap"]] = [
            best, facts.at[team, "objective"] - means[best]]
        below = [p for p in presets if facts.at[team, "objective"] > means[p]]
        facts.at[team, "presets_beaten"] = len(below)
        facts.at[team, "presets_significant"] = sum(
            _paired(y[team], y[p], level)[3] for p in below)
        closest = (facts.at[team, "objective"] - means).abs().idxmin()
        facts.loc[team, ["closest_preset", "closest_margin"]] = [
            closest, facts.at[team, "objective"] - means[closest]]
