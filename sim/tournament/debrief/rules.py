"""The rules that pick a team's discussion prompts, and their thresholds.

A rule compares one team with the *field*: every entry of the tournament, teams and presets
together ("the median entry" is the median over all of them), so a threshold means "far from
what the others did on this market" whatever the market. Each :class:`Rule` has its condition
in words (for the class page's footnote and the documentation), the course sections and
notebooks that teach the concept, and a function of the entry facts
(:func:`~sim.tournament.debrief.stats.entry_facts`) that returns the prompt's text, with the
numbers it rests on, or None; a missing column means the rule cannot fire. The thresholds are
named constants, so an instructor can read them, and discuss them, in one place.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from .text import _eur

__all__ = ["ADOPTION_LOW", "FAIRNESS_SATISFACTION_GAP", "HARVEST_EQUITY_GAP",
           "LEAKY_ACQUISITION_SHARE", "LEAKY_CHURN_RATIO", "LOYALTY_MIN_GAIN", "LOYALTY_SHARE",
           "MASS_CAC_RATIO", "MASS_SHARE", "QUEUE_MIN_WAIT", "QUEUE_SERVICE_GAP",
           "QUEUE_WAIT_RATIO", "RULES", "WASTE_LIMIT", "WASTE_SHARE", "Rule"]


@dataclass(frozen=True)
class Rule:
    """A rule that picks a prompt for a team from the data.

    Attributes
    ----------
    title : str
    when : str
        The condition, in words (shown in the documentation and the debrief's footnote).
    sections, notebooks : tuple
        Where the course teaches the concept.
    text : callable
        ``text(facts, team) -> str | None``: the prompt if the condition holds, else None.
    """

    title: str
    when: str
    sections: tuple[int, ...]
    notebooks: tuple[str, ...]
    text: Callable[[pd.DataFrame, str], str | None]


# Thresholds of the rules. "The median entry" is the median over every entry, teams and presets.
LEAKY_ACQUISITION_SHARE = 0.40  # acquisition + welcome discounts, of the money spent on levers
LEAKY_CHURN_RATIO = 1.15  # annual churn at least this times the median entry's
QUEUE_WAIT_RATIO = 2.0  # mean wait at least this times the median entry's ...
QUEUE_MIN_WAIT = 2.0  # ... and at least this many minutes,
QUEUE_SERVICE_GAP = 0.10  # or a service level this far below the median entry's
LOYALTY_SHARE = 0.10  # loyalty rewards, of the money spent on levers
LOYALTY_MIN_GAIN = 0.03  # annual churn less than this below the median entry's: little gain
WASTE_SHARE = 0.05  # retention offers, of the money spent on levers
WASTE_LIMIT = 0.60  # accepted offers to customers who would have stayed (ground truth)
ADOPTION_LOW = 0.50  # share of employees using the CRM system on the last cycle
HARVEST_EQUITY_GAP = 0.05  # customer equity this share below the median, profit above it
FAIRNESS_SATISFACTION_GAP = 0.01  # satisfaction this far below the median entry's
MASS_SHARE = 0.80  # mass marketing, of the acquisition money
MASS_CAC_RATIO = 1.20  # CAC at least this times the median entry's


def _get(facts: pd.DataFrame, team: str, column: str) -> float:
    if column not in facts.columns:
        return math.nan
    value = facts.at[team, column]
    return math.nan if value is None or pd.isna(value) else float(value)


def _median(facts: pd.DataFrame, column: str) -> float:
    return float(facts[column].median()) if column in facts.columns else math.nan


def _leaky_bucket(facts, team):
    share = _get(facts, team, "share_acquisition") + (
        _get(facts, team, "share_welcome") if "share_welcome" in facts else 0.0)
    churn, median = _get(facts, team, "annual_churn_rate"), _median(facts, "annual_churn_rate")
    if not (share >= LEAKY_ACQUISITION_SHARE and churn >= LEAKY_CHURN_RATIO * median):
        return None
    spend = _get(facts, team, "spend_acquisition") + (
        _get(facts, team, "spend_welcome") if "spend_welcome" in facts else 0.0)
    return (f"{team} put {share:.0%} of its lever spending ({_eur(spend)} a run) into winning "
            f"new customers, yet lost {churn:.1%} of its customers a year, against {median:.1%} "
            "for the median entry. New customers poured into a leaky bucket: what would the "
            "same money have kept if spent on keeping customers instead (lifecycle step 3, "
            "retain, before step 2, acquire)?")


def _service_queue(facts, team):
    wait, mwait = _get(facts, team, "mean_wait_minutes"), _median(facts, "mean_wait_minutes")
    level, mlevel = _get(facts, team, "service_level"), _median(facts, "service_level")
    slow = wait >= QUEUE_WAIT_RATIO * mwait and wait >= QUEUE_MIN_WAIT
    if not (slow or level <= mlevel - QUEUE_SERVICE_GAP):
        return None
    return (f"Customers waited {wait:,.1f} minutes on average for the service centre, "
            f"{level:.0%} answered within the target wait, against {mwait:,.1f} minutes and "
            f"{mlevel:.0%} for the median entry. How many agents would Erlang C have asked for "
            "at your load, and what did the waits cost in satisfaction and lost customers?")


def _loyalty_trap(facts, team):
    share = _get(facts, team, "share_loyalty")
    churn, median = _get(facts, team, "annual_churn_rate"), _median(facts, "annual_churn_rate")
    if not (share >= LOYALTY_SHARE and churn > median - LOYALTY_MIN_GAIN):
        return None
    gap = 100 * (median - churn)
    side = "below" if gap > 0 else "above"
    return (f"The loyalty programme took {_eur(_get(facts, team, 'spend_loyalty'))} a run "
            f"({share:.0%} of lever spending), yet annual churn was {churn:.1%}, "
            f"{abs(gap):.1f} percentage points {side} the median entry's {median:.1%}. Rewards "
            "went to customers who would have bought and stayed anyway: when does a loyalty "
            "programme pay for itself, and when is it a loyalty trap?")


def _retention_waste(facts, team):
    share, waste = _get(facts, team, "share_retention"), _get(facts, team,
                                                               "retention_waste_share")
    if not (share >= WASTE_SHARE and waste >= WASTE_LIMIT):
        return None
    return (f"Of the retention offers customers accepted, {waste:.0%} went to customers who "
            "would have stayed anyway (ground truth): "
            f"{_eur(_get(facts, team, 'retention_wasted_cost'))} of "
            f"{_eur(_get(facts, team, 'spend_retention'))} a run. Which observable signs "
            "(recency, complaints, waits) would a churn model have used to reach the right "
            "customer at the right time?")


def _technology_without_people(facts, team):
    crm, adoption = _get(facts, team, "spend_crm_system"), _get(facts, team, "adoption_end")
    if not (crm > 0 and adoption < ADOPTION_LOW):
        return None
    training = _get(facts, team, "spend_training")
    return (f"{team} paid {_eur(crm)} a run for the CRM system and "
            f"{_eur(0.0 if math.isnan(training) else training)} for training, and on the last "
            f"cycle only {adoption:.0%} of employees used the system. CRM is not only "
            "technology (\"gardening is almost a shovel\"): technology is 20-30% of a CRM "
            "project, people about half. What would training have changed?")


def _harvesting(facts, team):
    profit, mprofit = _get(facts, team, "profit"), _median(facts, "profit")
    equity, mequity = _get(facts, team, "customer_equity"), _median(facts, "customer_equity")
    if not (profit >= mprofit and equity <= (1 - HARVEST_EQUITY_GAP) * mequity):
        return None
    return (f"Profit was {_eur(profit)} (median entry {_eur(mprofit)}), but customer equity "
            f"ended at {_eur(equity)}, {1 - equity / mequity:.0%} below the median entry's "
            f"{_eur(mequity)}. Was today's profit bought with tomorrow's customers? Would the "
            "rank hold over three years?")


def _newcomer_deals(facts, team):
    welcome = _get(facts, team, "spend_welcome")
    sat, msat = _get(facts, team, "satisfaction_end"), _median(facts, "satisfaction_end")
    if not (welcome > 0 and sat <= msat - FAIRNESS_SATISFACTION_GAP):
        return None
    return (f"Welcome discounts for newcomers cost {_eur(welcome)} a run, and mean satisfaction "
            f"ended at {sat:.3f} against the median entry's {msat:.3f}. A devoted but neglected "
            "customer turns opponent: how did long-standing customers see deals they were not "
            "offered?")


def _mass_marketing(facts, team):
    acquisition = _get(facts, team, "spend_acquisition")
    mass = _get(facts, team, "cost_mass")
    cac, mcac = _get(facts, team, "cac"), _median(facts, "cac")
    if not (acquisition > 0 and mass / acquisition >= MASS_SHARE and cac >= MASS_CAC_RATIO * mcac):
        return None
    return (f"{mass / acquisition:.0%} of the acquisition money went to mass marketing and each "
            f"new customer cost EUR {cac:,.2f}, against EUR {mcac:,.2f} for the median entry. "
            "Why does mass marketing grow ever more expensive, and what would targeted "
            "(database) marketing of the profitable segments have bought?")


def _winback_cost(facts, team):
    spend, won = _get(facts, team, "spend_winback"), _get(facts, team, "won_back")
    mcac = _median(facts, "cac")
    if not (spend > 0 and (won == 0 or spend / won > mcac)):
        return None
    per = "no customer back" if won == 0 else f"EUR {spend / won:,.2f} per customer won back"
    return (f"Win-back campaigns cost {_eur(spend)} a run and brought back {won:,.1f} customers "
            f"on average: {per}, against a CAC of EUR {mcac:,.2f} for the median entry. Were "
            "the lost customers contacted soon enough after leaving, and were they worth "
            "winning back?")


def _close_call(facts, team):
    if not bool(facts.at[team, "close_call"]):
        return None
    objective = facts.attrs["objective"]
    return (f"Paired over the {facts.attrs['seeds']} common seeds, {team}'s {objective} "
            f"differs from {facts.at[team, 'neighbour']}'s by "
            f"{_eur(facts.at[team, 'close_diff'])} on average ({facts.attrs['level']:.0%} "
            f"interval {_eur(facts.at[team, 'close_low'])} to "
            f"{_eur(facts.at[team, 'close_high'])}), which includes zero: these seeds cannot "
            "tell the two strategies apart. Is the order between them skill or luck, and how "
            "many replications would settle it?")


def _below_presets(facts, team):
    if not (facts.at[team, "n_presets"] >= 1 and facts.at[team, "presets_beaten"] == 0):
        return None
    return (f"Every preset yardstick did better on {facts.attrs['objective']} than {team}; the "
            f"best, {facts.at[team, 'best_preset']}, by "
            f"{_eur(-facts.at[team, 'best_preset_gap'])} a run on average. The four CRM models "
            "are complementary: which of the presets' levers would you add first, and why?")


def _beats_presets(facts, team):
    n = facts.at[team, "n_presets"]
    if not (n >= 1 and facts.at[team, "presets_significant"] == n):
        return None
    return (f"{team} beat every preset on {facts.attrs['objective']}, each difference "
            "significant over the paired seeds; the closest, "
            f"{facts.at[team, 'closest_preset']}, by {_eur(facts.at[team, 'closest_margin'])} a "
            "run. Which lever made the difference, and would it still pay on another market or "
            "over a longer horizon?")


#: The rules that pick a team's prompts, in the order a page lists them.
RULES: dict[str, Rule] = {
    "leaky_bucket": Rule(
        "Leaky bucket: acquiring customers faster than keeping them",
        f"acquisition and welcome discounts are at least {LEAKY_ACQUISITION_SHARE:.0%} of "
        f"lever spending and annual churn is at least {LEAKY_CHURN_RATIO:g} times the median "
        "entry's", (4, 3), ("04", "03"), _leaky_bucket),
    "service_queue": Rule(
        "Waiting customers: operational CRM and the call centre",
        f"mean wait at least {QUEUE_WAIT_RATIO:g} times the median entry's and at least "
        f"{QUEUE_MIN_WAIT:g} minutes, or a service level {QUEUE_SERVICE_GAP:.0%} or more below "
        "the median entry's", (5, 6), ("07",), _service_queue),
    "loyalty_trap": Rule(
        "The loyalty trap",
        f"loyalty rewards are at least {LOYALTY_SHARE:.0%} of lever spending and annual churn "
        f"is less than {100 * LOYALTY_MIN_GAIN:g} percentage points below the median entry's",
        (7,), ("04",), _loyalty_trap),
    "retention_waste": Rule(
        "Retention offers to customers who would have stayed",
        f"retention offers are at least {WASTE_SHARE:.0%} of lever spending and at least "
        f"{WASTE_LIMIT:.0%} of accepted offers went to customers who would have stayed",
        (5, 3), ("08",), _retention_waste),
    "technology_without_people": Rule(
        "Technology without people",
        f"the CRM system was paid for and fewer than {ADOPTION_LOW:.0%} of employees used it on "
        "the last cycle", (2, 6), ("11", "07"), _technology_without_people),
    "harvesting": Rule(
        "Harvesting: profit now, customers later",
        "profit at or above the median entry's and customer equity at least "
        f"{HARVEST_EQUITY_GAP:.0%} below it", (9, 5), ("10",), _harvesting),
    "newcomer_deals": Rule(
        "Deals for newcomers and the neglected loyal customer",
        "welcome discounts were given and mean satisfaction ended at least "
        f"{FAIRNESS_SATISFACTION_GAP:g} below the median entry's", (7,), ("03", "04"),
        _newcomer_deals),
    "mass_marketing": Rule(
        "Mass marketing grows expensive",
        f"at least {MASS_SHARE:.0%} of acquisition money on mass marketing and a CAC at least "
        f"{MASS_CAC_RATIO:g} times the median entry's", (1, 4), ("03", "01"), _mass_marketing),
    "winback_cost": Rule(
        "Winning back: worth the price?",
        "money spent on win-back and no customer won back, or more per customer won back "
        "than the median entry's CAC", (3,), ("06",), _winback_cost),
    "close_call": Rule(
        "Skill or luck: a neighbour you cannot be told apart from",
        "the paired difference to the team ranked just above or below is not significant",
        (9,), ("12",), _close_call),
    "below_presets": Rule(
        "Below every yardstick",
        "the objective's mean is below every preset's", (5, 1), ("12", "01"), _below_presets),
    "beats_presets": Rule(
        "Above every yardstick",
        "the objective's mean is above every preset's, each difference significant",
        (9, 5), ("12",), _beats_presets),
}
