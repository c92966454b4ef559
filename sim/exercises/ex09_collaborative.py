"""Exercise 09, collaborative CRM: recontacts, offer fit, partner customers, a sharing rule,
one customer view across channels.

Goes with ``notebooks/09_collaborative.ipynb``. Questions: contacts per issue in a year of a
fixed two-agent service centre at the student's first-contact resolution (q1); how much sharing
raises the acceptance of cross-sell offers at the student's ``fit_boost`` (q2); the customers
partners bring at the student's ``partner_referrals`` (q3); which step is collaborative CRM
(q4); a strategy that shares and cross-sells only to customers without an unresolved
complaint, most frequent buyers first (q5); and how many escalations from web self-service and
e-mail to the call centre channel integration saves in a year at the student's
``integration_fcr_boost`` (q6, notebook section 6).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..actions import Actions
from ..engine import run
from ..scenario import Scenario
from ..strategies import collaborative, operational
from .feedback import ParamDraws, Params
from .questions import ChoiceQuestion, Mistake, NumberQuestion, StrategyQuestion, told_apart
from .registry import Exercise, register
from .runs import _scenario

__all__ = ["COLLABORATIVE", "MASS_SPEND", "acceptance_rate", "contacts_per_issue", "escalations"]

YEAR = 365  # days: the horizon of every run of this exercise
MASS_SPEND = 12_000.0  # EUR a cycle: the fixed centre's and q5's mass marketing
AGENTS = 2  # the fixed centre's and q5's agents
MINUTES_PER_DAY = 1440.0


# -- the recipes the exercise notebook asks for ----------------------------------------------------
def contacts_per_issue(result) -> float:
    """Service contacts per issue: rows of the service log / distinct issues."""
    log = result.service
    return len(log) / log["issue"].nunique()


def acceptance_rate(result) -> float:
    """Share of a run's cross-sell contacts that ended in another product."""
    contacts = result.campaigns[result.campaigns["campaign"] == "cross_sell"]
    return float(contacts["accepted"].astype(bool).mean())


def escalations(result) -> int:
    """Web self-service and e-mail contacts of a run that escalated to a call (count); the same
    as ``by_channel(result)["escalated"].sum()`` and the timeline's ``escalations``."""
    return int(result.channel_contacts["escalated"].astype(bool).sum())


def _fixed_centre(view) -> Actions:
    """The notebook's fixed service centre: two agents, EUR 12,000 of mass marketing."""
    return Actions(mass_spend=MASS_SPEND, agents=AGENTS)


def _sharing_off(view) -> Actions:
    """The collaborative preset's plan for this cycle with only the sharing switched off."""
    return collaborative(view).replace(collaborative=False)


_sharing_off.__name__ = "sharing off"


def _separate_channels(view) -> Actions:
    """q6's fixed plan: the fixed centre with web self-service and e-mail open, not integrated."""
    return Actions(mass_spend=MASS_SPEND, agents=AGENTS, self_service=True, email_service=True)


def _integrated_channels(view) -> Actions:
    """q6's fixed plan with the channels integrated (one customer view behind every channel)."""
    return _separate_channels(view).replace(channel_integration=True)


# -- shared runs ----------------------------------------------------------------------------------
def _year(**fields) -> Scenario:
    return _variant(YEAR, tuple(sorted(fields.items())))


@functools.cache
def _variant(horizon_days: int, fields: tuple) -> Scenario:
    """The classroom market over ``horizon_days`` with ``fields`` changed, built once
    (``Scenario.replace`` validates the whole scenario: too slow to repeat in every check)."""
    return _scenario("classroom").replace(horizon_days=horizon_days, **dict(fields))


def _sharing_market(params: Params) -> Scenario:
    """The scenario of q2 and q3: one year with the student's fit_boost and partner rate."""
    return _year(**{"collaboration.fit_boost": params.fit_boost,
                    "collaboration.partner_referrals": params.partner_referrals})


# Room for every run the checks and their hints may ask for (at most about 20, some 2 MB each),
# so that the score cell of the notebook finds them all again.
@functools.lru_cache(maxsize=32)
def _run(scenario: Scenario, strategy, seed: int):
    """One run, cached: checks and their hints reuse the same few runs."""
    return run(scenario, strategy, seed=seed, transactions="none")


_STRATEGIES = {"fixed": _fixed_centre, "operational": operational,
               "collaborative": collaborative, "sharing off": _sharing_off,
               "separate": _separate_channels, "integrated": _integrated_channels}


def _centre(params: Params, *, fcr: float | None = None, seed: int | None = None,
            strategy: str = "fixed", horizon_days: int = YEAR):
    scenario = _variant(horizon_days, (("service.fcr", params.fcr if fcr is None else fcr),))
    return _run(scenario, _STRATEGIES[strategy], params.seed if seed is None else seed)


def _sharing(params: Params, strategy: str = "collaborative", *, seed: int | None = None,
             default_market: bool = False):
    scenario = _year() if default_market else _sharing_market(params)
    return _run(scenario, _STRATEGIES[strategy], params.seed if seed is None else seed)


def _lift(params: Params, **how) -> float:
    return (acceptance_rate(_sharing(params, "collaborative", **how))
            / acceptance_rate(_sharing(params, "sharing off", **how)))


def _per_issue(params: Params) -> float:
    return contacts_per_issue(_centre(params))


def _channel(params: Params, channel: str, strategy: str = "collaborative", **how) -> int:
    customers = _sharing(params, strategy, **how).customers
    return int((customers["channel"] == channel).sum())


def _partners(params: Params) -> int:
    return _channel(params, "partner")


def _default_boost() -> float:
    """The classroom's own integration boost (what a student who forgot to set it runs)."""
    return _scenario("classroom").channels.integration_fcr_boost


def _desk(params: Params, integrated: bool, *, boost: float | None = None,
          seed: int | None = None, horizon_days: int = YEAR):
    """A year (or ``horizon_days``) of q6's plan, channels separate or integrated, at the
    student's ``integration_fcr_boost`` (or ``boost``)."""
    if not integrated:
        # The boost acts only where the channels are integrated: a run with separate channels
        # is the same at every boost, so it is run once, at the student's.
        boost = None
    boost = params.integration_fcr_boost if boost is None else boost
    scenario = _variant(horizon_days, (("channels.integration_fcr_boost", boost),))
    return _run(scenario, _STRATEGIES["integrated" if integrated else "separate"],
                params.seed if seed is None else seed)


def _unresolved_online(result) -> int:
    return int((~result.channel_contacts["resolved"].astype(bool)).sum())


def _web_escalations(result) -> int:
    cc = result.channel_contacts
    return int(cc.loc[cc["channel"] == "web", "escalated"].astype(bool).sum())


def _calls(result) -> int:
    return int(result.summary()["contacts"])


def _saved(params: Params, measure: Callable = escalations, **how) -> float:
    """``measure`` of the run with separate channels minus that of the integrated run."""
    return float(measure(_desk(params, False, **how)) - measure(_desk(params, True, **how)))


def _escalations_saved(params: Params) -> float:
    return _saved(params)


def _saved_share(params: Params) -> float:
    """The escalations saved as a share of those without integration (a fraction)."""
    return 1 - escalations(_desk(params, True)) / escalations(_desk(params, False))


# -- parameters -----------------------------------------------------------------------------------
def _params_09(draws: ParamDraws) -> dict:
    seed = draws.integer(100, 999_999)
    if seed == 42:  # 42 is the notebooks' seed: a student must not get it by chance
        seed = 43
    # The scenario's defaults (fcr 0.65, fit_boost 0.3, 30 partner customers, integration boost
    # 0.1) are left out, so that a student who forgot to set a parameter can be told so.
    return {"seed": seed,
            "fcr": draws.choice((0.55, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9)),
            "fit_boost": draws.choice((0.1, 0.15, 0.2, 0.25, 0.35, 0.4, 0.45, 0.5)),
            "partner_referrals": float(draws.choice((15, 20, 25, 35, 40, 45, 50, 60))),
            "n_contacts": draws.integer(500, 1_500, 100),
            # Drawn last, so that the parameters drawn before it stay what students already
            # have; the scenario's 0.1 is left out, as above.
            "integration_fcr_boost": draws.choice((0.15, 0.2, 0.25, 0.3))}


_SEED_HINT = ("That is the value for seed 42, the notebooks' seed: run with your own seed, "
              "`seed=params.seed`.")
_HORIZON_HINT = ("That is the value for the scenario's full three years: this question uses one "
                 "year, `.replace(horizon_days=365)`.")


# -- the coding task ------------------------------------------------------------------------------
def _unresolved_before(result) -> pd.Series:
    """Per customer, the day their first unresolved contact ended (only customers with one)."""
    log = result.service
    done = log["handle_minutes"].notna() & ~log["resolved"].astype(bool)
    rows = log[done]
    end = rows["arrival_day"] + (rows["wait_minutes"] + rows["handle_minutes"]) / MINUTES_PER_DAY
    return end.groupby(rows["customer_id"]).min()


def _buyer_ratio(result, contacts: pd.DataFrame) -> float:
    """Median over cycles of (mean purchases so far of the customers contacted) / (mean
    purchases so far of all customers active then): well above 1 when the most frequent buyers
    are chosen, near 1 for a random choice."""
    log, customers = result.transactions, result.customers
    acquired = customers.set_index("customer_id")["acquired_day"]
    lost = customers.set_index("customer_id")["lost_day"]
    ratios = []
    for day, chosen in contacts.groupby("day")["customer_id"]:
        before = log.loc[log["day"] < day].groupby("customer_id")["purchases"].sum()
        active = acquired.index[(acquired <= day) & ~(lost <= day)]
        everyone = before.reindex(active, fill_value=0).mean()
        if everyone > 0:
            ratios.append(before.reindex(chosen, fill_value=0).mean() / everyone)
    return float(np.median(ratios)) if ratios else float("nan")


def _verify_09_strategy(result, params: Params) -> str | None:
    tl = result.timeline
    if not tl["collaborative"].astype(bool).all():
        return ("Your strategy does not share customer knowledge in every cycle: set "
                "`collaborative=True` in the `Actions` it returns.")
    agents = sorted(set(tl["agents"].astype(int)))
    if agents != [AGENTS]:
        return (f"Your strategy staffed {', '.join(map(str, agents))} agent(s); the task asks "
                f"for {AGENTS} agents in every cycle.")
    spent = tl["cost_mass"] * result.scenario.cycle_days / tl["days"]
    if not (abs(spent - MASS_SPEND) <= 0.005 * MASS_SPEND).all():
        return ("Your mass-marketing spend is not EUR 12,000 in every cycle: use "
                "`mass_spend=12_000` (EUR per cycle).")
    counts = tl["cross_sell_contacts"]
    if (counts == 0).all():
        return ("Your strategy made no cross-sell contacts: pass the chosen customer ids as "
                "`cross_sell=...`.")
    if (counts > params.n_contacts).any():
        return ("In some cycle your strategy contacted more than `params.n_contacts` "
                "customers: take at most that many a cycle (e.g. `.head(params.n_contacts)`).")
    if (counts < params.n_contacts).any():
        return ("In some cycle your strategy contacted fewer than `params.n_contacts` "
                "customers, although enough customers qualified: take `params.n_contacts` of "
                "them every cycle.")
    contacts = result.campaigns[result.campaigns["campaign"] == "cross_sell"]
    first_bad = _unresolved_before(result)
    when = contacts["customer_id"].map(first_bad)
    if (contacts["day"] > when + 1e-6).any():
        return ("Your strategy sent offers to customers with an unresolved complaint: sales can "
                "see what support knows, so leave out every customer whose `unresolved` count "
                "in `view.customers` is above 0.")
    if not _buyer_ratio(result, contacts) > 1.5:
        return ("Your strategy does not pick the most frequent buyers: among the customers who "
                "qualify, sort by `purchases` from the most to the fewest and take the first "
                "`params.n_contacts`.")
    return None


def _one_year(params: Params) -> Scenario:
    return _year()


COLLABORATIVE = register(Exercise(
    name="09_collaborative",
    title="Collaborative CRM: recontacts, offer fit, partners, a sharing rule and one view",
    make_params=_params_09,
    defaults={"seed": 42, "fcr": 0.75, "fit_boost": 0.5, "partner_referrals": 50.0,
              "n_contacts": 1_000, "integration_fcr_boost": 0.2},
    questions=(
        NumberQuestion(
            id="q1",
            text="Contacts per issue in one year of the fixed two-agent centre with "
                 "service.fcr = params.fcr (3 decimals).",
            compute=_per_issue,
            abs_tol=0.0015,
            near=0.02,
            near_hint=("Close: give the ratio to three decimal places, every contact of "
                       "`result.service` divided by the number of distinct issues "
                       "(`result.service[\"issue\"].nunique()`)."),
            hint=("Run one year of the classroom market with `service.fcr` set to "
                  "`params.fcr`, the fixed centre of the notebook (2 agents, EUR 12,000 of mass "
                  "marketing, nothing else) and `seed=params.seed`, then divide the number of "
                  "rows of `result.service` by the number of distinct issues."),
            mistakes=told_apart(
                _per_issue, 0.0015, 0.001,
                Mistake(lambda p: 1 / (1 - (1 - p.fcr) * _scenario("classroom")
                                       .service.recontact_prob),
                        "That is what the formula predicts; the question asks what the service "
                        "log of your run shows. Count the contacts and the issues."),
                Mistake(lambda p: 1 / contacts_per_issue(_centre(p)),
                        "You divided the other way round: how many contacts does an issue "
                        "take, on average?", rel_tol=0.01),
                Mistake(lambda p: float((_centre(p).service["contact"] > 1).mean()),
                        "That is the share of contacts that were recontacts; the question asks "
                        "for contacts per issue."),
                Mistake(lambda p: len(_centre(p).service)
                        / _centre(p).service["customer_id"].nunique(),
                        "You divided by the customers who contacted the service centre; a "
                        "customer can have several issues. Divide by the distinct issues."),
                Mistake(lambda p: contacts_per_issue(_centre(p, fcr=0.65)),
                        "That is the value at the classroom's default resolution (0.65): set "
                        "`\"service.fcr\": params.fcr` with `Scenario.replace`."),
                Mistake(lambda p: contacts_per_issue(_centre(p, strategy="operational")),
                        "That run used a CRM system (`strategies.operational`), so its "
                        "resolution is not `service.fcr`: use the fixed centre, 2 agents and "
                        "EUR 12,000 of mass marketing, nothing else."),
                Mistake(lambda p: contacts_per_issue(_centre(p, seed=42)), _SEED_HINT),
                Mistake(lambda p: contacts_per_issue(_centre(p, horizon_days=1095)),
                        _HORIZON_HINT),
            ),
            praise=("Every unresolved issue that comes back is another call for an agent: "
                    "first-contact resolution is capacity."),
        ),
        NumberQuestion(
            id="q2",
            text="Cross-sell acceptance rate with sharing divided by the rate with sharing "
                 "off, one year, collaboration.fit_boost = params.fit_boost (3 decimals).",
            compute=_lift,
            abs_tol=0.0015,
            near=0.02,
            near_hint=("Close: give the ratio to three decimal places, and compute each rate as "
                       "the share of the run's cross-sell contacts that were accepted."),
            hint=("Run one year of the classroom market with `collaboration.fit_boost` = "
                  "`params.fit_boost` and `collaboration.partner_referrals` = "
                  "`params.partner_referrals`, once with `strategies.collaborative` and once "
                  "with `sharing_off` (the same plan with `collaborative=False`), both with "
                  "`seed=params.seed`. In each, take the cross-sell rows of `result.campaigns` "
                  "and the mean of `accepted`; divide the first rate by the second."),
            mistakes=told_apart(
                _lift, 0.0015, 0.001,
                Mistake(lambda p: 1 / _lift(p),
                        "You divided the other way round: how many times more often are offers "
                        "accepted *with* sharing?", rel_tol=0.01),
                Mistake(lambda p: (acceptance_rate(_sharing(p, "collaborative"))
                                   - acceptance_rate(_sharing(p, "sharing off"))),
                        "That is the difference of the two rates; the question asks for their "
                        "ratio."),
                Mistake(lambda p: 1 + p.fit_boost,
                        "That is what `fit_boost` promises; the question asks what your runs "
                        "show. Measure both acceptance rates: chance, and customers who already "
                        "hold every product and cannot accept whatever the fit, move the ratio "
                        "away from the promise."),
                # Not a named mistake: the ratio of the products sold, which differs from the
                # right answer only by the ratio of the two runs' cross-sell contacts (the budget
                # keeps it within a few percent); the "close" hint and the hint ask for accepted
                # / contacts.
                Mistake(lambda p: _lift(p, default_market=True),
                        "That is the value for the classroom's default `fit_boost`: set "
                        "`\"collaboration.fit_boost\": params.fit_boost` with "
                        "`Scenario.replace`."),
                Mistake(lambda p: _lift(p, seed=42), _SEED_HINT),
            ),
            praise=("Sales that sees what support and marketing know makes offers that fit; in "
                    "CRM Lab that is `fit_boost`, a teaching assumption."),
        ),
        NumberQuestion(
            id="q3",
            text="Customers brought by partners in the collaborative run of q2 (a count).",
            compute=_partners,
            abs_tol=0.5,
            near=0.02,
            near_hint=("Close, but this count should match exactly: count the rows of "
                       "`result.customers` whose `channel` is \"partner\" in the collaborative "
                       "run with your seed."),
            hint=("Use the collaborative run of question 2 (your `fit_boost`, your "
                  "`partner_referrals`, your seed) and count the customers of "
                  "`result.customers` whose `channel` is \"partner\"."),
            mistakes=told_apart(
                _partners, 0.5, 1,
                Mistake(lambda p: _channel(p, "referral"),
                        "Those are the customers won by word of mouth (`channel` "
                        "\"referral\"); the question asks about partners."),
                Mistake(lambda p: _sharing(p).summary()["customers_acquired"],
                        "That is every customer acquired in the year; count only those whose "
                        "`channel` is \"partner\"."),
                Mistake(lambda p: _channel(p, "partner", default_market=True),
                        "That is the count at the classroom's default partner rate: set "
                        "`\"collaboration.partner_referrals\": params.partner_referrals`."),
                Mistake(lambda p: _channel(p, "partner", seed=42), _SEED_HINT),
            ),
            praise=("Partners pass customers on for free, but on the classroom market their "
                    "referrals alone do not pay for sharing."),
        ),
        ChoiceQuestion(
            id="q4",
            text="Which step is collaborative CRM in the course's sense?",
            options={
                "a": ("a faster call-centre telephone system, so that more calls are answered "
                      "within 20 seconds"),
                "b": "a churn model that scores every customer each month",
                "c": ("giving sales and the partner broker the customer history that support "
                      "sees, in one data format, so that offers fit and open complaints are "
                      "known before anyone calls"),
                "d": "no longer marketing to the segment whose service costs exceed its margin",
            },
            answer="c",
            why={
                "a": ("Serving the customer fast and without error is operational CRM (the "
                      "front office); it need not share anything with anyone."),
                "b": ("Mining the records to predict behaviour is analytical CRM. Collaborative "
                      "CRM is about who gets to use the knowledge."),
                "d": ("Deciding which customers are worth serving, with a customer-based cost "
                      "model, is strategic CRM."),
            },
            praise=("Sharing customer knowledge across departments, channels and partners, in "
                    "one data-exchange standard (course section 5)."),
        ),
        StrategyQuestion(
            id="q5",
            text="Write sales_knows(view): 2 agents, EUR 12,000 of mass marketing, sharing on, "
                 "and cross-sell to params.n_contacts active customers without an unresolved "
                 "contact, most purchases first.",
            points=2.0,
            scenario=_one_year,
            verify=_verify_09_strategy,
            praise=("Your sales team used what the service centre knows: no offers to customers "
                    "with an open complaint."),
        ),
        NumberQuestion(
            id="q6",
            text="Escalations to the call centre that channel integration saves: web and e-mail "
                 "contacts escalated in one year with separate channels minus with integrated "
                 "ones, 2 agents, EUR 12,000 of mass marketing, self-service and e-mail open, "
                 "channels.integration_fcr_boost = params.integration_fcr_boost (a count).",
            compute=_escalations_saved,
            abs_tol=0.5,
            near=0.05,
            near_hint=("Close, but this count should match exactly: in each run count the web "
                       "and e-mail contacts that escalated (`by_channel(result)[\"escalated\"]"
                       ".sum()`), with your seed, and subtract."),
            hint=("Run one year of the classroom market with `channels.integration_fcr_boost` "
                  "= `params.integration_fcr_boost` and `seed=params.seed` twice: with "
                  "`Actions(mass_spend=12_000, agents=2, self_service=True, "
                  "email_service=True)`, and with the same plan and `channel_integration=True`. "
                  "In each run add up the `escalated` column of `by_channel(result)` (web and "
                  "e-mail), then subtract the integrated run's count from the separate one's."),
            mistakes=told_apart(
                _escalations_saved, 0.5, 1,
                Mistake(lambda p: -_escalations_saved(p),
                        "Check the order of the subtraction: the question asks how many "
                        "escalations integration *saves*, those with separate channels minus "
                        "those with integrated ones."),
                Mistake(lambda p: _saved(p, _calls),
                        "That is how many fewer calls the centre took, recontacts included. "
                        "The question asks only about the online contacts that ended in a call: "
                        "the `escalated` column of `by_channel(result)`."),
                Mistake(lambda p: 100 * _saved_share(p),
                        "That is the share of the escalations saved, in percent; the question "
                        "asks for their number.", rel_tol=0.01),
                Mistake(lambda p: _saved_share(p),
                        "That is the fraction of the escalations that integration saves; the "
                        "question asks for their number.", rel_tol=0.01),
                Mistake(lambda p: _saved(p, _web_escalations),
                        "You counted only the escalations from web self-service: unresolved "
                        "e-mails escalate too. Add up both online channels."),
                Mistake(lambda p: _saved(p, _unresolved_online),
                        "That is how many fewer online contacts went unresolved. Not every one "
                        "of them becomes a call (`channels.escalation_prob`): count the contacts "
                        "that escalated."),
                Mistake(lambda p: escalations(_desk(p, False)),
                        "That is how many contacts escalated with separate channels; subtract "
                        "those that escalated with integrated channels."),
                Mistake(lambda p: (escalations(_desk(p, False))
                                   - escalations(_desk(p, True, boost=_default_boost()))),
                        "That is the value at the classroom's default integration boost: set "
                        "`\"channels.integration_fcr_boost\": params.integration_fcr_boost` with "
                        "`Scenario.replace`."),
                Mistake(lambda p: _saved(p, seed=42), _SEED_HINT),
                Mistake(lambda p: _saved(p, horizon_days=1095), _HORIZON_HINT),
            ),
            praise=("One customer view lets every channel resolve more at the first contact, so "
                    "fewer customers who tried the web or e-mail end up calling. It pays where "
                    "the calls saved add up to agents (notebook section 6)."),
        ),
    ),
))
