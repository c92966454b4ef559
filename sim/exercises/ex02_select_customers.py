"""Exercise 02, select customers: segment profit, profit concentration, a selective strategy,
a segment's price.

Goes with ``notebooks/02_select_customers.ipynb``. The numbers come from two years of the
classroom market under ``strategies.operational`` with the student's seed; the coding task runs
the student's strategy for one year and checks whom its targeted marketing reached; the price
question applies the inverse-elasticity rule to a segment of the scenario (no run).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from ..analytics.profitability import cost_per_contact, segment_profitability
from ..engine import run
from ..scenario import Scenario
from ..strategies import operational, transactional
from .feedback import ParamDraws, Params
from .questions import ChoiceQuestion, Mistake, NumberQuestion, StrategyQuestion
from .registry import Exercise, register
from .runs import _scenario

__all__ = ["SELECT_CUSTOMERS", "customer_profit", "sweet_spot", "top_share_signed", "unit_cost"]

TWO_YEARS = 730  # days: the horizon of the numeric questions
SEGMENT = "high_maintenance"  # the segment of question 1
PRICE_SEGMENTS = ("high_value", "regulars", "bargain_hunters")  # question 6: a margin at p = 1


# -- the recipes the exercise notebook asks for ----------------------------------------------------
def customer_profit(result) -> np.ndarray:
    """Profit of every customer of ``result`` (EUR): margin - service contacts x cost per
    contact - the CAC of the channel that won them (0 for day-0 customers and referrals)."""
    customers, kpis = result.customers, result.summary()
    cac = {"mass": kpis["cac_mass"], "targeted": kpis["cac_targeted"]}
    acquisition = customers["channel"].astype(str).map(cac).fillna(0.0).to_numpy(dtype=float)
    service = customers["contacts"].to_numpy(dtype=float) * cost_per_contact(result.timeline)
    return customers["margin"].to_numpy(dtype=float) - service - acquisition


def unit_cost(segment) -> float:
    """What the goods and the handling of one purchase cost, as a share of what the purchase
    brings at the reference prices: ``(1 - margin) + cost_per_purchase / spend_mean``."""
    return (1.0 - segment.margin) + segment.cost_per_purchase / segment.spend_mean


def sweet_spot(cost: float, elasticity: float) -> float:
    """The list price index that maximises ``p ** -elasticity * (p - cost)``: the
    inverse-elasticity (Lerner) rule ``cost * e / (e - 1)``, for ``elasticity > 1``."""
    return cost * elasticity / (elasticity - 1.0)


def top_share_signed(values, top: float = 0.2) -> float:
    """Share of the total brought by the ``top`` fraction of customers with the largest values;
    values may be negative, so the share may exceed 1."""
    ranked = np.sort(np.asarray(values, dtype=float))[::-1]
    k = max(1, math.ceil(round(top * ranked.size, 9)))
    return float(ranked[:k].sum() / ranked.sum())


# -- shared runs ----------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _result(strategy, seed: int, horizon_days: int = TWO_YEARS):
    """One run of the classroom market, cached: checks and their hints reuse the same few."""
    scenario = _scenario("classroom").replace(horizon_days=horizon_days)
    return run(scenario, strategy, seed=seed, transactions="none")


def _run(params: Params, *, strategy=operational, seed: int | None = None,
         horizon_days: int = TWO_YEARS):
    return _result(strategy, params.seed if seed is None else seed, horizon_days)


def _key(params: Params, *, strategy=operational, seed: int | None = None,
         horizon_days: int = TWO_YEARS) -> tuple:
    return strategy, params.seed if seed is None else seed, horizon_days


@functools.lru_cache(maxsize=8)
def _table(strategy, seed: int, horizon_days: int):
    """Segment profitability of one cached run, cached too: a repeated check stays instant."""
    result = _result(strategy, seed, horizon_days)
    return segment_profitability(result.customers, cost_per_contact(result.timeline))


@functools.lru_cache(maxsize=8)
def _top_fifth(strategy, seed: int, horizon_days: int) -> float:
    """Top-20% share of customer profit of one cached run (the summary it reads is slow)."""
    return top_share_signed(customer_profit(_result(strategy, seed, horizon_days)))


def _segment_row(params: Params, column: str, **how) -> float:
    return float(_table(*_key(params, **how)).loc[SEGMENT, column])


def _profit_share(params: Params, **how) -> float:
    return _top_fifth(*_key(params, **how))


def _after_service_share(params: Params) -> float:
    result = _run(params)
    customers = result.customers
    after = customers["margin"] - customers["contacts"] * cost_per_contact(result.timeline)
    return top_share_signed(after)


def _clipped_share(params: Params) -> float:
    profit = np.clip(customer_profit(_run(params)), 0.0, None)
    return top_share_signed(profit)


# -- parameters -----------------------------------------------------------------------------------
def _params_02(draws: ParamDraws) -> dict:
    seed = draws.integer(100, 999_999)
    if seed == 42:  # 42 is the notebooks' seed: a student must not get it by chance
        seed = 43
    return {"seed": seed,
            "min_profit": float(draws.integer(20, 50, 5)),
            "targeted_spend": float(draws.integer(5_000, 10_000, 500)),
            # Drawn after the others, so that adding question 6 changed no earlier parameter.
            "price_segment": draws.choice(PRICE_SEGMENTS),
            "elasticity": draws.integer(20, 60, 5) / 10}


_SEED_HINT = ("That is the value for seed 42, the notebooks' seed: run with your own seed, "
              "`seed=params.seed`.")
_STRATEGY_HINT = ("That is the result of a different strategy: this question is about "
                  "`strategies.operational`.")
_HORIZON_HINT = ("That is the value for the scenario's full three years: this question uses two "
                 "years, `Scenario.load(\"classroom\").replace(horizon_days=730)`.")


def _segment(params: Params):
    return _scenario("classroom").segment(params.price_segment)


def _sweet_spot(params: Params, *, cost=None, elasticity=None) -> float:
    seg = _segment(params)
    return sweet_spot(unit_cost(seg) if cost is None else cost,
                      params.elasticity if elasticity is None else elasticity)


def _one_year(params: Params) -> Scenario:
    return _scenario("classroom").replace(horizon_days=365)


# -- the coding task ------------------------------------------------------------------------------
def _verify_02_strategy(result, params: Params) -> str | None:
    tl = result.timeline
    agents = sorted(set(tl["agents"].astype(int)))
    if agents != [2]:
        return (f"Your strategy staffed {', '.join(map(str, agents))} agent(s); the task asks "
                "for 2 agents in every cycle.")
    if (tl["mass_spend"] > 0).any():
        return ("Your strategy spends on mass marketing, which lands on every segment, bad "
                "customers included; the task asks for targeted marketing only.")
    spent, target = tl["targeted_spend"], params.targeted_spend
    if not (abs(spent - target) <= 0.005 * target).all():
        if (spent <= 0).all():
            return ("Your strategy spends nothing on targeted marketing: use "
                    "`targeted_spend=params.targeted_spend`.")
        if spent.max() - spent.min() > 0.005 * target:
            return ("Your targeted-marketing spend changes between cycles; it should be "
                    "`params.targeted_spend` in every cycle.")
        ratio = float(spent.iloc[0]) / target
        if abs(ratio * 30 - 1) < 0.05 or abs(ratio * 12 - 1) < 0.05:
            return ("Your spend looks like a daily or monthly share: `Actions.targeted_spend` is "
                    "EUR per cycle (30 days), so use `params.targeted_spend` as it is.")
        return ("Your targeted-marketing spend per cycle is not the amount asked: use "
                "`targeted_spend=params.targeted_spend`.")
    customers = result.customers
    # Customers won by targeted marketing once the firm had a cycle of records to choose from.
    later = customers[(customers["channel"] == "targeted")
                      & (customers["acquired_day"] >= result.scenario.cycle_days)]
    reached = set(later["segment"].astype(str))
    if "high_maintenance" in reached:
        return ("After the first cycle your targeted marketing still reached high_maintenance "
                "prospects. Keep only the segments whose `profit_per_year` (from "
                "`segment_profitability`) is above `params.min_profit`, and pass them as "
                "`target_segments` (an empty list means every segment).")
    if "bargain_hunters" in reached:
        return ("After the first cycle your targeted marketing still reached bargain hunters: "
                "compare each segment's `profit_per_year` (service charged, not "
                "`margin_per_year`) with `params.min_profit`, not with 0.")
    missing = sorted({"high_value", "regulars"} - reached)
    if missing:
        return (f"Your strategy dropped {', '.join(missing)} too: a segment whose "
                "`profit_per_year` is above `params.min_profit` should stay in "
                "`target_segments`.")
    return None


SELECT_CUSTOMERS = register(Exercise(
    name="02_select_customers",
    title="Select customers: segment profit, the Pareto rule and a selective strategy",
    make_params=_params_02,
    defaults={"seed": 42, "min_profit": 30.0, "targeted_spend": 8_000.0,
              "price_segment": "regulars", "elasticity": 3.0},
    questions=(
        NumberQuestion(
            id="q1",
            text="Profit per customer-year of the high_maintenance segment, service charged, "
                 "two-year operational run (EUR, one decimal).",
            compute=lambda p: _segment_row(p, "profit_per_year"),
            abs_tol=0.06,
            near=0.1,
            near_hint=("Close: give EUR per customer-year to one decimal place, from "
                       "`profit_per_year`, with the cost per contact of the whole run "
                       "(`cost_per_contact(result.timeline)`)."),
            hint=("Run two years of the classroom market (`horizon_days=730`) with "
                  "`strategies.operational` and `seed=params.seed`, then read the "
                  "`profit_per_year` of `high_maintenance` in "
                  "`segment_profitability(result.customers, cost_per_contact(result.timeline))`."),
            mistakes=(
                Mistake(lambda p: -_segment_row(p, "profit_per_year"),
                        "Check the sign: does this segment earn the firm money or cost it money?"),
                Mistake(lambda p: _segment_row(p, "margin_per_year"),
                        "That is the margin per customer-year before the service centre's cost: "
                        "the question charges service too (`profit_per_year`)."),
                Mistake(lambda p: _segment_row(p, "service_cost_per_year"),
                        "That is the service cost per customer-year alone; the question asks "
                        "for the profit: margin minus service cost."),
                Mistake(lambda p: -_segment_row(p, "service_cost_per_year"),
                        "That is the service cost per customer-year alone (with a minus sign); "
                        "the question asks for margin minus service cost."),
                Mistake(lambda p: _segment_row(p, "profit_per_year", seed=42), _SEED_HINT),
                Mistake(lambda p: _segment_row(p, "profit_per_year", strategy=transactional),
                        _STRATEGY_HINT),
                Mistake(lambda p: _segment_row(p, "profit_per_year", horizon_days=1095),
                        _HORIZON_HINT),
            ),
            praise=("These are the course's \"bad customers\" (course section 3): their "
                    "complaints cost more than their purchases bring."),
        ),
        NumberQuestion(
            id="q2",
            text="Share of all customer profit (service and acquisition charged) brought by the "
                 "top 20% of customers, two-year operational run (fraction, 3 decimals).",
            compute=_profit_share,
            abs_tol=0.0015,
            near=0.03,
            near_hint=("Close: give the fraction to three decimal places, and take the top 20% "
                       "as the `ceil(0.2 * n)` most profitable customers."),
            hint=("Compute every customer's profit as in the notebook: `margin` - `contacts` x "
                  "`cost_per_contact(result.timeline)` - the CAC of their channel "
                  "(`cac_mass` for \"mass\", `cac_targeted` for \"targeted\", 0 otherwise). "
                  "Then sort from most to least profitable and divide the top 20%'s sum by the "
                  "sum over all customers."),
            mistakes=(
                Mistake(lambda p: 100 * _profit_share(p),
                        "Give a fraction (1.0 means 100%), not a percentage.", rel_tol=0.01),
                Mistake(lambda p: _run(p).summary()["top20_revenue_share"],
                        "That is the share of revenue; the question asks for the share of "
                        "profit."),
                Mistake(_after_service_share,
                        "You charged the service centre but not the acquisition cost: subtract "
                        "each customer's channel CAC too (0 for day-0 customers and referrals)."),
                Mistake(lambda p: top_share_signed(_run(p).customers["margin"]),
                        "You used the recorded margin only: charge each customer's service "
                        "contacts and acquisition cost as well."),
                Mistake(_clipped_share,
                        "You dropped or clipped the customers who lose money. Keep their "
                        "negative profits in the total: that is what the question is about."),
                Mistake(lambda p: 1 - _profit_share(p),
                        "That is the share of the other 80% of customers; the question asks for "
                        "the top 20%."),
                Mistake(lambda p: 0.8,
                        "0.8 is the folk Pareto rule, not what your run shows: compute it."),
                Mistake(lambda p: _profit_share(p, seed=42), _SEED_HINT),
                Mistake(lambda p: _profit_share(p, strategy=transactional), _STRATEGY_HINT),
                Mistake(lambda p: _profit_share(p, horizon_days=1095), _HORIZON_HINT),
            ),
            praise=("Compare it with the course's 80% (course section 7, the Pareto rule) and "
                    "with your revenue share."),
        ),
        ChoiceQuestion(
            id="q3",
            text="What does a top-20% share of profit above 1 (above 100%) mean?",
            options={
                "a": "the simulation counts some profit twice",
                "b": "the other 80% of customers, taken together, lose money",
                "c": "the top 20% of customers bought more than the firm sold",
                "d": "the best customers' profit is larger than their revenue",
            },
            answer="b",
            why={
                "a": ("Nothing is counted twice: the customers' profits add up to the firm's "
                      "profit before overheads (the notebook checks it). Think about what the "
                      "denominator, the total, contains."),
                "c": ("The top 20% are part of what the firm sold, so they cannot have bought "
                      "more than all of it. Think about customers whose profit is below zero."),
                "d": ("Profit is revenue minus costs, so it is never larger than revenue. The "
                      "share is relative to the total profit of all customers: what is in that "
                      "total?"),
            },
            praise=("The total is smaller than what the profitable customers brought: the "
                    "whale curve rises above 100% and comes back down."),
        ),
        ChoiceQuestion(
            id="q4",
            text="Why does the strategic firm still gain high-maintenance customers?",
            options={
                "a": "its targeted marketing ignores `target_segments`",
                "b": ("word of mouth and its small mass-marketing budget reach every segment: a "
                      "firm chooses whom it markets to, not who finds it"),
                "c": "high-maintenance customers are profitable under strategic CRM",
                "d": "a firm cannot observe which segment a customer belongs to",
            },
            answer="b",
            why={
                "a": ("After its first month, strategic's targeted marketing wins almost no "
                      "high-maintenance customers. Look at the `channel` of those it still gets."),
                "c": ("The high-maintenance segment still loses money under strategic CRM "
                      "(see the notebook's profit by segment)."),
                "d": ("The segment is in the firm's own records (`view.customers[\"segment\"]`): "
                      "that is how strategic picks the segments to target."),
            },
            praise=("Referrals come from satisfied customers of every segment, and mass media "
                    "land on anyone."),
        ),
        StrategyQuestion(
            id="q5",
            text="Write select(view): 2 agents, params.targeted_spend of targeted marketing aimed "
                 "only at segments whose profit_per_year exceeds params.min_profit; no mass "
                 "marketing.",
            points=2.0,
            scenario=_one_year,
            verify=_verify_02_strategy,
            praise=("Your strategy read the firm's own records each cycle and marketed only to "
                    "the segments that pay: strategic CRM's customer-based cost model at work."),
        ),
        NumberQuestion(
            id="q6",
            text="List price index that maximises the margin of params.price_segment at price "
                 "elasticity params.elasticity, by the inverse-elasticity rule (3 decimals).",
            compute=_sweet_spot,
            abs_tol=0.0015,
            near=0.03,
            near_hint=("Close: give the index to three decimal places, and keep every decimal "
                       "of the unit cost until the end."),
            hint=("By the inverse-elasticity rule (notebook 02, section 7) the best price is the "
                  "unit cost times the markup e / (e - 1). Take e = `params.elasticity` and the "
                  "unit cost c = (1 - margin) + cost_per_purchase / spend_mean of "
                  "`Scenario.load(\"classroom\").segment(params.price_segment)`."),
            mistakes=(
                Mistake(lambda p: _sweet_spot(p, cost=1.0 - _segment(p).margin),
                        "You left out the handling cost of each purchase: add "
                        "`cost_per_purchase / spend_mean` to the cost of the goods."),
                Mistake(lambda p: _sweet_spot(p, cost=_segment(p).margin
                                              + _segment(p).cost_per_purchase
                                              / _segment(p).spend_mean),
                        "`margin` is the share of the price the firm keeps, not what the goods "
                        "cost: the goods cost `1 - margin` of the reference price."),
                Mistake(lambda p: _sweet_spot(p, cost=1.0),
                        "That is the markup on cost alone: the rule multiplies it by the "
                        "segment's unit cost c."),
                Mistake(lambda p: unit_cost(_segment(p)) * (p.elasticity - 1) / p.elasticity,
                        "The fraction is upside down: the best price lies above the unit cost, "
                        "by the factor e / (e - 1)."),
                Mistake(lambda p: _sweet_spot(p, elasticity=_segment(p).price_elasticity),
                        "You used the segment's `price_elasticity` from the scenario; the "
                        "question gives the elasticity market research found: "
                        "`params.elasticity`."),
                Mistake(lambda p: 1 / p.elasticity,
                        "That is the margin rate at the best price, (p - c) / p = 1 / e; the "
                        "question asks for the price index p itself."),
                Mistake(lambda p: _sweet_spot(p) - 1,
                        "Give the index itself (the reference prices are 1), not its change "
                        "from 1."),
                Mistake(lambda p: 100 * _sweet_spot(p),
                        "Give the index as a plain number (the reference prices are 1), not a "
                        "percentage.", rel_tol=0.01),
            ),
            praise=("The more price-sensitive the segment, the smaller the markup: e = 6 allows "
                    "20% over cost, e = 2 allows 100% (course section 3, the right price)."),
        ),
    ),
))
