"""Exercise checks: right answers pass, wrong ones get a hint, and no hint gives the answer away.

The reference answers are computed here the way the solution cells of
``exercises/00_first_run.ipynb`` compute them (``run`` + ``summary()``), not read from the
checker, so a checker that drifts from what students are told to do fails these tests.
"""

from __future__ import annotations

import pytest
from exercise_checks import assert_hint

import sim
from sim import Actions, Scenario, exercises, run, strategies

EXERCISE = "00_first_run"
STUDENT = "demo"  # the id the exercise notebook uses


@pytest.fixture(scope="module")
def params():
    return exercises.setup(EXERCISE, student_id=STUDENT)


@pytest.fixture(scope="module")
def runs(params):
    scenario = Scenario.load("classroom")
    return {name: run(scenario, getattr(strategies, name), seed=params.seed)
            for name in ("transactional", "operational")}


@pytest.fixture(scope="module")
def answers(params, runs):
    """The reference solution's answers, as the exercise notebook computes them."""
    t, o = runs["transactional"].summary(), runs["operational"].summary()

    def my_strategy(view):
        return Actions(mass_spend=params.mass_spend, agents=2)

    return {
        "q1": t["customers_active_end"],
        "q2": round(t["mean_wait_minutes"] / o["mean_wait_minutes"], 1),
        "q3": round(t["top20_revenue_share"], 3),
        "q4": "b",
        "q5": my_strategy,
    }


@pytest.fixture(autouse=True)
def _session(params):
    # Every test starts from the demo student's session (some tests switch students).
    exercises.setup(EXERCISE, student_id=STUDENT)


# -- right answers --------------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["q1", "q2", "q3", "q4", "q5"])
def test_every_check_passes_on_the_reference_answers(question, answers, capsys):
    feedback = exercises.check(question, answers[question])
    assert feedback.correct, feedback
    assert feedback.attempted and feedback.status == "correct"
    assert feedback.points == feedback.max_points > 0
    assert feedback.message.startswith("Correct")
    assert f"{question}: correct" in repr(feedback)
    assert "✅" in feedback._repr_markdown_()
    assert capsys.readouterr() == ("", "")  # library code never prints


def test_the_exact_unrounded_values_pass_too(runs):
    t, o = runs["transactional"].summary(), runs["operational"].summary()
    assert exercises.check("q1", float(t["customers_active_end"])).correct
    assert exercises.check("q2", t["mean_wait_minutes"] / o["mean_wait_minutes"]).correct
    assert exercises.check("q3", t["top20_revenue_share"]).correct
    assert exercises.check("q4", " (B). ").correct


# -- wrong answers get specific hints ------------------------------------------------------------
@pytest.mark.parametrize("question", ["q1", "q2", "q3"])
def test_numbers_of_the_wrong_type(question, answers, runs):
    right = answers[question]
    assert_hint(exercises.check(question, "many"), contains="not text", hides=right)
    assert_hint(exercises.check(question, str(right)), contains="remove the quotes")
    assert_hint(exercises.check(question, True), contains="not True or False", hides=right)
    assert_hint(exercises.check(question, runs["transactional"].timeline["active_end"]),
                contains="one number", hides=right)
    assert_hint(exercises.check(question, [right]), contains="one number")
    assert_hint(exercises.check(question, float("nan")), contains="not a finite number",
                hides=right)


@pytest.mark.parametrize("question", ["q1", "q2", "q3"])
def test_far_off_and_near_misses(question, answers):
    right = answers[question]
    assert_hint(exercises.check(question, right * 3.7), contains="far off", hides=right)
    assert_hint(exercises.check(question, right / 5.3), contains="far off", hides=right)
    assert_hint(exercises.check(question, -right), contains="far off", hides=right)
    near = {"q1": right + 7, "q2": right * 1.06, "q3": right + 0.01}[question]
    assert_hint(exercises.check(question, near), contains="close", hides=right)


def test_q1_names_the_mistake(params, runs, answers):
    right = answers["q1"]
    seed42 = run(Scenario.load("classroom"), strategies.transactional, seed=42)
    cases = {
        runs["operational"].summary()["customers_active_end"]: "different strategy",
        len(runs["transactional"].customers): "ever had",
        runs["transactional"].summary()["customers_acquired"]: "won during the run",
        runs["transactional"].timeline["active_start"].iloc[-1]: "start of the last cycle",
        5_000: "day 0",
        seed42.summary()["customers_active_end"]: "seed 42",
    }
    for wrong, hint in cases.items():
        assert wrong != right
        assert_hint(exercises.check("q1", wrong), contains=hint, hides=right)


def test_q2_names_the_mistake(runs, answers):
    right = answers["q2"]
    t = runs["transactional"].summary()["mean_wait_minutes"]
    o = runs["operational"].summary()["mean_wait_minutes"]
    assert_hint(exercises.check("q2", o / t), contains="other way round", hides=right)
    assert_hint(exercises.check("q2", t - o), contains="difference", hides=right)


def test_q3_names_the_mistake(answers):
    right = answers["q3"]
    assert_hint(exercises.check("q3", 100 * right), contains="percentage", hides=right)
    assert_hint(exercises.check("q3", 1 - right), contains="other 80%", hides=right)
    assert_hint(exercises.check("q3", 0.2), contains="share of customers", hides=right)
    assert_hint(exercises.check("q3", 0.8), contains="folk", hides=right)


def test_q4_multiple_choice_hints():
    for letter, hint in (("a", "latent"), ("c", "latent"), ("d", "latent")):
        feedback = exercises.check("q4", letter)
        assert_hint(feedback, contains=hint)
        assert "recency" not in feedback.message.lower()  # the right option's words


def _strategy(**actions):
    def strategy(view):
        return Actions(**actions)

    return strategy


def test_q5_hints_for_wrong_strategies(params):
    spend = params.mass_spend

    def no_return(view):
        Actions(mass_spend=spend, agents=2)

    def returns_a_dict(view):
        return {"mass_spend": spend, "agents": 2}

    def crashes(view):
        return Actions(mass_spend=spend / 0, agents=2)

    def no_view():
        return Actions(mass_spend=spend, agents=2)

    cases = [
        (_strategy(mass_spend=spend, agents=3), "2 agents"),
        (_strategy(mass_spend=spend / 30, agents=2), "daily"),
        (_strategy(mass_spend=spend * 12 / 10, agents=2), "not the amount asked"),
        (_strategy(mass_spend=spend, agents=2, crm_system=True), "crm system"),
        (_strategy(mass_spend=spend, targeted_spend=1_000.0, agents=2), "targeted"),
        (_strategy(mass_spend=50_000.0, agents=2), "budget"),
        (_strategy(mass_spend=spend, agents=0), "agents"),
        (no_return, "forget `return`"),
        (returns_a_dict, "returned a dict"),
        (crashes, "ZeroDivisionError"),
        (no_view, "one argument"),
        (Actions(mass_spend=spend, agents=2), "give the function"),
        (strategies.transactional, "your own function"),
        (42, "strategy function itself"),
    ]
    for answer, hint in cases:
        assert_hint(exercises.check("q5", answer), contains=hint)


def test_q5_accepts_any_function_that_does_the_right_thing(params):
    def staffed(view):
        # Reads the view like a real strategy, then does what was asked.
        assert view.budget > 0 and "satisfaction" not in view.customers.columns
        return Actions(mass_spend=params.mass_spend, agents=2.0)

    assert exercises.check("q5", staffed).correct
    assert exercises.check("q5", lambda view: Actions(mass_spend=params.mass_spend,
                                                      agents=2)).correct


# -- parameters per student -----------------------------------------------------------------------
def test_students_get_different_parameters_and_answers():
    alice = exercises.setup(EXERCISE, student_id="alice")
    bob = exercises.setup(EXERCISE, student_id="bob")
    assert alice != bob and alice.seed != bob.seed
    scenario = Scenario.load("classroom")
    alice_q1 = run(scenario, strategies.transactional, seed=alice.seed).summary()
    bob_q1 = run(scenario, strategies.transactional, seed=bob.seed).summary()
    assert alice_q1["customers_active_end"] != bob_q1["customers_active_end"]
    # bob's session is current: bob's number passes, alice's does not.
    assert exercises.check("q1", bob_q1["customers_active_end"]).correct
    assert not exercises.check("q1", alice_q1["customers_active_end"]).correct
    # grade() needs no session.
    assert exercises.grade(alice, "q1", alice_q1["customers_active_end"]).correct


def test_parameters_are_deterministic_and_read_only():
    first = exercises.setup(EXERCISE, student_id=" S1234 ")
    assert first == exercises.setup(EXERCISE, student_id="s1234")
    assert exercises.setup(EXERCISE, student_id=12345) == exercises.setup(EXERCISE, "12345")
    # SHA-256 derivation pinned: a change here would change every student's numbers.
    demo = exercises.setup(EXERCISE, student_id="demo")
    assert (demo.seed, demo.mass_spend) == (792328, 11_000.0)
    default = exercises.setup(EXERCISE)
    assert default.student_id is None and default.seed == 42
    assert first["seed"] == first.seed and set(first) == {"seed", "mass_spend"}
    assert 6_000 <= first.mass_spend <= 20_000
    with pytest.raises(AttributeError, match="read-only"):
        first.seed = 1
    with pytest.raises(AttributeError, match="no parameter 'sede'"):
        _ = first.sede
    assert "student_id='s1234'" in repr(first)


def test_many_students_get_valid_and_varied_parameters():
    params = [exercises.EXERCISES[EXERCISE].params(f"student{i}") for i in range(200)]
    assert len({p.seed for p in params}) == 200
    assert len({p.mass_spend for p in params}) > 20
    assert all(p.seed != 42 for p in params)


# -- errors ---------------------------------------------------------------------------------------
def test_unknown_question_lists_the_questions():
    with pytest.raises(ValueError, match=r"unknown question 'q9'.*q1, q2, q3, q4, q5"):
        exercises.check("q9", 1)
    assert exercises.check("Q4", "b").correct  # ids are not case-sensitive


def test_unknown_exercise_and_bad_ids():
    with pytest.raises(ValueError, match=r"unknown exercise 'nope'.*00_first_run"):
        exercises.setup("nope")
    with pytest.raises(TypeError, match="student_id"):
        exercises.setup(EXERCISE, student_id=1.5)
    with pytest.raises(ValueError, match="empty"):
        exercises.setup(EXERCISE, student_id="  ")
    assert EXERCISE in exercises.available()


def test_check_before_setup_says_what_to_do(monkeypatch):
    from sim.exercises import registry

    monkeypatch.setattr(registry, "_session", {})
    with pytest.raises(RuntimeError, match=r"exercises\.setup"):
        exercises.check("q1", 1)


def test_the_registry_refuses_duplicates():
    with pytest.raises(ValueError, match="already registered"):
        exercises.register(exercises.EXERCISES[EXERCISE])


def test_feedback_is_a_value_object():
    feedback = exercises.check("q4", "a")
    assert isinstance(feedback, exercises.Feedback)
    assert "❌" in feedback._repr_markdown_() and "q4: incorrect" in repr(feedback)
    with pytest.raises(AttributeError):
        feedback.correct = True
    assert issubclass(sim.ActionsError, ValueError)
