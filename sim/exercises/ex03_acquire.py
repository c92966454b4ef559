"""Exercise 03, acquire customers: CAC, word of mouth, database marketing, the welcome trap,
and what sales reps who visit the valuable accounts first earn per hour of selling time."""

from __future__ import annotations

import functools
import itertools
import math
from types import MappingProxyType

from ..actions import Actions
from ..analytics.acquisition import cac_by_channel
from ..engine import run
from ..scenario import Scenario
from ..strategies import transactional
from .feedback import ParamDraws, Params
from .questions import ChoiceQuestion, Mistake, NumberQuestion, StrategyQuestion
from .registry import Exercise, register
from .runs import _scenario

#: Target segments a student may be given for the database-marketing task.
SEGMENT_CHOICES = (("high_value",), ("high_value", "regulars"), ("regulars",))


# -- exercise 03: acquire customers --------------------------------------------------------------
def _params_03(draws: ParamDraws) -> dict:
    seed = draws.integer(100, 999_999)
    if seed == 42:  # 42 is the notebooks' seed: a student must not get it by chance
        seed = 43
    return {"seed": seed, "mass_spend": float(draws.integer(8_000, 20_000, 500)),
            "segments": draws.choice(SEGMENT_CHOICES),
            "discount": draws.choice((0.3, 0.35, 0.4))}


def _market(years: int) -> Scenario:
    return _scenario("classroom").replace(horizon_days=365 * years)


@functools.lru_cache(maxsize=32)
def _kpis(seed: int, mass_spend: float, discount: float = 0.0,
          years: int = 2) -> MappingProxyType:
    """KPIs of the transactional firm with this budget and welcome discount (cached)."""
    params = {"mass_spend": float(mass_spend)}
    if discount:
        params["welcome_discount"] = float(discount)
    result = run(_market(years), transactional.configure(**params), seed=seed,
                 transactions="none")
    kpis = dict(result.summary())
    kpis["won_by_word_of_mouth"] = int(result.timeline["acquired_referral"].sum())
    kpis["blended_cac"] = kpis["marketing_cost"] / kpis["customers_acquired"]
    return MappingProxyType(kpis)


def _kpi(params: Params, key: str, *, seed: int | None = None, mass_spend: float | None = None,
         discount: float = 0.0, years: int = 2) -> float:
    return _kpis(params.seed if seed is None else seed,
                 params.mass_spend if mass_spend is None else mass_spend, discount, years)[key]


def _deal_change(params: Params, key: str = "profit", **where) -> float:
    """``key`` with the welcome discount minus ``key`` without it."""
    return (_kpi(params, key, discount=params.discount, **where)
            - _kpi(params, key, **where))


#: Sales reps of the firm in question 6 (the transactional firm's one agent beside them).
REPS = 2


@functools.lru_cache(maxsize=32)
def _rep_kpis(seed: int, priority: str, years: int = 1) -> MappingProxyType:
    """The reps' row of the acquisition report, for a firm of 1 agent and ``REPS`` reps
    visiting in the order ``priority`` (cached)."""
    def reps(view):
        return Actions(agents=1, sales_reps=REPS, rep_priority=priority)

    reps.reads_customers = False  # it reads nothing: a quicker run
    result = run(_market(years), reps, seed=seed, transactions="none")
    return MappingProxyType(dict(cac_by_channel(result).loc["rep"]))


def _reps(params: Params, key: str, priority: str, *, seed: int | None = None,
          years: int = 1) -> float:
    return float(_rep_kpis(params.seed if seed is None else seed, priority, years)[key])


def _value_first(params: Params, key: str = "value_per_rep_hour", **where) -> float:
    """``key`` of the reps visiting the valuable accounts first over ``key`` in random order."""
    return _reps(params, key, "value", **where) / _reps(params, key, "random", **where)


def _either(first: Mistake, second: Mistake, abs_tol: float, rel_tol: float) -> Mistake:
    """One hint naming two mistakes, for parameters under which their answers lie within twice
    the question's tolerance of each other (an answer may then match both; NaN otherwise, so
    the check skips it)."""
    def value(params: Params) -> float:
        a, b = float(first.value(params)), float(second.value(params))
        middle = (a + b) / 2
        close = abs(a - b) <= 2 * max(abs_tol, rel_tol * abs(middle))
        return middle if close else math.nan

    return Mistake(value, f"Two slips give this value here. (1) {first.hint} (2) {second.hint}")


def _told_apart(*mistakes: Mistake, abs_tol: float = 0.0, rel_tol: float = 0.0
                ) -> tuple[Mistake, ...]:
    """``mistakes`` (slips in a run's set-up: budget, seed, horizon), each pair of them first
    as one hint naming both: two slips can give the same number by chance for a student's
    parameters, and a student who made one must not be told only about the other."""
    pairs = (_either(a, b, abs_tol, rel_tol) for a, b in itertools.combinations(mistakes, 2))
    return (*pairs, *mistakes)


_SEED_HINT = ("That is the value for seed 42, the notebooks' seed: run with your own seed, "
              "`seed=params.seed`.")
_YEARS_HINT = ("That is the value of a three-year run: this question uses two years, "
               "`Scenario.load(\"classroom\").replace(horizon_days=730)`.")
_BUDGET_HINT = ("That is the value at the preset's own budget (EUR 12,000 a cycle): configure "
                "the strategy with your budget, "
                "`strategies.transactional.configure(mass_spend=params.mass_spend)`.")
_PRESET_DEFAULT = 12_000.0
_ONE_YEAR_HINT = ("That is the value of a two-year run: this question uses one year, "
                  "`Scenario.load(\"classroom\").replace(horizon_days=365)`.")


def _one_year(params: Params) -> Scenario:
    return _market(1)


def _verify_03_strategy(result, params: Params) -> str | None:
    tl = result.timeline
    if (tl["mass_spend"] > 0).any():
        return ("Your strategy spends on mass marketing; the task asks for targeted (database) "
                "marketing only.")
    agents = sorted(set(tl["agents"].astype(int)))
    if agents != [1]:
        return (f"Your strategy staffed {', '.join(map(str, agents))} agent(s); the task asks "
                "for 1 agent in every cycle.")
    extras = [name for name, column in (("the CRM system", "crm_system"),
                                        ("a loyalty programme", "loyalty"),
                                        ("collaboration", "collaborative"),
                                        ("a welcome discount", "welcome_discount"),
                                        ("training", "training_spend"))
              if tl[column].astype(float).any()]
    if extras or tl["offers_sent"].any() or tl["cross_sell_contacts"].any() or tl[
            "winback_contacts"].any():
        shown = ", ".join(extras) if extras else "campaigns to customers"
        return (f"Your strategy also uses {shown}; the task asks for targeted marketing and one "
                "agent, nothing else.")
    spend = tl["targeted_spend"]
    if (spend <= 0).any():
        return ("Your strategy does not spend on targeted marketing in every cycle: set "
                "`targeted_spend` in every cycle.")
    if spend.max() - spend.min() > 0.5:
        return "Your targeted spend changes between cycles; it should be the same every cycle."
    data = result.scenario.targeted.data_cost_per_cycle
    target = params.mass_spend - data
    value = float(spend.iloc[0])
    if abs(value - target) > 0.5:
        if abs(value - params.mass_spend) <= 0.5:
            return ("Your contacts alone cost the whole budget, and the prospect data comes on "
                    "top of `targeted_spend`: subtract "
                    "`view.prices[\"targeted_data_cost_per_cycle\"]` so that contacts and data "
                    "together cost `params.mass_spend`.")
        if abs(value * 30 - target) < 0.05 * target or abs(value * 30 - params.mass_spend) < (
                0.05 * params.mass_spend):
            return ("Your spend looks like a daily amount: `Actions.targeted_spend` is EUR per "
                    "cycle (30 days).")
        return ("Your targeted spend per cycle is not the amount asked: the budget "
                "`params.mass_spend` minus the data cost "
                "`view.prices[\"targeted_data_cost_per_cycle\"]`.")
    cu = result.customers
    reached = set(cu.loc[cu["channel"] == "targeted", "segment"].astype(str))
    wanted = set(params.segments)
    outside = sorted(reached - wanted)
    if outside:
        return (f"Your targeted marketing won customers in {', '.join(outside)}: aim it at "
                "`params.segments` only (`target_segments=params.segments`).")
    missing = sorted(wanted - reached)
    if missing:
        return (f"Your targeted marketing won nobody in {', '.join(missing)}: aim it at every "
                "segment of `params.segments`.")
    return None


ACQUIRE = register(Exercise(
    name="03_acquire",
    title="Acquire customers: CAC, word of mouth, database marketing, the welcome trap and "
          "sales reps",
    make_params=_params_03,
    defaults={"seed": 42, "mass_spend": 12_000.0, "segments": ("high_value", "regulars"),
              "discount": 0.3},
    questions=(
        NumberQuestion(
            id="q1",
            text="CAC of mass marketing (EUR per customer, 2 decimals), transactional firm with "
                 "params.mass_spend, two years.",
            compute=lambda p: _kpi(p, "cac_mass"),
            abs_tol=0.006,
            near=0.03,
            near_hint=("Close: give the CAC in euros to two decimal places, from your run's "
                       "`summary()['cac_mass']` or the `mass` row of the funnel report."),
            hint=("Run two years of the classroom market with "
                  "`strategies.transactional.configure(mass_spend=params.mass_spend)` and "
                  "`seed=params.seed`, then divide mass marketing's spend by the customers it "
                  "won (`funnel.acquisition_totals(result).loc[\"mass\", \"cac\"]`)."),
            mistakes=(
                Mistake(lambda p: _kpi(p, "blended_cac"),
                        "That divides the marketing money by every new customer, word of mouth "
                        "included (the blended CAC, row `all`): the question asks what a "
                        "customer won by mass marketing costs."),
                *_told_apart(
                    Mistake(lambda p: _kpi(p, "cac_mass", mass_spend=_PRESET_DEFAULT),
                            _BUDGET_HINT),
                    Mistake(lambda p: _kpi(p, "cac_mass", seed=42), _SEED_HINT),
                    Mistake(lambda p: _kpi(p, "cac_mass", years=3), _YEARS_HINT),
                    abs_tol=0.006),
                Mistake(lambda p: 1.0 / _kpi(p, "cac_mass"),
                        "That is customers per euro; the CAC is euros per customer."),
            ),
            praise="Compare it with the blended CAC in the `all` row: which flatters marketing?",
        ),
        NumberQuestion(
            id="q2",
            text="Share of the new customers won by word of mouth, same run (fraction, 3 "
                 "decimals).",
            compute=lambda p: _kpi(p, "referral_share"),
            abs_tol=0.0015,
            near=0.03,
            near_hint=("Close: give the fraction to three decimal places (e.g. 0.123, not "
                       "0.12)."),
            hint=("In the same run, divide the customers won by word of mouth (`referral`) by "
                  "all new customers: `summary()['referral_share']`, or the `share` column of "
                  "the funnel report."),
            mistakes=(
                Mistake(lambda p: 100 * _kpi(p, "referral_share"),
                        "Give a fraction between 0 and 1, not a percentage.", rel_tol=0.01),
                Mistake(lambda p: 1 - _kpi(p, "referral_share"),
                        "That is the share won by marketing; the question asks for word of "
                        "mouth."),
                Mistake(lambda p: _kpi(p, "won_by_word_of_mouth"),
                        "That is the number of customers word of mouth brought; the question "
                        "asks for their share of all new customers."),
                Mistake(lambda p: _kpi(p, "won_by_word_of_mouth")
                        / (_kpi(p, "customers_acquired") + _kpi(p, "customers_start")),
                        "Divide by the new customers only, not by every customer the firm had "
                        "(leave out those on the books on day 0)."),
                *_told_apart(
                    Mistake(lambda p: _kpi(p, "referral_share", mass_spend=_PRESET_DEFAULT),
                            _BUDGET_HINT),
                    Mistake(lambda p: _kpi(p, "referral_share", seed=42), _SEED_HINT),
                    Mistake(lambda p: _kpi(p, "referral_share", years=3), _YEARS_HINT),
                    abs_tol=0.0015),
            ),
            praise="Those customers cost no marketing money: their voice is Bass's imitation.",
        ),
        StrategyQuestion(
            id="q3",
            text="Write my_strategy(view): params.mass_spend a cycle on targeted marketing, "
                 "data cost included, aimed at params.segments, 1 agent, nothing else.",
            points=2.0,
            scenario=_one_year,
            verify=_verify_03_strategy,
            praise="Your database marketing spent the same budget as the mass campaign and "
                   "reached only the segments you chose.",
        ),
        NumberQuestion(
            id="q4",
            text="Two-year profit with a welcome discount of params.discount minus profit "
                 "without it (EUR, whole euros; negative if it lowers profit).",
            compute=_deal_change,
            abs_tol=1.0,
            rel_tol=0.0005,
            near=0.03,
            near_hint=("Close: give the difference in whole euros, from the two runs' "
                       "`summary()['profit']`."),
            hint=("Run the transactional firm with your budget twice on your seed, with "
                  "`welcome_discount=params.discount` and without, and subtract the profit "
                  "without the deal from the profit with it."),
            mistakes=(
                Mistake(lambda p: -_deal_change(p),
                        "You subtracted the other way round: take the profit *with* the deal "
                        "minus the profit without it (negative if the deal loses money)."),
                Mistake(lambda p: (_kpi(p, "profit", discount=p.discount)
                                   / _kpi(p, "profit")),
                        "That is a ratio; the question asks for the difference in euros."),
                Mistake(lambda p: _deal_change(p, "customer_equity"),
                        "That is the change in customer equity; the question asks for profit."),
                *_told_apart(
                    Mistake(lambda p: _deal_change(p, mass_spend=_PRESET_DEFAULT), _BUDGET_HINT),
                    Mistake(lambda p: _deal_change(p, seed=42), _SEED_HINT),
                    Mistake(lambda p: _deal_change(p, years=3), _YEARS_HINT),
                    abs_tol=1.0, rel_tol=0.0005),
            ),
            praise="Look at the CAC of the two runs too: the deal's acquisition report looks "
                   "better.",
        ),
        ChoiceQuestion(
            id="q5",
            text="A large welcome discount lowers the CAC yet lowers profit: which mechanism?",
            options={
                "a": "the discount on newcomers' first purchases costs more than they bring",
                "b": "loyal customers who see newcomers get a far better deal lose "
                     "satisfaction, leave more often and stop recommending the firm",
                "c": "the discount attracts only bargain hunters, who leave quickly",
                "d": "mass marketing wastes more of its contacts while the discount runs",
            },
            answer="b",
            why={
                "a": ("The discount is paid only on each newcomer's first purchase: compare "
                      "`cost_welcome` in the timeline with the profit lost. The loss comes from "
                      "customers the firm already had."),
                "c": ("In the model the discount raises conversion in every segment alike; "
                      "look at whose satisfaction falls instead (`result.truth` by tenure)."),
                "d": ("Where a mass contact lands does not depend on the discount: the deal "
                      "makes each contact convert better, not worse."),
            },
            praise=("A neglected loyal customer becomes an opponent (course section 7); compare "
                    "the `fairness_gap` column of the timeline with the scenario's "
                    "`fairness.tolerance`."),
        ),
        NumberQuestion(
            id="q6",
            text="Margin per rep-hour of 2 sales reps visiting the valuable accounts first, "
                 "divided by that of 2 reps visiting in random order (1 agent, nothing else, "
                 "one year; ratio, 2 decimals).",
            compute=_value_first,
            abs_tol=0.006,
            near=0.03,
            near_hint=("Close: give the ratio to two decimal places, from the two runs' "
                       "`summary()['rep_value_per_hour']`."),
            hint=("Run one year of the classroom market twice on your seed, with a firm of 1 "
                  "agent and 2 sales reps, once with `rep_priority=\"value\"` and once with "
                  "`rep_priority=\"random\"`, and divide the first run's margin per rep-hour "
                  "(`summary()['rep_value_per_hour']`, or the `rep` row of "
                  "`cac_by_channel(result)`) by the second's."),
            mistakes=(
                Mistake(lambda p: 1 / _value_first(p),
                        "You divided the other way round: the valuable-first reps' margin per "
                        "rep-hour goes on top."),
                Mistake(lambda p: _value_first(p, "cac"),
                        "That is the ratio of the reps' CACs (`cac_rep`): what each customer "
                        "they win costs. The question asks for the margin their customers "
                        "brought per hour of selling time (`rep_value_per_hour`)."),
                Mistake(lambda p: _value_first(p, "margin_per_customer"),
                        "That compares the margin per customer won; the question asks per hour "
                        "of the reps' selling time, the margin of all their customers divided "
                        "by the selling hours paid (`rep_value_per_hour`)."),
                Mistake(lambda p: (_reps(p, "value_per_rep_hour", "value")
                                   - _reps(p, "value_per_rep_hour", "random")),
                        "That is a difference in euros per hour; the question asks how many "
                        "times as much (a ratio)."),
                Mistake(lambda p: _reps(p, "value_per_rep_hour", "value"),
                        "That is the valuable-first run's margin per rep-hour alone; divide it "
                        "by the random-order run's."),
                *_told_apart(
                    Mistake(lambda p: _value_first(p, seed=42), _SEED_HINT),
                    Mistake(lambda p: _value_first(p, years=2), _ONE_YEAR_HINT),
                    abs_tol=0.006),
            ),
            praise=("Now compare the two runs' `cac_rep`: the valuable-first reps win each "
                    "customer at a higher price. Judged by CAC alone, they would be sent back "
                    "to random visiting."),
        ),
    ),
))
