"""Customer value analytics: CLV (sim.analytics.clv), RFM (sim.analytics.rfm) and concentration
(sim.analytics.concentration).

What these tests prove:

* the Gupta-Lehmann closed forms equal the series they sum (brute force), under both timing
  conventions and finite horizons, and equal the mean discounted margin of simulated geometric
  lifetimes within four standard errors, while the other timing convention is far outside;
* the continuous-time CLV equals its integral (numerical quadrature) and is the limit of the
  discrete form as the period shrinks;
* realised CLV and customer equity reproduce ``Result.summary()``, and the transaction log
  rebuilds every customer's discounted margin exactly;
* the predicted CLV is the continuous closed form at the observed margin rate and hazard;
* ``summary_data`` follows the lifetimes conventions on a hand-made log, and on a real log
  agrees with the first/last purchase days and revenue the customer table records separately;
* RFM scores are 1-5, monotone, and every customer gets exactly one named segment;
* Lorenz curve, Gini and top shares match hand computations and each other.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import integrate

import sim.result
from sim import Scenario, run, strategies
from sim.analytics import clv, concentration, rfm

NAN = float("nan")


@pytest.fixture(scope="module")
def scenario():
    return Scenario.load("classroom").replace(market_size=10_000, initial_customers=1_500,
                                              horizon_days=365)


@pytest.fixture(scope="module")
def result(scenario):
    return run(scenario, strategies.operational, seed=1)


# --------------------------------------------------------------------------------------------
# Gupta-Lehmann closed form
# --------------------------------------------------------------------------------------------

def test_gupta_lehmann_hand_values():
    # m = 100, r = 0.8, i = 0.1: end of period 100 x 0.8 / 0.3; start 100 x 1.1 / 0.3.
    assert clv.gupta_lehmann_clv(100.0, 0.8, 0.1) == pytest.approx(800.0 / 3.0, rel=1e-14)
    assert clv.gupta_lehmann_clv(100.0, 0.8, 0.1, timing="start") == pytest.approx(
        1100.0 / 3.0, rel=1e-14)
    # One period: the end convention pays 100 x 0.8 / 1.1 a period from now; the start one
    # pays 100 now. Two periods (end): + 100 x 0.64 / 1.21.
    assert clv.gupta_lehmann_clv(100.0, 0.8, 0.1, periods=1) == pytest.approx(80.0 / 1.1)
    assert clv.gupta_lehmann_clv(100.0, 0.8, 0.1, periods=1, timing="start") == 100.0
    assert clv.gupta_lehmann_clv(100.0, 0.8, 0.1, periods=2) == pytest.approx(
        80.0 / 1.1 + 64.0 / 1.21, rel=1e-14)
    assert clv.gupta_lehmann_clv(100.0, 0.8, 0.1, periods=0) == 0.0
    assert clv.margin_multiple(0.8, 0.1) == pytest.approx(8.0 / 3.0)
    # No churn and no discounting over N periods: N margins under both conventions.
    assert clv.gupta_lehmann_clv(50.0, 1.0, 0.0, periods=10) == pytest.approx(500.0)
    assert clv.gupta_lehmann_clv(50.0, 1.0, 0.0, periods=10, timing="start") == pytest.approx(
        500.0)
    # r = 1 with a positive rate converges: m / i (end), m (1 + i) / i (start).
    assert clv.gupta_lehmann_clv(10.0, 1.0, 0.25) == pytest.approx(40.0)


@pytest.mark.parametrize("r, i", [(0.0, 0.1), (0.3, 0.05), (0.8, 0.1), (0.95, 0.02),
                                  (0.99, 0.0), (1.0, 0.3), (0.6, -0.2)])
def test_gupta_lehmann_equals_brute_force_series(r, i):
    m = 37.5
    t = np.arange(0, 20_001)
    terms = m * (r / (1.0 + i)) ** t  # margin of period t, survived t periods, discounted t
    # The truncated tail is at most q^20000 / (1 - q) margins, below 1e-80 here for every case.
    end, start = terms[1:].sum(), terms[:-1].sum()
    assert clv.gupta_lehmann_clv(m, r, i) == pytest.approx(end, rel=1e-12)
    assert clv.gupta_lehmann_clv(m, r, i, timing="start") == pytest.approx(start, rel=1e-12)
    # Start = end + one margin (the certain one now).
    assert clv.gupta_lehmann_clv(m, r, i, timing="start") == pytest.approx(
        clv.gupta_lehmann_clv(m, r, i) + m, rel=1e-12)
    for n in (1, 2, 7, 40):
        assert clv.gupta_lehmann_clv(m, r, i, periods=n) == pytest.approx(
            terms[1:n + 1].sum(), rel=1e-12)
        assert clv.gupta_lehmann_clv(m, r, i, periods=n, timing="start") == pytest.approx(
            terms[:n].sum(), rel=1e-12)


def test_gupta_lehmann_broadcasts_arrays():
    out = clv.gupta_lehmann_clv(100.0, np.array([0.5, 0.8]), 0.1, periods=[3, 5])
    assert isinstance(out, np.ndarray) and out.shape == (2,)
    assert out[0] == pytest.approx(clv.gupta_lehmann_clv(100.0, 0.5, 0.1, periods=3))
    assert out[1] == pytest.approx(clv.gupta_lehmann_clv(100.0, 0.8, 0.1, periods=5))
    assert isinstance(clv.gupta_lehmann_clv(1.0, 0.5, 0.1), float)


@pytest.mark.parametrize("r, i, m", [(0.8, 0.1, 100.0), (0.5, 0.15, 20.0)])
def test_gupta_lehmann_matches_simulated_geometric_lifetimes(r, i, m):
    """Customers who stay each period with probability r: the number of periods survived K has
    P(K >= t) = r^t. Under the end convention a customer earns the margins of periods 1..K;
    under the start convention those of periods 0..K."""
    rng = np.random.default_rng(20_240_601)
    n = 400_000
    # numpy's geometric counts trials up to the first success (support 1, 2, ...): with the
    # churn probability 1 - r as success, survived periods K = trials - 1.
    survived = rng.geometric(1.0 - r, size=n) - 1
    discount = (1.0 + i) ** -np.arange(0, survived.max() + 2, dtype=float)
    # cum_end[k] = sum_{t=1..k} m v^t: what a customer surviving k periods earns (end).
    cum_end = np.concatenate([[0.0], np.cumsum(m * discount[1:])])
    cum_start = np.cumsum(m * discount)  # sum_{t=0..k} m v^t (start)
    for values, timing, other in ((cum_end[survived], "end", "start"),
                                  (cum_start[survived], "start", "end")):
        mean = values.mean()
        se = values.std(ddof=1) / math.sqrt(n)
        # Four standard errors: a false alarm with probability ~6e-5 for a correct formula
        # (and the fixed seed makes the test deterministic). SE is ~0.1% of the value here.
        assert abs(mean - clv.gupta_lehmann_clv(m, r, i, timing=timing)) < 4.0 * se
        # The other convention differs by one whole margin, hundreds of standard errors away.
        assert abs(mean - clv.gupta_lehmann_clv(m, r, i, timing=other)) > 50.0 * se


@pytest.mark.parametrize("kwargs, match", [
    (dict(margin=1.0, retention=-0.1, discount_rate=0.1), "retention = -0.1"),
    (dict(margin=1.0, retention=1.2, discount_rate=0.1), "retention = 1.2"),
    (dict(margin=1.0, retention=0.5, discount_rate=-1.0), "discount_rate = -1.0"),
    (dict(margin=1.0, retention=1.0, discount_rate=0.0), "infinite horizon"),
    (dict(margin=1.0, retention=0.9, discount_rate=-0.2), "infinite horizon"),
    (dict(margin=1.0, retention=0.5, discount_rate=0.1, timing="middle"), "timing"),
    (dict(margin=1.0, retention=0.5, discount_rate=0.1, periods=-1), "periods = -1"),
    (dict(margin=1.0, retention=0.5, discount_rate=0.1, periods=2.5), "periods = 2.5"),
    (dict(margin=math.inf, retention=0.5, discount_rate=0.1), "margin = inf"),
    (dict(margin=NAN, retention=0.5, discount_rate=0.1), "margin = nan"),
])
def test_gupta_lehmann_rejects_bad_inputs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        clv.gupta_lehmann_clv(**kwargs)


# --------------------------------------------------------------------------------------------
# Continuous time
# --------------------------------------------------------------------------------------------

def test_continuous_hand_values():
    # m = 2, h + delta = 0.2: 2 / 0.2 = 10; over H = 5: 10 (1 - e^-1).
    assert clv.continuous_clv(2.0, 0.1, 0.1) == pytest.approx(10.0, rel=1e-14)
    assert clv.continuous_clv(2.0, 0.1, 0.1, horizon=5.0) == pytest.approx(
        10.0 * (1.0 - math.exp(-1.0)), rel=1e-14)
    assert clv.continuous_clv(2.0, 0.1, 0.1, horizon=math.inf) == pytest.approx(10.0)
    assert clv.continuous_clv(2.0, 0.1, 0.1, horizon=0.0) == 0.0
    # h + delta = 0 over a finite horizon: m H (no churn, no discounting).
    assert clv.continuous_clv(3.0, 0.0, 0.0, horizon=4.0) == pytest.approx(12.0)
    assert clv.continuous_discount_rate(0.1) == pytest.approx(math.log(1.1))
    daily = clv.continuous_discount_rate(0.1, unit_days=1.0)
    assert math.exp(-365.0 * daily) == pytest.approx(1.0 / 1.1, rel=1e-14)


@pytest.mark.parametrize("m, h, d, horizon", [(1.5, 0.002, 0.0003, None), (40.0, 0.3, 0.1, None),
                                              (-2.0, 0.01, 0.0, 250.0), (5.0, 0.05, -0.02, 30.0),
                                              (0.7, 0.0, 0.05, None)])
def test_continuous_equals_numerical_integral(m, h, d, horizon):
    upper = math.inf if horizon is None else horizon
    exact, err = integrate.quad(lambda t: m * math.exp(-(h + d) * t), 0.0, upper,
                                epsabs=0.0, epsrel=1e-12)
    # quad's own error estimate is far below the tolerance used (1e-9 relative).
    assert err < 1e-10 * abs(exact)
    assert clv.continuous_clv(m, h, d, horizon=horizon) == pytest.approx(exact, rel=1e-9)


def test_discrete_form_converges_to_continuous_one():
    """Periods of length dt with retention exp(-h dt), discount exp(delta dt) - 1 and margin
    m dt at each period's end: the Gupta-Lehmann value tends to m / (h + delta), with a
    relative gap of about (h + delta) dt / 2 (the end-of-period lag of half a period)."""
    m, h, d = 3.0, 0.2, 0.05
    limit = clv.continuous_clv(m, h, d)
    for dt in (0.1, 0.01, 0.001):
        discrete = clv.gupta_lehmann_clv(m * dt, math.exp(-h * dt), math.expm1(d * dt))
        gap = (limit - discrete) / limit
        assert gap == pytest.approx((h + d) * dt / 2.0, rel=0.02)


@pytest.mark.parametrize("kwargs, match", [
    (dict(margin_rate=1.0, hazard=-0.1, delta=0.1), "hazard = -0.1"),
    (dict(margin_rate=1.0, hazard=0.0, delta=0.0), "infinite horizon"),
    (dict(margin_rate=1.0, hazard=0.1, delta=-0.2), "infinite horizon"),
    (dict(margin_rate=1.0, hazard=0.1, delta=0.1, horizon=-1.0), "horizon = -1.0"),
    (dict(margin_rate=NAN, hazard=0.1, delta=0.1), "margin_rate"),
])
def test_continuous_rejects_bad_inputs(kwargs, match):
    with pytest.raises(ValueError, match=match):
        clv.continuous_clv(**kwargs)
    with pytest.raises(ValueError, match="annual_rate = -1"):
        clv.continuous_discount_rate(-1.0)


# --------------------------------------------------------------------------------------------
# Realised and predicted CLV, customer equity
# --------------------------------------------------------------------------------------------

def test_realised_clv_hand_table():
    cu = pd.DataFrame({"customer_id": [7, 8, 9, 10],
                       "channel": pd.Categorical(["initial", "mass", "referral", "targeted"]),
                       "discounted_margin": [100.0, 20.0, 40.0, -3.0]})
    series = clv.realised_clv(cu)
    assert series.to_dict() == {7: 100.0, 8: 20.0, 9: 40.0, 10: -3.0}
    assert series.name == "realised_clv"
    # Day-0 customers are left out: (20 + 40 - 3) / 3.
    assert clv.mean_realised_clv(cu) == pytest.approx(19.0)
    assert math.isnan(clv.mean_realised_clv(cu.iloc[:1]))
    with pytest.raises(KeyError, match="discounted_margin"):
        clv.realised_clv(cu.drop(columns="discounted_margin"))


def test_discounted_margin_from_log_hand_example():
    scenario = SimpleNamespace(annual_discount_rate=0.1, segments=[
        SimpleNamespace(name="a", margin=0.5, cost_per_purchase=1.0),
        SimpleNamespace(name="b", margin=0.2, cost_per_purchase=3.0)])
    customers = pd.DataFrame({"customer_id": [0, 1, 2],
                              "segment": pd.Categorical(["a", "b", "a"])})
    tx = pd.DataFrame({"customer_id": [0, 1, 0], "day": [0, 10, 364],
                       "amount": [10.0, 20.0, 6.0], "purchases": [1, 2, 2]})
    d = math.log(1.1) / 365.0
    got = clv.discounted_margin_from_log(tx, customers, scenario)
    # Customer 0: 10 x 0.5 - 1 = 4 on day 0, 6 x 0.5 - 2 = 1 on day 364; customer 1:
    # 20 x 0.2 - 2 x 3 = -2 on day 10; customer 2 never bought.
    assert got[0] == pytest.approx(4.0 * math.exp(-0.5 * d) + 1.0 * math.exp(-364.5 * d))
    assert got[1] == pytest.approx(-2.0 * math.exp(-10.5 * d))
    assert got[2] == 0.0
    with pytest.raises(ValueError, match=r"customer_id \[5\]"):
        clv.discounted_margin_from_log(pd.concat([tx, tx.iloc[:1].assign(customer_id=5)]),
                                       customers, scenario)


@pytest.mark.parametrize("strategy", ["operational", "loyalty", "winback", "collaborative"])
def test_log_rebuilds_discounted_margin_of_every_customer(scenario, strategy):
    r = run(scenario, getattr(strategies, strategy), seed=3)
    rebuilt = clv.discounted_margin_from_log(r.transactions, r.customers, scenario)
    recorded = r.customers.set_index("customer_id")["discounted_margin"]
    # Same terms summed in another order: rounding only (1e-9 EUR on values up to ~1e4).
    np.testing.assert_allclose(rebuilt.to_numpy(), recorded.reindex(rebuilt.index).to_numpy(),
                               rtol=1e-10, atol=1e-9)


def test_mean_realised_clv_and_truth_equity_equal_summary(result):
    s = result.summary()
    assert clv.mean_realised_clv(result.customers) == pytest.approx(s["realised_clv"], rel=1e-12)
    assert clv.customer_equity(result) == pytest.approx(s["customer_equity"], rel=1e-12)
    assert clv.customer_equity(result, basis="truth") == pytest.approx(s["customer_equity"],
                                                                       rel=1e-12)
    with pytest.raises(ValueError, match="basis = 'guess'"):
        clv.customer_equity(result, basis="guess")


def test_predicted_equity_and_segments(result):
    truth = clv.customer_equity(result)
    predicted = clv.customer_equity(result, basis="predicted")
    by = clv.customer_equity_by_segment(result)
    assert list(by.index) == list(result.scenario.segment_names)
    assert by["active"].sum() == (result.customers["status"] == "active").sum()
    assert by["truth"].sum() == pytest.approx(truth, rel=1e-12)
    assert by["predicted"].sum() == pytest.approx(predicted, rel=1e-12)
    assert predicted == pytest.approx(clv.predicted_clv(
        result.customers, horizon_days=math.inf,
        annual_discount_rate=result.scenario.annual_discount_rate).sum(), rel=1e-12)
    # Same units and the same order as the truth (in this run 0.89 of it): a per-day / per-year
    # mix-up would be off by a factor 365, a missing discount by an order of magnitude.
    assert 0.7 < predicted / truth < 1.3


def test_predicted_clv_is_the_continuous_form_at_observed_rates():
    # One segment: customer 0 active for 100 observed days with 50 EUR margin (0.5 EUR/day);
    # customer 1 lost after 100 days. Hazard 1 loss / 200 customer-days.
    cu = pd.DataFrame({
        "customer_id": [0, 1], "segment": pd.Categorical(["a", "a"]),
        "status": pd.Categorical(["active", "lost"], categories=["active", "lost"]),
        "acquired_day": [0.0, 0.0], "tenure_days": [100.0, 100.0], "margin": [50.0, 10.0]})
    delta = clv.continuous_discount_rate(0.1, unit_days=1.0)
    for horizon in (365.0, math.inf):
        got = clv.predicted_clv(cu, horizon_days=horizon, annual_discount_rate=0.1)
        assert list(got.index) == [0] and got.name == "predicted_clv"
        assert got[0] == pytest.approx(clv.continuous_clv(0.5, 0.005, delta, horizon=horizon),
                                       rel=1e-12)


# --------------------------------------------------------------------------------------------
# RFM: summary_data
# --------------------------------------------------------------------------------------------

def hand_log() -> pd.DataFrame:
    """A: two rows on day 2 (10 + 5 EUR), then 20 on day 5 and 30 on day 9. B: 7 on day 4.
    C: 8 on day 3 and 50 on day 12, after the end of observation (day 10)."""
    return pd.DataFrame({"customer_id": ["A", "A", "A", "A", "B", "C", "C"],
                         "day": [2, 2, 5, 9, 4, 3, 12],
                         "amount": [10.0, 5.0, 20.0, 30.0, 7.0, 8.0, 50.0]})


def test_summary_data_hand_log_daily():
    got = rfm.summary_data(hand_log(), 10)
    expected = pd.DataFrame({
        # A: purchase days {2, 5, 9}: 2 repeats, 9 - 2, 10 - 2, (20 + 30) / 2.
        # B and C: one purchase day (C's day 12 is after the end): 0 repeats, monetary 0.
        "frequency": [2, 0, 0], "recency": [7.0, 0.0, 0.0], "T": [8.0, 6.0, 7.0],
        "monetary_value": [25.0, 0.0, 0.0]},
        index=pd.Index(["A", "B", "C"], name="customer_id"))
    pd.testing.assert_frame_equal(got, expected)


def test_summary_data_hand_log_weekly_and_renamed_columns():
    log = hand_log().rename(columns={"customer_id": "who", "day": "t", "amount": "eur"})
    got = rfm.summary_data(log, 10, customer_col="who", datetime_col="t",
                           monetary_value_col="eur", time_unit_days=7)
    # Weeks: days 2 and 5 are week 0 (10 + 5 + 20 = 35), day 9 is week 1 (30); the end (day 10)
    # is week 1. A: 1 repeat week, recency 1, T 1, monetary 30. B, C: first purchase week 0.
    assert got.index.name == "who"
    assert got.loc["A"].tolist() == [1, 1.0, 1.0, 30.0]
    assert got.loc["B"].tolist() == [0, 0.0, 1.0, 0.0]
    assert got.loc["C"].tolist() == [0, 0.0, 1.0, 0.0]
    no_money = rfm.summary_data(log, 10, "who", "t", None)
    assert list(no_money.columns) == ["frequency", "recency", "T"]


def test_summary_data_rejects_bad_inputs():
    with pytest.raises(KeyError, match="'when'"):
        rfm.summary_data(hand_log(), 10, datetime_col="when")
    dated = hand_log().assign(day=pd.to_datetime("2024-01-01") + pd.to_timedelta(
        hand_log()["day"], unit="D"))
    with pytest.raises(TypeError, match="numeric days"):
        rfm.summary_data(dated, 10)
    with pytest.raises(ValueError, match="time_unit_days = 0"):
        rfm.summary_data(hand_log(), 10, time_unit_days=0)
    with pytest.raises(ValueError, match="observation_end = nan"):
        rfm.summary_data(hand_log(), NAN)


def test_summary_data_on_a_real_log_agrees_with_the_customer_table(result):
    end = result.scenario.horizon_days - 1
    tx = result.transactions
    summary = rfm.summary_data(tx, end)
    assert len(summary) == tx["customer_id"].nunique()
    assert (summary["recency"] >= 0).all() and (summary["recency"] <= summary["T"]).all()
    assert (summary["frequency"] <= summary["recency"]).all()  # one repeat per day at most
    assert (summary["T"] <= end).all()
    cu = result.customers.set_index("customer_id").loc[summary.index]
    # The customer table records first and last purchase days and revenue on its own.
    np.testing.assert_array_equal(end - summary["T"], cu["first_purchase_day"])
    np.testing.assert_array_equal(end - summary["T"] + summary["recency"],
                                  cu["last_purchase_day"])
    first_day_amount = tx.sort_values("day").groupby("customer_id")["amount"].first()
    repeat_revenue = summary["monetary_value"] * summary["frequency"]
    np.testing.assert_allclose(repeat_revenue + first_day_amount.loc[summary.index],
                               cu["revenue"], rtol=1e-10)
    # Log rows are customer-days, so frequency + 1 is each customer's number of rows.
    np.testing.assert_array_equal(summary["frequency"] + 1,
                                  tx.groupby("customer_id").size().loc[summary.index])


# --------------------------------------------------------------------------------------------
# RFM: scores and segments
# --------------------------------------------------------------------------------------------

def test_quintile_score_hand_values():
    assert rfm.quintile_score([10, 50, 20, 40, 30]).tolist() == [1, 5, 2, 4, 3]
    assert rfm.quintile_score([10, 50, 20, 40, 30], higher_is_better=False).tolist() == [
        5, 1, 4, 2, 3]
    # Ten values: two per score.
    assert rfm.quintile_score(np.arange(10.0)).tolist() == [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]
    # Ties share a score: everyone equal, or a lone customer, is the middle (3).
    assert rfm.quintile_score([4, 4, 4, 4]).tolist() == [3, 3, 3, 3]
    assert rfm.quintile_score([9.0]).tolist() == [3]
    # Mid-ranks 2 (three ones) and 4.5 (two twos) of 5: percentiles 0.3, 0.8 -> 2 and 4.
    assert rfm.quintile_score([1, 1, 1, 2, 2]).tolist() == [2, 2, 2, 4, 4]
    assert rfm.quintile_score([]).size == 0
    with pytest.raises(ValueError, match="finite"):
        rfm.quintile_score([1.0, NAN])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=60),
       st.booleans())
def test_quintile_score_is_monotone_and_in_range(values, higher):
    v = np.asarray(values, dtype=float)
    score = rfm.quintile_score(v, higher_is_better=higher)
    assert score.min() >= 1 and score.max() <= 5
    order = np.argsort(v if higher else -v, kind="stable")
    assert (np.diff(score[order]) >= 0).all()           # better value, never a lower score
    for x in np.unique(v):                              # ties, one score
        assert np.unique(score[v == x]).size == 1


def test_rfm_table_and_scores_hand_log():
    table = rfm.rfm_table(hand_log(), 10)
    # A: last purchase day 9, 3 purchase days, (15 + 20 + 30) / 3; B: day 4, 1, 7; C: day 3
    # (day 12 is after the end), 1, 8.
    assert table.loc["A"].tolist() == pytest.approx([1.0, 3, 65.0 / 3.0])
    assert table.loc["B"].tolist() == [6.0, 1, 7.0]
    assert table.loc["C"].tolist() == [7.0, 1, 8.0]
    scores = rfm.rfm_scores(table)
    # Three customers: percentiles 1/6, 1/2, 5/6 -> scores 1, 3, 5; ties at the mid-rank.
    assert scores["r_score"].tolist() == [5, 3, 1]          # A most recent
    assert scores["f_score"].tolist() == [5, 2, 2]          # B and C tie on 1 purchase day
    assert scores["m_score"].tolist() == [5, 1, 3]
    assert scores["rfm_cell"].tolist() == ["555", "321", "123"]
    assert rfm.segment_customers(scores).tolist() == ["champions", "need_attention", "lost"]
    with pytest.raises(KeyError, match="rfm_table"):
        rfm.rfm_scores(table.drop(columns="monetary"))


@pytest.mark.parametrize("r, f, m, freq, name", [
    (5, 5, 5, 9, "champions"), (4, 4, 4, 9, "champions"), (5, 5, 1, 9, "loyal"),
    (3, 4, 5, 9, "loyal"), (5, 1, 3, 1, "new"), (4, 3, 5, 1, "new"), (5, 2, 3, 3, "promising"),
    (3, 2, 5, 1, "need_attention"), (2, 5, 5, 9, "at_risk"), (1, 4, 1, 9, "at_risk"),
    (2, 3, 2, 2, "hibernating"), (1, 3, 5, 2, "lost"), (1, 1, 1, 1, "lost"),
])
def test_segment_rules_hand_cells(r, f, m, freq, name):
    scores = pd.DataFrame({"r_score": [r], "f_score": [f], "m_score": [m], "frequency": [freq]})
    assert rfm.segment_customers(scores).iloc[0] == name


def test_segment_rules_cover_every_cell():
    grid = pd.MultiIndex.from_product([range(1, 6), range(1, 6), range(1, 6), [1, 2]],
                                      names=["r_score", "f_score", "m_score", "frequency"])
    scores = grid.to_frame(index=False)
    names = rfm.segment_customers(scores)
    assert names.notna().all()
    assert set(names.cat.categories) == set(rfm.SEGMENTS)
    bad = scores.assign(r_score=0)
    with pytest.raises(ValueError, match="r_score"):
        rfm.segment_customers(bad)


def test_rfm_analysis_on_a_real_log(result):
    end = result.scenario.horizon_days - 1
    out = rfm.rfm_analysis(result.transactions, end)
    assert len(out) == result.transactions["customer_id"].nunique()
    for col in ("r_score", "f_score", "m_score"):
        assert out[col].between(1, 5).all()
        assert out[col].nunique() == 5
    # More recent (fewer days since the last purchase) never scores lower.
    ordered = out.sort_values("recency_days")
    assert (np.diff(ordered["r_score"].to_numpy()) <= 0).all()
    assert out["segment"].notna().all()
    assert (out["frequency"] == rfm.summary_data(result.transactions, end)["frequency"] + 1).all()


# --------------------------------------------------------------------------------------------
# Concentration
# --------------------------------------------------------------------------------------------

def test_lorenz_hand_example():
    curve = concentration.lorenz_curve([3.0, 1.0, 4.0, 2.0])    # order does not matter
    assert curve["customer_share"].tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert curve["value_share"].tolist() == pytest.approx([0.0, 0.1, 0.3, 0.6, 1.0])
    with pytest.raises(ValueError, match=">= 0"):
        concentration.lorenz_curve([1.0, -2.0])
    with pytest.raises(ValueError, match="positive total"):
        concentration.lorenz_curve([0.0, 0.0])
    with pytest.raises(ValueError, match="empty"):
        concentration.lorenz_curve([])


def test_gini_hand_examples():
    assert concentration.gini([5.0] * 7) == 0.0
    # [1, 2, 3, 4]: sum over ordered pairs of |xi - xj| = 20, 2 n^2 mean = 80.
    assert concentration.gini([4.0, 1.0, 3.0, 2.0]) == pytest.approx(0.25, rel=1e-14)
    assert concentration.gini([4.0, 1.0, 3.0, 2.0], small_sample=True) == pytest.approx(1 / 3)
    # One customer holds everything: (n - 1) / n, and 1 corrected.
    assert concentration.gini([0.0, 0.0, 0.0, 9.0]) == pytest.approx(0.75, rel=1e-14)
    assert concentration.gini([0.0, 0.0, 0.0, 9.0], small_sample=True) == pytest.approx(1.0)
    assert concentration.gini([3.0]) == 0.0
    assert math.isnan(concentration.gini([3.0], small_sample=True))
    assert math.isnan(concentration.gini([]))
    assert math.isnan(concentration.gini([0.0, 0.0]))
    with pytest.raises(ValueError, match=">= 0"):
        concentration.gini([1.0, -1.0])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=1e4, allow_nan=False), min_size=1,
                max_size=40).filter(lambda xs: sum(xs) > 1e-6))
def test_gini_lorenz_and_pairwise_definitions_agree(values):
    v = np.asarray(values)
    curve = concentration.lorenz_curve(v)
    x, y = curve["customer_share"].to_numpy(), curve["value_share"].to_numpy()
    assert (x[0], y[0]) == (0.0, 0.0) and (x[-1], y[-1]) == (1.0, 1.0)
    # Convex and below the diagonal: equally spaced x, so non-decreasing increments.
    assert (np.diff(y, 2) >= -1e-12).all()
    assert (y <= x + 1e-12).all()
    g = concentration.gini(v)
    pairwise = np.abs(v[:, None] - v[None, :]).sum() / (2.0 * v.size ** 2 * v.mean())
    area = float(np.sum((y[1:] + y[:-1]) * np.diff(x)) / 2.0)   # trapezoids
    assert g == pytest.approx(pairwise, abs=1e-9)
    assert g == pytest.approx(1.0 - 2.0 * area, abs=1e-9)
    assert 0.0 <= g <= (v.size - 1) / v.size + 1e-12


def test_top_shares_reuse_the_summary_kpi(result):
    assert concentration.top_share is sim.result.top_share
    shares = concentration.top_shares([10.0, 0.0, 0.0, 0.0, 0.0], tops=(0.2, 0.5, 1.0))
    assert shares.tolist() == [1.0, 1.0, 1.0]
    # [1, 2, 3, 4]: the top half (2 customers) holds 7 of 10.
    assert concentration.top_shares([1.0, 2.0, 3.0, 4.0], tops=[0.5])[0.5] == pytest.approx(0.7)
    revenue = result.customers["revenue"]
    assert concentration.top_shares(revenue)[0.2] == result.summary()["top20_revenue_share"]
    # The Lorenz curve says the same: the n - ceil(0.2 n) smallest hold what the top do not.
    curve = concentration.lorenz_curve(revenue)
    n = len(revenue)
    k = n - math.ceil(0.2 * n)
    assert curve["value_share"].iloc[k] == pytest.approx(
        1.0 - result.summary()["top20_revenue_share"], abs=1e-12)
    with pytest.raises(ValueError, match="tops"):
        concentration.top_shares(revenue, tops=[0.0])
