"""The debrief's HTML pages: the class page, one page per team, and the pages' file names.

A page is a list of HTML pieces joined by :func:`sim.report._page`, which gives every report of
CRM Lab one style sheet; figures are embedded (base64 PNG), so each page stands alone and can be
mailed or uploaded without the folder. The class page shows the leaderboard, luck versus skill,
KPIs over time, where the money went, incidents and the class prompts; a team page shows the
team against every preset and the winner (the runner-up, for the winner), seed by seed, and its
own prompts. Private helpers of the package.
"""

from __future__ import annotations

import html
import math
import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime

import pandas as pd

from ... import __version__
from ...report import _fmt, _page
from ...result import KPI_INFO
from ..result import OBJECTIVES, TournamentResult
from .figures import (
    TIMELINE_KPIS,
    _fig_height,
    _plot_kpi,
    _plot_spending,
    _plot_spread,
    _plot_team_seeds,
    _style,
)
from .prompts import Prompt, team_prompts
from .rules import RULES
from .stats import _paired, _seeds, _wide, kpi_bands
from .tables import (
    _incidents_html,
    _kpi_table,
    _leaderboard_html,
    _seed_table,
    _settings_html,
    _spending_table,
)
from .text import _difference, _eur, _pct, _plain_rank

__all__: list[str] = []

# report._page has one style sheet; what only the debrief needs is inline (a <style> element
# belongs in the head).
_PROMPT_STYLE = ("background: #f7f3ea; border-left: 4px solid #f4a259; padding: 0.5em 0.9em; "
                 "margin: 0.7em 0")


def _prompt_html(p: Prompt) -> str:
    e = html.escape
    return (f"<div class=\"prompt\" style=\"{_PROMPT_STYLE}\"><b>{e(p.title)}</b><br>"
            f"{e(p.text)}<br><span class=\"note\">See {e(p.course())}.</span></div>")


def _luck_html(result: TournamentResult, luck: dict, facts: pd.DataFrame) -> str:
    e = html.escape
    objective, teams = result.objective, result.teams
    parts = []
    if math.isnan(luck["skill"]):
        parts.append(f"<p>With {luck['teams']} team(s) and {luck['seeds']} complete seed(s) "
                     "the spread cannot be split into skill and luck: it takes at least two "
                     "teams and two seeds.</p>")
    else:
        test = (f" The team effect's F test gives F = {luck['f']:,.2f}, p = {luck['p']:.3g}."
                if not math.isnan(luck["p"]) else "")
        parts.append(
            f"<p>Of the spread of {e(objective)} across the {luck['teams']} teams' runs on "
            f"{luck['seeds']} seeds, <b>{_pct(luck['skill'])}</b> lies between teams (their "
            f"strategies: skill), <b>{_pct(luck['market'])}</b> between seeds and common to "
            "every team (the market's luck: every team faced the same customers, so a paired "
            f"comparison removes it) and <b>{_pct(luck['own'])}</b> is each team's own luck on "
            f"each seed (what is left in a paired comparison).{e(test)}</p>")
    if luck["teams"] >= 2:
        first, second = luck["top_two"]
        y = _wide(result.runs, objective, teams)
        d, low, high, sig = _paired(y[first], y[second], facts.attrs["level"])
        parts.append(
            f"<p>{e(second)} beat {e(first)} on {luck['flips']} of {luck['seeds']} seeds. "
            f"Paired over the seeds, {e(first)} minus {e(second)}: "
            f"{e(_difference(d, low, high, sig, facts.attrs['level']))}.</p>")
        won = ", ".join(f"{e(t)} {n} of {luck['seeds']}" for t, n in luck["seed_winners"].items())
        parts.append(f"<p>Had the tournament been a single seed, the winner would have been: "
                     f"{won}.</p>")
        close = [(t, facts.at[t, "neighbour"]) for t in teams if facts.at[t, "close_call"]]
        pairs = sorted({tuple(sorted(p)) for p in close})
        if pairs:
            parts.append("<p>Neighbours in the ranking these seeds cannot tell apart (paired "
                         f"difference not significant at {facts.attrs['level']:.0%}): "
                         + "; ".join(f"{e(a)} and {e(b)}" for a, b in pairs) + ".</p>")
    return "\n".join(parts)


def _meta(result: TournamentResult) -> str:
    e = html.escape
    return (f"<p class=\"meta\">Scenario <b>{e(result.scenario)}</b>; ranked by "
            f"<b>{e(result.objective)}</b> ({e(OBJECTIVES[result.objective])}); "
            f"{len(result.teams)} teams and {len(result.presets)} presets on the same "
            f"{len(result.seeds)} seeds ({e(', '.join(map(str, result.seeds)))}: common random "
            f"numbers). Written {datetime.now(UTC):%Y-%m-%d %H:%M UTC} by CRM Lab "
            f"{e(__version__)}.</p>")


def _kpi_figures(result: TournamentResult, figures, prefix: str, entries: list[str],
                 style: dict, caption: Callable[[tuple], str]) -> list[str]:
    """One figure per KPI of :data:`~sim.tournament.debrief.figures.TIMELINE_KPIS` over time
    for ``entries``, named ``<prefix>_<column>``; ``caption(kpi)`` words each."""
    out = []
    for kpi in TIMELINE_KPIS:
        bands = kpi_bands(result.timelines, kpi[0], cumulative=kpi[3])
        name = figures.draw(f"{prefix}_{kpi[0]}", lambda ax, b=bands, k=kpi: _plot_kpi(
            ax, b, k, entries, style), size=(8.0, 4.4))
        out.append(figures.html(name, caption(kpi)))
    return out


def _spending_html(facts: pd.DataFrame, figures, name: str, entries: list[str],
                   caption: str) -> list[str]:
    """Where the money went for ``entries``: the bars by lever (figure ``name``) and the table."""
    return [figures.html(figures.draw(name, lambda ax: _plot_spending(ax, facts, entries),
                                      size=(8.5, _fig_height(len(entries)))), caption),
            _spending_table(facts, entries)]


def _class_page(result, facts, luck, prompts, pages, figures, title) -> str:
    e = html.escape
    teams, presets = result.teams, result.presets
    entries = teams + presets
    seeds = _seeds(result.runs)
    draw = figures.draw
    body = [f"<h1>{e(title)}</h1>", _meta(result),
            "<nav>Team pages: " + " &middot; ".join(f"<a href=\"{pages[t]}\">{e(t)}</a>"
                                                    for t in teams) + "</nav>",
            "<h2>Leaderboard</h2>", _leaderboard_html(result, pages),
            "<p class=\"note\">As the tournament ranked it: means over the seeds, intervals, and "
            "whether neighbours differ significantly (paired over the common seeds).</p>",
            "<h2>Luck or skill?</h2>", "<div class=\"grid\">",
            figures.html(draw("class_spread", lambda ax: _plot_spread(
                ax, result.runs, result.objective, entries, teams),
                size=(8.0, _fig_height(len(entries)))),
                f"{result.objective} of every run: box over the seeds, a point per seed"),
            "</div>", _luck_html(result, luck, facts),
            "<h2>KPIs over time</h2>",
            "<p>Each line is the mean over the seeds; the band runs from the lowest to the "
            "highest seed. Presets are dashed grey.</p>", "<div class=\"grid\">"]
    body += _kpi_figures(result, figures, "class", entries, _style(entries, teams),
                         lambda kpi: f"{kpi[1]} ({kpi[2]}), every team and preset")
    body += ["</div>", "<h2>Where the money went</h2>",
             "<p>Money spent on each lever per run, mean over the seeds (from the timeline's "
             "cost columns). The cost of goods and the cost to serve come with the sales, not "
             "with a decision, and are listed apart.</p>",
             *_spending_html(facts, figures, "class_spending", entries,
                             "Spending by lever, EUR per run"),
             "<h2>Incidents</h2>", _incidents_html(result.incidents, seeds, "every team"),
             "<h2>Discussion</h2>"]
    body += [_prompt_html(p) for p in prompts] or ["<p>No class-wide prompt applies.</p>"]
    body += ["<h2>How the team prompts are chosen</h2>",
             "<p class=\"note\">Each team page lists the prompts whose rule holds for the team. "
             "\"The median entry\" is the median over every team and preset of this "
             "tournament.</p><ul>"]
    body += [f"<li><b>{e(r.title)}</b>: {e(r.when)}.</li>" for r in RULES.values()]
    body.append("</ul>")
    if result.settings:
        body += ["<h2>Settings</h2>", _settings_html(result)]
    return _page(title, body)


def _team_page(result, facts, team, pages, figures, title) -> str:
    e = html.escape
    teams, presets, objective = result.teams, result.presets, result.objective
    rival = teams[0] if team != teams[0] else (teams[1] if len(teams) > 1 else None)
    others = [*([rival] if rival else []), *presets]
    style = _style([team, *others], [team, *([rival] if rival else [])], focus=team)
    slug = pages[team].removesuffix(".html")
    runs = result.runs[result.runs["team"] == team]
    incidents = result.incidents[result.incidents["team"] == team]
    seeds = _seeds(result.runs)
    rank_text = f"Rank {_plain_rank(facts.at[team, 'rank'])} of {len(teams)}"
    field = _wide(result.runs, objective, teams + presets)
    values = field[team].dropna()
    own = (field[team] - field.mean(axis=1)).dropna()
    body = [f"<h1>{e(team)}: debrief</h1>", _meta(result),
            f"<nav><a href=\"index.html\">{e(title)}: the class page</a></nav>",
            "<div class=\"kpis\">",
            f"<div class=\"kpi\"><b>{e(rank_text)}</b><span>ranked by {e(objective)}</span></div>"]
    for key in dict.fromkeys((objective, "profit", "customer_equity", "annual_churn_rate",
                              "customers_active_end", "satisfaction_end")):
        if key in facts.columns:
            label, unit, _ = KPI_INFO[key]
            body.append(f"<div class=\"kpi\"><b>{e(_fmt(key, facts.at[team, key]))}</b>"
                        f"<span>{e(label)} ({e(unit)}), mean over the seeds</span></div>")
    body += ["</div>",
             f"<p>Decisions: {int(runs['decisions'].sum()):,} CRM cycles decided by the "
             f"team's strategy, {int(runs['fallbacks'].sum()):,} by the fallback, over "
             f"{len(runs)} runs.</p>" if {"decisions", "fallbacks"} <= set(runs.columns) else "",
             "<h2>Against the yardsticks</h2>",
             f"<p>The presets, and {'the runner-up' if team == teams[0] else 'the winner'}"
             f"{' (' + e(rival) + ')' if rival else ''}, on the same seeds.</p>",
             _kpi_table(result, facts, team, others),
             "<h2>Seed by seed</h2>", "<div class=\"grid\">",
             figures.html(figures.draw(f"{slug}_seeds", lambda ax: _plot_team_seeds(
                 ax, result.runs, objective, team, others, style)),
                 f"{objective} of {team}, the presets and {rival or 'no other team'}, by seed"),
             "</div>",
             f"<p>{e(team)}'s {e(objective)} ranged from {e(_eur(values.min()))} to "
             f"{e(_eur(values.max()))} over the {len(values)} seeds (standard deviation "
             f"{e(_eur(values.std(ddof=1)) if len(values) > 1 else 'n/a')}). Measured against "
             "each seed's field average, which removes the luck every entry shared, the "
             f"standard deviation is {e(_eur(own.std(ddof=1)) if len(own) > 1 else 'n/a')}.</p>",
             _seed_table(result, team),
             "<h2>KPIs over time</h2>", "<div class=\"grid\">"]
    body += _kpi_figures(result, figures, slug, [team, *others], style,
                         lambda kpi: f"{kpi[1]} ({kpi[2]}): {team} against the others")
    body += ["</div>", "<h2>Where the money went</h2>",
             *_spending_html(facts, figures, f"{slug}_spending", [team, *others],
                             f"Spending by lever: {team} against the others, EUR per run"),
             "<h2>Incidents</h2>", _incidents_html(incidents, seeds, team),
             "<h2>For discussion</h2>"]
    prompts = team_prompts(facts, team)
    body += [_prompt_html(p) for p in prompts] or [
        "<p>None of the debrief's rules holds for this team: on every lever they check, its "
        "numbers are within the usual range of the field. See the class page's prompts.</p>"]
    return _page(f"{team}: {title}", body)


# Letters of the course's languages that Unicode does not decompose into a Latin base letter.
_LATIN = str.maketrans({"ı": "i", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "đ": "d", "ß": "ss",
                        "æ": "ae", "œ": "oe"})


def _slugs(teams: list[str]) -> dict[str, str]:
    """Team -> page file name, ``team-<ascii slug>.html``, unique; a name with no Latin letter
    (Persian, say) is numbered by its rank."""
    pages, used = {}, set()
    for i, team in enumerate(teams, start=1):
        ascii_name = (unicodedata.normalize("NFKD", team.translate(_LATIN))
                      .encode("ascii", "ignore").decode())
        base = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40] or f"{i}"
        slug, k = base, 2
        while slug in used:
            slug, k = f"{base}-{k}", k + 1
        used.add(slug)
        pages[team] = f"team-{slug}.html"
    return pages
