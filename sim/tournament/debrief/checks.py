"""Checks of a tournament result before its debrief is written: clear errors for bad input.

The debrief reads columns of the result's tables and assumes they describe one tournament.
:func:`_check` names the missing column, or the table that disagrees with another, and
:func:`_level` the bad confidence level, with what is allowed, before a temporary folder is
even made. Private helpers of the package.
"""

from __future__ import annotations

import pandas as pd

from ..result import OBJECTIVES, TournamentResult
from .figures import TIMELINE_KPIS

__all__: list[str] = []

_RUN_COLUMNS = ("team", "kind", "replication", "seed")
_TIMELINE_COLUMNS = ("team", "kind", "replication", "cycle", "end_day",
                     *(k[0] for k in TIMELINE_KPIS))
_INCIDENT_COLUMNS = ("team", "replication", "cycle", "kind", "detail", "fallback")


def _require(table: pd.DataFrame, name: str, columns) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"result.{name} has no column {missing[0]!r}; "
                         f"TournamentResult.{name} needs {', '.join(columns)}")


def _check(result: TournamentResult) -> None:
    """Clear errors for a result the debrief cannot describe."""
    if result.objective not in OBJECTIVES:
        raise ValueError(f"result.objective = {result.objective!r}: not an objective a "
                         f"tournament ranks by; choose one of {', '.join(OBJECTIVES)}")
    if not len(result.runs):
        raise ValueError("result.runs is empty: the tournament ran nothing to debrief (it needs "
                         "one row per team or preset and replication)")
    _require(result.runs, "runs", (*_RUN_COLUMNS, result.objective))
    _require(result.timelines, "timelines", _TIMELINE_COLUMNS)
    _require(result.incidents, "incidents", _INCIDENT_COLUMNS)
    _require(result.leaderboard, "leaderboard", ("rank", "team"))
    kinds = set(result.runs["kind"]) - {"team", "preset"}
    if kinds:
        raise ValueError(f"result.runs has kind = {sorted(kinds)[0]!r}; kind is 'team' or "
                         "'preset'")
    ran = set(result.runs.loc[result.runs["kind"] == "team", "team"])
    ranked = list(result.leaderboard["team"])
    if not ranked:
        raise ValueError("result.leaderboard is empty: the debrief needs at least one team")
    if len(set(ranked)) < len(ranked):
        raise ValueError("result.leaderboard lists a team twice")
    if set(ranked) != ran:
        odd = sorted(set(ranked) ^ ran)[0]
        where = "result.leaderboard but not in result.runs" if odd in set(ranked) else \
            "result.runs but not in result.leaderboard"
        raise ValueError(f"team {odd!r} is in {where}: the tables come from different "
                         "tournaments")
    if not len(result.timelines):
        raise ValueError("result.timelines is empty: the debrief draws every entry's KPIs over "
                         "time from it")


def _level(settings: dict) -> float:
    """The confidence level of the tournament's intervals (``settings["level"]``, default
    0.95), checked."""
    level = settings.get("level", 0.95)
    if isinstance(level, bool) or not isinstance(level, (int, float)) or not 0 < level < 1:
        raise ValueError(f"result.settings['level'] = {level!r}: the confidence level must be "
                         "a number between 0 and 1 (two-sided, e.g. 0.95)")
    return float(level)
