"""Exercise 02 (select customers): right answers pass, wrong ones get a hint without the answer.

The reference answers are computed here the way the solution cells of
``exercises/02_select_customers.ipynb`` compute them, not read from the checker, so a checker
that drifts from what students are told to do fails these tests.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from exercise_checks import assert_correct, assert_hint

from sim import Actions, Scenario, exercises, run, strategies
from sim.analytics.profitability import cost_per_contact, segment_profitability
from sim.engine import model as engine

EXERCISE = "02_select_customers"
STUDENT = "demo"  # the id the exercise notebook uses


@pytest.fixture(scope="module")
def params():
    return exercises.setup(EXERCISE, student_id=STUDENT)


@pytest.fixture(scope="module")
def result(params):
    two_years = Scenario.load("classroom").replace(horizon_days=730)
    return run(two_years, strategies.operational, seed=params.seed)


def profits(result, *, service=True, acquisition=True) -> np.ndarray:
    """Every customer's profit, as question 2 describes it (optionally without some costs)."""
    customers, kpis = result.customers, result.summary()
    cac = {"mass": kpis["cac_mass"], "targeted": kpis["cac_targeted"]}
    out = customers["margin"].to_numpy(dtype=float).copy()
    if service:
        out -= customers["contacts"].to_numpy(dtype=float) * cost_per_contact(result.timeline)
    if acquisition:
        out -= customers["channel"].astype(str).map(cac).fillna(0.0).to_numpy(dtype=float)
    return out


def top_fifth(values) -> float:
    ranked = np.sort(np.asarray(values, dtype=float))[::-1]
    return ranked[: int(np.ceil(0.2 * len(ranked)))].sum() / ranked.sum()


def sweet_spot(params, *, segment=None, elasticity=None, handling=True) -> float:
    """Question 6 as its solution cell computes it: the inverse-elasticity rule c e / (e - 1)
    for the unit cost c of the student's segment (optionally another segment or elasticity,
    or without the handling cost)."""
    seg = Scenario.load("classroom").segment(segment or params.price_segment)
    cost = (1 - seg.margin) + (seg.cost_per_purchase / seg.spend_mean if handling else 0.0)
    e = params.elasticity if elasticity is None else elasticity
    return cost * e / (e - 1)


def make_select(params, *, threshold=None, mass_spend=0.0, agents=2, spend=None,
                column="profit_per_year"):
    """The reference solution of question 5, with knobs to make typical mistakes."""
    threshold = params.min_profit if threshold is None else threshold
    spend = params.targeted_spend if spend is None else spend

    def select(view):
        if view.cycle == 0:
            keep = list(view.segments)
        else:
            table = segment_profitability(view.customers, cost_per_contact(view.recent(3)))
            keep = list(table.index[table[column] > threshold])
        return Actions(targeted_spend=spend, target_segments=keep, agents=agents,
                       mass_spend=mass_spend)

    return select


@pytest.fixture(scope="module")
def table(result):
    return segment_profitability(result.customers, cost_per_contact(result.timeline))


@pytest.fixture(scope="module")
def answers(params, result, table):
    return {
        "q1": round(table.loc["high_maintenance", "profit_per_year"], 1),
        "q2": round(top_fifth(profits(result)), 3),
        "q3": "b",
        "q4": "b",
        "q5": make_select(params),
        "q6": round(sweet_spot(params), 3),
    }


@pytest.fixture(autouse=True)
def _session(params):
    exercises.setup(EXERCISE, student_id=STUDENT)


# -- right answers --------------------------------------------------------------------------------
def test_the_exercise_is_registered():
    assert EXERCISE in exercises.available()
    assert exercises.EXERCISES[EXERCISE].question_ids == ("q1", "q2", "q3", "q4", "q5", "q6")


@pytest.mark.parametrize("question", ["q1", "q2", "q3", "q4", "q5", "q6"])
def test_every_check_passes_on_the_reference_answers(question, answers, capsys):
    feedback = exercises.check(question, answers[question])
    assert_correct(feedback, capsys)


def test_unrounded_values_pass_and_checking_again_runs_nothing(params, result, table, answers,
                                                                monkeypatch):
    assert exercises.check("q1", table.loc["high_maintenance", "profit_per_year"]).correct
    assert exercises.check("q2", top_fifth(profits(result))).correct
    assert exercises.check("q3", " (B). ").correct
    assert exercises.check("q6", sweet_spot(params)).correct
    # Checking again is instant for a student because the runs are cached: no model is built.
    def no_model(*args, **kwargs):
        raise AssertionError("a second check ran a simulation")

    monkeypatch.setattr(engine.Model, "__init__", no_model)
    for question in ("q1", "q2", "q6"):
        assert exercises.check(question, answers[question]).correct


def test_the_answers_say_what_the_notebook_says(params, answers, table):
    # Bad customers lose money per customer-year; profit is concentrated beyond 100%.
    assert answers["q1"] < 0 < table.loc["bargain_hunters", "profit_per_year"]
    assert 1.0 < answers["q2"] < 1.5
    # A price a firm may set; at the scenario's own elasticities the three segments' sweet spots
    # lie just above the reference prices, lower for the more price-sensitive (notebook, 7).
    assert 0.5 <= answers["q6"] <= 2.0
    own = {s: sweet_spot(params, segment=s,
                         elasticity=Scenario.load("classroom").segment(s).price_elasticity)
           for s in ("high_value", "regulars", "bargain_hunters")}
    assert own["bargain_hunters"] < own["regulars"] < own["high_value"] < 1.12
    assert min(own.values()) > 1.0


# -- wrong answers get specific hints ------------------------------------------------------------
@pytest.mark.parametrize("question", ["q1", "q2", "q6"])
def test_numbers_of_the_wrong_type_far_off_and_near(question, answers, result):
    right = answers[question]
    assert_hint(exercises.check(question, "many"), contains="not text", hides=right)
    assert_hint(exercises.check(question, result.timeline["profit"]), contains="one number",
                hides=right)
    assert_hint(exercises.check(question, math.nan), contains="not a finite number")
    assert_hint(exercises.check(question, right * 3.7), contains="far off", hides=right)
    assert_hint(exercises.check(question, right / 5.3), contains="far off", hides=right)
    near = {"q1": right * 1.04, "q2": right + 0.02, "q6": right * 1.02}[question]
    assert_hint(exercises.check(question, near), contains="close", hides=right)


def test_q1_names_the_mistake(params, answers, table):
    right = answers["q1"]
    scenario = Scenario.load("classroom").replace(horizon_days=730)

    def hm(result):
        t = segment_profitability(result.customers, cost_per_contact(result.timeline))
        return t.loc["high_maintenance", "profit_per_year"]

    cases = {
        -right: "sign",
        table.loc["high_maintenance", "margin_per_year"]: "before the service",
        table.loc["high_maintenance", "service_cost_per_year"]: "service cost",
        hm(run(scenario, strategies.operational, seed=42)): "seed 42",
        hm(run(scenario, strategies.transactional, seed=params.seed)): "different strategy",
        hm(run(Scenario.load("classroom"), strategies.operational, seed=params.seed)):
            "three years",
    }
    for wrong, hint in cases.items():
        assert abs(wrong - right) > 0.1
        assert_hint(exercises.check("q1", round(wrong, 1)), contains=hint, hides=right)


def test_q2_names_the_mistake(params, answers, result):
    right = answers["q2"]
    clipped = np.clip(profits(result), 0.0, None)
    cases = {
        100 * right: "percentage",
        result.summary()["top20_revenue_share"]: "share of revenue",
        top_fifth(profits(result, acquisition=False)): "acquisition cost",
        top_fifth(profits(result, service=False, acquisition=False)): "recorded margin only",
        top_fifth(clipped): "clipped",
        1 - right: "other 80%",
        0.8: "folk",
    }
    for wrong, hint in cases.items():
        assert abs(wrong - right) > 0.01
        assert_hint(exercises.check("q2", round(wrong, 3)), contains=hint, hides=right)
    seed42 = run(Scenario.load("classroom").replace(horizon_days=730), strategies.operational,
                 seed=42)
    assert_hint(exercises.check("q2", round(top_fifth(profits(seed42)), 3)), contains="seed 42",
                hides=right)


def _other_student():
    """A student with another segment than the demo's (high_value), whose elasticity differs
    from their segment's own (the mistake of using the scenario's is then visible)."""
    for i in range(100):
        other = exercises.EXERCISES[EXERCISE].params(f"student{i}")
        own = Scenario.load("classroom").segment(other.price_segment).price_elasticity
        if other.price_segment != "high_value" and other.elasticity != own:
            return other
    raise AssertionError("no such student")


@pytest.mark.parametrize("student", ["demo", "other"])
def test_q6_names_the_mistake(student):
    params = (exercises.EXERCISES[EXERCISE].params(STUDENT) if student == "demo"
              else _other_student())
    right = sweet_spot(params)
    seg = Scenario.load("classroom").segment(params.price_segment)
    e = params.elasticity
    cost = (1 - seg.margin) + seg.cost_per_purchase / seg.spend_mean
    cases = {
        sweet_spot(params, handling=False): "handling cost",
        (seg.margin + seg.cost_per_purchase / seg.spend_mean) * e / (e - 1): "keeps",
        e / (e - 1): "markup on cost alone",
        cost * (e - 1) / e: "upside down",
        sweet_spot(params, elasticity=seg.price_elasticity): "params.elasticity",
        1 / e: "margin rate",
        right - 1: "change from 1",
        100 * right: "percentage",
    }
    for wrong, hint in cases.items():
        assert abs(wrong - right) > 0.01
        assert_hint(exercises.grade(params, "q6", round(wrong, 3)), contains=hint, hides=right)


def test_choice_hints():
    for question in ("q3", "q4"):
        for letter in ("a", "c", "d"):
            feedback = exercises.check(question, letter)
            assert not feedback.correct and len(feedback.message) > 40
            assert "correct" not in feedback.message.lower()
    assert_hint(exercises.check("q3", "a"), contains="nothing is counted twice")
    assert_hint(exercises.check("q4", "d"), contains="own records")


def test_q5_hints_for_wrong_strategies(params):
    def no_return(view):
        Actions(targeted_spend=params.targeted_spend, agents=2)

    cases = [
        (make_select(params, agents=3), "2 agents"),
        (make_select(params, mass_spend=2_000.0), "mass marketing"),
        (make_select(params, spend=0.0), "spends nothing"),
        (make_select(params, spend=params.targeted_spend / 30), "daily"),
        (make_select(params, spend=params.targeted_spend * 0.7), "not the amount asked"),
        (make_select(params, threshold=-1_000.0), "high_maintenance"),
        (make_select(params, threshold=0.0), "bargain hunters"),
        (make_select(params, threshold=150.0), "dropped regulars"),
        (make_select(params, threshold=1_000.0), "empty list means every segment"),
        (no_return, "forget `return`"),
        (strategies.strategic, "your own function"),
        (Actions(agents=2), "give the function"),
    ]
    for answer, hint in cases:
        assert_hint(exercises.check("q5", answer), contains=hint)


def test_q5_accepts_any_function_that_does_the_right_thing(params):
    def fixed(view):  # the segments the rule picks on this market, written out
        return Actions(targeted_spend=params.targeted_spend, agents=2,
                       target_segments=("high_value", "regulars"))

    assert exercises.check("q5", fixed).correct


@pytest.mark.parametrize("student", ["alice", "bob", "s1234567"])
def test_q5_reference_passes_for_other_students(student):
    other = exercises.EXERCISES[EXERCISE].params(student)
    assert exercises.grade(other, "q5", make_select(other)).correct


# -- parameters -----------------------------------------------------------------------------------
def test_parameters_are_deterministic_and_in_range():
    demo = exercises.setup(EXERCISE, student_id="demo")
    assert demo == exercises.setup(EXERCISE, student_id=" DEMO ")
    assert (demo.seed, demo.min_profit, demo.targeted_spend) == (722971, 50.0, 10_000.0)
    default = exercises.setup(EXERCISE)
    assert default.seed == 42 and default.student_id is None
    many = [exercises.EXERCISES[EXERCISE].params(f"student{i}") for i in range(200)]
    assert len({p.seed for p in many}) == 200 and all(p.seed != 42 for p in many)
    assert {p.min_profit for p in many} == {20.0, 25.0, 30.0, 35.0, 40.0, 45.0, 50.0}
    assert all(5_000 <= p.targeted_spend <= 10_000 for p in many)
    assert (demo.price_segment, demo.elasticity) == ("high_value", 5.5)
    assert (default.price_segment, default.elasticity) == ("regulars", 3.0)
    assert {p.price_segment for p in many} == {"high_value", "regulars", "bargain_hunters"}
    assert {p.elasticity for p in many} == {2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0, 5.5, 6.0}
