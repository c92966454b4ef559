"""Sales channels: reps with territories, sales force automation, telemarketing, e-mail
campaigns and the web shop (issue 8, point 2).

Checked against their definitions and in the direction the issue states:

* a firm that uses no sales channel until cycle k runs exactly as one that never does, up to k
  (the channels draw from their own stream, and only when used);
* reps have limited time: the hours of a rep's visits in a day never exceed the selling hours;
* visit times are Erlang(k) with mean ``visit_hours``, so the visits a rep completes in ``H``
  selling hours are ``floor(M / k)`` with ``M`` Poisson of mean ``k H / visit_hours`` (the
  exponential phases completed by ``H``); the mean visits per rep-day, with and without sales
  force automation, are compared with that exact expectation within 4 standard errors of the
  mean over the rep-days (independent: every rep's day draws its own visit times);
* conversions of each channel are binomial (contacts x conversion x response), compared with
  their expectation within 4 standard errors;
* valuable accounts first raises the margin won per rep-hour against random visiting, on paired
  seeds;
* CAC by channel is cost / customers from the timeline; a rep never visits outside their
  territory.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim import Actions, Scenario
from sim.actions import planned_spend
from sim.analytics.acquisition import cac_by_channel
from sim.engine.model import Model
from sim.errors import ActionsError
from sim.fields import to_plain
from sim.tournament.wire import actions_from_plain, actions_to_plain, view_from_payload

SMALL = Scenario.load("classroom").replace(
    market_size=20_000, initial_customers=2_000, horizon_days=120, budget_per_cycle=80_000.0)
#: Every segment responds alike and nobody's voice moves conversion, so a channel's
#: conversion is exactly its scenario rate; no word of mouth competes for the prospects.
PLAIN = SMALL.replace(**{
    **{f"segments.{s.name}.marketing_response": 1.0 for s in SMALL.segments},
    "word_of_mouth.detractor_effect": 0.0, "word_of_mouth.innovation": 0.0,
    "word_of_mouth.imitation": 0.0,
})


def fixed(**sales):
    """A firm with one agent, some mass marketing and the sales channels given."""
    def strategy(view):
        return Actions(agents=1, mass_spend=2_000.0, **sales)
    return strategy


def run(scenario, strategy, seed=1):
    return sim.run(scenario, strategy, seed=seed, transactions="none")


# -- nothing changes when the channels are not used ---------------------------------------------
def test_a_firm_without_sales_channels_runs_as_before_until_it_starts_them():
    k = 2

    def late(view):
        on = view.cycle >= k
        return Actions(agents=1, mass_spend=2_000.0, sales_reps=3 if on else 0,
                       rep_priority="value" if on else "random", sales_force_automation=on,
                       telemarketing_calls=200 if on else 0, email_campaign=500 if on else 0,
                       web_shop=on)

    never = run(SMALL, fixed(), seed=5)
    later = run(SMALL, late, seed=5)
    pd.testing.assert_frame_equal(never.timeline.iloc[:k], later.timeline.iloc[:k])
    before = never.customers["acquired_day"] < k * SMALL.cycle_days
    pd.testing.assert_frame_equal(
        never.customers.loc[before, ["customer_id", "segment", "channel", "acquired_day"]],
        later.customers.loc[later.customers["acquired_day"] < k * SMALL.cycle_days,
                            ["customer_id", "segment", "channel", "acquired_day"]])
    assert len(never.rep_visits) == 0
    assert (later.timeline[["rep_visits", "telemarketing_calls", "emails_sent"]].iloc[k] > 0).all()
    assert set(later.customers["channel"]) >= {"rep", "telemarketing", "email", "web"}


def test_the_firm_sees_its_own_channels_results_in_its_cycle_records():
    seen = []

    def strategy(view):
        if view.recent():
            last = view.recent()[-1]
            seen.append((last["rep_visits"], last["acquired_rep"], last["cost_reps"],
                         last["telemarketing_calls"], last["cost_telemarketing"]))
        return Actions(agents=1, sales_reps=2, telemarketing_calls=100)

    run(SMALL.replace(horizon_days=60), strategy)
    assert seen and seen[0][0] > 0 and seen[0][2] > 0 and seen[0][3] == 100


def test_same_seed_same_result():
    strategy = fixed(sales_reps=3, rep_priority="value", telemarketing_calls=150,
                     email_campaign=400, web_shop=True)
    a, b = run(SMALL, strategy, seed=9), run(SMALL, strategy, seed=9)
    pd.testing.assert_frame_equal(a.timeline, b.timeline)
    pd.testing.assert_frame_equal(a.rep_visits, b.rep_visits)
    pd.testing.assert_frame_equal(cac_by_channel(a), cac_by_channel(b))


# -- decisions: validation and budget ------------------------------------------------------------
@pytest.mark.parametrize(("changes", "words"), [
    ({"sales_reps": -1}, ["sales_reps", "-1", "0 to 50"]),
    ({"sales_reps": 51}, ["sales_reps", "51", "sales.max_reps"]),
    ({"sales_reps": 2.5}, ["sales_reps", "2.5", "whole number"]),
    ({"sales_reps": True}, ["sales_reps", "True"]),
    ({"rep_priority": "best"}, ["rep_priority", "'best'", "'value'"]),
    ({"sales_reps": 2, "rep_territories": (1, 1)}, ["rep_territories", "one per territory", "4"]),
    ({"sales_reps": 2, "rep_territories": (1, 0, 0, 0)}, ["rep_territories", "sales_reps = 2"]),
    ({"sales_reps": 2, "rep_territories": (2, -1, 1, 0)}, ["rep_territories[1]", "-1", "0 to"]),
    ({"sales_reps": 2, "rep_territories": (0.5, 1, 0, 0)}, ["rep_territories[0]", "0.5"]),
    ({"sales_reps": 2, "rep_territories": "1,1"}, ["rep_territories", "list"]),
    ({"telemarketing_calls": -5}, ["telemarketing_calls", "-5"]),
    ({"telemarketing_calls": 1.5}, ["telemarketing_calls", "1.5"]),
    ({"email_campaign": "many"}, ["email_campaign", "'many'"]),
    ({"web_shop": 1}, ["web_shop", "True or False"]),
    ({"sales_force_automation": "yes"}, ["sales_force_automation", "True or False"]),
])
def test_bad_sales_decisions_are_refused_with_the_field_the_value_and_what_is_allowed(
        changes, words):
    with pytest.raises(ActionsError) as err:
        Actions(**changes).validated(SMALL)
    for word in words:
        assert word in str(err.value)


def test_valid_decisions_are_made_canonical():
    act = Actions(sales_reps=4.0, rep_territories=[1, 1, 2, 0], telemarketing_calls=np.int64(7),
                  rep_priority=np.str_("value")).validated(SMALL)
    assert act.sales_reps == 4 and act.rep_territories == (1, 1, 2, 0)
    assert act.telemarketing_calls == 7 and act.rep_priority == "value"


def test_the_budget_covers_the_sales_channels():
    s, days = SMALL.sales, SMALL.cycle_days
    act = Actions(agents=1, sales_reps=2, sales_force_automation=True, telemarketing_calls=100,
                  email_campaign=1_000, web_shop=True)
    expected = (SMALL.service.agent_cost_per_day * days + 2 * s.rep_cost_per_day * days
                + 2 * s.sfa_cost_per_rep + 100 * s.telemarketing_cost_per_call
                + 1_000 * s.email_cost_per_message + s.web_shop_cost_per_cycle)
    assert planned_spend(act, SMALL) == pytest.approx(expected)
    too_many = math.ceil(SMALL.budget_per_cycle / (s.rep_cost_per_day * days))
    with pytest.raises(ActionsError, match="sales reps"):
        Actions(sales_reps=too_many).validated(SMALL)


def test_the_books_show_what_each_channel_cost():
    r = run(SMALL, fixed(sales_reps=3, sales_force_automation=True, telemarketing_calls=150,
                         email_campaign=400, web_shop=True))
    tl, s = r.timeline, SMALL.sales
    share = tl["days"] / SMALL.cycle_days
    assert np.allclose(tl["cost_reps"], 3 * s.rep_cost_per_day * tl["days"])
    assert np.allclose(tl["cost_sfa"], 3 * s.sfa_cost_per_rep * share)
    assert np.allclose(tl["cost_web_shop"], s.web_shop_cost_per_cycle * share)
    assert np.allclose(tl["cost_telemarketing"], tl["telemarketing_calls"]
                       * s.telemarketing_cost_per_call)
    assert np.allclose(tl["cost_email_campaign"], tl["emails_sent"] * s.email_cost_per_message)
    assert tl["telemarketing_calls"].sum() == 150 * len(tl)  # whole cycles of 30 days
    costs = [c for c in tl if c.startswith("cost_") and c != "cost_total"]
    assert np.allclose(tl["profit"], tl["revenue"] - tl[costs].sum(axis=1))
    assert (tl["acquired"] == tl[[c for c in tl if c.startswith("acquired_")]].sum(axis=1)).all()


# -- reps: limited time, SFA, territories --------------------------------------------------------
def _visits_per_rep_day(shape: int, hours: float, mean: float) -> tuple[float, float]:
    """Mean and variance of floor(M / shape), M ~ Poisson(shape x hours / mean): the Erlang
    visits that fit in ``hours`` (exact)."""
    m = np.arange(0, 400)
    pmf = stats.poisson.pmf(m, shape * hours / mean)
    n = m // shape
    mu = float((n * pmf).sum())
    return mu, float((n * n * pmf).sum()) - mu**2


@pytest.fixture(scope="module")
def rep_runs():
    """Twenty reps for 90 days, with and without SFA, employees fully adopting it."""
    sc = SMALL.replace(horizon_days=91, **{"people.initial_adoption": 1.0,
                                           "people.adoption_decay": 0.0,
                                           "sales.max_reps": 20})
    runs = {}
    for sfa in (False, True):
        def strategy(view, sfa=sfa):
            return Actions(agents=1, sales_reps=20, sales_force_automation=sfa)
        budget = sc.replace(budget_per_cycle=200_000.0)
        runs[sfa] = (budget, run(budget, strategy, seed=3))
    return runs


def test_a_rep_never_visits_longer_than_the_selling_hours_of_a_day(rep_runs):
    sc, r = rep_runs[False]
    v = r.rep_visits
    hours = sc.sales.selling_hours
    assert (v["start_hour"] + v["hours"] <= hours + 1e-9).all()
    per_rep_day = v.groupby(["day", "rep"])["hours"].sum()
    assert per_rep_day.max() <= hours + 1e-9
    # Visits of one rep follow each other: none starts before the previous one ended.
    v = v.sort_values(["day", "rep", "start_hour"])
    prev_end = (v["start_hour"] + v["hours"]).groupby([v["day"], v["rep"]]).shift()
    assert (v["start_hour"] >= prev_end.fillna(0.0) - 1e-9).all()
    assert r.timeline["rep_days"].sum() == 20 * (sc.horizon_days - 1)  # not on the last day


@pytest.mark.parametrize("sfa", [False, True])
def test_visits_per_rep_day_match_the_erlang_count_and_sfa_raises_them(rep_runs, sfa):
    sc, r = rep_runs[sfa]
    s = sc.sales
    mean_hours = s.visit_hours * (1 - s.sfa_time_cut) if sfa else s.visit_hours
    mu, var = _visits_per_rep_day(s.visit_shape, s.selling_hours, mean_hours)
    rep_days = int(r.timeline["rep_days"].sum())
    observed = len(r.rep_visits) / rep_days
    assert abs(observed - mu) < 4 * math.sqrt(var / rep_days)
    assert r.summary()["rep_visits_per_day"] == pytest.approx(observed)
    base, _ = _visits_per_rep_day(s.visit_shape, s.selling_hours, s.visit_hours)
    if sfa:  # the configured cut of the time per visit: more visits in the same hours
        assert mu > base * (1 + s.sfa_time_cut / 2)


def test_reps_visit_only_their_own_territory():
    split = (3, 0, 1, 0)
    r = run(SMALL, fixed(sales_reps=4, rep_territories=split))
    v, n, t = r.rep_visits, SMALL.market_size, SMALL.sales.territories
    assert len(v) > 0
    assert (v["territory"] == v["prospect"] * t // n).all()
    assert set(v["territory"]) == {0, 2}
    assert set(v.loc[v["territory"] == 0, "rep"]) == {0, 1, 2}
    assert set(v.loc[v["territory"] == 2, "rep"]) == {3}
    won = v[v["converted"]]
    cu = r.customers.set_index("customer_id")
    assert (cu.loc[won["customer_id"], "channel"] == "rep").all()
    assert len(won) == r.timeline["acquired_rep"].sum() == (cu["channel"] == "rep").sum()


def test_target_segments_restrict_the_reps_and_the_calls():
    r = run(SMALL, fixed(sales_reps=2, telemarketing_calls=300, target_segments=("regulars",)))
    assert set(r.rep_visits["segment"]) == {"regulars"}
    tm = r.customers[r.customers["channel"] == "telemarketing"]
    assert len(tm) > 0 and set(tm["segment"]) == {"regulars"}


def test_valuable_accounts_first_win_more_margin_per_rep_hour():
    """Paired seeds (the same market and draws under both orders); the effect is large
    (valuable accounts earn several times an average customer's margin), so six pairs give a
    paired t statistic far above 4 while the test stays fast."""
    sc = SMALL.replace(horizon_days=150)
    diffs = []
    for seed in range(6):
        value = run(sc, fixed(sales_reps=4, rep_priority="value"), seed=seed).summary()
        rand = run(sc, fixed(sales_reps=4, rep_priority="random"), seed=seed).summary()
        diffs.append(value["rep_value_per_hour"] - rand["rep_value_per_hour"])
    diffs = np.array(diffs)
    t = diffs.mean() / (diffs.std(ddof=1) / math.sqrt(diffs.size))
    assert diffs.mean() > 0 and t > 4


def test_value_first_ranks_by_the_records_not_by_the_scenarios_order():
    """Listed last, high_value is still visited first once the firm has a cycle of records (its
    customers earn the most margin a day); before any record the segments tie and the order is
    random, not the order of the scenario file."""
    plain = to_plain(SMALL.replace(horizon_days=70))
    plain["segments"] = plain["segments"][::-1]
    reordered = Scenario.from_dict(plain)
    assert reordered.segments[-1].name == "high_value"
    first_cycle = set()
    for seed in range(6):
        v = run(reordered, fixed(sales_reps=2, rep_priority="value"), seed=seed).rep_visits
        assert set(v.loc[v["day"] >= reordered.cycle_days, "segment"]) == {"high_value"}
        first_cycle |= set(v.loc[v["day"] < reordered.cycle_days, "segment"])
    assert len(first_cycle) >= 2  # not always the segment the file lists first


# -- conversions against their expectation ------------------------------------------------------
@pytest.fixture(scope="module")
def plain():
    return run(PLAIN, fixed(sales_reps=4, telemarketing_calls=600, email_campaign=3_000,
                            web_shop=True), seed=2)


def _z(successes: float, trials: float, p: float) -> float:
    return (successes - trials * p) / math.sqrt(trials * p * (1 - p))


def test_rep_visits_convert_at_the_visit_conversion(plain):
    v = plain.rep_visits
    assert abs(_z(v["converted"].sum(), len(v), PLAIN.sales.visit_conversion)) < 4
    assert plain.timeline["acquired_rep"].sum() == v["converted"].sum()


def test_calls_and_emails_convert_at_their_rates(plain):
    tl, s = plain.timeline, PLAIN.sales
    assert abs(_z(tl["acquired_telemarketing"].sum(), tl["telemarketing_calls"].sum(),
                  s.telemarketing_conversion)) < 4
    assert abs(_z(tl["acquired_email"].sum(), tl["emails_sent"].sum(), s.email_conversion)) < 4


def test_emails_go_only_to_opted_in_prospects_at_most_once_a_cycle():
    """Every customer won by e-mail opted in, and a cycle sends at most one e-mail to each
    opted-in prospect (the 10,000 asked for are more than the prospects who opted in)."""
    model = Model(PLAIN, fixed(email_campaign=10_000), seed=2, transactions="none")
    r = model.simulate()
    opted_in = model._opted_in()
    won = r.customers.loc[r.customers["channel"] == "email", "customer_id"].to_numpy()
    assert won.size > 0
    assert opted_in[model.cust.person[won]].all()
    tl = r.timeline
    assert (tl["emails_sent"] > 0).all() and (tl["emails_sent"] <= opted_in.sum()).all()
    # The first cycle e-mails each opted-in prospect of day 0 exactly once.
    prospect = np.ones(PLAIN.market_size, dtype=bool)
    initial = r.customers.loc[r.customers["channel"] == "initial", "customer_id"].to_numpy()
    prospect[model.cust.person[initial]] = False
    assert tl["emails_sent"].iloc[0] == np.count_nonzero(opted_in & prospect) < 10_000


def test_the_web_shop_adds_spontaneous_adoption(plain):
    tl = plain.timeline
    q = -math.expm1(-PLAIN.sales.web_shop_adoption / 365.0)
    # Each day Binomial(prospects, q); prospects fall within a cycle, so the expectation lies
    # between the cycle's prospects at its end and at its start.
    start = np.concatenate([[PLAIN.market_size - PLAIN.initial_customers],
                            tl["prospects_end"].to_numpy()[:-1]])
    lo = float((tl["prospects_end"] * tl["days"]).sum() * q)
    hi = float((start * tl["days"]).sum() * q)
    got = tl["acquired_web"].sum()
    assert lo - 4 * math.sqrt(hi) < got < hi + 4 * math.sqrt(hi)


# -- CAC by channel -----------------------------------------------------------------------------
def test_cac_by_channel_is_cost_over_customers_from_the_timeline(plain):
    table, tl, cu = cac_by_channel(plain), plain.timeline, plain.customers
    rep_cost = tl["cost_reps"].sum() + tl["cost_sfa"].sum()
    assert table.loc["rep", "cac"] == pytest.approx(rep_cost / tl["acquired_rep"].sum())
    assert table.loc["telemarketing", "cac"] == pytest.approx(
        tl["cost_telemarketing"].sum() / tl["acquired_telemarketing"].sum())
    assert table.loc["email", "cac"] == pytest.approx(
        tl["cost_email_campaign"].sum() / tl["acquired_email"].sum())
    assert table.loc["web", "cac"] == pytest.approx(
        tl["cost_web_shop"].sum() / tl["acquired_web"].sum())
    assert table.loc["mass", "cac"] == pytest.approx(plain.summary()["cac_mass"])
    assert table.loc["rep", "contacts"] == len(plain.rep_visits)
    assert table.loc["rep", "acquired_margin"] == pytest.approx(
        cu.loc[cu["channel"] == "rep", "margin"].sum())
    assert table.loc["rep", "value_per_rep_hour"] == pytest.approx(
        table.loc["rep", "acquired_margin"] / tl["rep_hours"].sum())
    assert math.isnan(table.loc["referral", "cac"]) and math.isnan(table.loc["targeted", "cac"])
    assert table.loc["all", "acquired"] == len(cu[cu["channel"] != "initial"])
    s = plain.summary()
    assert s["cac_rep"] == pytest.approx(table.loc["rep", "cac"])
    assert s["rep_value_per_hour"] == pytest.approx(table.loc["rep", "value_per_rep_hour"])


def test_a_paid_channel_that_wins_nobody_has_an_infinite_cac():
    sc = PLAIN.replace(**{"sales.email_conversion": 0.0})
    table = cac_by_channel(run(sc.replace(horizon_days=30), fixed(email_campaign=500)))
    assert table.loc["email", "acquired"] == 0 and table.loc["email", "cac"] == math.inf


# -- the tournament carries the new decisions ---------------------------------------------------
def test_the_tournament_wire_carries_the_sales_decisions():
    act = Actions(agents=1, sales_reps=2, rep_priority="value", rep_territories=(1, 0, 1, 0),
                  sales_force_automation=True, telemarketing_calls=50, email_campaign=100,
                  web_shop=True)
    plain = actions_to_plain(act)
    assert plain["rep_territories"] == [1, 0, 1, 0]

    captured = {}

    def strategy(view):
        from sim.tournament.wire import view_payload
        captured["view"] = view_from_payload(view_payload(view))
        captured["engine"] = view
        return Actions()

    run(SMALL.replace(horizon_days=30), strategy)
    back = actions_from_plain(plain, SMALL, captured["engine"])
    assert back == act.validated(SMALL)
    assert captured["view"].prices["rep_cost_per_day"] == SMALL.sales.rep_cost_per_day


def test_the_funnels_blended_row_counts_the_sales_channels(plain):
    """The funnel's ``all`` row: every new customer and every acquisition cost, the sales
    channels' included, as cac_by_channel's ``all`` row."""
    from sim.analytics.funnel import acquisition_totals

    totals, by = acquisition_totals(plain), cac_by_channel(plain)
    assert totals.loc["all", "acquired"] == plain.timeline["acquired"].sum()
    assert totals.loc["all", "acquired"] == by.loc["all", "acquired"]
    assert totals.loc["all", "spend"] == pytest.approx(by.loc["all", "cost"])
