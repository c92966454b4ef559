"""Churn-model evaluation and front-office analytics (sim.analytics evaluation, funnel, service).

What these tests prove:

* the metrics (AUC, its standard error, ROC points, lift, gains, calibration, Brier) give the
  hand-computed values on tiny examples, ties included, and the AUC agrees with scikit-learn;
* the truth labels of a run use the recorded loss days (and win-backs) exactly as stated, and
  agree with what the firm itself saw at the next cycle;
* recording the churn scores does not change the run, and the churn model ranks real churners
  better than chance by a margin the sample size justifies, while random scores do not;
* the acquisition funnel and the service levels follow their definitions on hand-made tables
  and agree with ``Result.summary()`` and the timeline on real runs.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import sim
from sim.analytics import evaluation as ev
from sim.analytics import funnel as fu
from sim.analytics import service as sv

NAN = float("nan")


def small() -> sim.Scenario:
    return sim.Scenario.load("classroom").replace(market_size=10_000, initial_customers=1_500,
                                                  horizon_days=365)


# (a) ranking metrics on tiny examples -------------------------------------------------------

# Churners score 0.9, 0.5, 0.3; stayers 0.9, 0.3, 0.1. Pairs (churner, stayer): 0.9 beats two
# and ties one (2.5), 0.5 beats two (2), 0.3 beats one and ties one (1.5): 6 of 9.
TIES_Y = [1, 0, 1, 0, 1, 0]
TIES_S = [0.9, 0.9, 0.5, 0.3, 0.3, 0.1]


def test_auc_of_perfect_reversed_tied_and_hand_examples():
    y = [0, 0, 1, 1]
    assert ev.auc(y, [0.1, 0.2, 0.8, 0.9]) == 1.0
    assert ev.auc(y, [0.9, 0.8, 0.2, 0.1]) == 0.0
    assert ev.auc(y, [0.4, 0.4, 0.4, 0.4]) == 0.5
    assert ev.auc(TIES_Y, TIES_S) == pytest.approx(6 / 9, abs=1e-15)
    # Booleans work, the scale does not matter, one class only is undefined.
    assert ev.auc(np.array(TIES_Y, bool), np.exp(TIES_S)) == pytest.approx(6 / 9, abs=1e-15)
    assert math.isnan(ev.auc([1, 1], [0.2, 0.3]))


def test_auc_agrees_with_sklearn_on_random_data_with_and_without_ties():
    rng = np.random.default_rng(11)
    for n in (2, 7, 500, 20_000):
        y = rng.random(n) < 0.3
        y[:2] = [True, False]                                  # both classes present
        for s in (rng.normal(size=n) + y, rng.integers(0, 4, n).astype(float)):
            # Both are exact rational sums of the same pairs; only rounding can differ.
            assert ev.auc(y, s) == pytest.approx(roc_auc_score(y, s), abs=1e-12)


def test_roc_points_by_hand_and_their_area_is_the_auc():
    roc = ev.roc_curve(TIES_Y, TIES_S)
    # Flagging score >= t: at 0.9 one churner and one stayer, at 0.5 two churners, ...
    assert roc["threshold"].tolist() == [np.inf, 0.9, 0.5, 0.3, 0.1]
    assert roc["tpr"].tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1, 1])
    assert roc["fpr"].tolist() == pytest.approx([0, 1 / 3, 1 / 3, 2 / 3, 1])
    rng = np.random.default_rng(5)
    y = rng.random(3_000) < 0.1
    s = rng.integers(0, 30, 3_000) + 3.0 * y                   # many ties
    roc = ev.roc_curve(y, s)
    area = float(np.sum(np.diff(roc["fpr"]) * (roc["tpr"].to_numpy()[1:]
                                                + roc["tpr"].to_numpy()[:-1]) / 2))
    assert area == pytest.approx(ev.auc(y, s), abs=1e-12)


def test_auc_standard_error_formula_and_null_closed_form():
    # Hanley & McNeil (1982), A = 0.8 and 50 of each: Q1 = 2/3, Q2 = 1.28/1.8,
    # SE^2 = [0.16 + 49 (Q1 - 0.64) + 49 (Q2 - 0.64)] / 2500.
    q1, q2 = 0.8 / 1.2, 2 * 0.64 / 1.8
    expected = math.sqrt((0.16 + 49 * (q1 - 0.64) + 49 * (q2 - 0.64)) / 2500)
    assert ev.auc_standard_error(0.8, 50, 50) == pytest.approx(expected, rel=1e-12)
    # At A = 1/2 it reduces to the exact null variance of the Mann-Whitney statistic,
    # (n1 + n0 + 1) / (12 n1 n0).
    assert ev.auc_standard_error(0.5, 30, 70) == pytest.approx(
        math.sqrt(101 / (12 * 30 * 70)), rel=1e-12)
    assert math.isnan(ev.auc_standard_error(0.7, 0, 10))


def test_auc_standard_error_matches_the_spread_of_simulated_aucs():
    # Exponential scores, the model under which Hanley-McNeil is exact: stayers Exp(1),
    # churners Exp with mean 3, so A = 3 / (1 + 3) = 0.75. Over 600 replications the standard
    # deviation of the AUC is estimated within about 3 % (relative SE 1 / sqrt(2 x 599)), and
    # its mean within 0.04 / sqrt(600) = 0.002 of 0.75: tolerances of 12 % and 0.008 are 4 SE.
    rng = np.random.default_rng(2)
    n1, n0 = 40, 60
    y = np.r_[np.ones(n1), np.zeros(n0)]
    areas = np.array([ev.auc(y, np.r_[rng.exponential(3.0, n1), rng.exponential(1.0, n0)])
                      for _ in range(600)])
    assert areas.mean() == pytest.approx(0.75, abs=0.008)
    assert areas.std(ddof=1) == pytest.approx(ev.auc_standard_error(0.75, n1, n0), rel=0.12)


def test_lift_of_a_known_ranking_and_of_ties():
    # Ten customers ranked by score, churners in places 1 and 4: base rate 0.2.
    s = np.arange(10, 0, -1.0)
    y = np.zeros(10, bool)
    y[[0, 3]] = True
    assert ev.lift(y, s, 0.1) == pytest.approx(1 / 1 / 0.2)      # top 1: one churner
    assert ev.lift(y, s, 0.2) == pytest.approx(1 / 2 / 0.2)
    assert ev.lift(y, s, 0.3) == pytest.approx(1 / 3 / 0.2)      # 0.3 x 10 is 3 customers
    assert ev.lift(y, s, 0.4) == pytest.approx(2 / 4 / 0.2)
    assert ev.lift(y, s, 1.0) == pytest.approx(1.0)
    # A tied group cut by the top 2: one of its three places is taken, and it holds one
    # churner in three, so the top 2 hold 0 + 1/3 churners in expectation.
    assert ev.lift([0, 1, 0, 0, 1], [3, 2, 2, 2, 1], 0.4) == pytest.approx((1 / 3) / 2 / 0.4)
    assert ev.lift([0, 0, 1, 1], [5, 5, 5, 5], 0.5) == pytest.approx(1.0)   # all tied
    assert math.isnan(ev.lift([0, 0], [1, 2]))


def test_gains_table_by_hand():
    s = np.arange(10, 0, -1.0)
    y = np.zeros(10, bool)
    y[[0, 3]] = True
    g = ev.gains_table(y, s, bins=5)
    assert g["bin"].tolist() == [1, 2, 3, 4, 5]
    assert g["customers"].tolist() == [2, 2, 2, 2, 2]
    assert g["events"].tolist() == [1, 1, 0, 0, 0]
    assert g["rate"].tolist() == pytest.approx([0.5, 0.5, 0, 0, 0])
    assert g["lift"].tolist() == pytest.approx([2.5, 2.5, 0, 0, 0])
    assert g["cum_customers"].tolist() == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert g["gain"].tolist() == pytest.approx([0.5, 1, 1, 1, 1])
    assert g["cum_lift"].tolist() == pytest.approx([2.5, 2.5, 1 / 0.6, 1 / 0.8, 1])
    assert g[["max_score", "min_score"]].iloc[0].tolist() == [10.0, 9.0]
    # Seven customers in three bins: cuts at ceil(7/3) = 3 and ceil(14/3) = 5.
    assert ev.gains_table([1, 0, 0, 0, 0, 0, 1], np.arange(7.0), 3)["customers"].tolist() == \
        [3, 2, 2]
    # Bin 1 is the top used by lift(top = 1 / bins).
    rng = np.random.default_rng(3)
    y, s = rng.random(997) < 0.2, rng.integers(0, 9, 997).astype(float)
    assert ev.gains_table(y, s)["lift"].iloc[0] == pytest.approx(ev.lift(y, s, 0.1))
    assert ev.gains_table(y, s)["events"].sum() == pytest.approx(y.sum())


# (b) probability metrics ----------------------------------------------------------------------

CAL_P = [0.1, 0.2, 0.3, 0.4, 0.6, 0.9, 1.0, 0.25]
CAL_Y = [0, 0, 1, 0, 1, 1, 1, 0]


def test_calibration_table_uniform_bins_by_hand():
    t = ev.calibration_table(CAL_Y, CAL_P, bins=4)
    # Bins [0, .25), [.25, .5), [.5, .75), [.75, 1]: 0.25 opens bin 1, 1.0 closes bin 3.
    assert t["bin"].tolist() == [0, 1, 2, 3]
    assert t["lower"].tolist() == [0, 0.25, 0.5, 0.75]
    assert t["upper"].tolist() == [0.25, 0.5, 0.75, 1.0]
    assert t["n"].tolist() == [2, 3, 1, 2]
    assert t["events"].tolist() == [0, 1, 1, 2]
    assert t["mean_predicted"].tolist() == pytest.approx([0.15, 0.95 / 3, 0.6, 0.95])
    assert t["observed_rate"].tolist() == pytest.approx([0, 1 / 3, 1, 1])
    assert t["observed_se"].tolist() == pytest.approx([0, math.sqrt(2 / 27), 0, 0])
    # Empty bins are left out.
    assert ev.calibration_table([0, 1], [0.05, 0.95], bins=10)["bin"].tolist() == [0, 9]


def test_calibration_table_quantile_bins_by_hand():
    t = ev.calibration_table(CAL_Y, CAL_P, bins=2, strategy="quantile")
    # Sorted: 0.1 0.2 0.25 0.3 | 0.4 0.6 0.9 1.0.
    assert t["n"].tolist() == [4, 4]
    assert t["lower"].tolist() == [0.1, 0.4] and t["upper"].tolist() == [0.3, 1.0]
    assert t["mean_predicted"].tolist() == pytest.approx([0.2125, 0.725])
    assert t["observed_rate"].tolist() == pytest.approx([0.25, 0.75])


def test_brier_score_by_hand():
    assert ev.brier_score([0, 1, 1], [0.1, 0.8, 0.5]) == pytest.approx((0.01 + 0.04 + 0.25) / 3)
    # Forecasting the base rate r for everyone scores r (1 - r).
    y = [1, 0, 0, 0]
    assert ev.brier_score(y, [0.25] * 4) == pytest.approx(0.25 * 0.75)
    assert ev.brier_score([1, 0], [1.0, 0.0]) == 0.0


def test_bad_inputs_are_refused_with_the_argument_named():
    with pytest.raises(ValueError, match="labels must be 0/1"):
        ev.auc([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="same length"):
        ev.auc([0, 1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="scores must be finite"):
        ev.lift([0, 1], [0.1, NAN])
    with pytest.raises(ValueError, match="probabilities must be in"):
        ev.brier_score([0, 1], [0.1, 1.5])
    with pytest.raises(ValueError, match="top"):
        ev.lift([0, 1], [0.1, 0.2], top=0.0)
    with pytest.raises(ValueError, match="bins"):
        ev.gains_table([0, 1], [0.1, 0.2], bins=0)
    with pytest.raises(ValueError, match="strategy"):
        ev.calibration_table([0, 1], [0.1, 0.2], strategy="kmeans")


# (c) truth labels of a run ----------------------------------------------------------------------

def fake_run():
    """A run of 120 days in 30-day cycles, scored on days 30, 60 and 100 (the last window is
    cut short by the end of the run)."""
    customers = pd.DataFrame({"customer_id": range(7),
                              "lost_day": [45.5, NAN, NAN, NAN, NAN, 100.2, 55.0]})
    campaigns = pd.DataFrame({
        "day": [50, 80, 80, 20, 50], "customer_id": [2, 3, 4, 5, 6],
        "campaign": pd.Categorical(["winback"] * 5, categories=["retention", "winback"]),
        "accepted": [True, True, True, True, False]})
    # Day 60 shows two active customers, so its scores (customers 1 and 3) are complete.
    timeline = pd.DataFrame({"start_day": [0, 30, 60, 90], "active_start": [7, 7, 2, 2]})
    result = SimpleNamespace(scenario=SimpleNamespace(cycle_days=30, horizon_days=120),
                             customers=customers, campaigns=campaigns, timeline=timeline)
    rows = [(30, c) for c in range(7)] + [(60, 1), (60, 3), (100, 1), (100, 5)]
    scores = pd.DataFrame(rows, columns=["day", "customer_id"]).assign(
        cycle=lambda f: f["day"] // 30, score=0.5, fitted=True)
    return result, scores


def test_labels_use_recorded_losses_and_win_backs_as_stated():
    result, scores = fake_run()
    labels = ev.label_churn(result, scores)["label"]
    assert str(labels.dtype) == "Int8"
    expected = [
        1,      # 0: lost on day 45.5, inside [30, 60)
        0,      # 1: never lost
        1,      # 2: won back on day 50, so lost between day 30 and 50
        0,      # 3: won back on day 80, but scored again on day 60: lost after the window
        1,      # 4: won back on day 80, missing from the complete scores of day 60: gone
        0,      # 5: a win-back before day 30 says nothing; lost on 100.2, after the window
        1,      # 6: lost on day 55 (the refused win-back is no evidence either way)
        0,      # 1 on day 60: never lost
        1,      # 3 on day 60: won back on day 80 <= 90, so lost in [60, 80)
        pd.NA,  # 1 on day 100: [100, 130) runs past the end of the run (day 120) ...
        pd.NA,  # 5 on day 100: ... so even a recorded loss is left out (no biased sample)
    ]
    assert [x if x is pd.NA else int(x) for x in labels] == expected
    # Were day 60's scores partial (three customers active that day), customer 4's absence
    # would prove nothing: the loss the win-back undid may fall before or after day 60.
    result.timeline.loc[2, "active_start"] = 3
    assert ev.label_churn(result, scores)["label"].iloc[4] is pd.NA
    result.timeline.loc[2, "active_start"] = 2
    # A horizon of 10 days: customer 0's loss (45.5) is outside [30, 40).
    assert ev.label_churn(result, scores, horizon_days=10)["label"].iloc[0] == 0
    with pytest.raises(ValueError, match="horizon_days"):
        ev.label_churn(result, scores, horizon_days=0)
    with pytest.raises(ValueError, match="customer_id"):
        ev.label_churn(result, scores.drop(columns="customer_id"))


def test_evaluation_table_counts_on_the_fake_run():
    result, scores = fake_run()
    scores["score"] = [0.9, 0.1, 0.8, 0.3, 0.5, 0.2, 0.7, 0.4, 0.6, 0.5, 0.5]
    table = ev.evaluate_churn_scores(result, scores)
    assert table["day"].tolist() == [30, 60, 100]
    assert table["customers"].tolist() == [7, 2, 0]
    assert table["events"].tolist() == [4, 1, 0]
    assert table["unlabelled"].tolist() == [0, 0, 2]
    # Day 30: churners 0.9, 0.8, 0.7 and 0.5 above every stayer (0.1, 0.3, 0.2): perfect.
    assert table["auc"].iloc[0] == 1.0 and table["auc"].iloc[1] == 1.0
    assert table["brier"].iloc[0] == pytest.approx(
        (0.1**2 + 0.1**2 + 0.2**2 + 0.3**2 + 0.5**2 + 0.2**2 + 0.3**2) / 7)


# (d) on real runs -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def scored_run():
    return ev.run_with_churn_scores(small(), sim.strategies.operational, seed=1)


@pytest.fixture(scope="module")
def winback_run():
    return ev.run_with_churn_scores(small(), sim.strategies.winback, seed=1)


def test_recording_scores_does_not_change_the_run(scored_run):
    result, scores = scored_run
    plain = sim.run(small(), sim.strategies.operational, seed=1)
    assert result.strategy == plain.strategy == "operational"
    pd.testing.assert_frame_equal(result.timeline, plain.timeline)
    pd.testing.assert_frame_equal(result.customers, plain.customers)
    assert list(scores.columns) == list(ev.SCORE_COLUMNS)
    # One row per active customer at each cycle start.
    per_day = scores.groupby("day").size()
    assert per_day.tolist() == result.timeline["active_start"].tolist()


def test_labels_agree_with_what_the_firm_saw_next_cycle(winback_run):
    # With win-backs: a customer scored on day d is a churner of [d, d + 30) exactly when they
    # are missing from the scores of day d + 30 (no longer active) or were won back meanwhile.
    result, scores = winback_run
    assert result.summary()["won_back"] > 0
    labelled = ev.label_churn(result, scores)
    cycle = result.scenario.cycle_days
    seen = set(zip(scores["day"], scores["customer_id"], strict=True))
    cp = result.campaigns
    back = cp[(cp["campaign"] == "winback") & cp["accepted"]]
    # Every window the run saw to its end is labelled: a loss undone by a win-back is placed by
    # the win-back day or by the customer's absence from the next cycle's scores.
    last = labelled["day"] + cycle > result.scenario.horizon_days
    assert last.any() and labelled.loc[last, "label"].isna().all()
    known = labelled[~last]
    assert known["label"].notna().all()
    won = {(c, d) for c, d in zip(back["customer_id"], back["day"], strict=True)}
    for row in known.itertuples():
        gone = (row.day + cycle, row.customer_id) not in seen
        returned = any((row.customer_id, w) in won for w in range(row.day + 1, row.day + cycle + 1))
        assert bool(row.label) == (gone or returned), row


def test_churn_model_ranks_real_churners_better_than_chance(scored_run):
    result, scores = scored_run
    labelled = ev.label_churn(result, scores)
    rows = labelled[labelled["label"].notna() & labelled["fitted"]]
    y = rows["label"].to_numpy(dtype=int)
    n1, n0 = int(y.sum()), int(y.size - y.sum())
    area = ev.auc(y, rows["score"])
    se = ev.auc_standard_error(area, n1, n0)
    # ~440 churners among ~23,500 customer-cycles. The rows are pooled over cycles, so a
    # customer who stays appears several times; but with n1 << n0 the Hanley-McNeil variance
    # is ~98 % the churners' term (each churner row is a distinct loss), so the SE (~0.014) is
    # about right. The model reaches 0.58 to 0.62 over seeds 1 to 10 (5.4 to 8 SE above 0.5):
    # asking 3 SE is a margin a chance ranking would reach with probability ~0.001.
    assert n1 > 300, n1
    assert area > 0.5 + 3 * se, (area, se)
    # Random scores on the same rows: within 4 null SE of 0.5 (two-sided chance ~6e-5).
    noise = np.random.default_rng(0).random(y.size)
    assert abs(ev.auc(y, noise) - 0.5) < 4 * ev.auc_standard_error(0.5, n1, n0)
    # Top-decile lift above 1 by more than its sampling error: ~47 churners expected in the
    # top tenth at the base rate, a Poisson SE of ~15 %; a lift of 1.3 is 2 SE above 1.
    assert ev.lift(y, rows["score"], 0.1) > 1.3
    table = ev.evaluate_churn_scores(result, scores)
    assert not table["fitted"].iloc[0] and table["fitted"].iloc[1:].all()
    assert math.isnan(table["brier"].iloc[0])               # a heuristic rank is no probability
    full = table[table["customers"] > 0]
    assert (full["customers"] + full["unlabelled"]).tolist() == \
        result.timeline["active_start"].iloc[:len(full)].tolist()
    assert full["events"].sum() == n1 + full["events"].iloc[0]  # cycle 0 is not fitted


# (e) acquisition funnel ---------------------------------------------------------------------------

def fake_timeline_run():
    """Two cycles of 30 days and a last one of 5; mass costs 0.5 EUR a contact, targeted 2."""
    timeline = pd.DataFrame({
        "cycle": [0, 1, 2], "start_day": [0, 30, 60], "end_day": [30, 60, 65],
        "days": [30, 30, 5],
        "mass_spend": [3000.0, 0.0, 3000.0], "targeted_spend": [0.0, 1200.0, 1200.0],
        # Targeted cost includes a data cost of 300 EUR a cycle.
        "cost_mass": [3000.0, 0.0, 500.0], "cost_targeted": [0.0, 1500.0, 250.0],
        "acquired_mass": [60, 0, 5], "acquired_targeted": [0, 30, 0],
        "acquired_referral": [7, 8, 1], "acquired_partner": [0, 2, 0],
    })
    scenario = SimpleNamespace(cycle_days=30, mass=SimpleNamespace(cost_per_contact=0.5),
                               targeted=SimpleNamespace(cost_per_contact=2.0))
    return SimpleNamespace(timeline=timeline, scenario=scenario)


def test_acquisition_funnel_by_hand():
    f = fu.acquisition_funnel(fake_timeline_run())
    assert f["channel"].tolist() == list(fu.NEW_CHANNELS) * 3
    mass = f[f["channel"] == "mass"]
    assert mass["contacts"].tolist() == [6000, 0, 1000]         # 3000 x 5/30 / 0.5 = 1000
    assert mass["conversion"].tolist()[::2] == pytest.approx([0.01, 0.005])
    assert mass["cac"].tolist()[0] == 50.0 and math.isnan(mass["cac"].tolist()[1])
    targeted = f[f["channel"] == "targeted"]
    assert targeted["contacts"].tolist() == [0, 600, 100]
    assert targeted["cac"].iloc[1] == 50.0                      # 1500 EUR / 30 customers
    free = f[f["channel"].isin(["referral", "partner"])]
    assert (free["spend"] == 0).all() and free[["contacts", "cac"]].isna().all().all()

    t = fu.acquisition_totals(fake_timeline_run())
    assert t.index.tolist() == [*fu.NEW_CHANNELS, "marketing", "all"]
    assert t.loc["mass", "cac"] == 3500 / 65
    assert t.loc["targeted", "cac"] == 1750 / 30
    assert t.loc["marketing", "cac"] == pytest.approx(5250 / 95)
    assert t.loc["all", "cac"] == pytest.approx(5250 / (95 + 16 + 2))   # blended
    assert t.loc["all", "acquired"] == 113 and t.loc["partner", "share"] == pytest.approx(2 / 113)
    assert t.loc["marketing", "conversion"] == pytest.approx(95 / 7700)
    assert math.isnan(t.loc["referral", "cac"]) and math.isnan(t.loc["partner", "contacts"])


@pytest.mark.parametrize("strategy", ["full_crm", "collaborative"])
def test_funnel_agrees_with_the_summary_and_the_customer_table(strategy):
    result = sim.run(small(), sim.strategies.get(strategy), seed=3)
    summary = result.summary()
    totals = fu.acquisition_totals(result)
    for row, kpi in (("marketing", "cac"), ("mass", "cac_mass"), ("targeted", "cac_targeted")):
        assert totals.loc[row, "cac"] == pytest.approx(summary[kpi], rel=1e-12, nan_ok=True)
    assert totals.loc["marketing", "spend"] == pytest.approx(summary["marketing_cost"])
    assert totals.loc["all", "acquired"] == summary["customers_acquired"]
    assert totals.loc["referral", "share"] == pytest.approx(summary["referral_share"])
    counts = result.customers["channel"].value_counts()
    for channel in fu.NEW_CHANNELS:
        assert totals.loc[channel, "acquired"] == counts[channel]
    # The channel each strategy is chosen for is present.
    busy = "targeted" if strategy == "full_crm" else "partner"
    assert totals.loc[busy, "acquired"] > 0


# (f) service levels -----------------------------------------------------------------------------

def fake_service_run():
    """Five contacts over two 10-day cycles; target wait 2 minutes."""
    service = pd.DataFrame({
        "customer_id": [1, 2, 1, 3, 4], "issue": [1, 2, 1, 3, 4], "contact": [1, 1, 2, 1, 1],
        "arrival_day": [0.5, 3.2, 9.9, 10.0, 19.5],
        "wait_minutes": [0.0, 4.0, 1.0, 10.0, NAN],
        "handle_minutes": [5.0, 6.0, 7.0, NAN, NAN],     # contact 4 still in service at the end
        "resolved": [False, True, True, False, False],
        "answered": [True, True, True, True, False],
    })
    service["within_target"] = service["wait_minutes"] <= 2.0
    timeline = pd.DataFrame({"cycle": [0, 1], "start_day": [0, 10], "end_day": [10, 20]})
    scenario = SimpleNamespace(horizon_days=20, service=SimpleNamespace(wait_target_minutes=2.0))
    return SimpleNamespace(service=service, timeline=timeline, scenario=scenario)


def test_service_levels_by_hand():
    run = fake_service_run()
    by_cycle = sv.service_levels(run)
    assert by_cycle.index.tolist() == [0, 1] and by_cycle["start_day"].tolist() == [0, 10]
    assert by_cycle["contacts"].tolist() == [3, 2]          # day 10.0 opens cycle 1
    assert by_cycle["answered"].tolist() == [3, 1]
    assert by_cycle["unanswered_share"].tolist() == [0.0, 0.5]
    assert by_cycle["mean_wait_minutes"].tolist() == pytest.approx([5 / 3, 10.0])
    assert by_cycle["service_level"].tolist() == pytest.approx([2 / 3, 0.0])
    assert by_cycle["wait_p50"].tolist() == [1.0, 10.0]
    assert by_cycle["wait_p90"].iloc[0] == pytest.approx(1.0 + 0.8 * 3.0)   # linear, type 7
    assert by_cycle["fcr"].iloc[0] == pytest.approx(2 / 3) and math.isnan(by_cycle["fcr"].iloc[1])
    # Issues first handled in cycle 0: issue 1 (not resolved at contact 1) and 2 (resolved).
    assert by_cycle["issue_fcr"].iloc[0] == 0.5
    total = sv.service_levels(run, "total")
    assert len(total) == 1 and total["contacts"].iloc[0] == 5
    assert total["mean_wait_minutes"].iloc[0] == pytest.approx(15 / 4)
    assert total["service_level"].iloc[0] == 0.5 and total["target_minutes"].iloc[0] == 2.0
    by_day = sv.service_levels(run, "day")
    assert by_day.index.tolist() == list(range(20))
    assert by_day["contacts"].sum() == 5 and by_day.loc[3, "mean_wait_minutes"] == 4.0
    assert by_day.loc[1, "contacts"] == 0 and math.isnan(by_day.loc[1, "service_level"])
    assert sv.wait_percentiles(run, [0, 0.5, 1]).tolist() == [0.0, 2.5, 10.0]
    with pytest.raises(ValueError, match="by"):
        sv.service_levels(run, "week")
    with pytest.raises(ValueError, match="q"):
        sv.wait_percentiles(run, [1.5])


def test_service_levels_agree_with_the_summary_and_timeline():
    result = sim.run(small(), sim.strategies.transactional, seed=2)   # one agent: real queues
    summary = result.summary()
    total = sv.service_levels(result, "total").iloc[0]
    assert total["contacts"] == summary["contacts"]
    assert total["mean_wait_minutes"] == pytest.approx(summary["mean_wait_minutes"], rel=1e-12)
    assert total["service_level"] == pytest.approx(summary["service_level"], rel=1e-12)
    assert total["fcr"] == pytest.approx(summary["first_contact_resolution"], rel=1e-12)
    assert summary["mean_wait_minutes"] > 1.0                 # the queue is not trivial
    by_cycle = sv.service_levels(result)
    for column in ("contacts", "mean_wait_minutes", "service_level", "fcr"):
        np.testing.assert_allclose(by_cycle[column].to_numpy(dtype=float),
                                   result.timeline[column].to_numpy(dtype=float), rtol=1e-12)
    by_day = sv.service_levels(result, "day")
    assert by_day["contacts"].sum() == summary["contacts"]
    assert sv.wait_percentiles(result, [0.95]).iloc[0] == pytest.approx(total["wait_p95"])
