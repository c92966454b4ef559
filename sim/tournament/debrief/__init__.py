"""The tournament debrief: what happened, to whom and why, for the class and for each team.

``write_debrief(result, folder)`` turns a :class:`~sim.tournament.result.TournamentResult`
into a folder to open in a browser after the game::

    folder/index.html          the class page: leaderboard, luck vs skill, KPIs over time,
                               where the money went, incidents, discussion prompts
    folder/team-<slug>.html    one page per team: its rank and numbers against every preset and
                               the winner, its seed-to-seed spread, incidents, its own prompts
    folder/figures/*.png       every figure of the pages
    folder/debrief.json        the numbers the prompts rest on, and which prompts fired

Figures are embedded in the pages (base64 PNG, as :mod:`sim.report` does), so every page stands
alone: an instructor can mail a team its page or upload it to the course platform without the
folder. The PNG copies are for slides. Everything is written to a temporary folder beside
``folder`` and renamed into place at the end (:func:`sim.outputs.staged_folder`), so a failure
leaves no half-written debrief and an earlier one untouched.

Every number on the pages is computed from the result's tables; the only fixed text is the
course map (section and notebook titles) and the wording of the prompts. A prompt is chosen by a
rule on the data (:data:`RULES`: a team that spent most on acquisition and lost customers fast
is sent to the "leaky bucket" of course section 4 and notebook 04), compared with the *field*:
every entry of the tournament, teams and presets together, so a threshold means "far from what
the others did on this market" whatever the market.

The package, one concept a module: :mod:`.course` (the notebooks and the levers),
:mod:`.stats` (the numbers: spending by lever, KPI bands, luck and skill, entry facts),
:mod:`.rules` (the rules and their thresholds), :mod:`.prompts` (team and class prompts),
:mod:`.text` (numbers in words), :mod:`.figures`, :mod:`.tables` and :mod:`.pages` (the HTML),
:mod:`.checks` (bad input), and here :func:`write_debrief`, which writes the folder. Every
public name is importable from ``sim.tournament.debrief`` itself.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from ...outputs import staged_folder
from ...report import _Figures
from ..result import TournamentResult
from .checks import _check, _level
from .course import LEVERS, NOTEBOOKS, Lever
from .course import NOT_LEVERS as NOT_LEVERS
from .figures import TIMELINE_KPIS as TIMELINE_KPIS
from .pages import _class_page, _slugs, _team_page
from .prompts import Prompt, class_prompts, team_prompts
from .rules import ADOPTION_LOW as ADOPTION_LOW
from .rules import FAIRNESS_SATISFACTION_GAP as FAIRNESS_SATISFACTION_GAP
from .rules import HARVEST_EQUITY_GAP as HARVEST_EQUITY_GAP
from .rules import LEAKY_ACQUISITION_SHARE as LEAKY_ACQUISITION_SHARE
from .rules import LEAKY_CHURN_RATIO as LEAKY_CHURN_RATIO
from .rules import LOYALTY_MIN_GAIN as LOYALTY_MIN_GAIN
from .rules import LOYALTY_SHARE as LOYALTY_SHARE
from .rules import MASS_CAC_RATIO as MASS_CAC_RATIO
from .rules import MASS_SHARE as MASS_SHARE
from .rules import QUEUE_MIN_WAIT as QUEUE_MIN_WAIT
from .rules import QUEUE_SERVICE_GAP as QUEUE_SERVICE_GAP
from .rules import QUEUE_WAIT_RATIO as QUEUE_WAIT_RATIO
from .rules import RULES, Rule
from .rules import WASTE_LIMIT as WASTE_LIMIT
from .rules import WASTE_SHARE as WASTE_SHARE
from .stats import entry_facts, kpi_bands, lever_spending, luck_and_skill
from .text import _plain_rank

__all__ = ["LEVERS", "NOTEBOOKS", "RULES", "Lever", "Prompt", "Rule", "class_prompts",
           "entry_facts", "kpi_bands", "lever_spending", "luck_and_skill", "team_prompts",
           "write_debrief"]

# write_debrief lives here rather than in pages.py, and calls the page builders by this
# module's names: the package is then the one place to replace one (tests/test_debrief.py makes
# a team page fail midway to show that an earlier debrief survives).


def write_debrief(result: TournamentResult, folder: str | Path, *,
                  title: str | None = None) -> Path:
    """Write the debrief of a tournament into ``folder`` (replacing an earlier one there).

    Parameters
    ----------
    result : TournamentResult
        What the tournament produced (:mod:`sim.tournament.result`).
    folder : str or Path
        Destination folder; its parent is created if needed, and an earlier debrief there is
        replaced whole.
    title : str, optional
        Title of the class page (default: "Tournament debrief: <scenario>, ranked by
        <objective>").

    Returns
    -------
    Path
        The folder: ``index.html`` (the class), ``team-<slug>.html`` (one per team),
        ``figures/*.png`` and ``debrief.json`` (the luck-vs-skill numbers, each team's rank,
        page and prompts, and the class prompts).

    Raises
    ------
    ValueError
        The objective is not one of :data:`sim.tournament.result.OBJECTIVES`, the runs are
        empty, a table lacks a column the debrief reads, the tables disagree on the teams, or
        ``settings["level"]`` is not a confidence level between 0 and 1.
    sim.outputs.OutputFolderError
        ``folder`` is a file, has no name, or is the current or home folder or above them.
    """
    _check(result)
    title = title or (f"Tournament debrief: {result.scenario}, ranked by {result.objective}")
    level = _level(result.settings)
    facts = entry_facts(result, level=level)
    luck = luck_and_skill(result.runs, result.objective, result.teams)
    prompts = class_prompts(result, facts, luck)
    pages = _slugs(result.teams)
    folder = Path(folder)
    with staged_folder(folder) as tmp:
        figures = _Figures(tmp)
        (tmp / "index.html").write_text(
            _class_page(result, facts, luck, prompts, pages, figures, title), encoding="utf-8")
        summary = {"title": title, "scenario": result.scenario, "objective": result.objective,
                   "seeds": list(result.seeds), "level": level,
                   "luck_and_skill": _jsonable(luck),
                   "class_prompts": [p.rule for p in prompts], "teams": {}}
        for team in result.teams:
            (tmp / pages[team]).write_text(
                _team_page(result, facts, team, pages, figures, title), encoding="utf-8")
            summary["teams"][team] = {
                "page": pages[team], "rank": _jsonable(_plain_rank(facts.at[team, "rank"])),
                "objective_mean": float(facts.at[team, "objective"]),
                "prompts": [p.rule for p in team_prompts(facts, team)]}
        (tmp / "debrief.json").write_text(json.dumps(summary, indent=2) + "\n",
                                          encoding="utf-8")
    return folder


def _jsonable(value):
    """Numbers, NaN (as None), containers of them, for ``debrief.json``."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.integer, np.floating)):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
