"""Exercise 07 (operational CRM): right answers pass, wrong ones get a specific hint, and no hint
gives the answer away.

The reference answers are computed here the way the solution cells of
``exercises/07_operational.ipynb`` compute them (``sim.analytics.queueing``, ``run``, the
service log and the summary), not read from the checker, so a checker that drifts from what
students are told to do fails these tests.
"""

from __future__ import annotations

import math

import pytest
from exercise_checks import assert_correct, assert_hint

from sim import Actions, Scenario, exercises, run, strategies
from sim.analytics import queueing
from sim.exercises.ex07_operational import helpdesk

EXERCISE = "07_operational"
STUDENT = "demo"  # the id the exercise notebook uses
TARGET, LEVEL = 20 / 60, 0.8  # 80% within 20 seconds, in minutes
SOCIAL_OFF = {"social.complaint_reach": 0.0, "social.delight_reach": 0.0}


@pytest.fixture(scope="module")
def params():
    return exercises.setup(EXERCISE, student_id=STUDENT)


@pytest.fixture(scope="module")
def year():
    return Scenario.load("classroom").replace(horizon_days=365)


@pytest.fixture(scope="module")
def centre(params, year):
    """The service log of the transactional year of question 3, with the student's seed."""
    return run(year, strategies.transactional, seed=params.seed).service


def social_year(params, *, seed=None, fcr=None, **changes):
    """KPIs of question 6's year: the centre at ``fcr`` (the student's unless given), three
    agents and the student's mass marketing, as the solution cell runs it."""

    def fixed_plan(view):
        return Actions(agents=3, mass_spend=params.mass_spend)

    scenario = Scenario.load("classroom").replace(
        horizon_days=365, **{"service.fcr": params.fcr if fcr is None else fcr, **changes})
    return run(scenario, fixed_plan, seed=params.seed if seed is None else seed).summary()


@pytest.fixture(scope="module")
def social(params):
    """Question 6's two runs: social media as shipped and off."""
    return {"on": social_year(params), "off": social_year(params, **SOCIAL_OFF)}


def erlang_staffing_for(params):
    """The reference solution of question 5."""

    def erlang_staffing(view):
        if len(view.kpis) == 0:
            return Actions(mass_spend=params.mass_spend, agents=2)
        last = view.kpis.iloc[-1]
        rate = last["contacts"] / (last["days"] * view.prices["open_hours"] * 60)
        agents = queueing.agents_needed(rate, last["mean_handle_minutes"],
                                        view.prices["wait_target_minutes"],
                                        view.prices["service_level_target"])
        return Actions(mass_spend=params.mass_spend, agents=agents)

    return erlang_staffing


@pytest.fixture(scope="module")
def exact(params, year, centre, social):
    """Unrounded reference values."""
    rate = params.calls_per_hour / 60
    open_minutes = year.horizon_days * year.service.open_hours * 60
    return {"rate": rate,
            "load": rate * params.handle_minutes,
            "q1": queueing.erlang_c(rate * params.handle_minutes, params.agents),
            "q2": queueing.agents_needed(rate, params.handle_minutes, TARGET, LEVEL),
            "q3": len(centre) / open_minutes * centre["handle_minutes"].mean(),
            "q6": social["off"]["customers_acquired"] - social["on"]["customers_acquired"],
            "open_minutes": open_minutes}


@pytest.fixture(scope="module")
def answers(params, exact):
    """The reference solution's answers, as the exercise notebook computes them."""
    return {"q1": round(exact["q1"], 3), "q2": exact["q2"], "q3": round(exact["q3"], 2),
            "q4": "b", "q5": erlang_staffing_for(params), "q6": exact["q6"]}


@pytest.fixture(autouse=True)
def _session(params):
    # Every test starts from the demo student's session (some tests switch students).
    exercises.setup(EXERCISE, student_id=STUDENT)


# -- right answers --------------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["q1", "q2", "q3", "q4", "q5", "q6"])
def test_every_check_passes_on_the_reference_answers(question, answers, capsys):
    feedback = exercises.check(question, answers[question])
    assert_correct(feedback, capsys)


def test_the_exact_unrounded_values_pass_too(exact):
    for question in ("q1", "q3"):
        assert exercises.check(question, exact[question]).correct
    assert exercises.check("q2", float(exact["q2"])).correct
    assert exercises.check("q6", float(exact["q6"])).correct
    assert exercises.check("q4", " (B). ").correct


def test_the_demo_centre_is_a_sensible_exercise(params, exact):
    # A stable queue with a real chance of waiting, and a target that needs more agents than
    # question 1 has: so questions 1 and 2 ask different things.
    assert exact["load"] < params.agents
    assert 0.1 < exact["q1"] < 0.9
    assert exact["q2"] > params.agents
    # Below one erlang in the simulated centre (the praise of q3 says so).
    assert 0.3 < exact["q3"] < 1.0


# -- wrong answers get specific hints -------------------------------------------------------------
@pytest.mark.parametrize("question", ["q1", "q2", "q3", "q6"])
def test_numbers_of_the_wrong_type(question, answers, centre):
    right = answers[question]
    assert_hint(exercises.check(question, "many"), contains="not text", hides=right)
    assert_hint(exercises.check(question, str(right)), contains="remove the quotes")
    assert_hint(exercises.check(question, True), contains="not True or False", hides=right)
    assert_hint(exercises.check(question, centre["wait_minutes"]), contains="one number",
                hides=right)
    assert_hint(exercises.check(question, float("nan")), contains="not a finite number",
                hides=right)


@pytest.mark.parametrize("question", ["q1", "q2", "q3", "q6"])
def test_far_off_and_near_misses(question, answers):
    right = answers[question]
    assert_hint(exercises.check(question, right * 3.7), contains="far off", hides=right)
    assert_hint(exercises.check(question, right / 5.3), contains="far off", hides=right)
    if question != "q6":  # for q6 the negative is a named mistake (the order of subtraction)
        assert_hint(exercises.check(question, -right), contains="far off", hides=right)
    near = {"q1": right * 1.02, "q3": right * 0.97}  # q2, q6 are whole numbers: no "close"
    if question in near:
        assert_hint(exercises.check(question, near[question]), contains="close", hides=right)


def test_q1_names_the_mistake(params, exact):
    right, load, agents = exact["q1"], exact["load"], params.agents
    hour_times_minutes = queueing.erlang_c(params.calls_per_hour * params.handle_minutes, agents)
    cases = {
        hour_times_minutes: "two units of time",
        queueing.erlang_b(load, agents): "erlang b",
        100 * right: "percentage",
        1 - right: "do *not* wait",
        load / agents: "utilisation",
    }
    for wrong, hint in cases.items():
        assert abs(wrong - right) > 0.01
        assert_hint(exercises.check("q1", round(wrong, 3)), contains=hint, hides=right)


def test_q2_names_the_mistake(params, exact):
    right, load = exact["q2"], exact["load"]
    stable = math.floor(load) + 1
    twenty_minutes = queueing.agents_needed(exact["rate"], params.handle_minutes, 20.0, LEVEL)
    assert stable < twenty_minutes < right  # three different answers for the demo student
    assert_hint(exercises.check("q2", stable), contains="growing without bound", hides=right)
    assert_hint(exercises.check("q2", twenty_minutes), contains="20 *seconds*", hides=right)
    assert_hint(exercises.check("q2", right + 1), contains="not right yet", hides=right)


def test_q3_names_the_mistake(params, exact, year, centre):
    right = exact["q3"]
    handle = centre["handle_minutes"].mean()
    around_the_clock = len(centre) / (year.horizon_days * 1440) * handle
    new_issues = (centre["contact"] == 1).sum() / exact["open_minutes"] * handle
    seed42 = run(year, strategies.transactional, seed=42).service
    notebook = len(seed42) / exact["open_minutes"] * seed42["handle_minutes"].mean()
    cases = {around_the_clock: "whole day", new_issues: "come back", 60 * right: "60 times",
             notebook: "seed 42"}
    for wrong, hint in cases.items():
        assert abs(wrong - right) > 0.005
        assert_hint(exercises.check("q3", round(wrong, 2)), contains=hint, hides=right)


def test_the_demo_social_question_is_sensible(params, social, exact):
    # A centre that resolves few issues draws more complaint posts than praise, and social
    # media costs it a clear number of customers (the notebook: about 240 at 40%).
    assert 0.3 <= params.fcr <= 0.5
    assert social["on"]["social_complaints"] > 2 * social["on"]["social_praise"] > 0
    assert social["off"]["social_complaints"] == 0 == social["off"]["social_praise"]
    assert 100 < exact["q6"] < 500


def test_q6_names_the_mistake(params, social, exact):
    right = exact["q6"]
    won = "customers_acquired"
    praise_kept = social_year(params, **{"social.complaint_reach": 0.0})
    classroom_fcr = social_year(params, fcr=0.65)
    classroom_fcr_off = social_year(params, fcr=0.65, **SOCIAL_OFF)
    seed42 = (social_year(params, seed=42, **SOCIAL_OFF)[won]
              - social_year(params, seed=42)[won])
    cases = {
        -right: "order of the subtraction",
        social["off"]["customers_active_end"] - social["on"]["customers_active_end"]:
            "customers *won*",
        praise_kept[won] - social["on"][won]: "only the complaint posts",
        social["on"]["social_complaints"]: "number of complaint posts",
        classroom_fcr_off[won] - classroom_fcr[won]: "params.fcr",
        seed42: "seed 42",
    }
    assert len(cases) == 6  # six different wrong answers for the demo student
    for wrong, hint in cases.items():
        assert abs(wrong - right) > 0.5
        assert_hint(exercises.check("q6", wrong), contains=hint, hides=right)
    assert_hint(exercises.check("q6", right + 1), contains="not right yet", hides=right)


def test_q4_multiple_choice_hints():
    for letter, hint in (("a", "prediction"), ("c", "not why"), ("d", "latent")):
        feedback = exercises.check("q4", letter)
        assert_hint(feedback, contains=hint)
        assert "solved" not in feedback.message.lower()  # the right option's words


def _variant(params, *, first=2, hours=None, target=None, level=None, row=-1, fixed=None,
             **extra):
    """The reference strategy with one thing done wrong."""

    def strategy(view):
        if len(view.kpis) == 0:
            return Actions(mass_spend=params.mass_spend, agents=first, **extra)
        if fixed is not None:
            return Actions(mass_spend=params.mass_spend, agents=fixed, **extra)
        last = view.kpis.iloc[row]
        open_hours = view.prices["open_hours"] if hours is None else hours
        rate = last["contacts"] / (last["days"] * open_hours * 60)
        agents = queueing.agents_needed(
            rate, last["mean_handle_minutes"],
            view.prices["wait_target_minutes"] if target is None else target,
            view.prices["service_level_target"] if level is None else level)
        return Actions(mass_spend=params.mass_spend, agents=agents, **extra)

    return strategy


def test_q5_the_reference_staffing_changes_from_cycle_to_cycle(params):
    # Otherwise a fixed staffing could not be told from the right one.
    tl = run(helpdesk(), erlang_staffing_for(params), seed=params.seed).timeline
    assert len(set(tl["agents"].iloc[1:])) > 1


def test_q5_hints_for_wrong_strategies(params):
    cases = [
        (_variant(params, fixed=3), "same number of agents"),
        (_variant(params, first=3), "first cycle"),
        (_variant(params, hours=24.0), "fewer agents"),  # the rate spread over the whole day
        (_variant(params, target=20.0), "fewer agents"),  # 20 minutes instead of 20 seconds
        (_variant(params, level=0.95), "more agents"),
        (_variant(params, crm_system=True), "crm system"),
        (_variant(params, targeted_spend=1_000.0), "targeted"),
        (lambda view: Actions(mass_spend=params.mass_spend / 30, agents=2), "mass-marketing"),
        (lambda view: None, "forget `return`"),
        (strategies.operational, "your own function"),
    ]
    for answer, hint in cases:
        assert_hint(exercises.check("q5", answer), contains=hint)


# -- parameters per student -----------------------------------------------------------------------
def test_students_get_different_parameters_and_answers():
    alice = exercises.setup(EXERCISE, student_id="alice")
    bob = exercises.setup(EXERCISE, student_id="bob")
    assert alice != bob and alice.seed != bob.seed
    answers = [queueing.erlang_c(p.calls_per_hour / 60 * p.handle_minutes, p.agents)
               for p in (alice, bob)]
    assert abs(answers[0] - answers[1]) > 0.01
    # bob's session is current: bob's number passes, alice's does not; grade needs no session.
    assert exercises.check("q1", answers[1]).correct
    assert not exercises.check("q1", answers[0]).correct
    assert exercises.grade(alice, "q1", answers[0]).correct


def test_many_students_get_valid_and_varied_parameters():
    every = [exercises.EXERCISES[EXERCISE].params(f"student{i}") for i in range(300)]
    assert len({p.seed for p in every}) == 300 and all(p.seed != 42 for p in every)
    assert len({(p.calls_per_hour, p.handle_minutes) for p in every}) > 50
    assert len({p.fcr for p in every}) == 5
    for p in every:
        load = p.calls_per_hour / 60 * p.handle_minutes
        assert 1.0 <= load < p.agents  # a stable queue of at least one erlang
        assert 8_000 <= p.mass_spend <= 14_000
        assert p.fcr in (0.3, 0.35, 0.4, 0.45, 0.5)
        c = queueing.erlang_c(load, p.agents)
        assert 0.05 < c < 0.95  # waiting is neither certain nor negligible
        assert queueing.agents_needed(load / p.handle_minutes, p.handle_minutes, TARGET,
                                      LEVEL) >= p.agents


def test_defaults_and_determinism():
    default = exercises.setup(EXERCISE)
    assert default.student_id is None and default.seed == 42 and default.fcr == 0.4
    assert exercises.setup(EXERCISE, " DEMO ") == exercises.setup(EXERCISE, "demo")
    demo = exercises.setup(EXERCISE, "demo")  # pinned: a change would change every student's
    assert (demo.seed, demo.calls_per_hour, demo.handle_minutes, demo.agents, demo.fcr) == (
        372046, 42, 4.0, 4, 0.35)
