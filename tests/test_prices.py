"""Prices: list prices per segment and customer-specific discounts (issue 8, point 3).

Checked against the inverse-elasticity (Lerner) rule: with purchases proportional to
``p ** -e`` and unit cost ``c`` (as an index on the reference price), profit per customer is
proportional to ``p ** -e (p - c)``, which peaks at ``p* = c e / (e - 1)``. In a market where
price moves nothing else (no complaints, no churn response, no marketing), the simulated profit
over a grid of prices, on common random numbers, must follow that curve and peak there.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim import Actions, Scenario
from sim.errors import ActionsError

BASE = Scenario.load("classroom").replace(horizon_days=365)


def firm(list_prices=None, discounts=None, *, agents: int = 3, mass_spend: float = 8_000.0):
    """A fixed firm charging ``list_prices`` (segment -> index) and giving ``discounts``
    (a function of the view returning id -> fraction)."""
    def strategy(view):
        return Actions(agents=agents, mass_spend=mass_spend, list_prices=list_prices or {},
                       discounts=discounts(view) if discounts else {})
    strategy.__name__ = "priced"
    return strategy


def one_segment(elasticity: float) -> Scenario:
    """The classroom market with one segment whose purchases only price moves: exact spend, no
    complaints, no churn response to price, no competitors, no marketing."""
    d = BASE.to_dict()
    seg = dict(d["segments"][1], name="buyers", share=1.0, spend_sigma=0.0, spend_cv=0.0,
               complaint_prob=0.0, price_elasticity=elasticity)
    d.update(segments=[seg], initial_customers=3_000)
    d["prices"] = {"churn_effect": 0.0}
    d["competitors"] = dict(d["competitors"], waves_per_year=0.0)
    d["word_of_mouth"] = dict(d["word_of_mouth"], innovation=0.0, imitation=0.0)
    return Scenario.from_dict(d)


def unit_cost(sc: Scenario) -> float:
    seg = sc.segments[0]
    return (1.0 - seg.margin) + seg.cost_per_purchase / seg.spend_mean


@pytest.mark.parametrize("elasticity", [2.0, 4.0])
def test_profit_follows_the_inverse_elasticity_rule(elasticity):
    sc = one_segment(elasticity)
    c = unit_cost(sc)
    best = c * elasticity / (elasticity - 1.0)
    grid = best * np.array([0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.25])
    # Gross profit of the purchases (revenue - goods - cost to serve): fixed costs do not move.
    gross = []
    for p in grid:
        tl = sim.run(sc, firm({"buyers": float(p)}, mass_spend=0.0), seed=7,
                     transactions="none").timeline
        gross.append((tl["revenue"] - tl["cost_goods"] - tl["cost_serve"]).sum())
    gross = np.array(gross)
    theory = grid ** -elasticity * (grid - c)
    # The shape of the curve, relative to its value at p*: within 3% everywhere (common random
    # numbers keep the purchase clocks, so the noise is far below the Poisson noise of ~1%).
    np.testing.assert_allclose(gross / gross[3], theory / theory[3], rtol=0.03)
    assert int(np.argmax(gross)) in (2, 3, 4), (grid, gross)


def test_the_sweet_spot_is_lower_for_more_price_sensitive_customers():
    grid = np.round(np.arange(0.9, 1.81, 0.05), 2)

    def sweet_spot(elasticity):
        sc = one_segment(elasticity)
        profit = [sim.run(sc, firm({"buyers": float(p)}, mass_spend=0.0), seed=3,
                          transactions="none").summary()["profit"] for p in grid]
        return grid[int(np.argmax(profit))]

    assert sweet_spot(6.0) < sweet_spot(3.0) < sweet_spot(2.0)


def test_a_price_cut_raises_volume_and_lowers_the_margin_of_each_purchase():
    cut = sim.run(BASE, firm({s: 0.85 for s in BASE.segment_names}), seed=2,
                  transactions="none").timeline
    ref = sim.run(BASE, firm(), seed=2, transactions="none").timeline
    assert cut["purchases"].sum() > 1.1 * ref["purchases"].sum()

    def margin_per_purchase(tl):
        return ((tl["revenue"] - tl["cost_goods"] - tl["cost_serve"]).sum()
                / tl["purchases"].sum())

    assert margin_per_purchase(cut) < 0.8 * margin_per_purchase(ref)
    assert cut["price_index"].round(12).eq(0.85).all()
    assert ref["price_index"].eq(1.0).all()


def test_dearer_prices_push_price_sensitive_customers_away():
    dear = {s: 1.3 for s in BASE.segment_names}
    calm = BASE.replace(**{"prices.churn_effect": 0.0})
    churn = {name: np.mean([sim.run(sc, firm(prices), seed=s, transactions="none")
                            .summary()["annual_churn_rate"] for s in range(3)])
             for name, sc, prices in (("ref", BASE, None), ("dear", BASE, dear),
                                      ("dear_calm", calm, dear))}
    assert churn["dear"] > churn["ref"] + 0.02
    assert abs(churn["dear_calm"] - churn["ref"]) < 0.02


def first_customers(n, fraction):
    def discounts(view):
        ids = view.active_customers["customer_id"].head(n)
        return {int(i): fraction for i in ids}
    return discounts


def test_discounts_are_booked_as_a_cost_and_raise_those_customers_purchases():
    everyone = sim.run(BASE, firm(discounts=first_customers(10**9, 0.2)), seed=4,
                       transactions="none")
    tl = everyone.timeline
    # Everyone active at a cycle's start has 20% off; newcomers during the cycle pay the list.
    assert ((tl["cost_discount"] > 0) & (tl["cost_discount"] <= 0.2 * tl["revenue"] + 1e-6)).all()
    total = tl[[c for c in tl.columns if c.startswith("cost_") and c != "cost_total"]].sum(axis=1)
    np.testing.assert_allclose(tl["profit"], tl["revenue"] - total)
    assert (tl["discounted_customers"] > 0).all()
    ref = sim.run(BASE, firm(), seed=4, transactions="none").timeline
    assert tl["purchases"].sum() > ref["purchases"].sum()
    s = everyone.summary()
    assert s["discount_cost"] == pytest.approx(tl["cost_discount"].sum())
    assert 0.8 < s["price_index"] < 0.9


def test_deep_discounts_for_newcomers_make_loyal_customers_unhappy():
    fair = BASE.fairness

    def newcomers(view):
        cu = view.active_customers
        new = cu.loc[cu["tenure_days"] < fair.loyal_tenure_days, "customer_id"]
        return {int(i): 0.4 for i in new}

    def loyal_too(view):
        return {int(i): 0.4 for i in view.active_customers["customer_id"]}

    only_new = sim.run(BASE, firm(discounts=newcomers), seed=5, transactions="none")
    everybody = sim.run(BASE, firm(discounts=loyal_too), seed=5, transactions="none")
    assert (only_new.timeline["fairness_gap"].iloc[1:] > fair.tolerance).all()
    assert (everybody.timeline["fairness_gap"] <= fair.tolerance).all()
    assert only_new.summary()["satisfaction_end"] < everybody.summary()["satisfaction_end"]


def test_a_list_price_of_one_changes_nothing_but_the_bookkeeping_path():
    same = sim.run(BASE, firm({s: 1.0 for s in BASE.segment_names}), seed=6,
                   transactions="none").summary()
    ref = sim.run(BASE, firm(), seed=6, transactions="none").summary()
    assert same == pytest.approx(ref, rel=1e-9, nan_ok=True)


@pytest.mark.parametrize(("actions", "message"), [
    (Actions(list_prices={"nobody": 1.1}), r"Actions\.list_prices names 'nobody': segments are"),
    (Actions(list_prices={"regulars": 3.0}),
     r"Actions\.list_prices\['regulars'\] = 3\.0: must be a price index from 0\.5 to 2"),
    (Actions(discounts={5: 0.95}), r"Actions\.discounts\[5\] = 0\.95: must be a fraction"),
    (Actions(discounts={-1: 0.1}), r"Actions\.discounts names -1: customer ids"),
    (Actions(discounts="cheap"), r"Actions\.discounts = 'cheap': must be a mapping"),
])
def test_bad_prices_are_refused_with_what_is_allowed(actions, message):
    with pytest.raises(ActionsError, match=message):
        actions.validated(BASE)


def test_a_discount_for_a_customer_who_is_not_active_stops_the_run_clearly():
    def strategy(view):
        return Actions(agents=2, discounts={10**7: 0.1})

    with pytest.raises(ActionsError, match=r"Actions\.discounts contains 10000000: no such"):
        sim.run(BASE.replace(horizon_days=60), strategy, seed=1, transactions="none")


def test_pairs_and_mappings_are_the_same_plan():
    a = Actions(list_prices={"regulars": 1.1}, discounts={3: 0.1, 1: 0.2}).validated(BASE)
    b = Actions(list_prices=[("regulars", 1.1)], discounts=[(1, 0.2), (3, 0.1)]).validated(BASE)
    assert a == b
    assert a.discounts == ((1, 0.2), (3, 0.1))


def test_a_plan_with_discounts_reads_at_a_glance():
    text = repr(Actions(discounts={4: 0.1, 5: 0.2, 6: 0.1, 9: 0.3}))
    assert text == "Actions(discounts=<4 ids: (4, 0.1), (5, 0.2), (6, 0.1), ...>)"
    assert "<1 id: (1, 0.2)>" in repr(Actions(discounts=[(1, 0.2)]))
