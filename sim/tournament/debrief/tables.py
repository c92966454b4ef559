"""The HTML tables of the debrief's pages: leaderboard, incidents, spending, settings, KPIs, seeds.

Each function returns one ``<table>`` (or a sentence when there is nothing to list) with every
text escaped, numbers formatted as the objective's KPI is (:data:`sim.result.KPI_INFO`);
:mod:`.pages` puts them in place. Private helpers of the package.
"""

from __future__ import annotations

import html
import json
import math

import numpy as np
import pandas as pd

from ...analytics.comparison import COMPARISON_KPIS
from ...report import _fmt
from ...result import KPI_INFO
from ..result import TournamentResult
from .course import NOT_LEVERS
from .stats import _paired, _seeds, _wide
from .text import _difference

__all__: list[str] = []


def _cell(value, fmt: str = "{:,.0f}") -> str:
    """A leaderboard cell: whole numbers plainly, other numbers in the objective's format."""
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return f"{int(value):,}"
    if isinstance(value, (float, np.floating)):
        return fmt.format(value)
    return str(value)


def _table(header: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(
        f"<td class=\"num\">{c}</td>" if i in numeric else f"<td>{c}</td>"
        for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


#: Leaderboard columns shown as one "low to high" interval, under the first one's place.
_INTERVALS = {"low": ("high", "interval"),
              "difference_low": ("difference_high", "interval of the difference")}


def _leaderboard_html(result: TournamentResult, pages: dict[str, str]) -> str:
    """The leaderboard as the tournament made it, every column shown; numbers in the
    objective's format, each pair of interval bounds as one column."""
    board = result.leaderboard
    fmt = KPI_INFO[result.objective][2]
    merged = {low: pair for low, pair in _INTERVALS.items()
              if low in board.columns and pair[0] in board.columns}
    columns = [c for c in board.columns if c not in {high for high, _ in merged.values()}]
    header = [merged[c][1] if c in merged else c.replace("_", " ") for c in columns]
    numeric = {i for i, c in enumerate(columns)
               if c in merged or (pd.api.types.is_numeric_dtype(board[c])
                                  and not pd.api.types.is_bool_dtype(board[c]))}
    rows = []
    for _, row in board.iterrows():
        cells = []
        for col in columns:
            value = row[col]
            if col == "team":
                cells.append(f"<a href=\"{pages[value]}\">{html.escape(str(value))}</a>")
            elif col in merged:
                low, high = _cell(value, fmt), _cell(row[merged[col][0]], fmt)
                cells.append(html.escape(f"{low} to {high}" if low and high else ""))
            else:
                cells.append(html.escape(_cell(value, "{:,.0f}" if col == "rank" else fmt)))
        rows.append(cells)
    # Many columns: the table scrolls sideways on a narrow screen instead of overflowing.
    return f"<div style=\"overflow-x: auto\">{_table(header, rows, numeric)}</div>"


def _incident_rows(incidents: pd.DataFrame, seeds: dict) -> list[list[str]]:
    """One row per (team, kind, fallback): how often, on which seeds, one example."""
    e = html.escape
    rows = []
    for (team, kind, fallback), g in incidents.groupby(["team", "kind", "fallback"],
                                                       sort=False):
        reps = sorted(g["replication"].unique())
        rows.append([e(str(team)), e(str(kind)), f"{len(g):,}",
                     e(", ".join(str(seeds.get(r, r)) for r in reps)),
                     e(", ".join(str(c) for c in sorted(g["cycle"].unique())[:8])
                       + (" ..." if g["cycle"].nunique() > 8 else "")),
                     e(str(fallback)), e(str(g["detail"].iloc[0]))])
    return rows


def _incidents_html(incidents: pd.DataFrame, seeds: dict, who: str) -> str:
    if not len(incidents):
        return (f"<p>No incidents: every decision of {html.escape(who)} ran within the limits "
                "and returned valid actions.</p>")
    return ("<p>Decisions that failed, and what ran instead (the run went on with the "
            "fallback).</p>" + _table(
                ["team", "kind", "failed decisions", "seeds", "cycles", "fallback",
                 "first detail"], _incident_rows(incidents, seeds), {2}))


def _money(value: float, share: float | None = None) -> str:
    """EUR as a table cell, with the share of lever spending when given; "n/a" if unknown."""
    if pd.isna(value):
        return "n/a"
    return f"{value:,.0f}" if share is None or pd.isna(share) else f"{value:,.0f} ({share:.0%})"


def _spending_table(facts: pd.DataFrame, entries: list[str]) -> str:
    keys = [c.removeprefix("spend_") for c in facts.columns if c.startswith("spend_")]
    keys = [k for k in keys if facts.loc[entries, f"spend_{k}"].fillna(0).any()]
    rows = [[html.escape(facts.attrs["labels"][k])]
            + [_money(facts.at[e, f"spend_{k}"], facts.at[e, f"share_{k}"]) for e in entries]
            for k in keys]
    rows.append(["<b>all levers</b>"] + [f"<b>{_money(facts.at[e, 'lever_total'])}</b>"
                                         for e in entries])
    for col, label in NOT_LEVERS.items():
        if col in facts.columns and col != "cost_total":
            rows.append([html.escape(f"{label} (not a lever)")]
                        + [_money(facts.at[e, col]) for e in entries])
    return _table(["EUR per run (share of lever spending)", *entries], rows,
                  set(range(1, len(entries) + 1)))


def _settings_html(result: TournamentResult) -> str:
    rows = [[html.escape(str(k)), html.escape(json.dumps(v, default=str))]
            for k, v in result.settings.items()]
    return _table(["setting", "value"], rows) if rows else ""


def _kpi_table(result, facts, team, others) -> str:
    """Mean KPIs of the team, the presets and the winner, and the paired objective gap."""
    e = html.escape
    cols = [team, *others]
    kpis = [k for k in dict.fromkeys((result.objective, *COMPARISON_KPIS))
            if k in facts.columns and k in KPI_INFO]
    rows = [[e(f"{KPI_INFO[k][0]} ({KPI_INFO[k][1]})")]
            + [e(_fmt(k, facts.at[c, k])) for c in cols] for k in kpis]
    y = _wide(result.runs, result.objective, cols)
    level = facts.attrs["level"]
    diff = [e(f"{KPI_INFO[result.objective][0]}: {team} minus each, paired by seed"), ""]
    for other in others:
        diff.append(e(_difference(*_paired(y[team], y[other], level), level)))
    rows.append(diff)
    return _table(["KPI (mean over the seeds)", *cols], rows, set(range(1, len(cols) + 1)))


def _seed_table(result, team) -> str:
    """Per seed: the team's objective, its rank among the teams and the best team's value."""
    y = _wide(result.runs, result.objective, result.teams)
    seeds = _seeds(result.runs)
    rank = y.rank(axis=1, ascending=False, method="min")
    rows = []
    for rep in y.index:
        best = y.loc[rep].idxmax()
        rows.append([str(seeds.get(rep, rep)), html.escape(_fmt(result.objective, y.at[rep, team])),
                     "" if math.isnan(rank.at[rep, team]) else f"{int(rank.at[rep, team])}",
                     html.escape(f"{best}: {_fmt(result.objective, y.at[rep, best])}")])
    return _table(["seed", result.objective, "rank among the teams", "best team on the seed"],
                  rows, {1, 2})
