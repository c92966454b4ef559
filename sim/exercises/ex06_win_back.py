"""Exercise 06, win back lost customers: win-backs, their cost, a late campaign, a strategy."""

from __future__ import annotations

import functools
import math
from types import MappingProxyType

import numpy as np

from ..engine import run
from ..scenario import Scenario
from ..strategies import winback
from .feedback import ParamDraws, Params
from .questions import ChoiceQuestion, Mistake, NumberQuestion, StrategyQuestion
from .registry import Exercise, register
from .runs import _scenario

#: Segment sets of the coding task (the unprofitable high_maintenance segment is never asked).
SEGMENT_SETS = (
    ("high_value", "regulars"),
    ("high_value", "bargain_hunters"),
    ("regulars", "bargain_hunters"),
    ("high_value", "regulars", "bargain_hunters"),
)


# -- exercise 06: win back lost customers ---------------------------------------------------------
def _params_06(draws: ParamDraws) -> dict:
    seed = draws.integer(100, 999_999)
    if seed == 42:  # 42 is the notebooks' seed: a student must not get it by chance
        seed = 43
    return {"seed": seed, "delay_days": draws.integer(45, 300, 15),
            "segments": draws.choice(SEGMENT_SETS)}


@functools.lru_cache(maxsize=16)
def _campaign(seed: int) -> MappingProxyType:
    """What the win-back preset did in three years of the classroom market, cached."""
    result = run(_scenario("classroom"), winback, seed=seed, transactions="none")
    log = result.campaigns[result.campaigns["campaign"] == "winback"]
    return MappingProxyType({
        "won_back": float(result.summary()["won_back"]),
        "contacts": float(len(log)),
        "cost": float(log["cost"].sum()),
        "customers_back": float((result.customers["lives"] > 1).sum()),
        "customers_lost": float(result.summary()["customers_lost"]),
        "cac": float(result.summary()["cac"]),
    })


def _won(params: Params, seed: int | None = None) -> float:
    return _campaign(params.seed if seed is None else seed)["won_back"]


def _cost_per_win(params: Params, seed: int | None = None) -> float:
    c = _campaign(params.seed if seed is None else seed)
    return c["cost"] / c["won_back"]


def _chance(params: Params, days: float | None = None) -> float:
    """p(t) = success x exp(-t / decay_days) at the student's delay (or ``days``)."""
    wb = _scenario("classroom").winback
    t = params.delay_days if days is None else days
    return wb.success * math.exp(-t / wb.decay_days)


def _late_cost(params: Params) -> float:
    wb = _scenario("classroom").winback
    return wb.contact_cost / _chance(params) + wb.incentive_cost


_SEED_HINT = ("That is the value for seed 42, the notebooks' seed: run with your own seed, "
              "`seed=params.seed`.")


def _one_year(params: Params) -> Scenario:
    return _scenario("classroom").replace(horizon_days=365)


def _verify_06_strategy(result, params: Params) -> str | None:
    tl, cu = result.timeline, result.customers
    if not tl["crm_system"].astype(bool).all() or not (tl["mass_spend"] == 12_000).all():
        return ("Build on operational CRM: start from `plan = strategies.operational(view)` and "
                "add the win-back calls with `plan.replace(winback=...)`.")
    calls = result.campaigns[result.campaigns["campaign"] == "winback"]
    if calls.empty:
        return ("Your strategy made no win-back calls: put the ids of the recently lost "
                "customers in `winback=` (a tuple of customer ids).")
    wanted = set(params.segments)
    segment = cu["segment"].astype(str).to_numpy()
    called = calls["customer_id"].to_numpy()
    others = sorted(set(segment[called]) - wanted)
    if others:
        return (f"You called customers of the segment(s) {', '.join(others)}; the task asks "
                "for the segments in `params.segments` only.")
    # Calls whose loss day is on record: customers never won back (every call failed, their
    # lost_day is the loss called about) and first win-backs (the loss is first_lost_day).
    lives = cu["lives"].to_numpy()
    day = calls["day"].to_numpy(dtype=float)
    accepted = calls["accepted"].to_numpy(dtype=bool)
    once = lives[called] == 1
    first_back = accepted & (lives[called] == 2)
    loss = np.where(once, cu["lost_day"].to_numpy(dtype=float)[called],
                    np.where(first_back, cu["first_lost_day"].to_numpy(dtype=float)[called],
                             np.nan))
    since = day - loss
    known = ~np.isnan(since)
    cycle = result.scenario.cycle_days
    if (since[known] > cycle + 1e-9).mean() > 0.01:
        return ("Some of your calls went to customers lost more than a cycle before: call only "
                "those lost since the last cycle began (`view.day - lost_day <= "
                "view.cycle_days`), so each lost customer gets exactly one call.")
    if np.bincount(called[once], minlength=len(cu)).max() > 1:
        return ("Some customers got a call in more than one cycle for the same loss: call only "
                "those lost since the last cycle began, so each loss gets exactly one call.")
    # Every customer of the segments lost before the last decision and never won back should
    # have had one call.
    last_decision = float(tl["start_day"].iloc[-1])
    lost_day = cu["lost_day"].to_numpy(dtype=float)
    due = ((lives == 1) & (cu["status"] == "lost").to_numpy() & (lost_day < last_decision)
           & np.isin(segment, list(wanted)))
    missed = np.setdiff1d(np.flatnonzero(due), called)
    if missed.size > 0.01 * max(1, due.sum()):
        # The view records lost_day in whole days (floored): a customer lost on a cycle's
        # first day is seen exactly view.cycle_days days ago at the next decision.
        if (np.floor(lost_day[missed]) % cycle == 0).mean() > 0.9:
            return ("Customers lost on the first day of a cycle got no call: the view records "
                    "`lost_day` in whole days, so at the next decision they were lost exactly "
                    "`view.cycle_days` days ago; include them with `<=`.")
        return ("Some customers of your segments who left got no call: call every customer of "
                "`params.segments` lost since the last cycle began, whatever they earned.")
    return None


WIN_BACK = register(Exercise(
    name="06_win_back",
    title="Win back lost customers: the cost of a customer won back, late calls, a strategy",
    make_params=_params_06,
    defaults={"seed": 42, "delay_days": 150, "segments": ("high_value", "regulars")},
    questions=(
        NumberQuestion(
            id="q1",
            text="Win-backs in three years of the classroom market with strategies.winback.",
            compute=_won,
            abs_tol=0.5,
            near=0.03,
            near_hint=("Close, but this count should match exactly: read it from your run "
                       "(`summary()['won_back']`) with `seed=params.seed`."),
            hint=("Run `Scenario.load(\"classroom\")` with `strategies.winback` and "
                  "`seed=params.seed`, then read how many times a lost customer came back "
                  "(`summary()` has it, and so does the timeline's `won_back` column)."),
            mistakes=(
                Mistake(lambda p: _campaign(p.seed)["contacts"],
                        "That counts every win-back call, including the customers who said no; "
                        "count only the calls that brought a customer back."),
                Mistake(lambda p: _campaign(p.seed)["customers_back"],
                        "That counts customers with more than one life, but some customers were "
                        "won back twice: count every win-back (`summary()['won_back']`)."),
                Mistake(lambda p: _campaign(p.seed)["customers_lost"],
                        "That is the number of customers lost at the end of the run; the "
                        "question asks how many times a customer was won back."),
                Mistake(lambda p: _won(p, seed=42), _SEED_HINT),
            ),
            praise="Each of them started a second life.",
        ),
        NumberQuestion(
            id="q2",
            text="Cost per customer won back in that run (EUR, 2 decimals).",
            compute=_cost_per_win,
            rel_tol=0.0005,
            abs_tol=0.006,
            near=0.02,
            near_hint=("Close: give the amount to two decimal places and divide the whole "
                       "campaign cost by the number of win-backs."),
            hint=("Add up what the win-back campaign cost (the `cost` column of the win-back "
                  "rows of `result.campaigns`, or the timeline's `cost_winback`) and divide by "
                  "the number of win-backs."),
            mistakes=(
                Mistake(lambda p: _campaign(p.seed)["cost"] / _campaign(p.seed)["contacts"],
                        "That is the cost per call; divide by the customers won back, not by "
                        "every call."),
                Mistake(lambda p: _campaign(p.seed)["cac"],
                        "That is the CAC, what a new customer costs; the question asks what a "
                        "customer won back costs."),
                Mistake(lambda p: (_campaign(p.seed)["contacts"]
                                   * _scenario("classroom").winback.contact_cost
                                   / _campaign(p.seed)["won_back"]),
                        "You counted only the calls: the incentive paid to every customer who "
                        "comes back is part of the campaign's cost."),
                Mistake(lambda p: _campaign(p.seed)["cost"] / _campaign(p.seed)["customers_back"],
                        "You divided by the customers with a second life; some were won back "
                        "twice: divide by every win-back."),
                Mistake(lambda p: _campaign(p.seed)["won_back"] / _campaign(p.seed)["cost"],
                        "You divided the other way round: EUR per customer won back is the cost "
                        "divided by the win-backs.", rel_tol=0.1),
                Mistake(lambda p: _cost_per_win(p, seed=42), _SEED_HINT),
            ),
            praise="Compare it with the CAC of a new customer (`summary()['cac']`).",
        ),
        NumberQuestion(
            id="q3",
            text="Expected cost per customer won back by calls made params.delay_days after "
                 "the loss, from the classroom scenario's winback fields (EUR, 2 decimals).",
            compute=_late_cost,
            rel_tol=0.0005,
            abs_tol=0.006,
            near=0.02,
            near_hint=("Close: keep the decimals until the end and give the amount to two "
                       "decimal places."),
            hint=("Use the formula of the notebook's section 1: the chance of success "
                  "p = success x exp(-delay / decay_days), then contact_cost / p + "
                  "incentive_cost, with the fields of `Scenario.load(\"classroom\").winback`."),
            mistakes=(
                Mistake(lambda p: _chance(p),
                        "That is the chance of success p, not the cost: turn it into EUR per "
                        "customer won back."),
                Mistake(lambda p: 100 * _chance(p),
                        "That is the chance of success as a percentage; the question asks for "
                        "the cost in EUR per customer won back.", rel_tol=0.01),
                Mistake(lambda p: _late_cost(p) - _scenario("classroom").winback.incentive_cost,
                        "You left out the incentive paid to each customer who comes back."),
                Mistake(lambda p: ((_scenario("classroom").winback.contact_cost
                                    + _scenario("classroom").winback.incentive_cost)
                                   / _chance(p)),
                        "Every call costs the contact, but the incentive is paid only to the "
                        "customers who come back: once per customer won back, not once per "
                        "call."),
                Mistake(lambda p: (_scenario("classroom").winback.contact_cost
                                   / (_chance(p) * 100)
                                   + _scenario("classroom").winback.incentive_cost),
                        "You used the chance of success as a percentage: p must be a fraction "
                        "between 0 and 1."),
                Mistake(lambda p: (_scenario("classroom").winback.contact_cost
                                   / _chance(p, days=0)
                                   + _scenario("classroom").winback.incentive_cost),
                        "That is the cost of a call on the day of the loss: the chance of "
                        "success fades with the days since the loss."),
                Mistake(lambda p: (_scenario("classroom").winback.contact_cost
                                   / _chance(p, days=p.delay_days / 30)
                                   + _scenario("classroom").winback.incentive_cost),
                        "The delay and decay_days are both in days: do not convert the delay "
                        "to months."),
            ),
            praise="Compare it with a new customer's CAC: how late is too late?",
        ),
        ChoiceQuestion(
            id="q4",
            text="Why did win-back raise profit in three years?",
            options={
                "a": ("won-back customers stay longer in their second life than new customers "
                      "do in their first"),
                "b": ("each second life brings several times the margin its call and incentive "
                      "cost, and the larger customer base needed no extra agents (web "
                      "self-service and e-mail take part of its contacts), so that margin "
                      "reaches profit"),
                "c": ("winning a customer back costs less than acquiring one, so the firm spent "
                      "less on marketing"),
                "d": "won-back customers make other customers stay",
            },
            answer="b",
            why={
                "a": ("Look at the notebook's section 6: second lives end sooner than first "
                      "lives, not later. What a second life is worth is the margin it brings "
                      "against what the win-back cost."),
                "c": ("A customer called soon after the loss does cost well under the CAC "
                      "(notebook section 4; your answer to q2), but both firms spent the same on "
                      "marketing: the win-back calls come on top of it, not instead of it."),
                "d": ("Nothing in the model makes won-back customers keep others; look at where "
                      "the money went in the notebook's section 7."),
            },
            praise=("Full costs matter: serving a customer is part of what she costs "
                    "(strategic CRM's customer-based cost model, course section 5)."),
        ),
        StrategyQuestion(
            id="q5",
            text="Write my_strategy(view): operational CRM plus one win-back call to every "
                 "customer of params.segments lost since the last cycle began.",
            points=2.0,
            scenario=_one_year,
            verify=_verify_06_strategy,
            praise=("Your strategy called every recently lost customer of your segments, once, "
                    "while the chance of winning them back was highest."),
        ),
    ),
))
