"""Exercise 10 (strategic CRM): right answers pass, wrong ones get a hint without the answer.

The reference answers are computed here the way the solution cells of
``exercises/10_strategic.ipynb`` compute them, not read from the checker, so a checker that
drifts from what students are told to do fails these tests.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from exercise_checks import assert_correct, assert_hint

from sim import Actions, Scenario, exercises, run, strategies
from sim.analytics import clv
from sim.engine import model as engine
from sim.exercises import ex10_strategic as ex10

EXERCISE = "10_strategic"
STUDENT = "demo"  # the id the exercise notebook uses
TWO_YEARS = Scenario.load("classroom").replace(horizon_days=730)
# The strategic preset's customer-specific prices switched off: the investing firm measures
# targeted marketing alone.
NO_PRICES = {"loyalty_discount": 0.0, "unprofitable_price": 1.0}


def investing(params, **prices):
    return strategies.strategic.configure(targeted_spend=params.targeted_spend, mass_spend=0.0,
                                          **{**NO_PRICES, **prices})


# A seed can put a mistake's value next to the right answer. For the demo student two land
# within 0.05 of it (the checker still tells them apart at its own tolerance, but a rounded
# answer could not be): their hints are shown with another student's parameters instead.
CLOSE_FOR_DEMO = {"q1": "three years", "q3": "EUR 10,000"}
OTHER_STUDENT = "bob"


@pytest.fixture(scope="module")
def params():
    return exercises.setup(EXERCISE, student_id=STUDENT)


def make_harvest(params, *, invest=None, day=None, after=None, inclusive=False):
    """The reference solution of question 2, with knobs to make typical mistakes."""
    invest = invest or investing(params)
    day = params.harvest_day if day is None else day
    after = after or Actions(agents=1)

    def harvest(view):
        if view.day < day or (inclusive and view.day == day):
            return invest(view)
        return after

    return harvest


@pytest.fixture(scope="module")
def firms(params):
    keep = strategies.operational.configure(mass_spend=0.0)
    invest = investing(params)
    return {name: run(TWO_YEARS, strategy, seed=params.seed, transactions="none")
            for name, strategy in (("keep", keep), ("invest", invest),
                                   ("harvest", make_harvest(params)))}


def equity_per_euro(firms, basis="truth"):
    keep, invest = firms["keep"], firms["invest"]
    added = (clv.customer_equity(invest, basis=basis) - clv.customer_equity(keep, basis=basis))
    return added / invest.timeline["cost_targeted"].sum()


def harvest_ratio(firms, basis="truth"):
    invest, harvest = firms["invest"], firms["harvest"]
    lost = clv.customer_equity(invest, basis=basis) - clv.customer_equity(harvest, basis=basis)
    return lost / (harvest.summary()["profit"] - invest.summary()["profit"])


@pytest.fixture(scope="module")
def answers(params, firms):
    return {
        "q1": round(equity_per_euro(firms), 2),
        "q2": make_harvest(params),
        "q3": round(harvest_ratio(firms), 2),
        "q4": "b",
        "q5": "a",
    }


@pytest.fixture(autouse=True)
def _session(params):
    exercises.setup(EXERCISE, student_id=STUDENT)


# -- right answers --------------------------------------------------------------------------------
def test_the_exercise_is_registered():
    assert EXERCISE in exercises.available()
    assert exercises.EXERCISES[EXERCISE].question_ids == ("q1", "q2", "q3", "q4", "q5")


@pytest.mark.parametrize("question", ["q1", "q2", "q3", "q4", "q5"])
def test_every_check_passes_on_the_reference_answers(question, answers, capsys):
    feedback = exercises.check(question, answers[question])
    assert_correct(feedback, capsys)


def test_unrounded_values_pass_and_checking_again_runs_nothing(firms, answers, monkeypatch):
    assert exercises.check("q1", equity_per_euro(firms)).correct
    assert exercises.check("q3", harvest_ratio(firms)).correct
    assert exercises.check("q4", " (B). ").correct
    # Checking again is instant for a student because the runs are cached: no model is built.
    def no_model(*args, **kwargs):
        raise AssertionError("a second check ran a simulation")

    monkeypatch.setattr(engine.Model, "__init__", no_model)
    for question in ("q1", "q3"):
        assert exercises.check(question, answers[question]).correct


def test_the_answers_say_what_the_notebook_says(firms, answers):
    # Targeted marketing adds several euros of equity per euro; the harvest trades more equity
    # than it gains in profit, and the two firms are the same firm until the harvest day.
    assert 4 < answers["q1"] < 10
    assert answers["q3"] > 2
    invest, harvest = firms["invest"].timeline, firms["harvest"].timeline
    before = invest["start_day"] < exercises.setup(EXERCISE, student_id=STUDENT).harvest_day
    assert invest.loc[before, "profit"].equals(harvest.loc[before, "profit"])


# -- wrong answers get specific hints ------------------------------------------------------------
@pytest.mark.parametrize("question", ["q1", "q3"])
def test_numbers_of_the_wrong_type_far_off_and_near(question, answers, firms):
    right = answers[question]
    assert_hint(exercises.check(question, "many"), contains="not text", hides=right)
    assert_hint(exercises.check(question, firms["invest"].timeline["profit"]),
                contains="one number", hides=right)
    assert_hint(exercises.check(question, math.nan), contains="not a finite number")
    assert_hint(exercises.check(question, right * 3.7), contains="far off", hides=right)
    assert_hint(exercises.check(question, right / 5.3), contains="far off", hides=right)
    assert_hint(exercises.check(question, right * 1.03), contains="close", hides=right)


def test_q1_names_the_mistake(params, answers, firms):
    right = answers["q1"]
    keep, invest = firms["keep"], firms["invest"]
    cost = invest.timeline["cost_targeted"].sum()
    equity = {name: r.summary()["customer_equity"] for name, r in firms.items()}
    data = TWO_YEARS.targeted.data_cost_per_cycle
    contacts = cost * params.targeted_spend / (params.targeted_spend + data)

    def other(firm="invest", column="cost_targeted", **how):
        # The same ratio from another run (the checker's cached runs: no need to run them twice).
        pair = [ex10._run(params, name, **how) for name in ("keep", firm)]
        return ((pair[1].summary()["customer_equity"] - pair[0].summary()["customer_equity"])
                / pair[1].timeline[column].sum())

    cases = {
        1 / right: "wrong way round",
        equity["invest"] / cost: "subtract the keeping firm",
        (invest.summary()["profit"] - keep.summary()["profit"]) / cost: "change in profit",
        equity_per_euro(firms, basis="predicted"): "own estimate",
        (equity["invest"] - equity["keep"]) / contacts: "prospect database",
        other(firm="priced"): "preset's prices",
        other(firm="mass", column="cost_mass"): "mass marketing",
        other(seed=42): "seed 42",
        other(horizon_days=1095): "three years",
    }
    for wrong, hint in cases.items():
        if hint == CLOSE_FOR_DEMO["q1"]:
            continue  # test_hints_too_close_for_demo_work_for_another_student
        assert abs(wrong - right) > 0.05, hint
        assert_hint(exercises.check("q1", round(wrong, 2)), contains=hint, hides=right)


def test_q3_names_the_mistake(params, answers, firms):
    right = answers["q3"]

    def other(**how):
        pair = {name: ex10._run(params, name, **how) for name in ("invest", "harvest")}
        return harvest_ratio(pair)

    cases = {
        -right: "sign",
        1 / right: "wrong way round",
        harvest_ratio(firms, basis="predicted"): "own estimate",
        other(seed=42): "seed 42",
        other(targeted_spend=10_000.0): "EUR 10,000",
        other(harvest_day=720): "day 720",
        other(horizon_days=1095): "three years",
    }
    for wrong, hint in cases.items():
        if hint == CLOSE_FOR_DEMO["q3"]:
            continue  # test_hints_too_close_for_demo_work_for_another_student
        assert abs(wrong - right) > 0.05, hint
        assert_hint(exercises.check("q3", round(wrong, 2)), contains=hint, hides=right)


def test_hints_too_close_for_demo_work_for_another_student():
    other = exercises.EXERCISES[EXERCISE].params(OTHER_STUDENT)
    cases = {
        "q1": (ex10._equity_per_euro(other), ex10._equity_per_euro(other, horizon_days=1095)),
        "q3": (ex10._harvest_ratio(other),
               ex10._harvest_ratio(other, targeted_spend=10_000.0)),
    }
    assert other.targeted_spend != 10_000.0
    for question, (right, wrong) in cases.items():
        hint = CLOSE_FOR_DEMO[question]
        assert abs(wrong - right) > 0.05, hint
        assert_hint(exercises.grade(other, question, round(wrong, 2)), contains=hint,
                    hides=round(right, 2))


def test_the_cached_runs_are_the_runs_students_make(params, firms):
    # The mistakes above come from the checker's cached runs: they are plain runs of the firms.
    for name in ("keep", "invest", "harvest"):
        cached, made = ex10._run(params, name).summary(), firms[name].summary()
        assert pd.Series(cached).equals(pd.Series(made)), name


def test_choice_hints():
    for question, right in (("q4", "b"), ("q5", "a")):
        for letter in sorted({"a", "b", "c", "d"} - {right}):
            feedback = exercises.check(question, letter)
            assert not feedback.correct and len(feedback.message) > 40
            assert "correct" not in feedback.message.lower()
    assert_hint(exercises.check("q4", "d"), contains="ground truth")
    assert_hint(exercises.check("q5", "c"), contains="mass_spend=0")


def test_q2_hints_for_wrong_strategies(params):
    def no_return(view):
        Actions(agents=1)

    invest = investing(params)

    def never(view):
        return invest(view)

    cases = [
        (make_harvest(params, day=params.harvest_day - 60), "before `params.harvest_day`"),
        (make_harvest(params, inclusive=True), "after `params.harvest_day`"),
        (never, "never harvested"),
        (make_harvest(params, invest=strategies.strategic), "did not do what the investing"),
        (make_harvest(params, invest=investing(params, loyalty_discount=0.05)), "set prices"),
        (make_harvest(params, invest=investing(params, unprofitable_price=1.2)), "set prices"),
        (make_harvest(params, after=Actions(agents=1, mass_spend=2_000.0)), "marketing"),
        (make_harvest(params, after=Actions(agents=2)), "more than one agent"),
        (make_harvest(params, after=Actions(agents=1, crm_system=True)), "crm system"),
        (no_return, "forget `return`"),
        (strategies.strategic, "ready-made preset"),
        (Actions(agents=1), "give the function"),
    ]
    for answer, hint in cases:
        assert_hint(exercises.check("q2", answer), contains=hint)


@pytest.mark.parametrize("student", ["alice", "bob"])
def test_q2_reference_passes_for_other_students(student):
    other = exercises.EXERCISES[EXERCISE].params(student)
    assert exercises.grade(other, "q2", make_harvest(other)).correct


# -- parameters -----------------------------------------------------------------------------------
def test_parameters_are_deterministic_and_in_range():
    demo = exercises.setup(EXERCISE, student_id="demo")
    assert demo == exercises.setup(EXERCISE, student_id=" DEMO ")
    assert (demo.seed, demo.targeted_spend, demo.harvest_day) == (109209, 9_000.0, 390)
    default = exercises.setup(EXERCISE)
    assert default.seed == 42 and default.student_id is None
    many = [exercises.EXERCISES[EXERCISE].params(f"student{i}") for i in range(200)]
    assert len({p.seed for p in many}) == 200 and all(p.seed != 42 for p in many)
    assert {p.targeted_spend for p in many} == {float(x) for x in range(6_000, 12_001, 1_000)}
    assert {p.harvest_day for p in many} == set(range(360, 541, 30))
