"""Exercise 05, grow customer value: CLV on the board, cross-selling, share of customer, equity.

Goes with ``notebooks/05_grow_value.ipynb``. Questions: the Gupta-Lehmann CLV of a customer
with the student's margin and retention (q1); products per active customer after two years of
cross-selling with the student's budget and seed (q2); the customer equity that cross-selling
adds over the operational firm (q3); whom to contact first (q4); and a cross-sell targeting rule
``pick(customers, n)``, checked on the customer table of the q2 run (q5).
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..analytics.clv import continuous_clv, continuous_discount_rate, gupta_lehmann_clv
from ..analytics.records import observed_days
from ..engine import run
from ..scenario import Scenario
from ..strategies import Preset, collaborative, operational
from .feedback import ParamDraws, Params
from .questions import (
    NOT_ATTEMPTED,
    ChoiceQuestion,
    Mistake,
    NumberQuestion,
    Question,
    _missing,
)
from .registry import Exercise, register
from .runs import _scenario

#: The exercise's runs: two years of the classroom market (the notebook's horizon).
HORIZON_DAYS = 730
#: The discount rate of q1 (a fraction per year), as in the classroom scenario.
DISCOUNT_RATE = 0.10
#: Days a customer must have been in the records before their purchase pace counts (q5).
MIN_OBSERVED_DAYS = 30.0


# -- parameters -----------------------------------------------------------------------------------
def _params_05(draws: ParamDraws) -> dict:
    seed = draws.integer(100, 999_999)
    if seed == 42:  # 42 is the notebooks' seed: a student must not get it by chance
        seed = 43
    return {
        "seed": seed,
        "margin": float(draws.integer(60, 240, 10)),  # EUR per year
        "retention": draws.integer(60, 90, 5) / 100,  # per year
        "cross_sell_budget": float(draws.integer(1_000, 5_000, 250)),  # EUR per cycle
        "n_contacts": draws.integer(200, 800, 50),
    }


_DEFAULTS = {"seed": 42, "margin": 100.0, "retention": 0.8, "cross_sell_budget": 3_000.0,
             "n_contacts": 500}


# -- shared runs ----------------------------------------------------------------------------------
@functools.cache
def _market(horizon_days: int) -> Scenario:
    return _scenario("classroom").replace(horizon_days=horizon_days)


@functools.cache
def _cross_selling(budget: float) -> Preset:
    """One preset object per budget, so the run cache below recognises it."""
    return collaborative.configure(cross_sell_budget=float(budget))


@functools.lru_cache(maxsize=16)
def _result(strategy: str | float, seed: int, horizon_days: int = HORIZON_DAYS):
    """A cached run: ``strategy`` is ``"operational"`` or a cross-sell budget (collaborative)."""
    preset = operational if strategy == "operational" else _cross_selling(float(strategy))
    return run(_market(horizon_days), preset, seed=seed, transactions="none")


def _budget(params: Params, budget: float | None) -> float:
    return params.cross_sell_budget if budget is None else budget


def _seed(params: Params, seed: int | None) -> int:
    return params.seed if seed is None else seed


def _products(params: Params, *, seed=None, budget=None, horizon_days=HORIZON_DAYS,
              everyone: bool = False, strategy=None) -> float:
    """Mean products held by the customers active at the end (by everyone ever, if asked)."""
    key = _budget(params, budget) if strategy is None else strategy
    customers = _result(key, _seed(params, seed), horizon_days).customers
    if not everyone:
        customers = customers[customers["status"] == "active"]
    return float(customers["products"].mean())


def _gain(params: Params, kpi: str = "customer_equity", *, seed=None, budget=None,
          horizon_days=HORIZON_DAYS) -> float:
    """KPI of the cross-selling run minus the operational run's, same seed and market."""
    seed = _seed(params, seed)
    grow = _result(_budget(params, budget), seed, horizon_days).summary()[kpi]
    base = _result("operational", seed, horizon_days).summary()[kpi]
    return float(grow - base)


def _ratio(params: Params) -> float:
    seed = params.seed
    return float(_result(params.cross_sell_budget, seed).summary()["customer_equity"]
                 / _result("operational", seed).summary()["customer_equity"])


def _clv(params: Params, timing: str = "end") -> float:
    return float(gupta_lehmann_clv(params.margin, params.retention, DISCOUNT_RATE, timing=timing))


_SEED_HINT = ("That is the value for seed 42, the notebooks' seed: run with your own seed, "
              "`seed=params.seed`.")
_HORIZON_HINT = ("That is the value for three years, the classroom scenario's default: the "
                 "exercise runs two years, `Scenario.load(\"classroom\").replace(horizon_days="
                 "730)`.")
_BUDGET_HINT = ("That is the collaborative preset with its default budget: configure it with "
                "yours, `strategies.collaborative.configure(cross_sell_budget="
                "params.cross_sell_budget)`.")


# -- q5: a targeting rule -------------------------------------------------------------------------
def _targets(customers: pd.DataFrame, max_products: int) -> pd.DataFrame:
    """The customers the q5 rule may pick, and their pace.

    Eligible: active, fewer than ``max_products`` products, at least
    :data:`MIN_OBSERVED_DAYS` days in the records. Pace: purchases per observed day
    (:func:`sim.analytics.records.observed_days`).

    Returns
    -------
    pandas.DataFrame
        ``customer_id``, ``pace``, ``eligible`` for every row of ``customers``.
    """
    days = observed_days(customers).to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pace = np.where(days > 0, customers["purchases"].to_numpy(dtype=float) / days, np.nan)
    eligible = ((customers["status"] == "active").to_numpy()
                & (customers["products"].to_numpy() < max_products)
                & (days >= MIN_OBSERVED_DAYS))
    return pd.DataFrame({"customer_id": customers["customer_id"].to_numpy(), "pace": pace,
                         "eligible": eligible})


def _as_ids(out: Any, customers: pd.DataFrame) -> tuple[np.ndarray | None, str]:
    """The ids a rule returned, or a hint on what it returned instead."""
    if out is None:
        return None, "Your function returned None: did you forget `return`?"
    if isinstance(out, pd.DataFrame):
        return None, ("Your function returned a whole table; return only the ids, e.g. "
                      "`chosen[\"customer_id\"]`.")
    if isinstance(out, pd.Series) and out.dtype == bool:
        return None, ("Your function returned a True/False mask; return the ids of the chosen "
                      "customers, e.g. `customers.loc[mask, \"customer_id\"]`.")
    if isinstance(out, numbers.Number | str):
        return None, (f"Your function returned one {type(out).__name__}; return a list (or "
                      "array or Series) of customer ids.")
    try:
        values = np.asarray(list(out), dtype=float)
    except (TypeError, ValueError):
        return None, (f"Your function returned a {type(out).__name__} that is not a list of "
                      "customer ids.")
    if values.size and (not np.all(np.isfinite(values)) or np.any(values != np.round(values))):
        return None, "Customer ids are whole numbers; your function returned other values."
    ids = values.astype(np.int64)
    if np.unique(ids).size != ids.size:
        return None, "Your function returned the same customer more than once."
    if not np.isin(ids, customers["customer_id"].to_numpy()).all():
        return None, ("Some ids your function returned are not customers in the table: return "
                      "values of the `customer_id` column.")
    return ids, ""


@dataclass(frozen=True, kw_only=True)
class TargetingQuestion(Question):
    """A coding task: a rule ``pick(customers, n) -> ids``, checked on a customer table.

    Attributes
    ----------
    table : callable
        ``table(params) -> pandas.DataFrame``: the customer table to run the rule on.
    size : callable
        ``size(params) -> int``: the ``n`` to pass.
    max_products : callable
        ``max_products(params) -> int``: the most products a customer can hold.
    praise : str
        Added to "Correct.".
    """

    table: Callable[[Params], pd.DataFrame]
    size: Callable[[Params], int]
    max_products: Callable[[Params], int]
    praise: str = ""

    def expected(self, params: Params) -> str:
        return "a function pick(customers, n): see the question"

    def assess(self, answer: Any, params: Params) -> tuple[bool | None, str]:
        if _missing(answer):
            return None, NOT_ATTEMPTED
        if not callable(answer):
            return False, ("Give your function itself, e.g. `pick` (without parentheses), not "
                           f"a value of type `{type(answer).__name__}`.")
        try:
            inspect.signature(answer).bind(None, None)
        except TypeError:
            return False, ("Your function must take two arguments, the customer table and the "
                           "number of customers: `def pick(customers, n): ...`.")
        except ValueError:
            pass
        customers, n = self.table(params), self.size(params)
        try:
            out = answer(customers.copy(), n)
        except Exception as err:  # a bug in the student's code: say which, do not crash
            return False, (f"Your function raised {type(err).__name__}: {err}. Call it yourself "
                           "on your table to see where.")
        ids, hint = _as_ids(out, customers)
        if ids is None:
            return False, hint
        hint = _judge(ids, customers, n, self.max_products(params))
        if hint:
            return False, hint
        return True, f"Correct. {self.praise}".strip()


def _judge(ids: np.ndarray, customers: pd.DataFrame, n: int, max_products: int) -> str:
    """A hint if ``ids`` is not a right answer (ties at the cut-off may go either way)."""
    info = _targets(customers, max_products).set_index("customer_id")
    want = min(n, int(info["eligible"].sum()))
    chosen = info.loc[ids]
    rows = customers.set_index("customer_id").loc[ids]
    if len(ids) != want:
        return (f"Your function picked {len(ids)} customers; it should pick `n` of them (the "
                "second argument), every time it is called.")
    if (rows["status"] != "active").any():
        return ("Some customers you picked are no longer customers (status 'lost'): contact "
                "active customers only.")
    if (rows["products"] >= max_products).any():
        return ("Some customers you picked already hold the most products a customer can have "
                "(`max_products`): they cannot take another one.")
    if not chosen["eligible"].all():
        return (f"Some customers you picked have been in the records for less than "
                f"{MIN_OBSERVED_DAYS:.0f} days: their purchase pace is not measured yet.")
    pool = info[info["eligible"]]
    if _is_top(pool["pace"], ids, want):
        return ""
    if chosen["pace"].mean() < pool["pace"].mean():
        return ("You picked customers who buy *least* often: sort by pace from the highest "
                "down.")
    pool_rows = customers.set_index("customer_id").loc[pool.index]
    for column, what in (("purchases", "the number of purchases"), ("revenue", "revenue")):
        if _is_top(pool_rows[column].astype(float), ids, want):
            return (f"You ranked by {what}; rank by pace instead: purchases per observed day, "
                    "so that a customer who joined recently is not behind just for being new.")
    tenure = pool_rows["purchases"] / pool_rows["tenure_days"].where(
        pool_rows["tenure_days"] > 0)
    if _is_top(tenure, ids, want):
        return ("You divided by `tenure_days`; divide by the days each customer has been in the "
                "records (`observed_days(customers)`): the customers of day 0 joined before the "
                "records began.")
    return ("Some customers you picked buy less often per observed day than some you left out: "
            "keep the eligible customers with the highest pace.")


def _is_top(score: pd.Series, ids: np.ndarray, want: int) -> bool:
    """Whether ``ids`` are the ``want`` highest of ``score`` (indexed by customer id), with
    customers tied at the cut-off counted right whichever of them were taken."""
    if not np.isin(ids, score.index).all():
        return False
    if want == 0:
        return len(ids) == 0
    cut = score.nlargest(want).min()
    tol = 1e-9 * max(abs(cut), 1e-12)
    return bool((score.loc[ids] >= cut - tol).all()
                and score.index[score > cut + tol].isin(ids).all())


def _table(params: Params) -> pd.DataFrame:
    return _result(params.cross_sell_budget, params.seed).customers


# -- the exercise ---------------------------------------------------------------------------------
GROW_VALUE = register(Exercise(
    name="05_grow_value",
    title="Grow customer value: lifetime value, cross-selling and share of customer",
    make_params=_params_05,
    defaults=_DEFAULTS,
    questions=(
        NumberQuestion(
            id="q1",
            text="Gupta-Lehmann CLV (EUR, margins at the end of each year, infinite horizon) of "
                 "a customer with params.margin a year and params.retention, at 10% a year.",
            compute=_clv,
            rel_tol=0.002,
            abs_tol=0.01,
            near=0.03,
            near_hint=("Close: give the value in euros to at least the nearest euro, without "
                       "rounding the rates on the way."),
            hint=("Use the formula with margins at the end of each year the customer stays: "
                  "CLV = m r / (1 + i - r), with m = params.margin, r = params.retention and "
                  "i = 0.10 (a fraction)."),
            mistakes=(
                Mistake(lambda p: _clv(p, "start"),
                        "That counts the first margin today (margins at the *start* of each "
                        "year); the question has each margin at the end of a year the customer "
                        "stays, the first one a year from now."),
                Mistake(lambda p: p.margin * p.retention / (1 - p.retention),
                        "You left out discounting: money a year from now is worth 1 / (1 + i) "
                        "of money today, with i = 0.10."),
                Mistake(lambda p: float(continuous_clv(
                    p.margin, -math.log(p.retention), continuous_discount_rate(DISCOUNT_RATE))),
                        "That is the continuous formula m / (h + delta); the question asks for "
                        "the Gupta-Lehmann formula in whole years."),
                Mistake(lambda p: p.margin * (1 - p.retention) / (DISCOUNT_RATE + p.retention),
                        "You used the churn rate where the retention rate goes: r is the chance "
                        "of *staying* a year."),
                Mistake(lambda p: p.margin * p.retention / (1 + 10 - p.retention),
                        "Give the discount rate as a fraction (0.10), not as a percentage.",
                        rel_tol=0.02),
                Mistake(lambda p: p.retention / (1 + DISCOUNT_RATE - p.retention),
                        "That is the margin multiple, CLV per euro of yearly margin: multiply it "
                        "by the margin."),
            ),
            praise="The margin multiple r / (1 + i - r) times the margin: years of margin a "
                   "customer is worth.",
        ),
        NumberQuestion(
            id="q2",
            text="Mean products held by the customers active at the end of two years under "
                 "collaborative with cross_sell_budget = params.cross_sell_budget (3 decimals).",
            compute=_products,
            abs_tol=0.0006,
            near=0.01,
            near_hint=("Close: give three decimals, and average over the customers *active at "
                       "the end* only."),
            hint=("Run two years of the classroom market (`horizon_days=730`) with "
                  "`strategies.collaborative.configure(cross_sell_budget="
                  "params.cross_sell_budget)` and `seed=params.seed`, then average the "
                  "`products` column of `result.customers` over the active customers."),
            mistakes=(
                Mistake(lambda p: _products(p, everyone=True),
                        "That averages over every customer the firm ever had, lost ones "
                        "included: keep the customers whose status is 'active'."),
                Mistake(lambda p: _products(p, strategy="operational"),
                        "That is a firm that never cross-sells (every customer holds one "
                        "product): run the collaborative preset."),
                Mistake(lambda p: _products(p) - 1,
                        "That counts only the products added by cross-selling; the question "
                        "asks for all products held, the first one included."),
                Mistake(lambda p: _products(p, budget=3_000.0), _BUDGET_HINT),
                Mistake(lambda p: _products(p, seed=42), _SEED_HINT),
                Mistake(lambda p: _products(p, horizon_days=1_095), _HORIZON_HINT),
            ),
            praise="Share of customer: each active customer buys more kinds of product from "
                   "the firm.",
        ),
        NumberQuestion(
            id="q3",
            text="Customer equity (truth) of the q2 run minus that of strategies.operational, "
                 "same market and seed (EUR).",
            compute=_gain,
            abs_tol=1.0,
            rel_tol=1e-6,
            near=0.02,
            near_hint=("Close: give the difference in whole euros, from "
                       "`summary()[\"customer_equity\"]` of both runs."),
            hint=("Run `strategies.operational` on the same two-year market with your seed and "
                  "subtract its `summary()[\"customer_equity\"]` from your collaborative run's."),
            mistakes=(
                Mistake(lambda p: -_gain(p),
                        "You subtracted the other way round: collaborative minus operational."),
                Mistake(lambda p: _gain(p, "profit"),
                        "That is the difference in profit over the two years; the question asks "
                        "for customer equity, the value of the customers at the end."),
                Mistake(lambda p: _gain(p, "realised_clv"),
                        "That is the difference in realised CLV per new customer; the question "
                        "asks for customer equity, summed over the customers at the end."),
                Mistake(_ratio,
                        "That is a ratio; the question asks for a difference in euros.",
                        rel_tol=0.01),
                Mistake(lambda p: _gain(p, budget=3_000.0), _BUDGET_HINT),
                Mistake(lambda p: _gain(p, seed=42), _SEED_HINT),
                Mistake(lambda p: _gain(p, horizon_days=1_095), _HORIZON_HINT),
            ),
            praise="Most of what cross-selling earns is still to come when the run ends: "
                   "customer equity counts it, two years' profit does not.",
        ),
        ChoiceQuestion(
            id="q4",
            text="Whom should a cross-sell campaign contact first, from what the firm records?",
            options={
                "a": "the customers who are most satisfied",
                "b": "the customers who buy more often than the average of their segment",
                "c": "customers drawn at random, so that the best customers are not annoyed",
                "d": "the newest customers, who have the most room to grow",
            },
            answer="b",
            why={
                "a": ("Satisfaction is latent: the firm does not record it (it is in "
                      "`result.truth`, which strategies never see)."),
                "c": ("Random contacts reach many customers whom the offer does not fit: they "
                      "decline, and a declined offer that does not fit is what annoys."),
                "d": ("New customers have hardly any purchase history, so the firm cannot tell "
                      "yet whether the offer fits them."),
            },
            praise=("In the model a customer's fit for another product rises with how often "
                    "they buy for their segment: frequency is the firm's visible guide to a "
                    "latent fit."),
        ),
        TargetingQuestion(
            id="q5",
            text="Write pick(customers, n): the ids of the n eligible customers with the "
                 "highest purchases per observed day.",
            points=2.0,
            table=_table,
            size=lambda p: int(p.n_contacts),
            max_products=lambda p: int(_market(HORIZON_DAYS).cross_sell.max_products),
            praise="Your rule picks the customers most likely to take another product, as far "
                   "as the records can tell.",
        ),
    ),
))
