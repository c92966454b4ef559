"""Exercise 12 (capstone): right answers pass, wrong ones get a specific hint, and no hint gives
the answer away.

The reference answers are computed here the way the solution cells of
``exercises/12_capstone.ipynb`` compute them (``experiments.compare`` and its table, a strategy
function), not read from the checker, so a checker that drifts from what students are told to
do fails these tests.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from exercise_checks import assert_correct, assert_hint

from sim import Actions, Scenario, exercises, experiments, strategies
from sim.analytics.profitability import cost_per_contact, segment_profitability
from sim.exercises import ex12_capstone
from sim.planning import fit_budget, staff, take_within

EXERCISE = "12_capstone"
STUDENT = "demo"  # the id the exercise notebook uses


@pytest.fixture(scope="module")
def params():
    return exercises.setup(EXERCISE, student_id=STUDENT)


@pytest.fixture(scope="module")
def row(params):
    """The preset's row of the comparison table, as the solution reads it."""
    comparison = experiments.compare(Scenario.load("classroom"),
                                     [strategies.transactional, strategies.get(params.preset)],
                                     n=params.n, seed=params.seed, progress=False)
    return comparison.table.set_index(["strategy", "kpi"]).loc[(params.preset, params.kpi)]


def reference_strategy(lever):
    """The solution's strategy: strategic acquisition, operational service, cross-selling to the
    best fits, and the required lever."""
    def my_strategy(view):
        customers = view.customers
        keep = list(view.segments)
        if view.cycle > 0:
            table = segment_profitability(customers, cost_per_contact(view.recent(3)))
            keep = list(table.index[table["profit_per_year"] > 0]) or keep
        plan = Actions(agents=staff(view), crm_system=True, training_spend=1_000,
                       targeted_spend=8_000, target_segments=keep, mass_spend=2_000,
                       **{lever: True})
        active = customers[(customers["status"] == "active") & customers["segment"].isin(keep)
                           & (customers["products"] < view.prices["max_products"])
                           & (customers["tenure_days"] >= view.cycle_days)]
        pace = active["purchases"] / active["tenure_days"]
        fit = pace / pace.groupby(active["segment"], observed=True).transform("mean")
        plan = plan.replace(cross_sell=take_within(
            pd.Series(fit.to_numpy(), index=active["customer_id"].to_numpy()), 3_000,
            view.prices["cross_sell_contact_cost"]))
        return fit_budget(plan, view)

    return my_strategy


@pytest.fixture(scope="module")
def answers(params, row):
    return {
        "q1": round(row["difference"]),
        "q2": round(row["high"] - row["difference"]),
        "q3": "c",
        "q4": "b",
        "q5": reference_strategy(params.lever),
    }


@pytest.fixture(autouse=True)
def _session(params):
    # Every test starts from the demo student's session (some tests switch students).
    exercises.setup(EXERCISE, student_id=STUDENT)


# -- right answers --------------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["q1", "q2", "q3", "q4", "q5"])
def test_every_check_passes_on_the_reference_answers(question, answers, capsys):
    feedback = exercises.check(question, answers[question])
    assert_correct(feedback, capsys)


def test_the_exact_unrounded_values_pass_too(row):
    assert exercises.check("q1", float(row["difference"])).correct
    assert exercises.check("q2", float(row["high"] - row["difference"])).correct
    assert exercises.check("q2", float(row["difference"] - row["low"])).correct
    assert exercises.check("q3", " (C). ").correct


def test_the_answers_tell_the_story(params, row):
    # The demo student's preset, operational CRM, costs three-year profit against the
    # transactional firm (README, the classroom story), and three seeds show it significantly.
    assert (params.preset, params.kpi) == ("operational", "profit")
    assert row["difference"] < 0 and row["significant"]


# -- wrong answers get specific hints ------------------------------------------------------------
@pytest.mark.parametrize("question", ["q1", "q2"])
def test_numbers_of_the_wrong_type(question, answers, row):
    right = answers[question]
    assert_hint(exercises.check(question, "many"), contains="not text", hides=right)
    assert_hint(exercises.check(question, str(right)), contains="remove the quotes")
    assert_hint(exercises.check(question, True), contains="not True or False", hides=right)
    assert_hint(exercises.check(question, row), contains="one number", hides=right)
    assert_hint(exercises.check(question, float("nan")), contains="not a finite number",
                hides=right)


@pytest.mark.parametrize("question", ["q1", "q2"])
def test_far_off_and_near_misses(question, answers):
    right = answers[question]
    assert_hint(exercises.check(question, right * 3.7), contains="far off", hides=right)
    assert_hint(exercises.check(question, right * 1.005), contains="close", hides=right)


def test_q1_names_the_mistake(params, answers):
    right = answers["q1"]
    # The wrong answers' ingredients come from the checker's cached runs (the same worker
    # function as experiments.compare), so each run is made once in this module.
    kpis = ex12_capstone._kpis
    seeds = params.seeds
    preset = [kpis(params.preset, s)[params.kpi] for s in seeds]
    base = [kpis("transactional", s)[params.kpi] for s in seeds]
    other = {"profit": "customer_equity", "customer_equity": "profit"}[params.kpi]

    def mean_difference(kpi=params.kpi, seed_list=seeds, horizon_days=None):
        return sum(kpis(params.preset, s, horizon_days)[kpi]
                   - kpis("transactional", s, horizon_days)[kpi] for s in seed_list) / 3

    cases = [
        (-right, "wrong sign"),
        (sum(preset) / 3, "your preset's mean"),
        (sum(base) / 3, "transactional firm's mean"),
        (preset[0] - base[0], "first seed only"),
        (mean_difference(kpi=other), "other money kpi"),
        (mean_difference(horizon_days=730), "two-year runs"),
        (mean_difference(seed_list=(42, 43, 44)), "seeds 42 to 44"),
    ]
    for wrong, hint in cases:
        assert_hint(exercises.check("q1", round(wrong)), contains=hint, hides=right)


def test_q2_names_the_mistake(row, answers):
    right = answers["q2"]
    half = row["high"] - row["difference"]
    t = ex12_capstone._t(3)
    cases = [
        (2 * half, "whole width"),
        (row["mean_half_width"], "preset's own mean"),
        (half / t * 1.959964, "1.96"),
        (half / t, "standard error"),
        (half / t * math.sqrt(3), "standard deviation"),
        (row["high"], "upper end"),
    ]
    for wrong, hint in cases:
        assert_hint(exercises.check("q2", round(wrong)), contains=hint, hides=right)


def test_choice_hints():
    for letter, hint in (("a", "√2"), ("b", "√3"), ("d", "more than needed")):
        feedback = exercises.check("q3", letter)
        assert_hint(feedback, contains=hint)
        assert "12" not in feedback.message
    for letter, hint in (("a", "latent truth"), ("c", "one year's profit"), ("d", "far from")):
        assert_hint(exercises.check("q4", letter), contains=hint)


def test_q5_hints_for_wrong_strategies(params, monkeypatch):
    lever = params.lever

    def lever_now_and_then(view):
        return strategies.operational(view).replace(**{lever: view.cycle % 2 == 0})

    def over_budget(view):
        return Actions(mass_spend=40_000, agents=2, **{lever: True})

    def no_return(view):
        Actions(agents=2, **{lever: True})

    def crashes(view):
        return view.customers["no_such_column"]

    def loses_to_the_preset(view):  # the preset itself plus the lever: the lever costs profit
        return fit_budget(strategies.get(params.preset)(view).replace(**{lever: True}), view)

    def neglects_customers(view):  # a welcome deal and one agent: equity below operational's
        return fit_budget(strategies.transactional.configure(welcome_discount=0.5)(view)
                          .replace(**{lever: True}), view)

    cases = [
        (lever_now_and_then, "every cycle"),
        (over_budget, "fit_budget"),
        (no_return, "forget `return`"),
        (crashes, "raised KeyError"),
        (Actions(agents=2), "give the function"),
        (strategies.full_crm, "your own function"),
        (loses_to_the_preset, f"lost to `{params.preset}`"),
        (neglects_customers, "worth less than operational"),
    ]
    for answer, hint in cases:
        assert_hint(exercises.check("q5", answer), contains=hint)
    monkeypatch.setattr(ex12_capstone, "CPU_SECONDS", 0.0)
    assert_hint(exercises.check("q5", reference_strategy(lever)), contains="processor time")


# -- parameters per student -----------------------------------------------------------------------
def test_parameters_are_deterministic_and_valid():
    demo = exercises.setup(EXERCISE, student_id="demo")
    # SHA-256 derivation pinned: a change here would change every student's numbers.
    assert (demo.seed, demo.preset, demo.kpi, demo.lever) == (629308, "operational", "profit",
                                                              "loyalty")
    assert demo.seeds == (629308, 629309, 629310) and demo.n == 3
    assert exercises.setup(EXERCISE, student_id=" DEMO ") == demo
    default = exercises.setup(EXERCISE)
    assert default.seed == 42 and default.student_id is None
    assert default.seeds == tuple(range(42, 42 + default.n))
    many = [exercises.EXERCISES[EXERCISE].params(f"student{i}") for i in range(200)]
    assert len({p.seed for p in many}) == 200
    assert all(p.seed >= 100 and p.seeds == tuple(range(p.seed, p.seed + p.n)) for p in many)
    assert {p.preset for p in many} == set(ex12_capstone.PRESETS)
    assert {p.kpi for p in many} == set(ex12_capstone.KPIS)
    assert {p.lever for p in many} == set(ex12_capstone.LEVERS)
    # The one combination whose margin is too thin is never asked.
    assert all((p.preset, p.kpi, p.lever) != ("collaborative", "profit", "loyalty")
               for p in many)


def test_students_get_their_own_parameters():
    alice = exercises.setup(EXERCISE, student_id="alice")
    bob = exercises.setup(EXERCISE, student_id="bob")
    assert alice.seed != bob.seed
    assert exercises.grade(alice, "q3", "c").correct and exercises.grade(bob, "q4", "b").correct
