"""Exercise 06 (win back lost customers): right answers pass, wrong ones get a specific hint,
and no hint gives the answer away.

The reference answers are computed here the way the solution cells of
``exercises/06_win_back.ipynb`` compute them (``run`` + the campaign log, the scenario's
win-back fields), not read from the checker, so a checker that drifts from what students are
told to do fails these tests.
"""

from __future__ import annotations

import math

import pytest
from exercise_checks import assert_correct, assert_hint

from sim import Actions, Scenario, exercises, run, strategies

EXERCISE = "06_win_back"
STUDENT = "demo"  # the id the exercise notebook uses


@pytest.fixture(scope="module")
def params():
    return exercises.setup(EXERCISE, student_id=STUDENT)


@pytest.fixture(scope="module")
def result(params):
    return run(Scenario.load("classroom"), strategies.winback, seed=params.seed)


@pytest.fixture(scope="module")
def numbers(params, result):
    """Ingredients of the answers and of the typical wrong ones."""
    calls = result.campaigns[result.campaigns["campaign"] == "winback"]
    wb = Scenario.load("classroom").winback
    p = wb.success * math.exp(-params.delay_days / wb.decay_days)
    return {
        "won_back": result.summary()["won_back"],
        "contacts": len(calls),
        "cost": calls["cost"].sum(),
        "customers_back": int((result.customers["lives"] > 1).sum()),
        "cac": result.summary()["cac"],
        "p": p,
        "wb": wb,
    }


def _recent_winback(segments, *, base=strategies.operational, window=None, where=None):
    """A strategy like the solution's, with one thing changed (the typical mistakes)."""
    def strategy(view):
        plan = base(view)
        cu = view.customers
        pick = (cu["status"] == "lost") & cu["segment"].isin(segments)
        if window is not None:
            pick &= view.day - cu["lost_day"] <= window(view)
        if where is not None:
            pick &= where(cu)
        return plan.replace(winback=tuple(cu.loc[pick, "customer_id"]))

    return strategy


@pytest.fixture(scope="module")
def answers(params, numbers):
    """The reference solution's answers, as the exercise notebook computes them."""
    wb, p = numbers["wb"], numbers["p"]
    return {
        "q1": numbers["won_back"],
        "q2": round(numbers["cost"] / numbers["won_back"], 2),
        "q3": round(wb.contact_cost / p + wb.incentive_cost, 2),
        "q4": "b",
        "q5": _recent_winback(params.segments, window=lambda view: view.cycle_days),
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


def test_the_exact_unrounded_values_pass_too(numbers):
    wb, p = numbers["wb"], numbers["p"]
    assert exercises.check("q1", float(numbers["won_back"])).correct
    assert exercises.check("q2", numbers["cost"] / numbers["won_back"]).correct
    assert exercises.check("q3", wb.contact_cost / p + wb.incentive_cost).correct
    assert exercises.check("q4", " (B). ").correct


def test_the_timeline_gives_the_same_answers(result, answers):
    tl = result.timeline
    assert exercises.check("q1", int(tl["won_back"].sum())).correct
    assert exercises.check("q2", tl["cost_winback"].sum() / tl["won_back"].sum()).correct


def test_the_answers_tell_the_story(numbers, answers):
    # What the exercise wants students to notice: a customer called soon after the loss costs
    # well under a new customer's CAC; one called late costs more, the later the more.
    assert answers["q2"] < 0.6 * numbers["cac"]
    assert answers["q3"] > answers["q2"] * 0.9
    assert numbers["customers_back"] < numbers["won_back"]  # some were won back twice


# -- wrong answers get specific hints ------------------------------------------------------------
@pytest.mark.parametrize("question", ["q1", "q2", "q3"])
def test_numbers_of_the_wrong_type(question, answers, result):
    right = answers[question]
    assert_hint(exercises.check(question, "many"), contains="not text", hides=right)
    assert_hint(exercises.check(question, str(right)), contains="remove the quotes")
    assert_hint(exercises.check(question, True), contains="not True or False", hides=right)
    assert_hint(exercises.check(question, result.timeline["won_back"]), contains="one number",
                hides=right)
    assert_hint(exercises.check(question, float("nan")), contains="not a finite number",
                hides=right)


@pytest.mark.parametrize("question", ["q1", "q2", "q3"])
def test_far_off_and_near_misses(question, answers):
    right = answers[question]
    assert_hint(exercises.check(question, right * 3.7), contains="far off", hides=right)
    assert_hint(exercises.check(question, -right), contains="far off", hides=right)
    near = {"q1": right + 5, "q2": right * 1.01, "q3": right * 1.01}[question]
    assert_hint(exercises.check(question, near), contains="close", hides=right)


def test_q1_names_the_mistake(numbers, answers):
    right = answers["q1"]
    seed42 = run(Scenario.load("classroom"), strategies.winback, seed=42,
                 transactions="none").summary()
    cases = {
        numbers["contacts"]: "every win-back call",
        numbers["customers_back"]: "won back twice",
        seed42["won_back"]: "seed 42",
    }
    for wrong, hint in cases.items():
        assert wrong != right
        assert_hint(exercises.check("q1", wrong), contains=hint, hides=right)


def test_q2_names_the_mistake(numbers, answers):
    right = answers["q2"]
    cost, won, wb = numbers["cost"], numbers["won_back"], numbers["wb"]
    cases = [
        (cost / numbers["contacts"], "cost per call"),
        (numbers["cac"], "cac"),
        (numbers["contacts"] * wb.contact_cost / won, "incentive"),
        (cost / numbers["customers_back"], "won back twice"),
        (won / cost, "other way round"),
    ]
    for wrong, hint in cases:
        assert_hint(exercises.check("q2", round(wrong, 4)), contains=hint, hides=right)


def test_q3_names_the_mistake(params, numbers, answers):
    right = answers["q3"]
    wb, p = numbers["wb"], numbers["p"]
    cases = [
        (p, "chance of success"),
        (100 * p, "percentage"),
        (wb.contact_cost / p, "left out the incentive"),
        ((wb.contact_cost + wb.incentive_cost) / p, "only to the customers who come back"),
        (wb.contact_cost / (100 * p) + wb.incentive_cost, "fraction"),
        (wb.contact_cost / wb.success + wb.incentive_cost, "day of the loss"),
        (wb.contact_cost / (wb.success * math.exp(-params.delay_days / 30 / wb.decay_days))
         + wb.incentive_cost, "months"),
    ]
    for wrong, hint in cases:
        assert_hint(exercises.check("q3", round(wrong, 4)), contains=hint, hides=right)


def test_q4_multiple_choice_hints():
    for letter, hint in (("a", "margin"), ("c", "cac"), ("d", "where the money went")):
        feedback = exercises.check("q4", letter)
        assert_hint(feedback, contains=hint)
        assert "agents" not in feedback.message.lower()  # the right option's words


def test_q5_hints_for_wrong_strategies(params):
    segments = params.segments
    cycle = lambda view: view.cycle_days  # noqa: E731
    every_segment = ("high_value", "regulars", "bargain_hunters", "high_maintenance")

    def nothing(view):
        return strategies.operational(view)

    def no_return(view):
        strategies.operational(view)

    def active_customers(view):
        cu = view.customers
        ids = cu.loc[cu["status"] == "active", "customer_id"].head(5)
        return strategies.operational(view).replace(winback=tuple(ids))

    cases = [
        (nothing, "no win-back calls"),
        (_recent_winback(segments, base=strategies.transactional, window=cycle), "operational"),
        (_recent_winback(every_segment, window=cycle), "params.segments"),
        (_recent_winback(segments), "more than a cycle"),
        (_recent_winback(segments, window=lambda view: 2 * view.cycle_days), "more than a cycle"),
        (_recent_winback(segments, window=cycle, where=lambda cu: cu["margin"] > 50),
         "got no call"),
        (_recent_winback(segments, window=lambda view: view.cycle_days / 2), "got no call"),
        (active_customers, "not lost"),
        (no_return, "forget `return`"),
        (Actions(agents=2), "give the function"),
        (strategies.winback, "your own function"),
    ]
    for answer, hint in cases:
        assert_hint(exercises.check("q5", answer), contains=hint)


def test_q5_accepts_other_ways_of_writing_it(params):
    def with_a_loop(view):
        plan = strategies.operational(view)
        ids = []
        for row in view.customers.itertuples():
            if (row.status == "lost" and row.segment in params.segments
                    and 0 < view.day - row.lost_day <= view.cycle_days):
                ids.append(row.customer_id)
        return plan.replace(winback=tuple(ids))

    assert exercises.check("q5", with_a_loop).correct


def test_q5_explains_the_whole_days_of_lost_day(params):
    # lost_day is floored in the view: "< cycle_days" misses the losses of each cycle's first
    # day, which the hint names.
    strict = _recent_winback(params.segments, window=lambda view: view.cycle_days - 0.5)
    assert_hint(exercises.check("q5", strict), contains="whole days")


# -- parameters per student -----------------------------------------------------------------------
def test_parameters_are_deterministic_and_valid():
    demo = exercises.setup(EXERCISE, student_id="demo")
    # SHA-256 derivation pinned: a change here would change every student's numbers.
    assert (demo.seed, demo.delay_days, demo.segments) == (857712, 45,
                                                           ("regulars", "bargain_hunters"))
    assert exercises.setup(EXERCISE, student_id=" DEMO ") == demo
    default = exercises.setup(EXERCISE)
    assert default.seed == 42 and default.student_id is None
    many = [exercises.EXERCISES[EXERCISE].params(f"student{i}") for i in range(200)]
    assert len({p.seed for p in many}) == 200 and all(p.seed != 42 for p in many)
    assert {p.delay_days for p in many} <= set(range(45, 301, 15))
    assert len({p.delay_days for p in many}) > 10
    assert len({p.segments for p in many}) == 4
    assert all("high_maintenance" not in p.segments for p in many)


def test_students_get_their_own_answers():
    alice = exercises.setup(EXERCISE, student_id="alice")
    bob = exercises.setup(EXERCISE, student_id="bob")
    assert alice.seed != bob.seed
    q3 = exercises.EXERCISES[EXERCISE].question("q3")
    assert exercises.grade(alice, "q3", q3.expected(alice)).correct
    if alice.delay_days != bob.delay_days:
        assert not exercises.grade(bob, "q3", q3.expected(alice)).correct
