"""Every CRM lever does what it says and books what it costs (DESIGN sections 3.4, 3.6).

One run pulls every lever; the checks read the tables a student or researcher would read.
Directional effects over replications (offers targeted by the churn model waste less, training
beats no training, ...) are in tests/test_lever_effects.py.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sim import Actions, ActionsError, Scenario, run
from sim.engine.record import COST_COLUMNS

SC = Scenario.load("classroom").replace(market_size=15_000, initial_customers=1_500,
                                        horizon_days=360)


def everything(view) -> Actions:
    """Every lever at once: offers to the longest-silent, cross-sell to the most frequent,
    win-back of the recently lost, loyalty, collaboration, training and a welcome deal."""
    cu = view.customers
    active = cu[cu["status"] == "active"]
    lost = cu[(cu["status"] == "lost") & (view.day - cu["lost_day"] < 90)]
    return Actions(
        mass_spend=4_000.0, agents=3, crm_system=True, training_spend=2_000.0,
        retention_offers=active.nlargest(60, "recency_days")["customer_id"].tolist(),
        cross_sell=active.nlargest(60, "frequency")["customer_id"].tolist(),
        winback=lost["customer_id"].tolist()[:60],
        loyalty=True, collaborative=True, welcome_discount=0.3)


@pytest.fixture(scope="module")
def result():
    return run(SC, everything, seed=8)


def test_each_lever_books_its_cost_and_profit_is_revenue_minus_costs(result):
    tl = result.timeline
    for column in ("cost_retention", "cost_cross_sell", "cost_winback", "cost_loyalty",
                   "cost_collaboration", "cost_training", "cost_welcome"):
        assert tl[column].sum() > 0, column
    np.testing.assert_allclose(tl["profit"], tl["revenue"] - tl[list(COST_COLUMNS)].sum(axis=1))


def test_campaign_log_matches_the_timeline_counts(result):
    cp, tl = result.campaigns, result.timeline
    counts = cp.groupby("campaign", observed=False).agg(n=("accepted", "size"),
                                                        took=("accepted", "sum"))
    assert counts.loc["retention", "n"] == tl["offers_sent"].sum()
    assert counts.loc["retention", "took"] == tl["offers_accepted"].sum()
    assert counts.loc["cross_sell", "took"] == tl["cross_sell_accepted"].sum()
    assert counts.loc["winback", "took"] == tl["won_back"].sum()
    assert cp.loc[cp["campaign"] == "retention", "cost"].sum() == pytest.approx(
        tl["cost_retention"].sum())
    # Only retention offers carry the truth about waste; it is unknown (NA) for the others.
    assert not cp.loc[cp["campaign"] != "retention", "would_have_left"].any()
    assert cp.loc[cp["campaign"] != "retention", "would_have_left"].isna().all()
    assert cp.loc[cp["campaign"] == "retention", "would_have_left"].notna().all()


def test_retention_waste_is_measured_against_the_truth(result):
    s = result.summary()
    assert s["retention_offers"] == (result.campaigns["campaign"] == "retention").sum()
    # Most customers stay through any 90 days, so most accepted offers are waste.
    assert 0.5 < s["retention_waste_share"] < 1.0
    assert 0 < s["retention_wasted_cost"] < s["retention_cost"]


def test_cross_sell_adds_products_and_win_back_starts_second_lives(result):
    cu = result.customers
    assert cu["products"].max() >= 2
    assert (cu["products"] - 1).sum() == result.summary()["cross_sell_accepted"]
    again = cu[cu["lives"] > 1]
    assert (again["lives"] - 1).sum() == result.summary()["won_back"] > 0  # some came back twice
    assert again["won_back_day"].notna().all()
    assert (again.loc[again["status"] == "active", "lost_day"].isna()).all()


def test_loyalty_members_collect_points_and_adoption_grows_with_training(result):
    cu, tl = result.customers, result.timeline
    members = cu[cu["loyalty_member"]]
    assert len(members) > 0 and (members["loyalty_points"] > 0).mean() > 0.5
    assert (cu.loc[~cu["loyalty_member"], "status"] == "lost").all()
    assert tl["adoption"].is_monotonic_increasing
    assert tl["adoption"].iloc[-1] > SC.people.initial_adoption + 0.5


def test_partner_referrals_arrive_only_with_collaboration(result):
    assert (result.customers["channel"] == "partner").sum() == result.timeline[
        "acquired_partner"].sum() > 0
    plain = run(SC, lambda view: Actions(mass_spend=4_000.0, agents=3), seed=8)
    assert (plain.customers["channel"] == "partner").sum() == 0


def test_a_welcome_deal_beyond_loyal_benefits_costs_loyal_satisfaction():
    def deal(discount, loyalty):
        def strategy(view):
            return Actions(mass_spend=6_000.0, agents=3, welcome_discount=discount,
                           loyalty=loyalty)
        return strategy

    fair = run(SC, deal(0.0, False), seed=5)
    unfair = run(SC, deal(0.5, False), seed=5)
    assert (unfair.timeline["fairness_gap"] == 0.5).all()
    assert unfair.timeline["satisfaction"].iloc[-1] < fair.timeline["satisfaction"].iloc[-1]
    # More newcomers convert with the deal (same seed: the same market).
    assert unfair.summary()["customers_acquired"] > fair.summary()["customers_acquired"]


@pytest.mark.parametrize(("field", "pick", "message"), [
    ("retention_offers", "lost", "is not active"),
    ("cross_sell", "lost", "is not active"),
    ("winback", "active", "is not lost"),
    ("retention_offers", "unknown", "no such customer"),
])
def test_campaigns_to_the_wrong_customers_are_refused_with_a_clear_error(field, pick, message):
    def strategy(view):
        if view.cycle < 3:
            return Actions(agents=2)
        cu = view.customers
        if pick == "unknown":
            ids = [len(cu) + 10]
        else:
            ids = cu.loc[cu["status"] == pick, "customer_id"].head(3).tolist()
        return Actions(agents=2, **{field: ids})

    with pytest.raises(ActionsError, match=message):
        run(SC, strategy, seed=2)


def test_no_lever_pulled_leaves_every_lever_table_empty():
    r = run(SC, lambda view: Actions(agents=2), seed=3)
    assert r.campaigns.empty
    assert isinstance(r.campaigns["campaign"].dtype, pd.CategoricalDtype)
    assert (r.customers["products"] == 1).all() and (r.customers["lives"] == 1).all()


def test_truth_hazard_includes_the_levers_when_nothing_else_moves_hazards():
    # No satisfaction effect and no competitors: the daily hazard is the working baseline, and
    # loyalty members' must show their tier's cut in the truth table.
    sc = SC.replace(**{"satisfaction.churn_effect": 0.0, "competitors.waves_per_year": 0.0})
    r = run(sc, lambda view: Actions(agents=2, loyalty=True), seed=6)
    active = r.customers["status"] == "active"
    truth = r.truth[active.to_numpy()]
    ratio = (truth["hazard"] / truth["base_hazard"]).to_numpy()
    cut = sc.loyalty.hazard_reduction
    assert np.all(ratio <= 1 - cut / 3 + 1e-12) and np.all(ratio >= 1 - cut - 1e-12)
    assert (r.truth.loc[~active.to_numpy(), "loss_reason"] == "baseline").all()


def test_a_crm_system_never_lowers_first_contact_resolution():
    # A system rated below the centre's own resolution (a slider on service.fcr passing it)
    # adds nothing; it does not make agents worse.
    sc = Scenario.load("classroom").replace(horizon_days=60, **{"service.fcr": 0.9})
    plan = Actions(mass_spend=5_000, agents=2, crm_system=True, training_spend=3_000)
    tl = run(sc, lambda view: plan, seed=1).timeline
    assert (tl["fcr_target"] == 0.9).all()
