"""Discussion prompts: for each team, from the rules, and for the whole class.

A :class:`Prompt` is what a page shows: a title, a text with the numbers it rests on, and where
the course teaches it. :func:`team_prompts` asks every rule of
:data:`~sim.tournament.debrief.rules.RULES` about one team; :func:`class_prompts` words the
prompts for the whole class from the same data: luck versus skill, what the winner did
differently, the ranking by the other objective, the presets as yardsticks, and a rule met by
several teams as a pattern of the class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from ...glossary import SECTIONS
from ..result import OBJECTIVES, TournamentResult
from .course import LEVERS, NOTEBOOKS
from .rules import RULES
from .text import _pct

__all__ = ["Prompt", "class_prompts", "team_prompts"]


@dataclass(frozen=True)
class Prompt:
    """A discussion prompt and the part of the course it leads to.

    Attributes
    ----------
    rule : str
        The rule that chose it (a key of :data:`RULES`, or a class prompt's name).
    title : str
    text : str
        The prompt, with the numbers it rests on.
    sections : tuple of int
        Course sections (:data:`sim.glossary.SECTIONS`).
    notebooks : tuple of str
        Notebook numbers (:data:`NOTEBOOKS`).
    """

    rule: str
    title: str
    text: str
    sections: tuple[int, ...]
    notebooks: tuple[str, ...]

    def course(self) -> str:
        """Where the course teaches it: "course section 4 (Lifecycle steps); notebook 04
        (Retain customers)", several of each joined with "and"."""
        sections = " and ".join(f"{s} ({SECTIONS[s]})" for s in self.sections)
        notebooks = " and ".join(f"{n} ({NOTEBOOKS[n]})" for n in self.notebooks)
        plural = ("s" if len(self.sections) > 1 else "", "s" if len(self.notebooks) > 1 else "")
        return f"course section{plural[0]} {sections}; notebook{plural[1]} {notebooks}"


def team_prompts(facts: pd.DataFrame, team: str) -> list[Prompt]:
    """The prompts whose rule fires for ``team``, in :data:`RULES` order.

    Parameters
    ----------
    facts : pandas.DataFrame
        :func:`~sim.tournament.debrief.stats.entry_facts` (or a table with the columns the
        rules read; a missing column means the rule cannot fire).
    team : str
        A row of ``facts``.
    """
    prompts = []
    for name, rule in RULES.items():
        text = rule.text(facts, team)
        if text is not None:
            prompts.append(Prompt(name, rule.title, text, rule.sections, rule.notebooks))
    return prompts


def class_prompts(result: TournamentResult, facts: pd.DataFrame, luck: dict) -> list[Prompt]:
    """Prompts for the whole class, from the same data: luck vs skill, the winner's levers,
    the other objective, the yardsticks and the patterns the team rules found."""
    teams, objective = result.teams, result.objective
    prompts = []
    if not math.isnan(luck["skill"]):
        prompts.append(Prompt(
            "luck_vs_skill", "Luck or skill?",
            f"{_pct(luck['skill'])} of the spread of {objective} across the teams' runs lies "
            f"between teams, {_pct(luck['own'])} is each team's own luck on each seed. On "
            f"{luck['flips']} of {luck['seeds']} seeds {luck['top_two'][1]} beat "
            f"{luck['top_two'][0]}. Would one seed have been a fair tournament? How many would?",
            (9,), ("12",)))
    levers = [c.removeprefix("share_") for c in facts.columns if c.startswith("share_")]
    if len(teams) >= 2 and levers:
        shares = facts.loc[teams, [f"share_{k}" for k in levers]].fillna(0.0)
        gap = shares.loc[teams[0]] - shares.loc[teams[1:]].mean()
        key = gap.abs().idxmax().removeprefix("share_")
        lever = LEVERS.get(key)
        label = facts.attrs["labels"][key]
        prompts.append(Prompt(
            "winner_lever", "What the winner did differently",
            f"{teams[0]} spent {shares.at[teams[0], 'share_' + key]:.0%} of its lever money on "
            f"{label}; the other teams {shares.loc[teams[1:], 'share_' + key].mean():.0%} on "
            "average, the largest difference of any lever. Was that lever the reason it won?",
            (lever.section,) if lever else (9,), (lever.notebook,) if lever else ("12",)))
    other = next((k for k in OBJECTIVES if k != objective and k in facts.columns), None)
    if other is not None and len(teams) >= 2:
        by_other = facts.loc[teams, other].sort_values(ascending=False, kind="stable").index
        if list(by_other) != teams:
            prompts.append(Prompt(
                "other_objective", "Ranked by another yardstick",
                f"Ranked by {other} instead of {objective}, the order changes: "
                f"{', '.join(by_other)}. Which ranking would the firm's owners want after one "
                "year, and which after five? Profit now against customers later.",
                (9, 5), ("10",)))
    if result.presets:
        best = facts.loc[result.presets, "objective"].idxmax()
        above = [t for t in teams if facts.at[t, "objective"] > facts.at[best, "objective"]]
        prompts.append(Prompt(
            "yardsticks", "Against the presets",
            f"{len(above)} of {len(teams)} teams beat the best preset, {best}, on the mean "
            f"{objective}. The presets each embody one CRM model: what did the teams that beat "
            "them combine?", (5,), ("12",)))
    for name, rule in RULES.items():
        fired = [t for t in teams if rule.text(facts, t) is not None]
        if len(fired) >= 2:
            prompts.append(Prompt(
                f"pattern_{name}", f"A pattern in the class: {rule.title.lower()}",
                f"{len(fired)} teams ({', '.join(fired)}) met this rule: {rule.when}. What "
                "did they have in common, and what did the others do instead?",
                rule.sections, rule.notebooks))
    return prompts
