"""Exercise 05 (grow customer value): right answers pass, wrong ones get a specific hint.

The reference answers are computed here the way the solution cells of
``exercises/05_grow_value.ipynb`` compute them (``run`` with the default transaction log, then
``summary()`` and the customer table), not read from the checker, so a checker that drifts
from what students are told to do fails these tests. No hint may contain the right value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from exercise_checks import assert_correct, assert_hint

from sim import Scenario, exercises, run, strategies
from sim.analytics import clv
from sim.analytics.records import observed_days

EXERCISE = "05_grow_value"
STUDENT = "demo"  # the id the exercise notebook uses


@pytest.fixture(scope="module")
def params():
    return exercises.setup(EXERCISE, student_id=STUDENT)


@pytest.fixture(scope="module")
def two_years():
    return Scenario.load("classroom").replace(horizon_days=730)


@pytest.fixture(scope="module")
def runs(params, two_years):
    grow = strategies.collaborative.configure(cross_sell_budget=params.cross_sell_budget)
    return {"grown": run(two_years, grow, seed=params.seed),
            "base": run(two_years, strategies.operational, seed=params.seed)}


def reference_pick(customers, n):
    days = observed_days(customers)
    eligible = (customers["status"] == "active") & (customers["products"] < 4) & (days >= 30)
    pace = customers["purchases"] / days
    best = pace[eligible].sort_values(ascending=False).index[:n]
    return customers.loc[best, "customer_id"].tolist()


@pytest.fixture(scope="module")
def answers(params, runs):
    """The reference solution's answers, as the exercise notebook computes them."""
    grown, base = runs["grown"], runs["base"]
    active = grown.customers[grown.customers["status"] == "active"]
    return {
        "q1": clv.gupta_lehmann_clv(params.margin, params.retention, 0.10),
        "q2": float(round(active["products"].mean(), 3)),
        "q3": round(grown.summary()["customer_equity"] - base.summary()["customer_equity"]),
        "q4": "b",
        "q5": reference_pick,
    }


@pytest.fixture(autouse=True)
def _session(params):
    exercises.setup(EXERCISE, student_id=STUDENT)


# -- right answers --------------------------------------------------------------------------------
@pytest.mark.parametrize("question", ["q1", "q2", "q3", "q4", "q5"])
def test_every_check_passes_on_the_reference_answers(question, answers, capsys):
    feedback = exercises.check(question, answers[question])
    assert_correct(feedback, capsys)


def test_unrounded_and_rounded_values_pass(params, runs, answers):
    grown, base = runs["grown"].summary(), runs["base"].summary()
    assert exercises.check("q1", round(answers["q1"], 2)).correct
    assert exercises.check("q1", round(answers["q1"])).correct
    active = runs["grown"].customers.query("status == 'active'")
    assert exercises.check("q2", active["products"].mean()).correct
    assert exercises.check("q3", grown["customer_equity"] - base["customer_equity"]).correct
    assert exercises.check("q4", " (B). ").correct


def test_other_correct_rules_pass(params):
    def with_nlargest(customers, n):
        days = observed_days(customers)
        keep = customers[(customers["status"] == "active") & (customers["products"] < 4)
                         & (days >= 30)]
        pace = keep["purchases"] / observed_days(keep)
        return keep.loc[pace.nlargest(n).index, "customer_id"].to_numpy()

    def ties_the_other_way(customers, n):
        days = observed_days(customers)
        eligible = ((customers["status"] == "active") & (customers["products"] < 4)
                    & (days >= 30))
        table = customers[eligible].assign(pace=customers["purchases"] / days)
        table = table.sort_values(["pace", "customer_id"], ascending=[False, False])
        return pd.Series(table["customer_id"].iloc[:n])

    assert exercises.check("q5", with_nlargest).correct
    assert exercises.check("q5", ties_the_other_way).correct


# -- wrong answers get specific hints ------------------------------------------------------------
@pytest.mark.parametrize("question", ["q1", "q2", "q3"])
def test_numbers_of_the_wrong_type_and_far_off(question, answers):
    right = answers[question]
    assert_hint(exercises.check(question, "many"), contains="not text", hides=right)
    assert_hint(exercises.check(question, [right]), contains="one number")
    assert_hint(exercises.check(question, float("nan")), contains="not a finite number",
                hides=right)
    assert_hint(exercises.check(question, right * 3.7), contains="far off", hides=right)
    assert_hint(exercises.check(question, -right / 5.3), contains="far off", hides=right)


def test_near_misses(answers):
    assert_hint(exercises.check("q1", answers["q1"] * 1.01), contains="close",
                hides=answers["q1"])
    assert_hint(exercises.check("q2", answers["q2"] + 0.004), contains="close",
                hides=answers["q2"])
    assert_hint(exercises.check("q3", answers["q3"] * 1.01), contains="close",
                hides=answers["q3"])


def test_q1_names_the_mistake(params, answers):
    m, r, i = params.margin, params.retention, 0.10
    right = answers["q1"]
    cases = {
        m * (1 + i) / (1 + i - r): "start",
        m * r / (1 - r): "discounting",
        float(clv.continuous_clv(m, -np.log(r), clv.continuous_discount_rate(i))): "continuous",
        m * (1 - r) / (i + r): "churn rate",
        m * r / (1 + 10 - r): "fraction",
        r / (1 + i - r): "margin multiple",
    }
    for wrong, hint in cases.items():
        assert abs(wrong - right) > 1
        assert_hint(exercises.check("q1", wrong), contains=hint, hides=right)


def _active_products(result, everyone=False):
    customers = result.customers
    if not everyone:
        customers = customers[customers["status"] == "active"]
    return float(customers["products"].mean())


def test_q2_and_q3_name_the_mistake(params, runs, answers, two_years):
    grown, base = runs["grown"], runs["base"]
    three_years = Scenario.load("classroom")
    by_default = strategies.collaborative
    mine = strategies.collaborative.configure(cross_sell_budget=params.cross_sell_budget)
    assert params.cross_sell_budget != 3_000.0  # else the default budget is the right one
    default = run(two_years, by_default, seed=params.seed, transactions="none")
    seed42 = run(two_years, mine, seed=42, transactions="none")
    base42 = run(two_years, strategies.operational, seed=42, transactions="none")
    long = run(three_years, mine, seed=params.seed, transactions="none")
    long_base = run(three_years, strategies.operational, seed=params.seed, transactions="none")

    right = answers["q2"]
    cases = {
        _active_products(grown, everyone=True): "lost ones",
        1.0: "never cross-sells",
        right - 1: "first one included",
        _active_products(default): "default budget",
        _active_products(seed42): "seed 42",
        _active_products(long): "three years",
    }
    for wrong, hint in cases.items():
        assert_hint(exercises.check("q2", round(wrong, 3)), contains=hint, hides=right)

    def gain(a, b, kpi="customer_equity"):
        return a.summary()[kpi] - b.summary()[kpi]

    right = answers["q3"]
    cases = {
        -right: "other way round",
        gain(grown, base, "profit"): "profit",
        gain(grown, base, "realised_clv"): "realised clv",
        grown.summary()["customer_equity"] / base.summary()["customer_equity"]: "ratio",
        gain(default, base): "default budget",
        gain(seed42, base42): "seed 42",
        gain(long, long_base): "three years",
    }
    for wrong, hint in cases.items():
        assert_hint(exercises.check("q3", round(wrong, 2)), contains=hint, hides=right)


def test_q4_multiple_choice_hints():
    for letter, hint in (("a", "latent"), ("c", "random"), ("d", "history")):
        feedback = exercises.check("q4", letter)
        assert_hint(feedback, contains=hint)
        assert "more often" not in feedback.message.lower()  # the right option's words


def _rule(*, active=True, products=True, observed=True, key="pace", ascending=False,
          size=None, output="ids"):
    """A variant of the reference rule with one thing wrong."""

    def pick(customers, n):
        days = observed_days(customers)
        keep = pd.Series(True, index=customers.index)
        if active:
            keep &= customers["status"] == "active"
        if products:
            keep &= customers["products"] < 4
        if observed:
            keep &= days >= 30
        score = {"pace": customers["purchases"] / days,
                 "purchases": customers["purchases"].astype(float),
                 "revenue": customers["revenue"],
                 "tenure": customers["purchases"] / customers["tenure_days"]}[key]
        best = score[keep].sort_values(ascending=ascending).index[: size or n]
        if output == "frame":
            return customers.loc[best]
        return customers.loc[best, "customer_id"].tolist()

    return pick


def test_q5_hints_for_wrong_rules(params):
    def mask(customers, n):
        return pd.Series(customers["customer_id"].isin(reference_pick(customers, n)),
                         index=customers.index)

    def crashes(customers, n):
        return customers["no_such_column"]

    def one_argument(customers):
        return []

    def twice(customers, n):
        ids = reference_pick(customers, n)
        return ids[: n // 2] + ids[: n - n // 2]

    cases = [
        (_rule(active=False), "no longer customers"),
        (_rule(products=False), "most products"),
        (_rule(observed=False), "30 days"),
        (_rule(ascending=True), "least"),
        (_rule(key="purchases"), "number of purchases"),
        (_rule(key="revenue"), "revenue"),
        (_rule(key="tenure"), "observed_days"),
        (_rule(size=10), "`n`"),
        (_rule(output="frame"), "whole table"),
        (mask, "mask"),
        (lambda customers, n: None, "forget `return`"),
        (crashes, "KeyError"),
        (one_argument, "two arguments"),
        (twice, "more than once"),
        (lambda customers, n: [10**9], "not customers in the table"),
        (lambda customers, n: 7, "list"),
        ("pick", "function itself"),
    ]
    for answer, hint in cases:
        assert_hint(exercises.check("q5", answer), contains=hint)


# -- parameters per student -----------------------------------------------------------------------
def test_parameters_are_deterministic_valid_and_varied():
    demo = exercises.setup(EXERCISE, student_id="demo")
    assert demo == exercises.setup(EXERCISE, student_id=" DEMO ")
    # SHA-256 derivation pinned: a change here would change every student's numbers.
    assert (demo.seed, demo.margin, demo.retention, demo.cross_sell_budget,
            demo.n_contacts) == (555437, 200.0, 0.75, 3500.0, 550)
    default = exercises.setup(EXERCISE)
    assert default.seed == 42 and default.cross_sell_budget == 3_000.0
    many = [exercises.EXERCISES[EXERCISE].params(f"student{i}") for i in range(200)]
    assert len({p.seed for p in many}) == 200 and all(p.seed != 42 for p in many)
    assert all(60 <= p.margin <= 240 and 0.6 <= p.retention <= 0.9 for p in many)
    assert all(1_000 <= p.cross_sell_budget <= 5_000 and 200 <= p.n_contacts <= 800
               for p in many)
    assert len({(p.margin, p.retention) for p in many}) > 50
    assert len({p.cross_sell_budget for p in many}) > 10


def test_another_students_answer_is_wrong(answers):
    other = exercises.setup(EXERCISE, student_id="alice")
    assert (other.margin, other.retention) != (200.0, 0.75)
    assert not exercises.check("q1", answers["q1"]).correct
    right = clv.gupta_lehmann_clv(other.margin, other.retention, 0.10)
    assert exercises.check("q1", right).correct
