"""The figures of the debrief: one function per figure, each drawing on the Axes it is given.

:class:`sim.report._Figures` makes each figure, saves its PNG and embeds it in the page; the
``_plot_*`` functions here only draw. Teams get colours and presets grey dashes
(:func:`_style`), and a team's name is printed as typed (a "$" would start a formula). The
numbers come from :mod:`.stats`; points are spread by replication, never at random, so every
figure is reproducible. Private helpers of the package, apart from :data:`TIMELINE_KPIS`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...result import KPI_INFO
from .stats import _seeds, _wide

__all__ = ["TIMELINE_KPIS"]

#: Timeline KPIs drawn over time: (column, title, unit, cumulated over cycles).
TIMELINE_KPIS = (("profit", "Profit, cumulated", "EUR", True),
                 ("active_end", "Active customers", "customers", False),
                 ("satisfaction", "Mean satisfaction (ground truth)", "0-1", False))

_TEAM_COLOURS = ("#1b6ca8", "#f4a259", "#5b8e7d", "#bc4b51", "#8e7dbe", "#2a9d8f", "#e76f51",
                 "#6a4c93", "#8ab17d", "#d62828")
_LEVER_COLOURS = ("#1b6ca8", "#9ecae1", "#f4a259", "#bc4b51", "#e9c46a", "#5b8e7d", "#8e7dbe",
                  "#2a9d8f", "#6c757d", "#e76f51", "#a8dadc", "#6a4c93")


def _style(entries: list[str], teams: list[str], focus: str | None = None) -> dict:
    """Entry -> matplotlib line style: teams in colours, presets in grey dashes; with
    ``focus``, that team bold blue, the others (the winner or runner-up) orange."""
    out = {}
    for i, entry in enumerate(entries):
        if entry not in teams:
            greys = ("#555555", "#888888", "#aaaaaa", "#333333")
            out[entry] = {"color": greys[(i - len(teams)) % 4], "linestyle": "--",
                          "linewidth": 1.2}
        elif focus is None:
            out[entry] = {"color": _TEAM_COLOURS[i % len(_TEAM_COLOURS)], "linewidth": 1.6}
        else:
            out[entry] = ({"color": "#1b6ca8", "linewidth": 2.6} if entry == focus else
                          {"color": "#f4a259", "linewidth": 1.6})
    return out


def _plain(name: str) -> str:
    """A team's name as matplotlib should print it: a "$" would start a formula."""
    return str(name).replace("$", r"\$")


def _legend(ax, n: int) -> None:
    ax.legend(fontsize="small", frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0),
              ncols=1 if n <= 14 else 2)


def _plot_spread(ax, runs: pd.DataFrame, objective: str, entries: list[str],
                 teams: list[str]) -> None:
    """Box and points of the objective over seeds, one row per entry."""
    y = _wide(runs, objective, entries)
    values = [y[e].dropna().to_numpy() for e in entries]
    positions = np.arange(len(entries))
    ax.boxplot(values, positions=positions, orientation="horizontal", widths=0.5,
               showfliers=False, medianprops={"color": "black"})
    style = _style(entries, teams)
    for i, v in enumerate(values):
        # Points spread by replication, not at random: the figure is reproducible.
        jitter = np.linspace(-0.18, 0.18, v.size) if v.size > 1 else np.zeros(v.size)
        ax.scatter(v, i + jitter, s=18, color=style[entries[i]]["color"], zorder=3)
    ax.set_yticks(positions, [_plain(e) for e in entries])
    ax.invert_yaxis()
    ax.set_xlabel(f"{KPI_INFO[objective][0]} ({KPI_INFO[objective][1]}), one point per seed")
    ax.set_title(f"{objective.replace('_', ' ')} over the {len(y)} seeds: teams, then presets")
    _money_axis(ax, "x")


def _money_axis(ax, axis: str) -> None:
    from matplotlib.ticker import StrMethodFormatter

    getattr(ax, f"{axis}axis").set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def _plot_kpi(ax, bands: pd.DataFrame, kpi: tuple, entries: list[str], style: dict) -> None:
    _, title, unit, _ = kpi
    for entry in entries:
        if entry not in bands.index.get_level_values(0):
            continue
        b = bands.loc[entry]
        ax.plot(b["end_day"], b["mean"], label=_plain(entry), **style[entry])
        ax.fill_between(b["end_day"], b["low"], b["high"], color=style[entry]["color"],
                        alpha=0.12, linewidth=0)
    ax.set_xlabel("day")
    ax.set_ylabel(f"{title.lower()} ({unit})")
    ax.set_title(f"{title}: mean over seeds, band from lowest to highest")
    if unit in ("EUR", "customers"):
        _money_axis(ax, "y")
    _legend(ax, len(entries))


def _plot_spending(ax, facts: pd.DataFrame, entries: list[str]) -> None:
    """Stacked bars of the money spent on each lever per run (mean over seeds)."""
    keys = [c.removeprefix("spend_") for c in facts.columns if c.startswith("spend_")]
    left = np.zeros(len(entries))
    positions = np.arange(len(entries))
    for i, key in enumerate(keys):
        values = facts.loc[entries, f"spend_{key}"].fillna(0.0).to_numpy(dtype=float)
        if not values.any():
            continue
        ax.barh(positions, values, left=left, label=facts.attrs["labels"][key],
                color=_LEVER_COLOURS[i % len(_LEVER_COLOURS)])
        left += values
    ax.set_yticks(positions, [_plain(e) for e in entries])
    ax.invert_yaxis()
    ax.set_xlabel("EUR per run (mean over seeds)")
    ax.set_title("Where the money went, by lever")
    _money_axis(ax, "x")
    _legend(ax, len(keys))


def _plot_team_seeds(ax, runs: pd.DataFrame, objective: str, team: str, others: list[str],
                     style: dict) -> None:
    """The objective seed by seed: the team against the presets and the winner, paired."""
    y = _wide(runs, objective, [team, *others])
    seeds = _seeds(runs)
    x = np.arange(len(y))
    for entry in [team, *others]:
        ax.plot(x, y[entry], marker="o", label=_plain(entry), **style[entry])
    ax.set_xticks(x, [str(seeds.get(r, r)) for r in y.index])
    ax.set_xlabel("seed (every entry faced the same market on each)")
    ax.set_ylabel(f"{KPI_INFO[objective][0]} ({KPI_INFO[objective][1]})")
    ax.set_title(f"{_plain(team)}: {objective.replace('_', ' ')} seed by seed")
    _money_axis(ax, "y")
    _legend(ax, 1 + len(others))


def _fig_height(rows: int) -> float:
    return 1.6 + 0.38 * rows
