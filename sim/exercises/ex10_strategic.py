"""Exercise 10, strategic CRM: cost-effectiveness of targeted marketing, and the price of a harvest.

Goes with ``notebooks/10_strategic.ipynb``. Every run is two years of the classroom market with
the student's seed: a firm that keeps its marketing money (``operational`` without
advertising), a firm that spends it on targeted marketing of profitable segments (``strategic``
with ``targeted_spend = params.targeted_spend``, no mass marketing and its customer-specific
prices switched off, so that it measures targeted marketing alone), and the student's
harvesting strategy, which invests like the second firm until ``params.harvest_day`` and then
spends on nothing but one agent.
"""

from __future__ import annotations

import functools

import numpy as np

from ..actions import Actions
from ..analytics.clv import customer_equity
from ..engine import run
from ..scenario import Scenario
from ..strategies import operational, strategic
from .feedback import ParamDraws, Params
from .questions import ChoiceQuestion, Mistake, NumberQuestion, StrategyQuestion
from .registry import Exercise, register
from .runs import _scenario

__all__ = ["STRATEGIC", "harvest_strategy", "investing_strategy", "keeping_strategy"]

TWO_YEARS = 730  # days: the horizon of every question
NOTEBOOK_SPEND = 10_000.0  # EUR a cycle: the notebook's targeted-marketing firm
NOTEBOOK_HARVEST_DAY = 720  # the notebook's harvest day (of a three-year run)


# -- the firms of the exercise -------------------------------------------------------------------
def keeping_strategy():
    """The front office alone: Erlang C staffing, CRM system, training, no marketing."""
    return operational.configure(mass_spend=0.0)


#: The strategic preset's prices switched off: no loyalty discount, list prices at the reference.
NO_PRICES = {"loyalty_discount": 0.0, "unprofitable_price": 1.0}


def investing_strategy(targeted_spend: float, *, prices: bool = False):
    """All the marketing money in targeted marketing of the segments that earn money, without
    the strategic preset's customer-specific prices (with them if ``prices``: a mistake)."""
    return strategic.configure(targeted_spend=float(targeted_spend), mass_spend=0.0,
                               **({} if prices else NO_PRICES))


def harvest_strategy(targeted_spend: float, harvest_day: float):
    """Invest like :func:`investing_strategy` until ``harvest_day``, then one agent and nothing
    else: no marketing, no CRM system, no training (the reference answer of question 2)."""
    invest = investing_strategy(targeted_spend)

    def harvest(view):
        if view.day < harvest_day:
            return invest(view)
        return Actions(agents=1)

    return harvest


# -- shared runs ---------------------------------------------------------------------------------
@functools.lru_cache(maxsize=16)
def _result(firm: str, seed: int, targeted_spend: float, harvest_day: float,
            horizon_days: int = TWO_YEARS):
    """One run of the classroom market, cached: checks and their hints reuse the same few."""
    scenario = _scenario("classroom").replace(horizon_days=horizon_days)
    if firm == "keep":
        strategy = keeping_strategy()
    elif firm == "invest":
        strategy = investing_strategy(targeted_spend)
    elif firm == "priced":
        strategy = investing_strategy(targeted_spend, prices=True)
    elif firm == "mass":
        strategy = operational
    else:
        strategy = harvest_strategy(targeted_spend, harvest_day)
    return run(scenario, strategy, seed=seed, transactions="none")


def _run(params: Params, firm: str, *, seed: int | None = None, targeted_spend: float | None = None,
         harvest_day: float | None = None, horizon_days: int = TWO_YEARS):
    return _result(firm, params.seed if seed is None else seed,
                   params.targeted_spend if targeted_spend is None else targeted_spend,
                   params.harvest_day if harvest_day is None else harvest_day, horizon_days)


def _equity(result, basis: str = "truth") -> float:
    return customer_equity(result, basis=basis)


def _cost(result, column: str = "cost_targeted") -> float:
    return float(result.timeline[column].sum())


# -- question 1: cost-effectiveness of targeted marketing ------------------------------------------
def _equity_per_euro(params: Params, *, basis: str = "truth", firm: str = "invest",
                     column: str = "cost_targeted", **how) -> float:
    keep, invest = _run(params, "keep", **how), _run(params, firm, **how)
    return (_equity(invest, basis) - _equity(keep, basis)) / _cost(invest, column)


def _without_data_cost(params: Params) -> float:
    keep, invest = _run(params, "keep"), _run(params, "invest")
    contacts = _cost(invest) * params.targeted_spend / (params.targeted_spend + _data_cost())
    return (_equity(invest) - _equity(keep)) / contacts


def _data_cost() -> float:
    return float(_scenario("classroom").targeted.data_cost_per_cycle)


def _profit_per_euro(params: Params) -> float:
    keep, invest = _run(params, "keep"), _run(params, "invest")
    return (invest.summary()["profit"] - keep.summary()["profit"]) / _cost(invest)


def _level_per_euro(params: Params) -> float:
    invest = _run(params, "invest")
    return _equity(invest) / _cost(invest)


# -- question 3: the price of a harvest ------------------------------------------------------------
def _harvest_ratio(params: Params, *, basis: str = "truth", **how) -> float:
    invest, harvest = _run(params, "invest", **how), _run(params, "harvest", **how)
    lost = _equity(invest, basis) - _equity(harvest, basis)
    gained = harvest.summary()["profit"] - invest.summary()["profit"]
    return lost / gained


# -- parameters ------------------------------------------------------------------------------------
def _params_10(draws: ParamDraws) -> dict:
    seed = draws.integer(100, 999_999)
    if seed == 42:  # 42 is the notebooks' seed: a student must not get it by chance
        seed = 43
    return {"seed": seed,
            "targeted_spend": float(draws.integer(6_000, 12_000, 1_000)),
            "harvest_day": draws.integer(360, 540, 30)}


_SEED_HINT = ("That is the value for seed 42, the notebooks' seed: run with your own seed, "
              "`seed=params.seed`.")
_HORIZON_HINT = ("That is the value for the scenario's full three years: this exercise uses two "
                 "years, `Scenario.load(\"classroom\").replace(horizon_days=730)`.")
_SPEND_HINT = ("That is the value for the notebook's EUR 10,000 a month: use your own budget, "
               "`targeted_spend=params.targeted_spend`.")


def _two_years(params: Params) -> Scenario:
    return _scenario("classroom").replace(horizon_days=TWO_YEARS)


# -- question 2: the coding task -------------------------------------------------------------------
_DECISIONS = ("mass_spend", "targeted_spend", "agents", "crm_system", "training_spend")
_PRICES = ("discounted_customers", "price_index")  # what the strategic preset's prices leave
_INVEST_CALL = ("`strategies.strategic.configure(targeted_spend=params.targeted_spend, "
                "mass_spend=0.0, loyalty_discount=0.0, unprofitable_price=1.0)`")


def _same_rows(tl, reference, columns) -> np.ndarray:
    a, b = tl[list(columns)], reference[list(columns)]
    return ((a == b) | (a.isna() & b.isna())).all(axis=1).to_numpy()


def _verify_harvest(result, params: Params) -> str | None:
    tl = result.timeline
    reference = _run(params, "invest").timeline
    decided = _same_rows(tl, reference, _DECISIONS)
    same = decided & _same_rows(tl, reference, _PRICES)
    harvested = ((tl["mass_spend"] == 0) & (tl["targeted_spend"] == 0)
                 & (tl["agents"] == 1)).to_numpy()
    before = (tl["start_day"] < params.harvest_day).to_numpy()
    if not same[before].all():
        first = int(tl["start_day"][before & ~same].iloc[0])
        if harvested[before & ~same].all():
            return (f"Your firm started harvesting on day {first}, before `params.harvest_day`: "
                    "compare `view.day` with `params.harvest_day` and keep investing while "
                    "`view.day` is smaller.")
        if decided[before].all():
            return (f"On day {first}, before the harvest day, your firm set prices the investing "
                    "firm does not (discounts for its best customers, a dearer list price for "
                    "the segments it drops): the investing firm is the strategic preset with its "
                    f"prices switched off, {_INVEST_CALL}.")
        return (f"On day {first}, before the harvest day, your firm did not do what the investing "
                "firm does: until `params.harvest_day` return exactly what "
                f"{_INVEST_CALL} returns for the view.")
    after = tl[~before]
    if same[~before].any() and not harvested[~before].any():
        return ("Your firm never harvested: from `params.harvest_day` on it still invests. "
                "Check the condition on `view.day`.")
    if same[~before].any():
        return ("Your firm started harvesting after `params.harvest_day`: harvest from the first "
                "cycle whose `view.day` is at least `params.harvest_day` (use `<` for the "
                "investing days, not `<=` on a later day).")
    if (after["mass_spend"] > 0).any() or (after["targeted_spend"] > 0).any():
        return ("After the harvest day your firm still spends on marketing; a harvest stops "
                "winning new customers: no mass and no targeted marketing.")
    if (after["agents"] != 1).any():
        return ("After the harvest day your firm staffs more than one agent; the harvest keeps "
                "the minimum, `agents=1`.")
    if after["crm_system"].astype(bool).any() or (after["training_spend"] > 0).any():
        return ("After the harvest day your firm still pays for the CRM system or for training; "
                "the harvest switches both off (`Actions(agents=1)` does).")
    return None


STRATEGIC = register(Exercise(
    name="10_strategic",
    title="Strategic CRM: cost-effectiveness, harvesting and customer equity",
    make_params=_params_10,
    defaults={"seed": 42, "targeted_spend": NOTEBOOK_SPEND, "harvest_day": 540},
    questions=(
        NumberQuestion(
            id="q1",
            text="Customer equity gained per euro spent on targeted marketing: investing firm vs "
                 "keeping firm, two years, your seed and budget (EUR per EUR, two decimals).",
            compute=_equity_per_euro,
            abs_tol=0.006,
            near=0.05,
            near_hint=("Close: give the ratio to two decimal places, with the ground-truth equity "
                       "(`summary()[\"customer_equity\"]`) of both firms and the whole "
                       "`cost_targeted` of the investing firm's timeline."),
            hint=("Run two years (`horizon_days=730`) of both firms with `seed=params.seed`: "
                  "`strategies.operational.configure(mass_spend=0.0)` and "
                  "`strategies.strategic.configure(targeted_spend=params.targeted_spend, "
                  "mass_spend=0.0, loyalty_discount=0.0, unprofitable_price=1.0)`. Divide the "
                  "difference of their customer equity by the sum of `cost_targeted` in the "
                  "investing firm's timeline."),
            mistakes=(
                Mistake(lambda p: 1.0 / _equity_per_euro(p),
                        "You divided the wrong way round: the question asks for euros of equity "
                        "per euro spent, not euros spent per euro of equity.", rel_tol=0.01),
                Mistake(_level_per_euro,
                        "You divided the investing firm's whole customer equity by its spend. "
                        "Most of that equity would be there without the marketing: subtract the "
                        "keeping firm's equity first (a paired difference, same seed)."),
                Mistake(_profit_per_euro,
                        "That is the change in profit per euro; the question asks for the change "
                        "in customer equity (`summary()[\"customer_equity\"]`)."),
                Mistake(lambda p: _equity_per_euro(p, basis="predicted"),
                        "You used the firm's own estimate of its equity; the question asks for "
                        "the ground truth, `summary()[\"customer_equity\"]`."),
                Mistake(_without_data_cost,
                        "You left the prospect database out of the cost: the lever's cost is "
                        "the whole `cost_targeted` column, contacts and database together."),
                Mistake(lambda p: _equity_per_euro(p, firm="priced"),
                        "Your investing firm also set the strategic preset's prices (a loyalty "
                        "discount and a dearer list price for the segments it drops), so the "
                        "ratio mixes their effect in: switch them off with "
                        "`loyalty_discount=0.0, unprofitable_price=1.0`."),
                Mistake(lambda p: _equity_per_euro(p, firm="mass", column="cost_mass"),
                        "That is the return of mass marketing (`strategies.operational`); the "
                        "question is about the targeted-marketing firm."),
                Mistake(lambda p: _equity_per_euro(p, seed=42), _SEED_HINT),
                Mistake(lambda p: _equity_per_euro(p, horizon_days=1095), _HORIZON_HINT),
            ),
            praise=("Every euro of targeted marketing added several euros to the value of the "
                    "customer base: the cost-effectiveness strategic CRM asks about (course "
                    "section 5)."),
        ),
        StrategyQuestion(
            id="q2",
            text="Write harvest(view): invest like strategic(targeted_spend=params.targeted_spend, "
                 "mass_spend=0, loyalty_discount=0, unprofitable_price=1) until "
                 "params.harvest_day, then Actions(agents=1).",
            points=2.0,
            scenario=_two_years,
            verify=_verify_harvest,
            praise=("Your firm built its customer base and then ran it down: no marketing, one "
                    "agent, no CRM system."),
        ),
        NumberQuestion(
            id="q3",
            text="Customer equity lost per euro of extra profit by harvesting from "
                 "params.harvest_day, two years, your seed (EUR per EUR, two decimals).",
            compute=_harvest_ratio,
            abs_tol=0.006,
            near=0.05,
            near_hint=("Close: give the ratio to two decimal places, with the ground-truth equity "
                       "and the two-year profit of `summary()`."),
            hint=("Run the investing firm and your harvest strategy for two years with "
                  "`seed=params.seed`. Divide the equity the harvest lost (investing minus "
                  "harvesting, `summary()[\"customer_equity\"]`) by the profit it gained "
                  "(harvesting minus investing, `summary()[\"profit\"]`)."),
            mistakes=(
                Mistake(lambda p: -_harvest_ratio(p),
                        "Check the sign: divide the equity *lost* (a positive amount) by the "
                        "profit *gained* (a positive amount)."),
                Mistake(lambda p: 1.0 / _harvest_ratio(p),
                        "You divided the wrong way round: the question asks for euros of equity "
                        "lost per euro of profit gained.", rel_tol=0.01),
                Mistake(lambda p: _harvest_ratio(p, basis="predicted"),
                        "You used the firm's own estimate of its equity; the question asks for "
                        "the ground truth, `summary()[\"customer_equity\"]`."),
                Mistake(lambda p: _harvest_ratio(p, seed=42), _SEED_HINT),
                Mistake(lambda p: _harvest_ratio(p, targeted_spend=NOTEBOOK_SPEND), _SPEND_HINT),
                Mistake(lambda p: _harvest_ratio(p, harvest_day=NOTEBOOK_HARVEST_DAY),
                        "That is a harvest from day 720, the notebook's day: harvest from "
                        "`params.harvest_day`."),
                Mistake(lambda p: _harvest_ratio(p, horizon_days=1095), _HORIZON_HINT),
            ),
            praise=("Each euro of profit the harvest added cost the owners several euros of "
                    "customer equity: profit now against value later."),
        ),
        ChoiceQuestion(
            id="q4",
            text="Where does the harvest's extra profit come from, and why is it a bad deal for "
                 "the owners?",
            options={
                "a": ("its customers buy more once the advertising stops, because they are no "
                      "longer annoyed by it"),
                "b": ("it stops paying for marketing, agents and the CRM system, so this year's "
                      "costs fall; the customers it no longer wins or keeps would have earned "
                      "far more than that over their lifetimes, which only customer equity "
                      "shows"),
                "c": ("the simulation punishes a firm that spends little by lowering its customer "
                      "equity directly"),
                "d": ("customer equity fell only in the firm's estimate, which is biased low; the "
                      "true equity did not change"),
            },
            answer="b",
            why={
                "a": ("Look at the harvest firm's revenue and active customers after the harvest "
                      "day: do they rise? Advertising reaches prospects; it does not annoy the "
                      "customers in this model."),
                "c": ("Nothing in the model lowers equity because of low spending: equity is the "
                      "sum of the active customers' expected margins. Ask which customers are "
                      "active at the end, and why."),
                "d": ("The ground truth, `summary()[\"customer_equity\"]`, fell too: compare it "
                      "for the two firms."),
            },
            praise=("A profit and loss statement books the savings now and never shows the "
                    "customer base they cost: strategic CRM's reason for long-term customer "
                    "goals (course section 5)."),
        ),
        ChoiceQuestion(
            id="q5",
            text="Why did the first EUR 5,000 a month of targeted marketing return less equity "
                 "per euro than the next steps?",
            options={
                "a": ("the prospect database costs EUR 2,000 a cycle whatever the spend on "
                      "contacts, so a small budget carries a large fixed cost"),
                "b": "the first customers targeted marketing wins are the least valuable ones",
                "c": "at low targeted budgets the firm switches mass marketing back on",
                "d": "each contact converts more often the more contacts the firm makes",
            },
            answer="a",
            why={
                "b": ("Targeted marketing draws prospects at random within the target segments: "
                      "nothing makes the first ones worse. Look at what the lever's cost is made "
                      "of."),
                "c": ("Every point of that sweep had `mass_spend=0`: no mass marketing at any "
                      "level. Look at what the lever's cost is made of."),
                "d": ("Each contact converts with the same probability in the model "
                      "(`targeted.conversion`), whatever the number of contacts. Look at what "
                      "the lever's cost is made of."),
            },
            praise=("A fixed cost makes a lever's first euros dearer: the marginal return "
                    "depends on where the firm stands."),
        ),
    ),
))
