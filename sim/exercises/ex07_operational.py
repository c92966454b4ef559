"""Exercise 07, operational CRM: Erlang C by hand, staffing to a service level, the load of a
simulated centre, what the operational record can tell, a strategy that staffs by Erlang C, and
the customers a centre that leaves complaints unresolved loses through social media."""

from __future__ import annotations

import functools
import math
from types import MappingProxyType

from ..actions import Actions
from ..analytics import queueing
from ..engine import run
from ..scenario import Scenario
from ..strategies import transactional
from .feedback import ParamDraws, Params
from .questions import ChoiceQuestion, Mistake, NumberQuestion, StrategyQuestion
from .registry import Exercise, register
from .runs import _scenario

__all__ = ["OPERATIONAL", "helpdesk"]

#: Service-level target of the questions: 80% answered within 20 seconds (in minutes).
_TARGET_MINUTES = 20 / 60
_LEVEL = 0.8
#: Agents staffed in the first cycle of the coding task, before there is a record.
_FIRST_AGENTS = 2
#: The fixed plan of question 6: three agents every cycle (and the student's mass marketing).
_SOCIAL_AGENTS = 3
#: Social media off, as in the notebook: no post is drawn.
_SOCIAL_OFF = MappingProxyType({"social.complaint_reach": 0.0, "social.delight_reach": 0.0})


# -- parameters -----------------------------------------------------------------------------------
def _params_07(draws: ParamDraws) -> dict:
    seed = draws.integer(100, 999_999)
    if seed == 42:  # 42 is the notebooks' seed: a student must not get it by chance
        seed = 43
    calls = draws.integer(20, 60, 2)  # calls an hour
    handle = draws.integer(6, 16) / 2  # 3.0 to 8.0 minutes in half minutes
    return {"seed": seed, "calls_per_hour": calls, "handle_minutes": handle,
            "agents": _agents_for(calls, handle),
            "mass_spend": float(draws.integer(8_000, 14_000, 500)),
            # Drawn last, so the parameters above stay what they were before question 6.
            "fcr": draws.integer(30, 50, 5) / 100}


def _agents_for(calls_per_hour: float, handle_minutes: float) -> int:
    """The centre of question 1: two agents more than the whole erlangs of load (stable)."""
    return math.floor(calls_per_hour * handle_minutes / 60) + 2


_DEFAULTS = {"seed": 42, "calls_per_hour": 36, "handle_minutes": 5.0,
             "agents": _agents_for(36, 5.0), "mass_spend": 12_000.0, "fcr": 0.4}


# -- questions 1 and 2: Erlang C by hand ----------------------------------------------------------
def _rate(p: Params) -> float:
    """Calls a minute."""
    return p.calls_per_hour / 60


def _load(p: Params) -> float:
    """Offered load in erlangs."""
    return _rate(p) * p.handle_minutes


def _p_wait(p: Params) -> float:
    return queueing.erlang_c(_load(p), p.agents)


def _needed(p: Params, target: float = _TARGET_MINUTES, level: float = _LEVEL) -> int:
    return queueing.agents_needed(_rate(p), p.handle_minutes, target, level)


# -- question 3: the load of a simulated centre ---------------------------------------------------
def _one_year() -> Scenario:
    return _scenario("classroom").replace(horizon_days=365)


@functools.lru_cache(maxsize=16)
def _centre(seed: int) -> MappingProxyType:
    """What question 3 reads from the service log of one year of the classroom market under
    ``strategies.transactional`` with ``seed``, cached."""
    result = run(_one_year(), transactional, seed=seed, transactions="none")
    sv, sc = result.service, result.scenario
    return MappingProxyType({
        "contacts": len(sv),
        "new_issues": int((sv["contact"] == 1).sum()),
        "handle": float(sv["handle_minutes"].mean()),
        "open_minutes": sc.horizon_days * sc.service.open_hours * 60,
        "day_minutes": sc.horizon_days * 24 * 60,
    })


def _centre_load(p: Params, *, seed: int | None = None, count: str = "contacts",
                 minutes: str = "open_minutes") -> float:
    """Offered load (erlangs): ``count`` per minute of ``minutes`` times the mean handling."""
    c = _centre(p.seed if seed is None else seed)
    return c[count] / c[minutes] * c["handle"]


# -- question 6: what complaints told in public cost ---------------------------------------------
def _fixed_plan(mass_spend: float):
    """The plan of question 6: the same agents and mass marketing every cycle."""
    actions = Actions(agents=_SOCIAL_AGENTS, mass_spend=mass_spend)

    def plan(view) -> Actions:
        return actions

    plan.reads_customers = False
    return plan


@functools.lru_cache(maxsize=32)
def _social_year(seed: int, fcr: float, mass_spend: float, media: str) -> MappingProxyType:
    """KPIs of one classroom year of question 6's centre, cached. ``media``: "on" (as shipped),
    "off" (both reaches 0) or "complaints off" (only the complaint posts' reach 0)."""
    changes = {"on": {}, "off": _SOCIAL_OFF,
               "complaints off": {"social.complaint_reach": 0.0}}[media]
    scenario = _one_year().replace(**{"service.fcr": fcr, **changes})
    result = run(scenario, _fixed_plan(mass_spend), seed=seed, transactions="none")
    return MappingProxyType(dict(result.summary()))


def _social_cost(p: Params, *, seed: int | None = None, fcr: float | None = None,
                 kpi: str = "customers_acquired", off: str = "off") -> float:
    """``kpi`` with social media ``off`` minus with it on: what social media cost the firm."""
    args = (p.seed if seed is None else seed, p.fcr if fcr is None else fcr, p.mass_spend)
    return _social_year(*args, off)[kpi] - _social_year(*args, "on")[kpi]


# -- question 5: a strategy that staffs by Erlang C -----------------------------------------------
def helpdesk(params: Params | None = None) -> Scenario:
    """The market of the coding task: one year of a young firm (2,500 customers on day 0, so
    the base and its load grow) of the classroom market whose service centre is a technical
    helpdesk (70-minute contacts). The staffing Erlang C asks for then changes from cycle to
    cycle, so a fixed staffing cannot pass for the right one; the budget has room for the
    agents it needs."""
    return _scenario("classroom").replace(horizon_days=365, initial_customers=2_500,
                                          budget_per_cycle=60_000.0,
                                          **{"service.handle_minutes": 70.0})


def _expected_agents(tl, open_hours: float) -> list[int]:
    """The staffing the task asks for, cycle by cycle, from the run's own timeline (what each
    cycle's view showed of the cycle before)."""
    out = [_FIRST_AGENTS]
    for k in range(1, len(tl)):
        last = tl.iloc[k - 1]
        rate = last["contacts"] / (last["days"] * open_hours * 60)
        out.append(queueing.agents_needed(rate, float(last["mean_handle_minutes"]),
                                          _TARGET_MINUTES, _LEVEL))
    return out


def _verify_07_strategy(result, params: Params) -> str | None:
    tl = result.timeline
    if tl["crm_system"].astype(bool).any():
        return ("Your strategy runs the CRM system (`crm_system=True`); the task asks only for "
                "marketing and staffing.")
    if (tl["targeted_spend"] > 0).any():
        return ("Your strategy spends on targeted marketing; the task asks for mass marketing "
                "only.")
    spent = tl["cost_mass"] * result.scenario.cycle_days / tl["days"]
    if not (abs(spent - params.mass_spend) <= 0.005 * params.mass_spend).all():
        return ("Your mass-marketing spend is not `params.mass_spend` in every cycle: use it as "
                "it is (EUR per cycle).")
    agents = [int(a) for a in tl["agents"]]
    if agents[0] != _FIRST_AGENTS:
        return ("In the first cycle there is no record yet (`view.kpis` is empty): staff "
                f"{_FIRST_AGENTS} agents then, as the task says.")
    expected = _expected_agents(tl, result.scenario.service.open_hours)
    wrong = [k for k, (a, e) in enumerate(zip(agents, expected, strict=True)) if a != e]
    if not wrong:
        return None
    k = wrong[0]
    fewer = agents[k] < expected[k]
    if fewer:
        advice = (f"In cycle {k} your centre had fewer agents than Erlang C asks for, given the "
                  "cycle before. Check the units: the arrival rate is contacts per minute of "
                  "opening hours (`days` x `view.prices['open_hours']` x 60 minutes), handling "
                  "is in minutes, the target is 20 seconds "
                  "(`view.prices['wait_target_minutes']`), and the level is 80%.")
    else:
        advice = (f"In cycle {k} your centre had more agents than the fewest that meet the "
                  "target, given the cycle before. Use the last cycle's record "
                  "(`view.kpis.iloc[-1]`), contacts per minute (not per hour or per day), the "
                  "level of 80%, and `queueing.agents_needed`, which returns the fewest agents.")
    if len(set(agents[1:])) == 1 and len(set(expected[1:])) > 1:
        return ("Your strategy staffed the same number of agents in every cycle after the "
                "first, but the load changed from cycle to cycle, and with it what Erlang C asks "
                "for: recompute the agents every cycle from the last cycle's record. " + advice)
    return advice


# -- the exercise ---------------------------------------------------------------------------------
_SEED_HINT = ("That is the value for seed 42, the notebooks' seed: run with your own seed, "
              "`seed=params.seed`.")

OPERATIONAL = register(Exercise(
    name="07_operational",
    title="Operational CRM: the service centre as a queue",
    make_params=_params_07,
    defaults=_DEFAULTS,
    questions=(
        NumberQuestion(
            id="q1",
            text="Erlang C: the probability that a caller has to wait, for params.calls_per_hour "
                 "calls an hour, params.handle_minutes minutes of handling and params.agents "
                 "agents (fraction, 3 decimals).",
            compute=_p_wait,
            abs_tol=0.0015,
            near=0.03,
            near_hint=("Close: give the probability as a fraction to three decimal places."),
            hint=("Compute the offered load in erlangs (arrival rate x mean handling time, both "
                  "in the same unit of time), then Erlang C for `params.agents` agents: "
                  "`queueing.erlang_c(load, agents)`."),
            mistakes=(
                Mistake(lambda p: queueing.erlang_c(p.calls_per_hour * p.handle_minutes,
                                                    p.agents),
                        "Your load is far too big: calls an hour times minutes mixes two units of "
                        "time. Put the rate in calls a minute first."),
                Mistake(lambda p: queueing.erlang_b(_load(p), p.agents),
                        "That is Erlang B: the chance a caller finds every agent busy in a centre "
                        "*without* a queue, who is then turned away. Here callers wait in line: "
                        "use Erlang C."),
                Mistake(lambda p: 100 * _p_wait(p),
                        "Give a fraction between 0 and 1, not a percentage.", rel_tol=0.01),
                Mistake(lambda p: 1 - _p_wait(p),
                        "That is the share of callers who do *not* wait; the question asks for "
                        "the probability of waiting."),
                Mistake(lambda p: _load(p) / p.agents,
                        "That is the utilisation, the share of time an agent is busy. The "
                        "probability of waiting equals it only with a single agent; with more "
                        "agents use Erlang C."),
            ),
            praise="With a queue in front of the agents, Erlang C is the chance of waiting.",
        ),
        NumberQuestion(
            id="q2",
            text="The fewest agents that answer 80% of calls within 20 seconds, same centre.",
            compute=_needed,
            abs_tol=0.5,
            near=0.0,
            hint=("Find the smallest number of agents whose Erlang C service level within 20 "
                  "seconds is at least 80%: `queueing.agents_needed(rate, handle, target, "
                  "level)` with everything in minutes."),
            mistakes=(
                Mistake(lambda p: math.floor(_load(p)) + 1,
                        "That many agents keep the queue from growing without bound (more agents "
                        "than erlangs of load), but is it enough to answer 80% within 20 "
                        "seconds? Check the service level."),
                Mistake(lambda p: _needed(p, target=20.0),
                        "The target is 20 *seconds*: in minutes, as the handling time, that is "
                        "20 / 60."),
                Mistake(lambda p: _needed(p, level=0.2),
                        "80% of calls must be answered within the target (level 0.8), not 20%."),
                Mistake(lambda p: p.agents,
                        "That is the number of agents of question 1; check whether they meet "
                        "the target."),
            ),
            praise="Beyond this number each extra agent buys much less.",
        ),
        NumberQuestion(
            id="q3",
            text="Offered load (erlangs, 2 decimals) of the service centre during opening "
                 "hours, one classroom year under strategies.transactional, your seed.",
            compute=_centre_load,
            abs_tol=0.005,
            near=0.05,
            near_hint=("Close: use the mean handling time observed in the log "
                       "(`handle_minutes`), every contact, and two decimals."),
            hint=("Divide the number of contacts in `result.service` by the minutes the centre "
                  "was open in the year (365 days x `scenario.service.open_hours` x 60), then "
                  "multiply by the mean of `handle_minutes`."),
            mistakes=(
                Mistake(lambda p: _centre_load(p, minutes="day_minutes"),
                        "You spread the contacts over the whole day, night included; the centre "
                        "takes calls only during its opening hours "
                        "(`scenario.service.open_hours`)."),
                Mistake(lambda p: _centre_load(p, count="new_issues"),
                        "You counted only the first contact of each issue; contacts that come "
                        "back after an unresolved call need an agent too, so they are load."),
                Mistake(lambda p: 60 * _centre_load(p),
                        "Your load is 60 times too big: the rate must be per minute when the "
                        "handling time is in minutes."),
                Mistake(lambda p: _centre_load(p, seed=42), _SEED_HINT),
            ),
            praise=("Below one erlang: one agent copes on average, yet customers queue "
                    "whenever several call close together."),
        ),
        ChoiceQuestion(
            id="q4",
            text="Which question can the operational record (service log and customer table) "
                 "answer on its own?",
            options={
                "a": "Which customers will leave in the next three months?",
                "b": "How long did a given customer wait on each call, and which calls solved "
                     "the problem?",
                "c": "Why did the customers who left last year leave?",
                "d": "How satisfied is each customer right now?",
            },
            answer="b",
            why={
                "a": ("That is a prediction: analytical CRM builds a model on the record to "
                      "estimate it. The record alone only says what already happened."),
                "c": ("The record says what happened, not why: reasons for leaving are not in "
                      "it (in CRM Lab they are in `result.truth`, which no firm sees)."),
                "d": ("Satisfaction is not recorded; it is latent. A firm can only guess it "
                      "from what it records, or ask in a survey."),
            },
            praise=("Operational CRM appends every contact to the customer's history: what "
                    "happened, when, and with what outcome."),
        ),
        StrategyQuestion(
            id="q5",
            text="Write erlang_staffing(view): params.mass_spend of mass marketing and, from "
                 "the last cycle's record, the fewest agents for 80% within 20 s by Erlang C "
                 "(2 agents in the first cycle).",
            points=2.0,
            scenario=helpdesk,
            verify=_verify_07_strategy,
            praise=("Your strategy staffed the helpdesk by Erlang C every cycle, as the "
                    "operational preset does (`sim.planning.staff`)."),
        ),
        NumberQuestion(
            id="q6",
            text="Customers that social media cost a centre resolving params.fcr at the first "
                 "contact: customers won in one classroom year with social media off minus "
                 "with it on (3 agents, params.mass_spend of mass marketing, your seed).",
            compute=_social_cost,
            abs_tol=0.5,
            near=0.0,
            hint=("Run the same year twice with your seed and the fixed plan of the question: "
                  "once with `service.fcr` set to `params.fcr` and social media as shipped, once "
                  "with the same change and both `social.complaint_reach` and "
                  "`social.delight_reach` set to 0. Subtract the `customers_acquired` of the "
                  "run with social media from that of the run without."),
            mistakes=(
                Mistake(lambda p: -_social_cost(p),
                        "Check the order of the subtraction: the question asks what social media "
                        "*cost* the firm, the customers won without it minus those won with it."),
                Mistake(lambda p: _social_cost(p, kpi="customers_active_end"),
                        "That compares the customers at the end of the year; the question asks "
                        "for the customers *won* during it (`customers_acquired`)."),
                Mistake(lambda p: _social_cost(p, off="complaints off"),
                        "You switched off only the complaint posts. With social media off nobody "
                        "posts at all: set `social.delight_reach` to 0 as well, so that the "
                        "difference counts the praise the centre earns too."),
                Mistake(lambda p: _social_year(p.seed, p.fcr, p.mass_spend,
                                               "on")["social_complaints"],
                        "That is the number of complaint posts. The question asks how many "
                        "customers the posts cost: compare the customers won with and without "
                        "social media."),
                Mistake(lambda p: _social_cost(p, fcr=0.65),
                        "Your centre resolves `params.fcr` of the issues at the first contact, "
                        "not the classroom's own 65%: set `service.fcr` to `params.fcr` in both "
                        "runs."),
                Mistake(lambda p: _social_cost(p, seed=42), _SEED_HINT),
            ),
            praise=("A centre that leaves complaints unresolved is talked about: the people "
                    "who read the posts never become customers, and the firm never meets them."),
        ),
    ),
))
