"""Kaplan-Meier lifetimes and cohort retention against hand computations and closed forms.

* Kaplan-Meier: without censoring it is the empirical survival function exactly; with
  censoring, delayed entry and Greenwood's variance it reproduces tiny examples worked by hand
  in the comments (one of them the textbook 6-MP data of Freireich et al. 1963).
* Closed forms: exponential lifetimes with censoring (and with delayed entry) follow
  ``exp(-h t)``; a simulated market with (nearly) homogeneous hazards follows the gamma-mixture
  (Lomax) survival used in ``test_lifetimes.py``; tolerances are 4 Greenwood standard errors
  with fixed seeds, and "power" assertions show the wrong method (ignoring censoring or
  delayed entry) misses by far more.
* Cohorts: a hand-made customers table with its table written out; censored cells are NaN;
  shares lie in [0, 1] and never rise along a cohort; each cell equals the Kaplan-Meier
  curve of its cohort (no censoring before the cell's age, so the two must agree exactly).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sim import Actions, Scenario, run, strategies
from sim.analytics import cohorts, survival

Z = 4.0  # |z| bound of every statistical check (fixed seeds; a false alarm is < 1e-4 each)


# -- Kaplan-Meier: exact small cases -------------------------------------------------------------
def test_km_without_censoring_is_empirical_survival_tiny():
    # Lifetimes 2, 3, 3, 5, 8, all observed. Fraction still alive after t:
    # t=2: 4/5, t=3: 2/5, t=5: 1/5, t=8: 0. Kaplan-Meier: 4/5; 4/5 x (1 - 2/4) = 2/5;
    # 2/5 x (1 - 1/2) = 1/5; 1/5 x (1 - 1/1) = 0: the same.
    curve = survival.km_estimate([5, 3, 8, 2, 3], [True] * 5)
    assert curve["time"].tolist() == [0, 2, 3, 5, 8]
    assert curve["at_risk"].tolist() == [5, 5, 4, 2, 1]
    assert curve["events"].tolist() == [0, 1, 2, 1, 1]
    np.testing.assert_allclose(curve["survival"], [1, 0.8, 0.4, 0.2, 0.0], rtol=0, atol=1e-15)
    assert survival.median_lifetime(curve) == 3.0  # first t with S(t) <= 1/2
    at = survival.survival_at(curve, [0, 1.9, 2, 2.5, 3, 100])
    np.testing.assert_allclose(at["survival"], [1, 1, 0.8, 0.8, 0.4, 0.0])  # right-continuous


def test_km_without_censoring_is_empirical_survival_random():
    rng = np.random.default_rng(7)
    t = rng.integers(1, 60, size=500).astype(float)  # integers: many ties
    curve = survival.km_estimate(t, np.ones(t.size, dtype=bool))
    empirical = np.array([np.mean(t > u) for u in curve["time"]])
    np.testing.assert_allclose(curve["survival"], empirical, rtol=0, atol=1e-12)


def test_km_with_censoring_hand_computed():
    # Times 3, 5+, 6, 6, 8+, 10, 12+ (+ = censored).
    # t=3:  n=7 at risk, d=1: S = 6/7.
    # t=6:  n=5 (3 and 5+ have left), d=2: S = 6/7 x 3/5 = 18/35.
    # t=10: n=2 (8+ has left), d=1: S = 18/35 x 1/2 = 9/35.
    # Greenwood: sum d/(n(n-d)) = 1/42; + 2/15 = 11/70; + 1/2 = 23/35, and Var S = S^2 x sum:
    # SE(3) = 6/7 sqrt(1/42), SE(6) = 18/35 sqrt(11/70), SE(10) = 9/35 sqrt(23/35).
    curve = survival.km_estimate([3, 5, 6, 6, 8, 10, 12], [1, 0, 1, 1, 0, 1, 0])
    ev = curve.set_index("time")
    assert ev.loc[[3, 6, 10], "at_risk"].tolist() == [7, 5, 2]
    assert ev.loc[[5, 8, 12], "censored"].tolist() == [1, 1, 1]
    np.testing.assert_allclose(ev.loc[[3, 5, 6, 8, 10, 12], "survival"],
                               [6 / 7, 6 / 7, 18 / 35, 18 / 35, 9 / 35, 9 / 35], rtol=1e-14)
    np.testing.assert_allclose(
        ev.loc[[3, 6, 10], "se"],
        [6 / 7 * math.sqrt(1 / 42), 18 / 35 * math.sqrt(11 / 70), 9 / 35 * math.sqrt(23 / 35)],
        rtol=1e-12)
    assert survival.median_lifetime(curve) == 10.0  # S(6) = 0.514 > 1/2, S(10) = 0.257
    # Beyond the last time (censored, S > 0) the curve says nothing.
    assert math.isnan(survival.survival_at(curve, [13])["survival"].iloc[0])
    # Log-log band at t=3: a = 1.96 sigma / |ln S|, sigma = sqrt(1/42) = 0.1543,
    # ln(6/7) = -0.1542, a = 1.9619; band (6/7)^exp(+-a) = [0.3341, 0.9786].
    z = 1.959963984540054
    a = z * math.sqrt(1 / 42) / -math.log(6 / 7)
    assert ev.loc[3, "lower"] == pytest.approx((6 / 7) ** math.exp(a), rel=1e-12)
    assert ev.loc[3, "upper"] == pytest.approx((6 / 7) ** math.exp(-a), rel=1e-12)
    assert ev.loc[3, "lower"] == pytest.approx(0.3341, abs=1e-4)


def test_km_textbook_6mp():
    # Freireich et al. (1963) 6-MP arm, remission in weeks (Klein & Moeschberger 2003,
    # section 4.2; Kleinbaum & Klein, ch. 2): 6,6,6,6+,7,9+,10,10+,11+,13,16,17+,19+,20+,22,
    # 23,25+,32+,32+,34+,35+. By hand, (n, d) at the event times 6,7,10,13,16,22,23 are
    # (21,3),(17,1),(15,1),(12,1),(11,1),(7,1),(6,1): S = 18/21; x16/17; x14/15; x11/12;
    # x10/11; x6/7; x5/6 = 0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448 (the published
    # values), with Greenwood SE 0.0764, 0.0869, 0.0963, 0.1068, 0.1141, 0.1282, 0.1346.
    t = [6, 6, 6, 6, 7, 9, 10, 10, 11, 13, 16, 17, 19, 20, 22, 23, 25, 32, 32, 34, 35]
    e = [1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0]
    curve = survival.km_estimate(t, e)
    ev = curve[curve["events"] > 0]
    assert ev["time"].tolist() == [6, 7, 10, 13, 16, 22, 23]
    assert ev["at_risk"].tolist() == [21, 17, 15, 12, 11, 7, 6]
    factors = np.array([18 / 21, 16 / 17, 14 / 15, 11 / 12, 10 / 11, 6 / 7, 5 / 6])
    np.testing.assert_allclose(ev["survival"], np.cumprod(factors), rtol=1e-14)
    np.testing.assert_allclose(ev["survival"], [0.857, 0.807, 0.753, 0.690, 0.627, 0.538,
                                                0.448], atol=5e-4)
    np.testing.assert_allclose(ev["se"], [0.0764, 0.0869, 0.0963, 0.1068, 0.1141, 0.1282,
                                          0.1346], atol=5e-5)


def test_km_delayed_entry_hand_computed():
    # (entry, exit, event): A (0, 4, loss), B (0, 6, censored), C (2, 5, loss), D (3, 7, loss),
    # E (5, 8, censored). At risk at u: entry < u <= exit.
    # u=4: A, B, C, D (E enters at 5)           n=4, d=1: S = 3/4
    # u=5: B, C, D (E entered *at* 5: not yet)  n=3, d=1: S = 3/4 x 2/3 = 1/2
    # u=7: D, E (B censored at 6, C gone)       n=2, d=1: S = 1/2 x 1/2 = 1/4
    # Greenwood: 1/(4x3) + 1/(3x2) + 1/(2x1) = 3/4, SE(7) = 1/4 sqrt(3/4).
    # Ignoring the entries (everyone at risk from 0): n = 5, 4, 2 and S = 4/5, 3/5, 3/10 --
    # too high, because C, D and E are counted as survivors of ages they were not watched at.
    entry, time = [0, 0, 2, 3, 5], [4, 6, 5, 7, 8]
    event = [True, False, True, True, False]
    curve = survival.km_estimate(time, event, entry).set_index("time")
    assert curve.loc[[4, 5, 7], "at_risk"].tolist() == [4, 3, 2]
    np.testing.assert_allclose(curve.loc[[4, 5, 6, 7, 8], "survival"],
                               [3 / 4, 1 / 2, 1 / 2, 1 / 4, 1 / 4], rtol=1e-14)
    assert curve.loc[7, "se"] == pytest.approx(0.25 * math.sqrt(0.75), rel=1e-12)
    assert curve.loc[0, "at_risk"] == 2  # A and B are watched from age 0
    naive = survival.km_estimate(time, event).set_index("time")
    np.testing.assert_allclose(naive.loc[[4, 5, 7], "survival"], [4 / 5, 3 / 5, 3 / 10])


def test_greenwood_tiny():
    # Lifetimes 1, 2+, 3, 3 (n=4). u=1: n=4, d=1, S=3/4, sum 1/(4x3) = 1/12.
    # u=3: n=2, d=2, S=0: the risk set is emptied, Greenwood's sum is infinite and the
    # standard error undefined (NaN). Var S(1) = (3/4)^2 / 12 = 3/64.
    curve = survival.km_estimate([1, 2, 3, 3], [1, 0, 1, 1]).set_index("time")
    assert curve.loc[1, "se"] ** 2 == pytest.approx(3 / 64, rel=1e-12)
    assert curve.loc[2, "se"] ** 2 == pytest.approx(3 / 64, rel=1e-12)  # censoring: no change
    assert curve.loc[3, "survival"] == 0.0
    assert np.isnan(curve.loc[3, ["se", "lower", "upper"]].astype(float)).all()


def test_km_rejects_bad_input():
    with pytest.raises(ValueError, match="entry"):
        survival.km_estimate([1, 2], [1, 1], [3, 0])  # exit before entry
    with pytest.raises(ValueError, match="event"):
        survival.km_estimate([1, 2], [1, 2])
    with pytest.raises(ValueError, match="conf_level"):
        survival.km_estimate([1, 2], [1, 1], conf_level=95)


# -- Kaplan-Meier: closed forms -----------------------------------------------------------------
def _check_against(curve, ages, expected, label):
    at = survival.survival_at(curve, ages)
    z = (at["survival"].to_numpy() - expected) / at["se"].to_numpy()
    assert np.all(np.abs(z) < Z), f"{label}: S{tuple(ages)} = {at['survival'].round(4).tolist()}"\
        f" vs {np.round(expected, 4).tolist()} (z = {np.round(z, 2).tolist()})"
    return at


def test_km_matches_exponential_with_censoring():
    rng = np.random.default_rng(2024)
    n, h = 4_000, 1 / 200  # hazard per day
    life = rng.exponential(1 / h, n)
    censor = rng.uniform(0, 600, n)  # independent censoring: about 30 % of lifetimes cut
    time, event = np.minimum(life, censor), life <= censor
    curve = survival.km_estimate(time, event)
    ages = np.array([25, 50, 100, 200, 300, 400])
    at = _check_against(curve, ages, np.exp(-h * ages), "exponential")
    # Power: treating censored customers as lost underestimates survival by > 10 SE at 200.
    naive = np.mean(time > 200)
    assert np.exp(-h * 200) - naive > 10 * at["se"].iloc[3]


def test_km_matches_exponential_with_delayed_entry():
    rng = np.random.default_rng(11)
    h, n = 1 / 300, 6_000
    # Left-truncated sample: a customer is seen only if still there at her entry age E.
    entry = rng.uniform(0, 400, 3 * n)
    life = rng.exponential(1 / h, 3 * n)
    seen = life > entry
    entry, life = entry[seen][:n], life[seen][:n]
    censor = entry + rng.uniform(0, 365, n)  # watched for up to a year after entry
    time, event = np.minimum(life, censor), life <= censor
    curve = survival.km_estimate(time, event, entry)
    ages = np.array([100, 200, 300, 500, 700])
    at = _check_against(curve, ages, np.exp(-h * ages), "exponential, delayed entry")
    # Power: counting everyone at risk from age 0 makes survival far too high.
    naive = survival.survival_at(survival.km_estimate(time, event), [300])["survival"].iloc[0]
    assert naive - np.exp(-h * 300) > 10 * at["se"].iloc[2]


def _one_segment(**segment) -> Scenario:
    """Classroom with one segment, no churn feedback from satisfaction and no rivals (as in
    test_lifetimes.py), and word of mouth by innovation only, so that customers also join
    during the run (at age 0) without depending on anyone's satisfaction."""
    d = Scenario.load("classroom").to_dict()
    seg = dict(d["segments"][1])
    seg.update(name="only", share=1.0, purchase_rate=0.01, complaint_prob=0.0)
    seg.update(segment)
    d["segments"] = [seg]
    d["word_of_mouth"].update(innovation=0.5, imitation=0.0)
    d["satisfaction"]["churn_effect"] = 0.0
    d["competitors"]["waves_per_year"] = 0.0
    return Scenario.from_dict(d)


def _nothing(view):
    return Actions()


def _lomax(t, h0, k):
    """Survival of exponential lifetimes whose rate is h0 x Gamma(k, 1/k): (1 + h0 t/k)^-k."""
    return (1.0 + h0 * np.asarray(t, dtype=float) / k) ** (-k)


@pytest.mark.parametrize(("shape", "annual", "seed"), [(100.0, 0.3, 5), (0.5, 0.6, 6)])
def test_km_on_simulated_market_matches_gamma_mixture(shape, annual, seed):
    # One segment, hazard h0 x G with G ~ Gamma(k, 1/k), h0 = -ln(1 - annual churn) / 365.
    # A cohort's survival is Lomax, (1 + h0 t / k)^(-k); day-0 customers are survivors of
    # that cohort to their tenure (the engine draws G from the gamma posterior), so Kaplan-
    # Meier with delayed entry estimates the same curve. k = 100: nearly one common hazard,
    # S(365) = (1 + H/100)^-100 = 0.7004 for H = -ln 0.7; k = 0.5: strong heterogeneity.
    n = 12_000
    sc = _one_segment(annual_churn=annual, churn_shape=shape).replace(
        market_size=2 * n, initial_customers=n, horizon_days=365)
    result = run(sc, _nothing, seed=seed)
    cu = result.customers
    assert (cu["acquired_day"] >= 0).sum() > 3_000  # customers also join during the run
    h0 = -math.log1p(-annual) / 365.0
    curve = survival.kaplan_meier(result)
    ages = np.array([91, 182, 365, 730, 1095])
    at = _check_against(curve, ages, _lomax(ages, h0, shape), f"k={shape}")
    if shape == 100.0:
        assert _lomax(365, h0, shape) == pytest.approx(0.7004, abs=1e-4)
    # Power: without delayed entry, day-0 customers would count as at risk from age 0 and
    # survival at one year would be far too high.
    life = survival.lifetimes(result)
    naive = survival.km_estimate(life["time"], life["event"])
    s_naive = survival.survival_at(naive, [365])["survival"].iloc[0]
    assert s_naive - _lomax(365, h0, shape) > 8 * at["se"].iloc[2]
    if shape == 0.5:  # and one common hazard (no heterogeneity) would be far off too
        assert abs(math.exp(-h0 * 730) - _lomax(730, h0, shape)) > 8 * at["se"].iloc[3]


# -- Kaplan-Meier on runs: groups, won-back customers -------------------------------------------
@pytest.fixture(scope="module")
def small_runs():
    sc = Scenario.load("classroom").replace(market_size=10_000, initial_customers=1_500,
                                            horizon_days=365)
    return run(sc, strategies.winback, seed=1), run(sc, strategies.operational, seed=1)


def test_km_groups_are_the_curves_of_each_group(small_runs):
    result, other = small_runs
    by_segment = survival.kaplan_meier(result, by="segment")
    life = survival.lifetimes(result)
    for seg in result.scenario.segment_names:
        mine = life[life["segment"] == seg]
        alone = survival.km_estimate(mine["time"], mine["event"], mine["entry"])
        got = by_segment[by_segment["segment"] == seg].drop(columns="segment")
        pd.testing.assert_frame_equal(got.reset_index(drop=True), alone)
    both = survival.kaplan_meier([result, other])
    assert set(both["strategy"]) == {"winback", "operational"}
    medians = survival.median_lifetime(both, by="strategy")
    assert set(medians.index) == {"winback", "operational"}
    read = survival.survival_at(survival.kaplan_meier(result, by="segment"), [365],
                                by="segment")
    assert len(read) == len(result.scenario.segment_names)
    assert read["survival"].between(0, 1).all()
    with pytest.raises(ValueError, match="by="):
        survival.median_lifetime(by_segment)
    with pytest.raises(ValueError, match="strategy name"):
        survival.kaplan_meier([result, result])
    with pytest.raises(ValueError, match="horizon_days"):
        survival.kaplan_meier(result.customers)


def test_won_back_customers_leave_at_their_first_loss(small_runs):
    result, _ = small_runs
    cu = result.customers
    again = cu["lives"] > 1
    assert again.sum() > 10  # the win-back strategy did win some back
    life = survival.lifetimes(result)
    # Every won-back customer's lifetime ended (at her first loss), active now or not.
    assert life.loc[again, "event"].all()
    assert life["event"].sum() == (cu["status"] == "lost").sum() + (again & (
        cu["status"] == "active")).sum()
    # The first loss is the recorded first_lost_day, before the first win-back.
    wb = result.campaigns
    first = wb[(wb["campaign"] == "winback") & wb["accepted"]].groupby("customer_id")["day"].min()
    loss_day = life.loc[again, "acquired_day"] + life.loc[again, "time"]
    np.testing.assert_allclose(loss_day, cu.loc[again, "first_lost_day"], atol=1e-9)
    assert (loss_day < cu.loc[again, "customer_id"].map(first)).all()
    # Without the column, the first win-back day is the upper bound used instead.
    bound = survival.first_loss_day(cu.drop(columns="first_lost_day"), result.campaigns)
    np.testing.assert_allclose(bound[again], cu.loc[again, "customer_id"].map(first), atol=1e-9)


def test_first_loss_day_rule():
    cu = pd.DataFrame({"customer_id": [0, 1, 2, 3], "acquired_day": [0, 0, 0, 0],
                       "lost_day": [10.0, np.nan, 80.0, np.nan], "lives": [1, 2, 3, 1],
                       "won_back_day": [np.nan, 45.0, 70.0, np.nan]})
    # Without the campaign log: the last win-back (exact for lives == 2).
    np.testing.assert_array_equal(survival.first_loss_day(cu), [10, 45, 70, np.nan])
    # With it: the first accepted win-back.
    log = pd.DataFrame({"day": [30, 40, 70], "customer_id": [2, 1, 2],
                        "campaign": ["winback"] * 3, "accepted": [True, False, True]})
    np.testing.assert_array_equal(survival.first_loss_day(cu, log), [10, 45, 30, np.nan])
    # An exact column wins.
    exact = cu.assign(first_lost_day=[10.0, 33.0, 20.0, np.nan])
    np.testing.assert_array_equal(survival.first_loss_day(exact, log), [10, 33, 20, np.nan])


# -- Cohorts --------------------------------------------------------------------------------------
def _hand_customers() -> pd.DataFrame:
    # horizon 100 days, cohorts and periods of 20 days.
    return pd.DataFrame({
        "acquired_day": [-50, -10, 0, 5, 10, 25, 35, 70, 85],
        "lost_day": [np.nan, 30, 15, np.nan, 50, 90, np.nan, 80, np.nan],
    })


def test_cohort_table_hand_computed():
    # Cohort -1 (before the run: -50, -10), periods from day 0, all 5 observable:
    #   day 20: both there (loss at 30) -> 1; days 40..100: only the first -> 1/2.
    # Cohort 0 (acquired 0, 5, 10), observable to age 100 - 10 = 90: periods 1..4.
    #   age 20: lost at 15 gone, 5 stays, the one lost at 50 (age 40) stays -> 2/3;
    #   age 40: the loss at day 50 is exactly at 10 + 40: lost by the period's end -> 1/3.
    # Cohort 1 (25, 35), observable to age 65: periods 1..3; the loss at 90 is age 65 -> 1.
    # Cohort 2 (days 40-59): nobody was won -> no row.
    # Cohort 3 (70), observable to age 30: period 1; lost at 80 (age 10) -> 0 (a real 0).
    # Cohort 4 (85), observable to age 15: no full period -> all NaN.
    table = cohorts.cohort_table(_hand_customers(), horizon_days=100, cycle_days=20)
    nan = np.nan
    expected = pd.DataFrame(
        [[1, .5, .5, .5, .5], [2 / 3, 1 / 3, 1 / 3, 1 / 3, nan], [1, 1, 1, nan, nan],
         [0, nan, nan, nan, nan], [nan] * 5],
        index=pd.Index([-1, 0, 1, 3, 4], name="cohort"),
        columns=pd.Index(np.arange(1, 6), name="period"))
    pd.testing.assert_frame_equal(table, expected, check_exact=False, rtol=1e-14)
    # Long format: at risk = retained one period earlier; period-over-period retention.
    curves = cohorts.retention_curves(_hand_customers(), horizon_days=100, cycle_days=20)
    c0 = curves[curves["cohort"] == 0]
    assert c0["at_risk"].tolist() == [3, 2, 1, 1]
    assert c0["retained"].tolist() == [2, 1, 1, 1]
    np.testing.assert_allclose(c0["retention_rate"], [2 / 3, 1 / 2, 1, 1])
    assert c0["age_days"].tolist() == [20, 40, 60, 80]
    assert set(curves["cohort_size"][curves["cohort"] == -1]) == {2}
    # Pooled over acquisition cohorts (not -1): period 1: cohorts 0, 1, 3: 4 of 6 -> 2/3;
    # period 2: cohorts 0, 1: 3 of 4 -> 3/4 (S = 1/2); period 3: 3 of 3; period 4: 1 of 1.
    pooled = cohorts.overall_retention(_hand_customers(), horizon_days=100, cycle_days=20)
    assert pooled["cohorts"].tolist() == [3, 2, 2, 1]
    assert pooled["at_risk"].tolist() == [6, 4, 3, 1]
    np.testing.assert_allclose(pooled["retention_rate"], [2 / 3, 3 / 4, 1, 1])
    np.testing.assert_allclose(pooled["survival"], [2 / 3, 1 / 2, 1 / 2, 1 / 2])
    # Leaving out the customers of before the run, and other lengths.
    without = cohorts.cohort_table(_hand_customers(), horizon_days=100, cycle_days=20,
                                   include_before_run=False)
    pd.testing.assert_frame_equal(without, table.drop(index=-1))
    halves = cohorts.cohort_table(_hand_customers(), horizon_days=100, cohort_days=50,
                                  period_days=25)
    # cohort 0 = acquired 0..49 (0, 5, 10, 25, 35), observable to age 65: periods 1, 2.
    # age 25: losses at 15 (age 15) -> 4/5; age 50: also 50 (age 40) -> 3/5.
    np.testing.assert_allclose(halves.loc[0].to_numpy(), [4 / 5, 3 / 5, nan, nan])


def test_cohort_won_back_counts_until_first_loss():
    cu = pd.DataFrame({"customer_id": [0, 1], "acquired_day": [0, 0],
                       "lost_day": [np.nan, np.nan], "lives": [2, 1],
                       "won_back_day": [45.0, np.nan]})
    # Customer 0 is active again, but left before her win-back on day 45: retained at 20
    # and 40, lost at 60.
    table = cohorts.cohort_table(cu, horizon_days=100, cycle_days=20)
    np.testing.assert_allclose(table.loc[0].to_numpy(), [1, 1, 0.5, 0.5, 0.5])


def test_cohort_input_errors(small_runs):
    cu = _hand_customers()
    with pytest.raises(ValueError, match="horizon_days"):
        cohorts.cohort_table(cu, cycle_days=20)
    with pytest.raises(ValueError, match="cycle_days"):
        cohorts.cohort_table(cu, horizon_days=100)
    with pytest.raises(ValueError, match="period_days"):
        cohorts.cohort_table(cu, horizon_days=100, cycle_days=20, period_days=0)
    with pytest.raises(ValueError, match="after horizon_days"):
        cohorts.cohort_table(cu, horizon_days=60, cycle_days=20)
    with pytest.raises(ValueError, match="cycle_days"):
        cohorts.cohort_table(small_runs[0], cycle_days=20)


def test_cohort_table_on_a_run(small_runs):
    result, _ = small_runs
    sc = result.scenario
    table = cohorts.cohort_table(result)
    periods = sc.horizon_days // sc.cycle_days
    assert list(table.columns) == list(range(1, periods + 1))
    assert table.index[0] == cohorts.BEFORE_RUN and table.loc[-1].notna().all()
    values = table.to_numpy()
    observed = ~np.isnan(values)
    assert np.all((values[observed] >= 0) & (values[observed] <= 1))
    # Never rising along a cohort (the same customers, measured later).
    steps = np.diff(values, axis=1)
    assert np.all(steps[~np.isnan(steps)] <= 0)
    # Censoring: observed cells are a prefix of each row, and later cohorts see no more
    # periods than earlier ones (a staircase); the last full cycle-cohort sees its first
    # period only if its last member was won at least one period before the horizon.
    counts = observed.sum(axis=1)
    assert all(observed[i, :c].all() and not observed[i, c:].any()
               for i, c in enumerate(counts))
    assert np.all(np.diff(counts[1:]) <= 0)
    acquired = result.customers["acquired_day"]
    for k, c in zip(table.index[1:], counts[1:], strict=True):
        last = acquired[(acquired // sc.cycle_days) == k].max()
        assert c == (sc.horizon_days - last) // sc.cycle_days
    # The pooled curve is a survival curve.
    pooled = cohorts.overall_retention(result)
    assert pooled["retention_rate"].between(0, 1).all()
    assert np.all(np.diff(pooled["survival"]) <= 0)
    assert pooled["cohorts"].tolist() == sorted(pooled["cohorts"], reverse=True)


def test_cohort_cells_equal_kaplan_meier_of_the_cohort(small_runs):
    # Every member of a cohort is watched beyond the age of an observed cell, so Kaplan-Meier
    # of the cohort has no censoring before that age and must equal the share exactly.
    result, _ = small_runs
    curves = cohorts.retention_curves(result, include_before_run=False)
    life = survival.lifetimes(result)
    life = life[life["acquired_day"] >= 0]
    cohort = life["acquired_day"] // result.scenario.cycle_days
    checked = 0
    for k, cells in curves.groupby("cohort"):
        mine = life[cohort == k]
        km = survival.km_estimate(mine["time"], mine["event"])
        at = survival.survival_at(km, cells["age_days"])
        np.testing.assert_allclose(at["survival"], cells["share"], rtol=0, atol=1e-12)
        checked += len(cells)
    assert checked > 40
