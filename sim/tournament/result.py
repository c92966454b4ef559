"""What a tournament produces: the tables the leaderboard and the debrief are built from.

A tournament runs every team's strategy, and the preset strategies as yardsticks, on the same
market with the same seeds (common random numbers). Everything it learns is kept in tidy
tables, so the leaderboard, the debrief report and a researcher's own analysis read the same
data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["OBJECTIVES", "TournamentResult"]

#: Objectives a tournament may rank by: summary KPI -> what it means (all larger is better).
OBJECTIVES = {
    "profit": "profit over the whole horizon, EUR",
    "customer_equity": "customer equity at the end of the run (expected future margin of the "
                       "customers still active, discounted), EUR",
}


@dataclass(frozen=True)
class TournamentResult:
    """Outcome of a tournament.

    Attributes
    ----------
    scenario : str
        Name (or file) of the scenario every run used.
    objective : str
        The summary KPI teams are ranked by, a key of :data:`OBJECTIVES`.
    seeds : tuple of int
        The seed of each replication; every team and preset ran on every one of them.
    runs : pandas.DataFrame
        One row per (team, replication): ``team``, ``kind`` (``"team"`` or ``"preset"``),
        ``replication``, ``seed``, every key of ``Result.summary()``, ``decisions`` (CRM cycles
        the entry decided), ``fallbacks`` (cycles decided by the fallback instead) and
        ``status`` (``"ok"``, or the first failure's kind). Replications count from 0.
    timelines : pandas.DataFrame
        Every run's ``Result.timeline`` stacked, with ``team``, ``kind`` and ``replication``
        columns in front: one row per (team, replication, cycle).
    incidents : pandas.DataFrame
        One row per failed decision: ``team``, ``replication``, ``cycle``, ``kind`` (``"error"``,
        ``"timeout"``, ``"memory"``, ``"invalid"``, ``"crash"``, ``"forbidden"`` or
        ``"load"``), ``detail`` (what happened, for the instructor) and ``fallback`` (what was
        done instead). A refused operation that the entry caught is recorded too, as a
        ``"forbidden"`` row whose ``fallback`` starts with ``"none"``: its decision stood, and
        it changes neither ``fallbacks`` nor ``status``.
    leaderboard : pandas.DataFrame
        Teams (not presets) ranked by the objective, best first: ``rank``, ``team``, mean,
        standard error, 95 % interval, paired difference to the next team with its interval,
        and a note when two neighbours are not significantly different (the columns:
        :data:`sim.tournament.leaderboard.LEADERBOARD_COLUMNS`, described in
        :func:`sim.tournament.leaderboard.leaderboard`).
    settings : dict
        Everything else that produced the result (replications, time and memory limits,
        fallback, version), for the record: see :func:`sim.tournament.run_tournament`, which
        also records ``level`` (of the intervals), each entry's file and sha256, and the
        resource limits the workers ran under.
    """

    scenario: str
    objective: str
    seeds: tuple[int, ...]
    runs: pd.DataFrame
    timelines: pd.DataFrame
    incidents: pd.DataFrame
    leaderboard: pd.DataFrame
    settings: dict = field(default_factory=dict)

    @property
    def teams(self) -> list[str]:
        """Team names, in leaderboard order."""
        return list(self.leaderboard["team"])

    @property
    def presets(self) -> list[str]:
        """Names of the preset strategies that ran as yardsticks."""
        return sorted(self.runs.loc[self.runs["kind"] == "preset", "team"].unique())
