"""Exercise 04 (retain customers): right answers pass, wrong ones get a specific hint, and no
hint gives the answer away.

The reference answers are computed here the way the solution cells of
``exercises/04_retain.ipynb`` compute them (``run`` + ``summary()``), not read from the checker,
so a checker that drifts from what students are told to do fails these tests. The values of
typical mistakes (another seed, the three-year horizon) come from the checker's own cached runs,
which keeps the file quick.
"""

from __future__ import annotations

import numpy as np
import pytest
from exercise_checks import assert_correct, assert_hint

from sim import Actions, Scenario, exercises, run, strategies
from sim.exercises import ex04_retain

EXERCISE = "04_retain"
STUDENT = "demo"  # the id the exercise notebook uses


@pytest.fixture(scope="module")
def params():
    return exercises.setup(EXERCISE, student_id=STUDENT)


@pytest.fixture(scope="module")
def runs(params):
    two_years = Scenario.load("classroom").replace(horizon_days=720)
    return {name: run(two_years, getattr(strategies, name), seed=params.seed,
                      transactions="none").summary()
            for name in ("analytical", "loyalty", "operational")}


def listen_for(params):
    """The reference solution of question 5."""
    def listen(view):
        customers = view.customers
        unhappy = customers[(customers["status"] == "active") & (customers["unresolved"] > 0)
                            & (customers["offers_received"] == 0)]
        return Actions(mass_spend=params.mass_spend, agents=params.agents,
                       retention_offers=unhappy["customer_id"].to_numpy())

    return listen


@pytest.fixture(scope="module")
def price_runs(params):
    """Question 6's runs, as the exercise notebook makes them: one year without competitors,
    operational CRM at the reference prices and with every list price at the student's index."""
    one_year = Scenario.load("classroom").replace(
        horizon_days=365, **{"competitors.waves_per_year": 0.0})

    def dearer(view):
        return strategies.operational(view).replace(
            list_prices={segment: params.price_index for segment in view.segments})

    return {name: run(one_year, strategy, seed=params.seed, transactions="none")
            for name, strategy in (("reference", strategies.operational), ("dearer", dearer))}


def lost(result, segments, *, day0=True):
    """Customers of ``segments`` whose status is "lost" at the end of ``result``'s run (the
    day-0 customers only, unless ``day0`` is False)."""
    customers = result.customers
    chosen = customers["segment"].isin(segments)
    if day0:
        chosen &= customers["channel"] == "initial"
    return int((customers.loc[chosen, "status"] == "lost").sum())


@pytest.fixture(scope="module")
def answers(params, runs, price_runs):
    """The reference solution's answers, as the exercise notebook computes them."""
    return {
        "q1": round((1 - params.annual_churn) ** (params.months / 12), 3),
        "q2": round(runs["analytical"]["retention_waste_share"], 3),
        "q3": runs["loyalty"]["profit"] - runs["operational"]["profit"],
        "q4": "b",
        "q5": listen_for(params),
        "q6": (lost(price_runs["dearer"], [params.price_segment])
               - lost(price_runs["reference"], [params.price_segment])),
    }


@pytest.fixture(autouse=True)
def _session(params):
    # Every test starts from the demo student's session (some tests switch students).
    exercises.setup(EXERCISE, student_id=STUDENT)


def distinct(wrong: float, right: float, question: str) -> bool:
    """Whether the checker can tell ``wrong`` from the exact ``right`` (outside the tolerance,
    with room for rounding ``wrong`` to three decimals)."""
    q = exercises.EXERCISES[EXERCISE].question(question)
    return abs(wrong - right) > max(q.abs_tol, q.rel_tol * abs(right)) + 0.0005


# -- parameters -----------------------------------------------------------------------------------
def test_parameters_are_per_student_and_avoid_the_notebook_seed():
    alice = exercises.setup(EXERCISE, student_id="alice")
    bob = exercises.setup(EXERCISE, student_id="bob")
    assert alice != bob and alice.seed != bob.seed
    for p in (alice, bob, exercises.setup(EXERCISE, student_id="s1234567")):
        assert p.seed != 42
        assert 0.1 <= p.annual_churn <= 0.4 and p.months in (3, 6, 9, 15, 18, 21)
        assert p.agents in (2, 3) and 6_000 <= p.mass_spend <= 14_000
        assert p.price_segment in ("regulars", "bargain_hunters")
        assert p.price_index in (1.15, 1.2, 1.25, 1.3)
    assert exercises.setup(EXERCISE, student_id=None).seed == 42  # the defaults
    # grade() needs no session: alice's q1 answer is right for alice, not for bob.
    q1 = round((1 - alice.annual_churn) ** (alice.months / 12), 3)
    assert exercises.grade(alice, "q1", q1).correct
    if distinct(q1, (1 - bob.annual_churn) ** (bob.months / 12), "q1"):
        assert not exercises.grade(bob, "q1", q1).correct


def test_question_6_s_parameters_leave_the_earlier_ones_as_they_were():
    # They are drawn after the others: a student's numbers for questions 1 to 5 are those they
    # had before question 6 existed (alice's, pinned here).
    alice = exercises.setup(EXERCISE, student_id="alice")
    assert {key: alice[key] for key in ("seed", "annual_churn", "months", "agents",
                                        "mass_spend")} == {
        "seed": 803967, "annual_churn": 0.13, "months": 3, "agents": 2, "mass_spend": 7500.0}


# -- right answers --------------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["q1", "q2", "q3", "q4", "q5", "q6"])
def test_every_check_passes_on_the_reference_answers(question, answers, capsys):
    feedback = exercises.check(question, answers[question])
    assert_correct(feedback, capsys)


def test_the_exact_unrounded_values_pass_too(params, runs, answers):
    assert exercises.check("q1", (1 - params.annual_churn) ** (params.months / 12)).correct
    # The same survival through the daily hazard, exp(-h t) with t in days.
    h = -np.log1p(-params.annual_churn) / 365
    assert exercises.check("q1", float(np.exp(-h * 365 * params.months / 12))).correct
    assert exercises.check("q2", runs["analytical"]["retention_waste_share"]).correct
    assert exercises.check("q3", round(answers["q3"])).correct
    assert exercises.check("q4", " (B). ").correct


# -- wrong answers get specific hints ------------------------------------------------------------
@pytest.mark.parametrize("question", ["q1", "q2", "q3", "q6"])
def test_numbers_of_the_wrong_type(question, answers):
    right = answers[question]
    assert_hint(exercises.check(question, "many"), contains="not text", hides=right)
    assert_hint(exercises.check(question, str(right)), contains="remove the quotes")
    assert_hint(exercises.check(question, True), contains="not True or False", hides=right)
    assert_hint(exercises.check(question, [right]), contains="one number")
    assert_hint(exercises.check(question, float("nan")), contains="not a finite number",
                hides=right)


@pytest.mark.parametrize("question", ["q1", "q2", "q3", "q6"])
def test_far_off_and_near_misses(question, answers):
    right = answers[question]
    assert_hint(exercises.check(question, right * 3.7), contains="far off", hides=right)
    assert_hint(exercises.check(question, right / 5.3), contains="far off", hides=right)
    # q6: one customer fewer (two fewer or more is the value of a typical mistake here).
    near = {"q1": right - 0.01, "q2": right - 0.01, "q3": right * 1.03, "q6": right - 1}[question]
    assert_hint(exercises.check(question, near), contains="close", hides=right)


def test_q1_names_the_mistake(params, answers):
    right = answers["q1"]
    p, years = params.annual_churn, params.months / 12
    exact = (1 - p) ** years
    cases = {
        100 * right: "percentage",
        1 - right: "have left",
        1 - p * years: "straight",
        float(np.exp(-p * years)): "hazard itself",
        (1 - p) ** params.months: "in years",
    }
    for wrong, hint in cases.items():
        assert distinct(wrong, exact, "q1"), (wrong, hint)
        assert_hint(exercises.check("q1", round(wrong, 3)), contains=hint, hides=right)


def test_q1_hints_hold_for_other_students():
    # Every mistake is told apart from the right answer for any parameters (months is never 12).
    for sid in ("alice", "bob", "carol", "s1"):
        p = exercises.setup(EXERCISE, student_id=sid)
        right = (1 - p.annual_churn) ** (p.months / 12)
        assert distinct(1 - p.annual_churn * p.months / 12, right, "q1"), p
        assert distinct(float(np.exp(-p.annual_churn * p.months / 12)), right, "q1"), p


def test_q2_names_the_mistake(params, runs, answers):
    right = answers["q2"]
    exact = runs["analytical"]["retention_waste_share"]
    assert_hint(exercises.check("q2", 100 * right), contains="percentage", hides=right)
    assert_hint(exercises.check("q2", round(1 - right, 3)), contains="would have left",
                hides=right)
    for seed, horizon, hint in ((42, ex04_retain.HORIZON, "seed 42"),
                                (params.seed, 1095, "three-year")):
        wrong = ex04_retain._kpis("analytical", seed, horizon)["retention_waste_share"]
        if distinct(wrong, exact, "q2"):
            assert_hint(exercises.check("q2", wrong), contains=hint, hides=right)


def test_q3_names_the_mistake(params, runs, answers):
    right = answers["q3"]
    cases = {
        -right: "other way round",
        runs["loyalty"]["revenue"] - runs["operational"]["revenue"]: "revenue",
        ex04_retain._loyalty_gap(params, seed=42): "seed 42",
        ex04_retain._loyalty_gap(params, horizon=1095): "three-year",
    }
    for wrong, hint in cases.items():
        assert distinct(wrong, right, "q3"), (wrong, hint)
        assert_hint(exercises.check("q3", wrong), contains=hint, hides=right)


def test_q3_the_programme_loses_money_and_cuts_churn(runs, answers):
    # What the question's praise and the notebook say: the loyalty trap.
    assert answers["q3"] < 0
    assert runs["loyalty"]["annual_churn_rate"] < runs["operational"]["annual_churn_rate"]


def test_q4_multiple_choice_hints():
    for letter, hint in (("a", "baseline"), ("c", "random share"), ("d", "constant")):
        feedback = exercises.check("q4", letter)
        assert_hint(feedback, contains=hint)
        assert "riskiest" not in feedback.message.lower()  # the right option's words


# -- question 5: the strategy ---------------------------------------------------------------------
def _offer_to(params, rule, **extra):
    """A strategy offering to the customers ``rule(customers)`` selects."""
    def strategy(view):
        customers = view.customers
        chosen = customers.loc[rule(customers), "customer_id"].to_numpy()
        plan = {"mass_spend": params.mass_spend, "agents": params.agents, **extra}
        return Actions(retention_offers=chosen, **plan)

    return strategy


def _active(c):
    return c["status"] == "active"


def test_q5_hints_for_wrong_strategies(params):
    def right_rule(c):
        return _active(c) & (c["unresolved"] > 0) & (c["offers_received"] == 0)

    cases = [
        # the complaints column instead of unresolved
        (_offer_to(params, lambda c: _active(c) & (c["complaints"] > 0)
                   & (c["offers_received"] == 0)), "not `complaints`"),
        # no "not offered yet" filter: the same customers again and again
        (_offer_to(params, lambda c: _active(c) & (c["unresolved"] > 0)), "more than one offer"),
        # only customers with two unresolved issues
        (_offer_to(params, lambda c: _active(c) & (c["unresolved"] > 1)
                   & (c["offers_received"] == 0)), "never got an offer"),
        # lost customers included
        (_offer_to(params, lambda c: (c["unresolved"] > 0) & (c["offers_received"] == 0)),
         "not active"),
        # everyone active
        (_offer_to(params, lambda c: _active(c) & (c["offers_received"] == 0)),
         "without any unresolved issue"),
        (_offer_to(params, right_rule, crm_system=True), "the CRM system"),
        (lambda view: Actions(mass_spend=params.mass_spend, agents=params.agents),
         "no retention offers"),
        (lambda view: Actions(mass_spend=params.mass_spend, agents=params.agents + 1),
         "agent(s)"),
        (lambda view: Actions(mass_spend=params.mass_spend / 30, agents=params.agents),
         "mass-marketing spend"),
    ]
    for answer, hint in cases:
        assert_hint(exercises.check("q5", answer), contains=hint)


def test_q5_accepts_any_function_that_does_the_right_thing(params):
    def with_a_loop(view):
        # Row by row, ids as a plain list: slower, and just as right.
        ids = [row.customer_id for row in view.customers.itertuples()
               if row.status == "active" and row.unresolved >= 1 and row.offers_received == 0]
        return Actions(mass_spend=params.mass_spend, agents=float(params.agents),
                       retention_offers=ids)

    assert exercises.check("q5", with_a_loop).correct


# -- question 6: prices and retention -------------------------------------------------------------
def test_q6_segments_are_the_classroom_s():
    classroom = Scenario.load("classroom")
    assert tuple(seg.name for seg in classroom.segments) == ex04_retain.SEGMENTS
    # The segments asked about are price-sensitive ones.
    assert all(classroom.segment(seg).price_sensitivity >= 1 for seg in
               ex04_retain.PRICE_SEGMENTS)


def test_q6_the_dearer_price_loses_the_price_sensitive_first(params, price_runs, answers):
    # What the notebook's section 8 shows, on the demo student's one-year runs: extra losses
    # as a share of each segment's day-0 customers rise with its price sensitivity.
    classroom = Scenario.load("classroom")
    day0 = price_runs["reference"].customers.query("channel == 'initial'")
    shares = {seg.price_sensitivity: (lost(price_runs["dearer"], [seg.name])
                                      - lost(price_runs["reference"], [seg.name]))
              / (day0["segment"] == seg.name).sum() for seg in classroom.segments}
    assert list(dict(sorted(shares.items())).values()) == sorted(shares.values())
    assert answers["q6"] > 0


def test_q6_holds_for_other_students(answers):
    # A dearer price loses some tens of the segment's day-0 customers whoever the student
    # (alice: another segment and index than demo's), and alice's count is her own.
    alice = exercises.setup(EXERCISE, student_id="alice")
    demo = exercises.EXERCISES[EXERCISE].params(STUDENT)
    assert (alice.price_segment, alice.price_index) != (demo.price_segment, demo.price_index)
    right = exercises.EXERCISES[EXERCISE].question("q6").expected(alice)
    assert right >= 20
    assert exercises.grade(alice, "q6", right).correct
    assert right != answers["q6"]


def test_q6_names_the_mistake(params, price_runs, answers):
    right = answers["q6"]
    dear, reference = price_runs["dearer"], price_runs["reference"]
    own = [params.price_segment]
    day0 = reference.customers.query("channel == 'initial'")
    segment_size = (day0["segment"] == params.price_segment).sum()
    others = [seg for seg in ex04_retain.SEGMENTS if seg != params.price_segment]
    cases = {
        0: "as many customers",
        -right: "other way round",
        lost(dear, ex04_retain.SEGMENTS) - lost(reference, ex04_retain.SEGMENTS): "every segment",
        lost(dear, own, day0=False) - lost(reference, own, day0=False): "won during the year",
        lost(dear, own) / lost(reference, own): "ratio",
        right / segment_size: "share",
        100 * right / segment_size: "percentage points",
        # Slips in the runs themselves, from the checker's cached runs.
        ex04_retain._extra_lost(params, competitors=True): "competitors",
        ex04_retain._extra_lost(params, seed=42): "seed 42",
        ex04_retain._extra_lost(params, days=720): "two-year",
        ex04_retain._extra_lost(params, own_only=True): "only your segment",
    }
    for seg in others:
        cases[lost(dear, [seg]) - lost(reference, [seg])] = f"another segment, `{seg}`"
    for wrong, hint in cases.items():
        assert abs(wrong - right) >= 1, (wrong, hint)
        assert_hint(exercises.check("q6", round(wrong, 3)), contains=hint, hides=right)


def test_q6_two_slips_with_the_same_count_are_both_named():
    # For the default parameters (seed 42, the notebook's), counting every lost customer of the
    # segment and the run with competitors give the same number: the hint names both slips.
    defaults = exercises.setup(EXERCISE, student_id=None)
    every = ex04_retain._extra_lost(defaults, group="all")
    assert every == ex04_retain._extra_lost(defaults, competitors=True)
    feedback = exercises.check("q6", every)
    assert_hint(feedback, contains="two slips")
    for hint in ("won during the year", "competitors"):
        assert hint in feedback.message
