"""Exercise 11 (process models and success): right answers pass, typical wrong answers get a
specific hint, and no hint gives the answer away.

The reference answers are computed here the way the solution cells of
``exercises/11_process_success.ipynb`` compute them (``run`` + ``timeline`` / ``summary()``),
not read from the checker, so a checker that drifts from what students are told to do fails
these tests.
"""

from __future__ import annotations

import pytest
from exercise_checks import assert_correct, assert_hint

from sim import Actions, Scenario, exercises, run, strategies
from sim.exercises.ex11_process_success import expected_agents

EXERCISE = "11_process_success"
STUDENT = "demo"  # the id the exercise notebook uses


@pytest.fixture(scope="module")
def params():
    return exercises.setup(EXERCISE, student_id=STUDENT)


def service_plan(cut_at=None):
    def strategy(view):
        agents = 1 if cut_at is not None and view.cycle >= cut_at else 2
        return Actions(mass_spend=12_000, agents=agents, crm_system=True, training_spend=1_000)

    return strategy


@pytest.fixture(scope="module")
def twins(params):
    classroom = Scenario.load("classroom")
    return {"kept": run(classroom, service_plan(), seed=params.seed),
            "cut": run(classroom, service_plan(params.cut_cycle), seed=params.seed)}


def months_to_adoption(training_spend, seed, share=0.9):
    two_years = Scenario.load("classroom").replace(horizon_days=730)
    result = run(two_years, strategies.operational.configure(training_spend=training_spend),
                 seed=seed)
    return int((result.timeline["adoption"] >= share).to_numpy().argmax()) + 1


def swift_for(params, *, target=None, lower=True, first=None):
    """The reference strategy for ``params`` (or a variant with a typical mistake)."""
    target = params.target if target is None else target
    first = params.first_agents if first is None else first

    def swift_cycle(view):
        if view.cycle == 0:
            agents = first
        else:
            service_level = view.recent()[-1]["service_level"]
            agents = view.actions.agents
            if service_level < target:
                agents = min(agents + 1, 4)
            elif lower and service_level > 0.95:
                agents = max(agents - 1, 1)
        return Actions(mass_spend=12_000, agents=agents, crm_system=True, training_spend=1_000)

    return swift_cycle


def gap(twins, key):
    return twins["cut"].summary()[key] - twins["kept"].summary()[key]


@pytest.fixture(scope="module")
def answers(params, twins):
    """The reference solution's answers, as the exercise notebook computes them."""
    return {
        "q1": months_to_adoption(params.training_spend, params.seed),
        "q2": gap(twins, "profit"),
        "q3": gap(twins, "customer_equity"),
        "q4": "c",
        "q5": swift_for(params),
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


def test_the_story_holds_for_the_demo_student(params, answers):
    # What the questions teach: more training is faster than the notebook's EUR 1,000 (7
    # months); the cut raises profit and destroys more customer equity than it earns.
    assert params.training_spend > 1_000 and answers["q1"] < 7
    assert answers["q2"] > 0
    assert answers["q3"] < -answers["q2"] < 0


def test_rounded_values_pass(answers):
    assert exercises.check("q1", float(answers["q1"])).correct
    assert exercises.check("q2", round(answers["q2"])).correct
    assert exercises.check("q3", int(answers["q3"])).correct
    assert exercises.check("q4", " (C). ").correct


# -- wrong answers get specific hints ------------------------------------------------------------
@pytest.mark.parametrize("question", ["q1", "q2", "q3"])
def test_numbers_of_the_wrong_type(question, answers, twins):
    right = answers[question]
    assert_hint(exercises.check(question, "lots"), contains="not text", hides=right)
    assert_hint(exercises.check(question, str(right)), contains="remove the quotes")
    assert_hint(exercises.check(question, True), contains="not True or False", hides=right)
    assert_hint(exercises.check(question, twins["cut"].timeline["adoption"]),
                contains="one number", hides=right)
    assert_hint(exercises.check(question, float("nan")), contains="not a finite number",
                hides=right)


@pytest.mark.parametrize("question", ["q2", "q3"])
def test_far_off_and_near_misses(question, answers):
    right = answers[question]
    assert_hint(exercises.check(question, right * 3.7), contains="far off", hides=right)
    assert_hint(exercises.check(question, right / 5.3), contains="far off", hides=right)
    assert_hint(exercises.check(question, right * 1.02), contains="close", hides=right)


def test_q1_wrong_months(answers):
    right = answers["q1"]
    assert_hint(exercises.check("q1", right + 2), contains="not right yet")
    assert_hint(exercises.check("q1", 40), contains="far off")


def test_q1_names_the_mistake(params, answers):
    right = answers["q1"]
    cases = {
        right - 1: "counts from 0",
        months_to_adoption(1_000.0, params.seed): "notebook's eur 1,000",
        30 * right: "looks like days",
    }
    for wrong, hint in cases.items():
        assert wrong != right
        assert_hint(exercises.check("q1", wrong), contains=hint)


@pytest.fixture(scope="module")
def variants(params):
    """The runs of typical mistakes in questions 2 and 3 (the batched queue: the same runs)."""
    classroom = Scenario.load("classroom").replace(**{"service.queue": "batched"})
    cuts = {"notebook": 12, "late": params.cut_cycle + 1, "early": params.cut_cycle - 1}
    out = {name: run(classroom, service_plan(cut), seed=params.seed, transactions="none")
           for name, cut in cuts.items()}
    out["kept 42"] = run(classroom, service_plan(), seed=42, transactions="none")
    out["cut 42"] = run(classroom, service_plan(params.cut_cycle), seed=42, transactions="none")
    return out


@pytest.mark.parametrize(("question", "key", "other"),
                         [("q2", "profit", "customer_equity"),
                          ("q3", "customer_equity", "profit")])
def test_q2_and_q3_name_the_mistake(question, key, other, params, twins, variants, answers):
    assert params.cut_cycle != 12
    right = answers[question]
    kept = twins["kept"].summary()[key]

    def versus_kept(name):
        return variants[name].summary()[key] - kept

    cases = {
        -right: "sign",
        versus_kept("notebook"): "cycle 12",
        versus_kept("late"): "one cycle late",
        versus_kept("early"): "one cycle early",
        twins["cut"].summary()[key]: "of the firm that cut",
        gap(twins, other): f"question {'3' if question == 'q2' else '2'}",
        variants["cut 42"].summary()[key] - variants["kept 42"].summary()[key]: "seed 42",
    }
    if question == "q3":
        cases[gap(twins, "customers_active_end")] = "active customers"
    for wrong, hint in cases.items():
        assert abs(wrong - right) > 1
        assert_hint(exercises.check(question, wrong), contains=hint, hides=right)


def test_q4_multiple_choice_hints():
    for letter, hint in (("a", "lagging"), ("b", "some months after"), ("d", "wrong way")):
        feedback = exercises.check("q4", letter)
        assert_hint(feedback, contains=hint)
        assert "leading, internal" not in feedback.message  # the right option's praise


def _strategy(**actions):
    def strategy(view):
        return Actions(**actions)

    return strategy


def test_q5_hints_for_wrong_strategies(params):
    assert params.target != 0.8 and params.first_agents == 1
    plan = {"mass_spend": 12_000.0, "crm_system": True, "training_spend": 1_000.0}

    def with_actions(**changes):
        reference = swift_for(params)

        def strategy(view):
            return reference(view).replace(**changes)

        return strategy

    def no_return(view):
        swift_for(params)(view)

    def crashes(view):
        return Actions(mass_spend=12_000 / 0)

    def upper_too_low(view):  # drops an agent above 0.9 instead of 0.95
        agents = swift_for(params)(view).agents
        if view.cycle and view.recent()[-1]["service_level"] > 0.9:
            agents = max(view.actions.agents - 1, 1)
        return Actions(agents=agents, **plan)

    cases = [
        (_strategy(agents=params.first_agents, **plan), "fixed plan"),
        (swift_for(params, target=0.8), "params.target"),
        (swift_for(params, lower=False), "never removes"),
        (swift_for(params, first=2), "first guess"),
        (upper_too_low, "the rule asks for"),
        (with_actions(crm_system=False), "crm_system=True"),
        (with_actions(training_spend=0.0), "training"),
        (with_actions(mass_spend=10_000.0), "EUR 12,000"),
        (with_actions(targeted_spend=1_000.0), "targeted"),
        (_strategy(agents=5, **plan), "budget"),
        (no_return, "forget `return`"),
        (crashes, "ZeroDivisionError"),
        (Actions(agents=1, **plan), "give the function"),
        (strategies.operational, "your own function"),
    ]
    for answer, hint in cases:
        assert_hint(exercises.check("q5", answer), contains=hint)


def test_q5_for_a_student_who_starts_generous():
    """A first guess of four agents, and a student whose target is not the notebook's."""
    ex = exercises.EXERCISES[EXERCISE]
    student = next(p for p in (ex.params(f"student{i}") for i in range(100))
                   if p.first_agents == 4 and p.target != 0.8)
    assert exercises.grade(student, "q5", swift_for(student)).correct
    feedback = exercises.grade(student, "q5", swift_for(student, lower=False))
    assert_hint(feedback, contains="never removes")


def test_the_rule():
    assert expected_agents(1, 0.5, 0.8) == 2
    assert expected_agents(4, 0.5, 0.9) == 4  # the budget's limit
    assert expected_agents(3, 0.97, 0.9) == 2
    assert expected_agents(1, 0.99, 0.8) == 1  # never fewer than one
    assert expected_agents(2, 0.85, 0.8) == 2


# -- parameters per student -----------------------------------------------------------------------
def test_parameters_are_deterministic_and_in_range():
    demo = exercises.setup(EXERCISE, student_id="demo")
    # SHA-256 derivation pinned: a change here would change every student's numbers.
    assert dict(demo) == {"seed": 458615, "training_spend": 2_500.0, "cut_cycle": 14,
                          "first_agents": 1, "target": 0.9}
    assert demo == exercises.setup(EXERCISE, student_id=" DEMO ")
    default = exercises.setup(EXERCISE)
    assert default.student_id is None and default.seed == 42
    many = [exercises.EXERCISES[EXERCISE].params(f"student{i}") for i in range(200)]
    assert len({p.seed for p in many}) == 200 and all(p.seed != 42 for p in many)
    assert all(500 <= p.training_spend <= 3_000 and p.training_spend != 1_000 for p in many)
    assert all(6 <= p.cut_cycle <= 15 and p.cut_cycle != 12 for p in many)
    assert {p.first_agents for p in many} == {1, 4}
    assert {p.target for p in many} == {0.75, 0.85, 0.9}


def test_every_students_plan_fits_the_budget():
    """Question 5's heaviest plan (four agents) stays within the cycle budget."""
    scenario = Scenario.load("classroom")
    agent_cycle = scenario.service.agent_cost_per_day * scenario.cycle_days
    assert (12_000 + 4 * agent_cycle + scenario.service.crm_system_cost_per_cycle + 1_000
            <= scenario.budget_per_cycle)


def test_a_first_guess_is_always_corrected_at_once():
    """Both first guesses are off target in the first month, so a fixed plan never passes."""
    year = Scenario.load("classroom").replace(horizon_days=365)
    ex = exercises.EXERCISES[EXERCISE]
    for i in range(4):
        student = ex.params(f"student{i}")
        first = run(year, _strategy(agents=student.first_agents, mass_spend=12_000,
                                    crm_system=True, training_spend=1_000),
                    seed=student.seed, transactions="none").timeline["service_level"].iloc[0]
        assert first < min(ex.defaults["target"], 0.75) or first > 0.95, (student, first)
