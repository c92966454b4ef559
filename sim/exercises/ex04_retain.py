"""Exercise 04, retain customers: survival from a churn rate, the waste of retention offers,
the loyalty trap, why retention rises with tenure, a strategy that listens to complaints, and
the customers a dearer list price loses.

Goes with ``notebooks/04_retain.ipynb``; the runs are those of the notebook (the classroom
market for 720 days, 24 CRM cycles) with the student's seed, except question 6's: one year
without competitors, as in the notebook's section 8 but shorter.
"""

from __future__ import annotations

import functools
import itertools
import math
from types import MappingProxyType

import numpy as np

from ..engine import run
from ..scenario import Scenario
from ..strategies import analytical, loyalty, operational
from .feedback import ParamDraws, Params
from .questions import ChoiceQuestion, Mistake, NumberQuestion, StrategyQuestion
from .registry import Exercise, register
from .runs import _scenario

#: Days of the runs, as in the notebook: two years of 24 CRM cycles of 30 days.
HORIZON = 720
#: The classroom scenario's own horizon (three years): the run of a student who forgot to
#: shorten it.
_FULL = 1095
_PRESETS = {"analytical": analytical, "operational": operational, "loyalty": loyalty}
_MINUTES_PER_DAY = 24 * 60
#: Question 6's horizon: one year, so that its two runs take a second between them.
PRICE_DAYS = 365
#: The classroom market's segments, in the scenario's order (a test checks them).
SEGMENTS = ("high_value", "regulars", "bargain_hunters", "high_maintenance")
#: Segments question 6 may ask about: price-sensitive ones with enough day-0 customers that a
#: dearer price loses some tens of them in one year whatever the seed (high_maintenance, the
#: other sensitive one, has too few: its count can come out near zero).
PRICE_SEGMENTS = ("regulars", "bargain_hunters")
#: List price indices of question 6 (1 = the reference prices).
PRICE_INDICES = (1.15, 1.2, 1.25, 1.3)


# -- parameters and runs --------------------------------------------------------------------------
def _params_04(draws: ParamDraws) -> dict:
    seed = draws.integer(100, 999_999)
    if seed == 42:  # 42 is the notebooks' seed: a student must not get it by chance
        seed = 43
    return {
        "seed": seed,
        "annual_churn": draws.integer(10, 40) / 100,
        # Not 12: after one year compounding and a straight line agree, which hides the point.
        "months": draws.choice((3, 6, 9, 15, 18, 21)),
        "agents": draws.integer(2, 3),
        "mass_spend": float(draws.integer(6_000, 14_000, 500)),
        # Question 6's, drawn after the others so that no student's earlier numbers change.
        "price_segment": draws.choice(PRICE_SEGMENTS),
        "price_index": draws.choice(PRICE_INDICES),
    }


@functools.lru_cache(maxsize=16)
def _kpis(strategy: str, seed: int, horizon: int = HORIZON) -> MappingProxyType:
    """KPIs of one classroom run, cached: checks and their hints reuse the same few runs."""
    scenario = _scenario("classroom").replace(horizon_days=horizon)
    result = run(scenario, _PRESETS[strategy], seed=seed, transactions="none")
    return MappingProxyType(dict(result.summary()))


def _kpi(params: Params, strategy: str, key: str, *, seed: int | None = None,
         horizon: int = HORIZON) -> float:
    return _kpis(strategy, params.seed if seed is None else seed, horizon)[key]


def _survival(params: Params) -> float:
    return (1.0 - params.annual_churn) ** (params.months / 12)


def _loyalty_gap(params: Params, key: str = "profit", *, seed: int | None = None,
                 horizon: int = HORIZON) -> float:
    return (_kpi(params, "loyalty", key, seed=seed, horizon=horizon)
            - _kpi(params, "operational", key, seed=seed, horizon=horizon))


def _priced(price_index: float, only: str | None):
    """Operational CRM with the list price index ``price_index`` for every segment, or for the
    segment ``only`` alone; the preset itself at index 1."""
    if price_index == 1.0:
        return operational

    def priced(view):
        segments = view.segments if only is None else (only,)
        return operational(view).replace(list_prices=dict.fromkeys(segments, price_index))

    priced.reads_customers = False  # like operational, it decides from the KPIs alone
    return priced


@functools.lru_cache(maxsize=16)
def _lost(seed: int, price_index: float, only: str | None = None, *, days: int = PRICE_DAYS,
          competitors: bool = False) -> MappingProxyType:
    """Customers lost by the end of one classroom run of operational CRM at a list price index.

    Parameters
    ----------
    seed : int
        Seed of the run.
    price_index : float
        List price index (1 = the reference prices) of every segment, or of ``only``.
    only : str, optional
        The one segment whose price is raised; the others stay at the reference.
    days : int
        Horizon of the run, days.
    competitors : bool
        Keep the scenario's competitor waves (question 6 switches them off).

    Returns
    -------
    MappingProxyType
        ``["initial"][segment]``: day-0 customers of ``segment`` lost (status "lost" at the
        end); ``["all"][segment]``: all its customers lost, those won during the run too;
        ``["customers"][segment]``: its day-0 customers.
    """
    scenario = _scenario("classroom").replace(horizon_days=days)
    if not competitors:
        scenario = scenario.replace(**{"competitors.waves_per_year": 0.0})
    result = run(scenario, _priced(price_index, only), seed=seed, transactions="none")
    customers = result.customers
    day0 = customers["channel"] == "initial"
    lost = customers["status"] == "lost"

    def by_segment(mask) -> MappingProxyType:
        counts = customers.loc[mask, "segment"].astype(str).value_counts()
        return MappingProxyType({seg: int(counts.get(seg, 0)) for seg in SEGMENTS})

    return MappingProxyType({"initial": by_segment(day0 & lost), "all": by_segment(lost),
                             "customers": by_segment(day0)})


def _extra_lost(params: Params, segments: tuple[str, ...] | None = None, *,
                group: str = "initial", seed: int | None = None, days: int = PRICE_DAYS,
                competitors: bool = False, own_only: bool = False) -> float:
    """Customers of ``segments`` (default: ``params.price_segment``) lost in the dearer run
    minus those lost at the reference prices (question 6; the other arguments make the
    runs and counts of typical mistakes)."""
    seed = params.seed if seed is None else seed
    segments = (params.price_segment,) if segments is None else segments
    only = params.price_segment if own_only else None
    dear = _lost(seed, params.price_index, only, days=days, competitors=competitors)[group]
    base = _lost(seed, 1.0, days=days, competitors=competitors)[group]
    return float(sum(dear[seg] - base[seg] for seg in segments))


def _lost_ratio(params: Params) -> float:
    """Day-0 customers of the segment lost in the dearer run over those lost at reference."""
    dear = _lost(params.seed, params.price_index)["initial"][params.price_segment]
    return dear / _lost(params.seed, 1.0)["initial"][params.price_segment]


def _share_gap(params: Params) -> float:
    """The extra losses as a share of the segment's day-0 customers (fraction)."""
    return _extra_lost(params) / _lost(params.seed, 1.0)["customers"][params.price_segment]


def _one_of_two(first: Mistake, second: Mistake) -> Mistake:
    """One hint naming two mistakes, for parameters under which both give the same count (NaN
    otherwise, so the check skips it): counts coincide by chance, and a student who made one
    slip must not be told only about the other."""
    def value(params: Params) -> float:
        a, b = float(first.value(params)), float(second.value(params))
        return a if a == b else math.nan

    return Mistake(value, f"Two slips give this number here. (1) {first.hint} (2) {second.hint}")


def _count_slips(*mistakes: Mistake) -> tuple[Mistake, ...]:
    """``mistakes`` (whole counts), each pair first as one hint naming both."""
    pairs = (_one_of_two(a, b) for a, b in itertools.combinations(mistakes, 2))
    return (*pairs, *mistakes)


_SEED_HINT = ("That is the value for seed 42, the notebook's seed: run with your own seed, "
              "`seed=params.seed`.")
_HORIZON_HINT = ("That is the value of a three-year run: shorten the classroom scenario to two "
                 "years with `.replace(horizon_days=720)`.")


# -- the coding task ------------------------------------------------------------------------------
def _one_year(params: Params) -> Scenario:
    return _scenario("classroom").replace(horizon_days=365)


def _first_unresolved_missed(result) -> tuple[int, int]:
    """Customers who should have had an offer and how many of them never got one.

    A customer should have had one at the first cycle that starts after their first unresolved
    contact ended (the view counts a contact once it has ended), if they were still active then.
    """
    service = result.service
    unresolved = service[service["handle_minutes"].notna() & ~service["resolved"]]
    ended = unresolved["arrival_day"] + (unresolved["wait_minutes"]
                                         + unresolved["handle_minutes"]) / _MINUTES_PER_DAY
    first = ended.groupby(unresolved["customer_id"]).min()
    starts = result.timeline["start_day"].to_numpy(dtype=float)
    # A small margin, so that a contact ending on a cycle's first instant is not a borderline.
    cycle = np.searchsorted(starts, first.to_numpy() + 1e-6, side="left")
    seen = cycle < starts.size
    ids = first.index.to_numpy()[seen]
    day = starts[cycle[seen]]
    lost = result.customers.set_index("customer_id").loc[ids, "lost_day"].to_numpy(dtype=float)
    due = ids[np.isnan(lost) | (lost > day)]
    campaigns = result.campaigns
    offered = campaigns.loc[campaigns["campaign"] == "retention", "customer_id"].to_numpy()
    return due.size, int(np.isin(due, offered, invert=True).sum())


def _verify_04_strategy(result, params: Params) -> str | None:
    tl = result.timeline
    agents = sorted(set(tl["agents"].astype(int)))
    if agents != [params.agents]:
        return (f"Your strategy staffed {', '.join(map(str, agents))} agent(s); the task asks "
                f"for `params.agents` agents in every cycle.")
    spent = tl["cost_mass"] * result.scenario.cycle_days / tl["days"]  # pro rata, short cycle
    if not (abs(spent - params.mass_spend) <= 0.005 * params.mass_spend).all():
        return ("Your mass-marketing spend is not the amount asked in every cycle: use "
                "`mass_spend=params.mass_spend` (EUR per cycle) each time.")
    extras = [name for name, used in (
        ("targeted marketing", (tl["targeted_spend"] > 0).any()),
        ("the CRM system", tl["crm_system"].astype(bool).any()),
        ("the loyalty programme", tl["loyalty"].astype(bool).any()),
        ("collaborative CRM", tl["collaborative"].astype(bool).any()))
        if used]
    if extras:
        return (f"Your strategy also uses {', '.join(extras)}; the task asks for agents, mass "
                "marketing and retention offers only.")
    campaigns = result.campaigns
    offers = campaigns[campaigns["campaign"] == "retention"]
    if offers.empty:
        return ("Your strategy made no retention offers: put the chosen customers' ids in "
                "`Actions(retention_offers=...)`.")
    if campaigns["campaign"].ne("retention").any():
        return ("Your strategy runs other campaigns (cross-selling or win-back); the task asks "
                "for retention offers only.")
    if offers["customer_id"].duplicated().any():
        return ("Some customers got more than one offer: offer only customers who have not "
                "received one yet (`offers_received == 0`).")
    customers = result.customers.set_index("customer_id").loc[offers["customer_id"]]
    clean = customers["unresolved"].to_numpy() == 0
    if clean.any():
        if (customers["complaints"].to_numpy()[clean] > 0).all():
            return ("Some of your offers went to customers whose complaints were all resolved: "
                    "the task is about unresolved issues, the `unresolved` column, not "
                    "`complaints`.")
        return ("Some of your offers went to customers without any unresolved issue: offer "
                "only customers whose `unresolved` count is at least 1.")
    due, missed = _first_unresolved_missed(result)
    if missed > max(2, 0.02 * due):
        return ("Some active customers with an unresolved issue never got an offer: look at the "
                "customer table in every cycle and offer every active customer with at least "
                "one unresolved issue who has had no offer yet.")
    return None


# -- the exercise ---------------------------------------------------------------------------------
RETAIN = register(Exercise(
    name="04_retain",
    title="Retain customers: hazards, retention offers, loyalty, complaints and prices",
    make_params=_params_04,
    defaults={"seed": 42, "annual_churn": 0.25, "months": 6, "agents": 2,
              "mass_spend": 10_000.0, "price_segment": "bargain_hunters", "price_index": 1.2},
    questions=(
        NumberQuestion(
            id="q1",
            text="Share of a cohort still customers after params.months months at "
                 "params.annual_churn a year and a constant hazard (fraction, 3 decimals).",
            compute=_survival,
            abs_tol=0.0006,  # three decimals: a rounding error of at most 0.0005
            near=0.03,
            near_hint=("Close: give the fraction to three decimal places, and check that you "
                       "turned the months into years (`params.months / 12`)."),
            hint=("With a constant hazard the share still there after t years is "
                  "`(1 - annual churn) ** t`, the same as `exp(-h t)` with the daily hazard "
                  "`h = -ln(1 - annual churn) / 365` and t in days."),
            mistakes=(
                Mistake(lambda p: 100 * _survival(p),
                        "Give a fraction between 0 and 1, not a percentage.", rel_tol=0.01),
                Mistake(lambda p: 1 - _survival(p),
                        "That is the share who have left; the question asks for the share "
                        "still a customer."),
                Mistake(lambda p: 1 - p.annual_churn * p.months / 12,
                        "You spread the annual churn evenly over the months (a straight "
                        "line). Leavers cannot leave twice: churn compounds, so use the "
                        "survival curve of a constant hazard."),
                Mistake(lambda p: float(np.exp(-p.annual_churn * p.months / 12)),
                        "You used the annual churn as if it were the hazard itself. Convert "
                        "it first: the hazard is `-ln(1 - annual churn)` a year, not the "
                        "annual churn."),
                Mistake(lambda p: (1 - p.annual_churn) ** p.months,
                        "You raised the annual survival to the number of months: the "
                        "exponent must be in years (`params.months / 12`)."),
            ),
            praise="A constant hazard gives exponential survival: `(1 - p) ** t = exp(-h t)`.",
        ),
        NumberQuestion(
            id="q2",
            text="Share of accepted retention offers that went to customers who would have "
                 "stayed anyway, analytical, 720 days (fraction, 3 decimals).",
            compute=lambda p: _kpi(p, "analytical", "retention_waste_share"),
            abs_tol=0.0006,  # three decimals: a rounding error of at most 0.0005
            near=0.03,
            near_hint=("Close: give the fraction to three decimal places, from a run of 720 "
                       "days (`horizon_days=720`) with `seed=params.seed`."),
            hint=("Run `Scenario.load(\"classroom\").replace(horizon_days=720)` with "
                  "`strategies.analytical` and `seed=params.seed`, and read "
                  "`summary()['retention_waste_share']`."),
            mistakes=(
                Mistake(lambda p: 100 * _kpi(p, "analytical", "retention_waste_share"),
                        "Give a fraction between 0 and 1, not a percentage.", rel_tol=0.01),
                Mistake(lambda p: 1 - _kpi(p, "analytical", "retention_waste_share"),
                        "That is the share of accepted offers that reached customers who would "
                        "have left; the question asks for the wasted share: offers to "
                        "customers who would have stayed."),
                Mistake(lambda p: _kpi(p, "analytical", "retention_waste_share", seed=42),
                        _SEED_HINT),
                Mistake(lambda p: _kpi(p, "analytical", "retention_waste_share",
                                       horizon=_FULL),
                        _HORIZON_HINT),
            ),
            praise=("Most offers go to customers who would have stayed: in any 90 days only a "
                    "few percent of customers leave."),
        ),
        NumberQuestion(
            id="q3",
            text="Profit of strategies.loyalty minus profit of strategies.operational, "
                 "720 days (EUR).",
            compute=_loyalty_gap,
            abs_tol=1.0,
            rel_tol=0.001,
            near=0.05,
            near_hint=("Close: take both profits from `summary()['profit']` of runs of 720 "
                       "days with `seed=params.seed`, and subtract without rounding."),
            hint=("Run the two-year classroom market (`horizon_days=720`) with "
                  "`strategies.loyalty` and with `strategies.operational`, both with "
                  "`seed=params.seed`, and subtract the second profit from the first."),
            mistakes=(
                Mistake(lambda p: -_loyalty_gap(p),
                        "You subtracted the other way round: the question asks for loyalty "
                        "minus operational."),
                Mistake(lambda p: _loyalty_gap(p, seed=42), _SEED_HINT),
                Mistake(lambda p: _loyalty_gap(p, horizon=_FULL), _HORIZON_HINT),
                Mistake(lambda p: _loyalty_gap(p, "revenue"),
                        "That is the difference in revenue; the question asks for profit, "
                        "which also pays for the rewards and the programme."),
            ),
            praise=("The programme keeps customers and loses money: rewards are paid on every "
                    "purchase, mostly to heavy buyers who would have bought anyway."),
        ),
        ChoiceQuestion(
            id="q4",
            text="Why does a cohort's retention rise with tenure in the classroom market?",
            options={
                "a": "customers grow more satisfied the longer they stay, which lowers their "
                     "hazard",
                "b": "customers differ in their own hazard and the riskiest leave first, so "
                     "the survivors are the customers least likely to leave",
                "c": "competitors' offers reach new customers only",
                "d": "the daily hazard, converted from the annual churn, shrinks as time "
                     "passes",
            },
            answer="b",
            why={
                "a": ("Satisfaction drifts back to the segment's baseline whatever the tenure; "
                      "look at the experiment with satisfaction switched off, where retention "
                      "still rises with tenure."),
                "c": ("A competitor wave reaches a random share of all active customers, new "
                      "and old alike; and the experiment without competitors shows the effect "
                      "too."),
                "d": ("Each customer's baseline hazard is constant in time: the conversion "
                      "`-ln(1 - p) / 365` gives one number, not a falling curve."),
            },
            praise=("Nobody's own hazard changes, yet the cohort's does: the restless leave "
                    "first (Fader and Hardie's argument)."),
        ),
        StrategyQuestion(
            id="q5",
            text="Write listen(view): params.agents agents, params.mass_spend of mass "
                 "marketing, and a retention offer to every active customer with an "
                 "unresolved issue who has had no offer yet.",
            points=2.0,
            scenario=_one_year,
            verify=_verify_04_strategy,
            praise=("Your strategy listened to complaints for a year: every customer left with "
                    "an unresolved issue got one offer."),
        ),
        NumberQuestion(
            id="q6",
            text="Day-0 customers of params.price_segment lost within one year at every "
                 "segment's list price index params.price_index, minus those lost at the "
                 "reference prices (operational CRM, no competitors; customers).",
            compute=_extra_lost,
            abs_tol=0.5,  # a count: the exact number of customers
            near=0.05,
            near_hint=("Close: in both runs count the day-0 customers (`channel == "
                       "\"initial\"`) of `params.price_segment` whose `status` is \"lost\" at "
                       "the end of the year, and subtract the reference run's count from the "
                       "dearer run's."),
            hint=("Run one year of the classroom market without competitors twice with "
                  "`seed=params.seed`: with `strategies.operational`, and with "
                  "`strategies.operational(view).replace(list_prices=...)` setting every "
                  "segment's index to `params.price_index`. In each run's `customers` table "
                  "count the day-0 customers of your segment who were lost, and subtract."),
            mistakes=(
                # Within the tolerance of zero customers: a share of the segment is too.
                Mistake(lambda p: 0.0,
                        "That is no customer at all. If your two runs lose exactly as many "
                        "customers, check that the dearer run really returns the plan with "
                        "`list_prices` (`.replace` makes a new `Actions`) and that you ran the "
                        "dearer strategy, not operational twice; if it is a share of the "
                        "segment's customers, give the number of customers instead."),
                *_count_slips(
                    Mistake(lambda p: -_extra_lost(p),
                            "You subtracted the other way round, or counted the customers who "
                            "stayed: the question asks how many more are lost at the dearer "
                            "price."),
                    *(Mistake(lambda p, seg=seg: _extra_lost(p, (seg,)),
                              f"That is the number for another segment, `{seg}`; the "
                              "question asks about `params.price_segment`.")
                      for seg in SEGMENTS),
                    Mistake(lambda p: _extra_lost(p, SEGMENTS),
                            "You counted the day-0 customers of every segment; the question "
                            "asks about one, `params.price_segment`."),
                    Mistake(lambda p: _extra_lost(p, group="all"),
                            "You counted all the segment's lost customers, those won during "
                            "the year too; follow the day-0 customers (`channel == "
                            "\"initial\"`), the same people in both runs."),
                    Mistake(lambda p: _extra_lost(p, competitors=True),
                            "That is the number with competitors in the market: switch their "
                            "waves off (`\"competitors.waves_per_year\": 0.0`, as in the "
                            "notebook) so that only the prices differ between the runs."),
                    Mistake(lambda p: _extra_lost(p, seed=42), _SEED_HINT),
                    Mistake(lambda p: _extra_lost(p, days=HORIZON),
                            "That is the number of a two-year run, the horizon of questions 2 "
                            "and 3: this question runs one year, `horizon_days=365`."),
                    Mistake(lambda p: _extra_lost(p, own_only=True),
                            "You raised only your segment's list price; the question raises "
                            "every segment's to `params.price_index`, as the notebook does."),
                ),
                Mistake(_lost_ratio,
                        "That is a ratio of the two runs' losses; the question asks how many "
                        "more customers are lost (a difference).", rel_tol=0.01),
                Mistake(lambda p: 100 * _share_gap(p),
                        "That is the change in the share of the segment's day-0 customers "
                        "lost, in percentage points; the question asks for a number of "
                        "customers.", rel_tol=0.01),
            ),
            praise=("A dearer price multiplies each customer's hazard by `1 + k s (p - 1)`: the "
                    "more price-sensitive the segment, the more it loses. Compare the two "
                    "runs' profits too: losing customers and earning more can go together."),
        ),
    ),
))
