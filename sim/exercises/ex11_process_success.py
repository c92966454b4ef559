"""Exercise 11, process models and success: how fast people adopt a CRM system, what a service
cut shows in profit and in customer equity, leading and lagging indicators, and a strategy
written as Swift's CRM process cycle.

Goes with ``notebooks/11_process_success.ipynb``; the runs are those of the notebook (the
classroom market) with the student's seed and amounts.
"""

from __future__ import annotations

import functools
import math
from types import MappingProxyType

import numpy as np

from ..actions import Actions
from ..engine import run
from ..scenario import Scenario
from ..strategies import operational
from .feedback import ParamDraws, Params
from .questions import ChoiceQuestion, Mistake, NumberQuestion, StrategyQuestion
from .registry import Exercise, register
from .runs import _scenario

__all__ = ["PROCESS_SUCCESS", "expected_agents", "service_plan"]

#: Days of the adoption run (question 1): two years.
ADOPTION_DAYS = 730
#: Share of employees using the CRM system that question 1 asks about.
ADOPTED = 0.9
#: The notebook's training budget (EUR a cycle) and the cycle its service cut starts.
_NOTEBOOK_TRAINING = 1_000.0
_NOTEBOOK_CUT = 12
#: The plan of the service-cut firms and of the coding task: EUR a cycle.
MASS = 12_000.0
TRAINING = 1_000.0
#: The coding task: at most this many agents (the budget), fewer above this service level.
MAX_AGENTS = 4
HIGH_SERVICE = 0.95
#: The service-level target of the classroom price list (a wrong target students may use).
_PRICE_LIST_TARGET = 0.8


# -- parameters -----------------------------------------------------------------------------------
def _params_11(draws: ParamDraws) -> dict:
    seed = draws.integer(100, 999_999)
    if seed == 42:  # 42 is the notebooks' seed: a student must not get it by chance
        seed = 43
    return {
        "seed": seed,
        # Never the notebook's EUR 1,000, so that a copied answer is caught.
        "training_spend": float(draws.choice((500, 750, 1_250, 1_500, 1_750, 2_000, 2_500,
                                              3_000))),
        # Never the notebook's cycle 12.
        "cut_cycle": draws.choice((6, 7, 8, 9, 10, 11, 13, 14, 15)),
        # A first guess the rule must correct at once: far too few or too many agents.
        "first_agents": draws.choice((1, 4)),
        "target": draws.choice((0.75, 0.85, 0.9)),
    }


def _classroom() -> Scenario:
    """The classroom market with the batched service queue: the same runs as the SimPy queue
    students use (``service.queue``), only faster."""
    return _scenario("classroom").replace(**{"service.queue": "batched"})


# -- the service plan of the notebook's section 5 -------------------------------------------------
def service_plan(cut_at: int | None = None):
    """Two agents, the CRM system and EUR 1,000 of training a cycle; one agent from cycle
    ``cut_at`` on, if given (the firms of the notebook's section 5)."""

    def strategy(view):
        agents = 1 if cut_at is not None and view.cycle >= cut_at else 2
        return Actions(mass_spend=MASS, agents=agents, crm_system=True, training_spend=TRAINING)

    strategy.__name__ = f"cut to one agent at cycle {cut_at}" if cut_at is not None else (
        "two agents")
    return strategy


@functools.lru_cache(maxsize=32)
def _service_run(seed: int, cut_at: int | None) -> MappingProxyType:
    """KPIs of one three-year classroom run of :func:`service_plan`, cached."""
    result = run(_classroom(), service_plan(cut_at), seed=seed, transactions="none")
    return MappingProxyType(dict(result.summary()))


def _cut_gap(params: Params, key: str, *, seed: int | None = None, cut: int | None = None,
             alone: bool = False) -> float:
    """``key`` of the firm that cut minus the firm that kept two agents (or of the firm that
    cut alone)."""
    seed = params.seed if seed is None else seed
    cut = params.cut_cycle if cut is None else cut
    value = _service_run(seed, cut)[key]
    return value if alone else value - _service_run(seed, None)[key]


# -- adoption (question 1) ------------------------------------------------------------------------
@functools.lru_cache(maxsize=16)
def _adoption(training_spend: float, seed: int) -> tuple[float, ...]:
    """Adoption at the end of each cycle of two years of the operational preset."""
    scenario = _classroom().replace(horizon_days=ADOPTION_DAYS)
    result = run(scenario, operational.configure(training_spend=float(training_spend)),
                 seed=seed, transactions="none")
    return tuple(result.timeline["adoption"].astype(float))


def _months_to_adoption(params: Params, *, training: float | None = None,
                        index: bool = False) -> float:
    """The first month (1 = the first cycle) at whose end adoption reached 90%."""
    spend = params.training_spend if training is None else training
    reached = np.flatnonzero(np.asarray(_adoption(spend, params.seed)) >= ADOPTED)
    if not reached.size:
        return math.nan
    return float(reached[0]) + (0.0 if index else 1.0)


_SEED_HINT = ("That is the value for seed 42, the notebook's seed: run with your own seed, "
              "`seed=params.seed`.")


# -- the coding task ------------------------------------------------------------------------------
def expected_agents(previous_agents: int, service_level: float, target: float) -> int:
    """The coding task's rule: agents this cycle from last cycle's agents and service level."""
    if service_level < target:
        return min(previous_agents + 1, MAX_AGENTS)
    if service_level > HIGH_SERVICE and previous_agents > 1:
        return previous_agents - 1
    return previous_agents


def _follows(tl, first: int, target: float, *, lower: bool = True) -> bool:
    """Whether the timeline's agents follow the rule with ``target`` (and the lower threshold,
    if ``lower``) from ``first`` agents."""
    agents = tl["agents"].astype(int).to_numpy()
    level = tl["service_level"].astype(float).to_numpy()
    if agents[0] != first:
        return False
    for t in range(1, agents.size):
        want = expected_agents(int(agents[t - 1]), float(level[t - 1]), target)
        if not lower:
            want = min(agents[t - 1] + 1, MAX_AGENTS) if level[t - 1] < target else agents[t - 1]
        if agents[t] != want:
            return False
    return True


def _one_year(params: Params) -> Scenario:
    return _scenario("classroom").replace(horizon_days=365)


def _verify_11_strategy(result, params: Params) -> str | None:
    tl = result.timeline
    if not tl["crm_system"].astype(bool).all():
        return "Your strategy does not run the CRM system in every cycle: set `crm_system=True`."
    if (abs(tl["training_spend"].astype(float) - TRAINING) > 0.5).any():
        return "Your training spend is not EUR 1,000 in every cycle: `training_spend=1_000`."
    if (abs(tl["mass_spend"].astype(float) - MASS) > 0.5).any():
        return "Your mass-marketing spend is not EUR 12,000 in every cycle."
    if (tl["targeted_spend"] > 0).any():
        return "Your strategy spends on targeted marketing; the task asks for mass marketing only."
    agents = tl["agents"].astype(int).to_numpy()
    if agents[0] != params.first_agents:
        return (f"In the first cycle your strategy staffed {agents[0]} agent(s). There is nothing "
                "to learn from yet: start from your first guess, `params.first_agents`.")
    if _follows(tl, params.first_agents, params.target):
        return None
    if _follows(tl, params.first_agents, params.target, lower=False):
        return (f"Your strategy never removes an agent: when last cycle's service level was above "
                f"{HIGH_SERVICE:.0%}, use one agent fewer (but never fewer than one).")
    if len(set(agents)) == 1:
        return ("Your strategy never changes its number of agents: that is a fixed plan, not a "
                "cycle. Read last cycle's service level (`view.recent()[-1]['service_level']`) "
                "and last cycle's agents (`view.actions.agents`), and correct them.")
    if params.target != _PRICE_LIST_TARGET and _follows(tl, params.first_agents,
                                                         _PRICE_LIST_TARGET):
        return ("Your strategy steers to the price list's 80% (`view.prices"
                "['service_level_target']`); the task asks for your own target, `params.target`.")
    level = tl["service_level"].astype(float).to_numpy()
    for t in range(1, agents.size):
        want = expected_agents(int(agents[t - 1]), float(level[t - 1]), params.target)
        if agents[t] != want:
            return (f"In cycle {t} your strategy staffed {agents[t]} agent(s), after a cycle with "
                    f"{agents[t - 1]} agent(s) and a service level of {level[t - 1]:.3f}; the rule "
                    f"asks for {want}. Compare last cycle's service level with `params.target` "
                    f"and with {HIGH_SERVICE}, and start from last cycle's agents "
                    "(`view.actions.agents`).")
    return None  # pragma: no cover (the loop above finds the first difference)


def _cut_mistakes(kpi: str, label: str) -> tuple[Mistake, ...]:
    """The mistakes questions 2 and 3 share for a KPI of the service cut: the sign, the
    notebook's cut cycle, a cut a cycle late or early, and the cut firm's KPI alone."""
    return (
        Mistake(lambda p: -_cut_gap(p, kpi),
                "Check the sign: the firm that cut minus the firm that kept two agents."),
        Mistake(lambda p: _cut_gap(p, kpi, cut=_NOTEBOOK_CUT),
                "That cut starts at cycle 12, the notebook's: use your own `params.cut_cycle`."),
        Mistake(lambda p: _cut_gap(p, kpi, cut=p.cut_cycle + 1),
                "Your cut starts one cycle late: one agent from cycle `params.cut_cycle` on "
                "means `view.cycle >= params.cut_cycle` (cycles count from 0)."),
        Mistake(lambda p: _cut_gap(p, kpi, cut=p.cut_cycle - 1),
                "Your cut starts one cycle early: one agent from cycle `params.cut_cycle` on "
                "means `view.cycle >= params.cut_cycle`."),
        Mistake(lambda p: _cut_gap(p, kpi, alone=True),
                f"That is the {label} of the firm that cut; the question asks for the "
                "difference to the firm that kept two agents."),
    )


# -- the exercise ---------------------------------------------------------------------------------
PROCESS_SUCCESS = register(Exercise(
    name="11_process_success",
    title="Process models and success: the CRM cycle, its people, and what to measure",
    make_params=_params_11,
    defaults={"seed": 42, "training_spend": _NOTEBOOK_TRAINING, "cut_cycle": _NOTEBOOK_CUT,
              "first_agents": 1, "target": _PRICE_LIST_TARGET},
    questions=(
        NumberQuestion(
            id="q1",
            text="operational with params.training_spend of training: the first month at whose "
                 "end at least 90% of employees use the CRM system (1 = the first month).",
            compute=_months_to_adoption,
            abs_tol=0.01,
            near=0.0,
            hint=("Run `strategies.operational.configure(training_spend=params.training_spend)` "
                  "for two years with your seed and look at the `adoption` column of the "
                  "timeline: find the first row where it is at least 0.9, and count months from "
                  "1 for the first row."),
            mistakes=(
                Mistake(lambda p: _months_to_adoption(p, index=True),
                        "That is the row's index (or its `cycle`), which counts from 0; the "
                        "question counts months from 1 for the first cycle."),
                Mistake(lambda p: _months_to_adoption(p, training=_NOTEBOOK_TRAINING),
                        "That is the notebook's EUR 1,000 a cycle: configure the preset with "
                        "`training_spend=params.training_spend`."),
                Mistake(lambda p: 30 * _months_to_adoption(p),
                        "That looks like days; the question asks for months (CRM cycles)."),
            ),
            praise=("More training buys speed: compare your month with the notebook's table, "
                    "where EUR 1,000 a cycle took 7 months."),
        ),
        NumberQuestion(
            id="q2",
            text="Three-year profit of the firm that cuts to one agent from cycle "
                 "params.cut_cycle, minus that of the firm that keeps two (EUR).",
            compute=lambda p: _cut_gap(p, "profit"),
            abs_tol=1.0,
            rel_tol=1e-4,
            near=0.03,
            near_hint=("Close: give the difference in whole euros from `summary()['profit']` of "
                       "the two runs, without rounding to thousands."),
            hint=("Run the classroom scenario (three years) with your seed twice: a strategy "
                  "with EUR 12,000 of mass marketing, the CRM system, EUR 1,000 of training and "
                  "two agents in every cycle, and the same strategy with one agent from cycle "
                  "`params.cut_cycle` on (`view.cycle >= params.cut_cycle`). Give the profit of "
                  "the firm that cut minus the profit of the firm that kept two agents."),
            mistakes=(*_cut_mistakes("profit", "profit"),
                      Mistake(lambda p: _cut_gap(p, "customer_equity"),
                              "That is the difference in customer equity (question 3); this "
                              "question asks about profit."),
                      Mistake(lambda p: _cut_gap(p, "profit", seed=42), _SEED_HINT)),
            praise=("The accounts say the cut paid. Question 3 asks what they do not show."),
        ),
        NumberQuestion(
            id="q3",
            text="Customer equity at the end: the firm that cut minus the firm that kept two "
                 "agents (EUR).",
            compute=lambda p: _cut_gap(p, "customer_equity"),
            abs_tol=1.0,
            rel_tol=1e-4,
            near=0.03,
            near_hint=("Close: give the difference in whole euros from "
                       "`summary()['customer_equity']` of the two runs, without rounding."),
            hint=("Use the two runs of question 2 and subtract the customer equity "
                  "(`summary()['customer_equity']`) of the firm that kept two agents from that "
                  "of the firm that cut."),
            mistakes=(*_cut_mistakes("customer_equity", "customer equity"),
                      Mistake(lambda p: _cut_gap(p, "profit"),
                              "That is the difference in profit (question 2); this question "
                              "asks about customer equity."),
                      Mistake(lambda p: _cut_gap(p, "customers_active_end"),
                              "That is the difference in active customers; the question asks "
                              "for customer equity, their value in EUR."),
                      Mistake(lambda p: _cut_gap(p, "customer_equity", seed=42), _SEED_HINT)),
            praise=("Put it next to question 2: profit counts the past, customer equity the "
                    "customers' future. One run is one draw of the market; the notebook's mean "
                    "of three seeds is steadier."),
        ),
        ChoiceQuestion(
            id="q4",
            text="A firm cuts its service centre from two agents to one. Which indicator shows "
                 "the damage first?",
            options={
                "a": "customer equity",
                "b": "the churn rate",
                "c": "the service level (calls answered within 20 seconds)",
                "d": "profit",
            },
            answer="c",
            why={
                "a": ("Customer equity is a lagging indicator, and latent: it falls as customers "
                      "leave and fewer new ones come, over months and years, and a firm can "
                      "only estimate it with a model."),
                "b": ("The churn rate lags: the extra losses come some months after the cut, "
                      "once unhappy customers decide to leave, and then fade."),
                "d": ("Profit moves the wrong way first: the agent's pay is saved at once, and "
                      "the lost customers' margin is missed only later."),
            },
            praise=("A leading, internal indicator: it moves the month the decision is made. "
                    "That is why quick turnaround after complaints belongs among CRM's KPIs."),
        ),
        StrategyQuestion(
            id="q5",
            text="Write swift_cycle(view): Swift's CRM process cycle steering the agents to "
                 "params.target from params.first_agents (EUR 12,000 of mass marketing, the CRM "
                 "system, EUR 1,000 of training).",
            points=2.0,
            scenario=_one_year,
            verify=_verify_11_strategy,
            praise=("Your cycle ran for a year: look at how quickly it left your first guess "
                    "(`agents` and `service_level` in the timeline)."),
        ),
    ),
))
