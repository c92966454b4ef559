"""Invariants that hold for every valid scenario and every strategy (DESIGN section 12).

Hypothesis draws small but otherwise arbitrary valid scenarios (every segment, service,
satisfaction, word-of-mouth and competitor parameter within its allowed range) and a random
budget-respecting strategy, runs them and checks the books. Purchase rates, complaint
probabilities and handling times are kept where even one agent keeps up (at most ~16 requests a
day against 48 an agent can handle): an overloaded ``simpy.PriorityResource`` re-sorts its
whole queue on every arrival, so a queue of thousands makes a run take minutes.

* people are conserved: prospects + active + lost = market size, at every cycle;
* money balances: profit = revenue - every ``cost_*`` column, each cycle;
* the tables agree with each other: timeline, customers and transactions give the same revenue
  and purchases; customers, service log and timeline give the same complaints and contacts;
* the data are physically sensible: no negative waits or handling times, satisfaction in
  [0, 1], customers leave after they arrive and before the horizon, buy after they arrive.
"""

from __future__ import annotations

import dataclasses
import math
import random

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim import Actions, Scenario, run
from sim.actions import planned_spend
from sim.scenario import Service

CLASSROOM = Scenario.load("classroom")


def choices(record, name: str) -> tuple:
    """The allowed values of a choice field, from its metadata."""
    return next(f for f in dataclasses.fields(record) if f.name == name).metadata["choices"]


def floats(lo, hi):
    return st.floats(lo, hi, allow_nan=False, allow_infinity=False)


@st.composite
def segments(draw):
    k = draw(st.integers(1, 4))
    weights = [draw(floats(0.05, 1.0)) for _ in range(k)]
    total = math.fsum(weights)
    shares = [w / total for w in weights]
    shares[-1] = 1.0 - math.fsum(shares[:-1])  # exact sum to 1 (validation allows 1e-6)
    out = []
    for i, share in enumerate(shares):
        out.append({
            "name": f"seg{i}",
            "share": share,
            "purchase_rate": draw(floats(0.2, 20.0)),
            "rate_shape": draw(floats(0.05, 100.0)),
            "spend_mean": draw(floats(1.0, 300.0)),
            "spend_sigma": draw(floats(0.0, 3.0)),
            "spend_cv": draw(st.one_of(st.just(0.0), floats(0.0, 3.0))),
            "margin": draw(floats(0.0, 1.0)),
            "cost_per_purchase": draw(floats(0.0, 30.0)),
            "annual_churn": draw(st.one_of(st.just(0.0), floats(0.0, 0.99))),
            "churn_shape": draw(floats(0.05, 100.0)),
            "complaint_prob": draw(floats(0.0, 0.1)),
            "satisfaction": draw(floats(0.0, 1.0)),
            "service_sensitivity": draw(floats(0.0, 10.0)),
            "price_sensitivity": draw(floats(0.0, 10.0)),
            "marketing_response": draw(floats(0.0, 20.0)),
            "referral": draw(floats(0.0, 20.0)),
            "patience_minutes": draw(floats(0.1, 30.0)),
            **_channel_preferences(draw),
            # (a cut to half price at elasticity e multiplies purchases by 2 ** e: kept to a
            # range whose runs stay quick)
            "price_elasticity": draw(floats(0.0, 4.0)),
        })
    return out


def _channel_preferences(draw) -> dict:
    """Shares of requests sent online and by e-mail, at most 1 together."""
    web = draw(floats(0.0, 1.0))
    return {"web_preference": web, "email_preference": draw(floats(0.0, 1.0)) * (1.0 - web)}


@st.composite
def scenarios(draw):
    d = CLASSROOM.to_dict()
    market = draw(st.integers(500, 3000))
    horizon = draw(st.integers(60, 400))
    d.update(
        market_size=market,
        initial_customers=draw(st.integers(0, market // 3)),
        horizon_days=horizon,
        cycle_days=draw(st.integers(7, 60)),
        budget_per_cycle=2_000_000.0,
        annual_discount_rate=draw(floats(0.0, 1.0)),
        segments=draw(segments()),
    )
    d["mass"] = {"cost_per_contact": draw(floats(0.05, 10.0)),
                 "conversion": draw(floats(0.0, 1.0))}
    d["targeted"] = {"cost_per_contact": draw(floats(0.1, 20.0)),
                     "conversion": draw(floats(0.0, 1.0)),
                     "data_cost_per_cycle": draw(floats(0.0, 5_000.0))}
    d["word_of_mouth"] = {"innovation": draw(floats(0.0, 10.0)),
                          "imitation": draw(floats(0.0, 20.0)),
                          "detractor_effect": draw(floats(0.0, 20.0))}
    d["service"] = {
        **d["service"],  # fields added later keep their classroom values
        "open_hours": draw(floats(0.5, 24.0)),
        "handle_minutes": draw(floats(0.5, 30.0)),
        "handle_distribution": draw(st.sampled_from(choices(Service, "handle_distribution"))),
        "queue": draw(st.sampled_from(choices(Service, "queue"))),
        "handle_cv": draw(floats(0.0, 5.0)),
        "fcr": draw(floats(0.0, 1.0)),
        "crm_system_fcr": draw(floats(0.0, 1.0)),
        "crm_system_cost_per_cycle": draw(floats(0.0, 5_000.0)),
        "agent_cost_per_day": draw(floats(0.0, 500.0)),
        "max_agents": draw(st.integers(1, 40)),
        "wait_target_minutes": draw(floats(0.01, 10.0)),
        "service_level_target": draw(floats(0.0, 1.0)),
        "recontact_prob": draw(floats(0.0, 1.0)),
        # Any positive delay is valid (scenario.py: recontact_days > 0).
        "recontact_days": draw(floats(0.05, 10.0)),
    }
    d["satisfaction"] = {"recovery_days": draw(floats(1.0, 365.0)),
                         "churn_effect": draw(floats(0.0, 50.0)),
                         "wait_penalty": draw(floats(0.0, 1.0)),
                         "unresolved_penalty": draw(floats(0.0, 1.0)),
                         "resolved_bonus": draw(floats(0.0, 1.0))}
    d["channels"] = {
        "complex_share": draw(floats(0.0, 1.0)),
        "web_fcr_simple": draw(floats(0.0, 1.0)),
        "web_fcr_complex": draw(floats(0.0, 1.0)),
        "web_cost_per_contact": draw(floats(0.0, 5.0)),
        "web_cost_per_cycle": draw(floats(0.0, 5_000.0)),
        "email_fcr": draw(floats(0.0, 1.0)),
        "email_cost_per_contact": draw(floats(0.0, 20.0)),
        "email_response_hours": draw(floats(0.01, 200.0)),
        "email_expected_hours": draw(floats(0.01, 48.0)),
        "escalation_prob": draw(floats(0.0, 1.0)),
        "integration_fcr_boost": draw(floats(0.0, 1.0)),
        "integration_cost_per_cycle": draw(floats(0.0, 5_000.0)),
    }
    d["prices"] = {"churn_effect": draw(floats(0.0, 20.0))}
    competitors_on = draw(st.booleans())
    d["competitors"] = {"waves_per_year": draw(floats(0.5, 24.0)) if competitors_on else 0.0,
                        "reach": draw(floats(0.0, 1.0)),
                        "pressure": draw(floats(0.0, 100.0)),
                        "decay_days": draw(floats(1.0, 120.0))}
    d["cycle_days"] = min(d["cycle_days"], horizon)
    return Scenario.from_dict(d)


class RandomStrategy:
    """A plain strategy with random, budget-respecting decisions (its own seeded generator)."""

    def __init__(self, seed: int, scenario: Scenario, max_mass: float, max_targeted: float):
        self.seed, self.sc = seed, scenario
        self.max_mass, self.max_targeted = max_mass, max_targeted
        self.name = f"random({seed})"
        self.planned: list[Actions] = []

    def __call__(self, view) -> Actions:
        rnd = random.Random(self.seed * 100_003 + view.cycle)
        names = list(view.segments)
        targets = rnd.sample(names, rnd.randint(0, len(names)))  # [] means every segment
        actions = Actions(
            mass_spend=rnd.choice([0.0, rnd.uniform(0, self.max_mass)]),
            targeted_spend=rnd.choice([0.0, rnd.uniform(0, self.max_targeted)]),
            target_segments=targets if rnd.random() < 0.5 else tuple(targets),
            agents=rnd.randint(1, view.prices["max_agents"]),
            crm_system=rnd.random() < 0.5,
            self_service=rnd.random() < 0.5, email_service=rnd.random() < 0.5,
            channel_integration=rnd.random() < 0.3,
        )
        # Now and then every CRM lever, on a few customers, so conservation is checked with
        # second lives, partner referrals and campaigns too.
        if rnd.random() < 0.5:
            cu = view.customers
            active = cu.loc[cu["status"] == "active", "customer_id"].tolist()
            lost = cu.loc[cu["status"] == "lost", "customer_id"].tolist()
            actions = actions.replace(
                retention_offers=rnd.sample(active, min(len(active), rnd.randint(0, 20))),
                cross_sell=rnd.sample(active, min(len(active), rnd.randint(0, 20))),
                winback=rnd.sample(lost, min(len(lost), rnd.randint(0, 20))),
                loyalty=rnd.random() < 0.5, collaborative=rnd.random() < 0.5,
                training_spend=rnd.choice([0.0, 500.0]),
                welcome_discount=rnd.choice([0.0, 0.2]),
                list_prices={seg: rnd.uniform(0.7, 1.5) for seg in names
                             if rnd.random() < 0.5},
                discounts={cid: rnd.uniform(0.0, 0.9)
                           for cid in rnd.sample(active, min(len(active), rnd.randint(0, 20)))})
        # The levers go first if the plan does not fit.
        if planned_spend(actions, self.sc) > view.budget:
            actions = actions.replace(retention_offers=(), cross_sell=(), winback=(),
                                      loyalty=False, collaborative=False, training_spend=0.0,
                                      self_service=False, channel_integration=False)
        # Never over budget: fewer agents and no CRM system first, then less marketing.
        while actions.agents > 1 and planned_spend(
                actions.replace(mass_spend=0.0, targeted_spend=0.0), self.sc) > view.budget:
            actions = actions.replace(agents=actions.agents // 2, crm_system=False)
        while planned_spend(actions, self.sc) > view.budget:
            actions = actions.replace(mass_spend=actions.mass_spend / 2,
                                      targeted_spend=actions.targeted_spend / 2)
            if actions.mass_spend + actions.targeted_spend < 1.0:
                actions = actions.replace(mass_spend=0.0, targeted_spend=0.0)
        self.planned.append(actions)
        return actions


def check_invariants(sc: Scenario, result, strategy: RandomStrategy) -> None:
    tl, cu, tx, sv, tr = (result.timeline, result.customers, result.transactions, result.service,
                          result.truth)
    horizon = sc.horizon_days

    # -- cycles ---------------------------------------------------------------------------------
    assert len(tl) == math.ceil(horizon / sc.cycle_days)
    assert tl["start_day"].iloc[0] == 0 and tl["end_day"].iloc[-1] == horizon
    np.testing.assert_array_equal(tl["start_day"].iloc[1:], tl["end_day"].iloc[:-1])
    # People are conserved at every cycle.
    np.testing.assert_array_equal(tl["prospects_end"] + tl["active_end"] + tl["lost_total"],
                                  sc.market_size)
    np.testing.assert_array_equal(tl["active_start"].iloc[1:], tl["active_end"].iloc[:-1])
    # Won-back customers return from the lost to the active (they are not acquired again).
    np.testing.assert_array_equal(tl["active_end"],
                                  tl["active_start"] + tl["acquired"] + tl["won_back"] - tl["lost"])
    np.testing.assert_array_equal(tl["lost_total"], (tl["lost"] - tl["won_back"]).cumsum())
    np.testing.assert_array_equal(
        tl["acquired"], tl["acquired_mass"] + tl["acquired_targeted"] + tl["acquired_referral"]
        + tl["acquired_partner"])

    # -- money ----------------------------------------------------------------------------------
    costs = [c for c in tl.columns if c.startswith("cost_") and c != "cost_total"]
    assert {"cost_goods", "cost_serve", "cost_mass", "cost_targeted", "cost_agents",
            "cost_crm_system"} <= set(costs)
    for col in costs:
        assert (tl[col] >= -1e-9).all(), col
    np.testing.assert_allclose(tl["profit"], tl["revenue"] - tl[costs].sum(axis=1),
                               rtol=1e-6, atol=1e-6)
    # Lever costs follow the actions the strategy chose, day by day.
    np.testing.assert_array_equal(tl["agents"], [a.agents for a in strategy.planned])
    np.testing.assert_allclose(tl["cost_agents"],
                               tl["agents"] * sc.service.agent_cost_per_day * tl["days"],
                               rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(tl["cost_mass"], tl["mass_spend"] * tl["days"] / sc.cycle_days,
                               rtol=1e-9, atol=1e-9)

    # -- customers ------------------------------------------------------------------------------
    n_initial = int((cu["channel"] == "initial").sum())
    assert n_initial == sc.initial_customers
    assert len(cu) == sc.initial_customers + int(tl["acquired"].sum())
    for channel in ("mass", "targeted", "referral", "partner"):
        assert (cu["channel"] == channel).sum() == tl[f"acquired_{channel}"].sum()
    assert (cu["status"] == "active").sum() == tl["active_end"].iloc[-1]
    assert (cu["status"] == "lost").sum() == tl["lost_total"].iloc[-1]
    np.testing.assert_array_equal(cu["customer_id"], np.arange(len(cu)))
    lost = (cu["status"] == "lost").to_numpy()
    lost_day, acquired = cu["lost_day"].to_numpy(), cu["acquired_day"].to_numpy()
    assert np.all(lost_day[lost] >= acquired[lost])
    assert np.all((lost_day[lost] >= 0) & (lost_day[lost] <= horizon))
    assert np.isnan(lost_day[~lost]).all()
    new = (cu["channel"] != "initial").to_numpy()
    assert np.all((acquired[new] >= 0) & (acquired[new] < horizon))
    assert np.all(acquired[~new] <= 0)
    first = cu["first_purchase_day"].to_numpy()
    bought = cu["purchases"].to_numpy() > 0
    assert np.all(first[new & bought] >= acquired[new & bought])
    assert np.all(first[bought] >= 0) and np.isnan(first[~bought]).all()
    assert np.all(cu["last_purchase_day"].to_numpy()[bought] >= first[bought])

    # -- revenue and purchases: timeline == customers == transactions ----------------------------
    total = tl["revenue"].sum()
    np.testing.assert_allclose(cu["revenue"].sum(), total, rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(tx["amount"].sum(), total, rtol=1e-9, atol=1e-6)
    assert tl["purchases"].sum() == cu["purchases"].sum() == tx["purchases"].sum()
    assert (tx["amount"] >= 0).all() and (tx["purchases"] >= 1).all()
    assert tx["day"].between(0, horizon - 1).all()
    per = tx.groupby("customer_id").agg(amount=("amount", "sum"), purchases=("purchases", "sum"),
                                        first=("day", "min"), last=("day", "max"))
    per = per.reindex(cu["customer_id"], fill_value=0)
    np.testing.assert_array_equal(per["purchases"], cu["purchases"])
    np.testing.assert_allclose(per["amount"], cu["revenue"], rtol=1e-9, atol=1e-6)
    np.testing.assert_array_equal(per["first"].to_numpy()[bought], first[bought])
    # Purchases happen while a customer is there: on or after acquisition, not after leaving.
    joined = tx.merge(cu[["customer_id", "acquired_day", "lost_day"]], on="customer_id")
    assert (joined["day"] >= joined["acquired_day"]).all()
    assert (joined["day"] <= joined["lost_day"].fillna(np.inf)).all()
    assert np.isfinite(cu[["revenue", "margin", "cost_to_serve"]].to_numpy()).all()
    # Margin = revenue x gross margin - cost to serve, per customer and in the books.
    seg_margin = cu["segment"].map({s.name: s.margin for s in sc.segments}).astype(float)
    seg_cost = cu["segment"].map({s.name: s.cost_per_purchase for s in sc.segments}).astype(float)
    np.testing.assert_allclose(cu["cost_to_serve"], cu["purchases"] * seg_cost,
                               rtol=1e-9, atol=1e-6)
    if tl["price_index"].eq(1.0).all():  # reference prices: revenue x margin is the margin
        np.testing.assert_allclose(cu["margin"],
                                   cu["revenue"] * seg_margin - cu["cost_to_serve"],
                                   rtol=1e-9, atol=1e-6)
    else:  # list prices move revenue, not the cost of goods; discounts come off the margin
        assert tl["cost_discount"].ge(0).all()
    np.testing.assert_allclose(tl["cost_serve"].sum(), cu["cost_to_serve"].sum(),
                               rtol=1e-9, atol=1e-6)
    np.testing.assert_allclose(total - tl["cost_goods"].sum() - tl["cost_serve"].sum()
                               - tl["cost_discount"].sum(), cu["margin"].sum(),
                               rtol=1e-9, atol=1e-6)

    # -- service --------------------------------------------------------------------------------
    waits, handles = sv["wait_minutes"].dropna(), sv["handle_minutes"].dropna()
    assert (waits >= 0).all() and (handles >= 0).all()
    assert sv["arrival_day"].between(0, horizon).all()
    assert (np.diff(sv["arrival_day"].to_numpy()) >= 0).all()  # logged in order of arrival
    # Every request is a first call, or a web or e-mail contact; an unresolved online contact
    # that escalates becomes a first call too, when it is made before the horizon.
    cc = result.channel_contacts
    called = cc["escalated"] & (cc["arrival_day"] + cc["wait_minutes"] / 1440.0 < horizon)
    assert tl["requests"].sum() == cu["complaints"].sum() == (
        (sv["contact"] == 1).sum() + len(cc) - called.sum())
    assert len(cc) == tl["web_contacts"].sum() + tl["email_contacts"].sum()
    assert cc["escalated"].sum() == tl["escalations"].sum()
    assert not (cc["escalated"] & cc["resolved"]).any()
    assert (cc["wait_minutes"] >= 0).all()
    assert (cu["web_contacts"] + cu["email_contacts"]).sum() == len(cc)
    issues = (sv.loc[sv["contact"] == 1, "customer_id"].value_counts()
              .add(cc["customer_id"].value_counts(), fill_value=0)
              .sub(cc.loc[called, "customer_id"].value_counts(), fill_value=0))
    np.testing.assert_array_equal(issues.reindex(cu["customer_id"], fill_value=0),
                                  cu["complaints"])
    assert cu["contacts"].sum() == sv["handle_minutes"].notna().sum()
    assert tl["contacts"].sum() == len(sv)
    assert (sv.loc[~sv["answered"], "resolved"] == False).all()  # noqa: E712

    # -- truth ----------------------------------------------------------------------------------
    assert len(tr) == len(cu)
    assert tr["satisfaction"].between(0.0, 1.0).all()
    assert (tr["hazard"] >= 0).all() and (tr["base_hazard"] >= 0).all()
    assert (tr.loc[lost, "loss_reason"] != "").all()
    assert (tr.loc[~lost, "loss_reason"] == "").all()
    assert (tr.loc[lost, "expected_remaining_value"] == 0).all()
    sat = tl["satisfaction"].dropna()
    assert sat.between(0.0, 1.0).all()


@settings(max_examples=15, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(sc=scenarios(), seed=st.integers(0, 2**32 - 1), strat_seed=st.integers(0, 10**6),
       max_mass=floats(0.0, 60_000.0), max_targeted=floats(0.0, 60_000.0))
def test_invariants_hold_for_random_scenarios_and_strategies(sc, seed, strat_seed, max_mass,
                                                             max_targeted):
    strategy = RandomStrategy(strat_seed, sc, max_mass, max_targeted)
    result = run(sc, strategy, seed=seed)
    assert result.seed == seed and result.strategy == strategy.name
    check_invariants(sc, result, strategy)


def test_invariants_on_the_classroom_market():
    """A deterministic example of the same checks, on a shrunken classroom market."""
    sc = CLASSROOM.replace(market_size=4000, initial_customers=800, horizon_days=200)
    strategy = RandomStrategy(1, sc, 8_000.0, 8_000.0)
    check_invariants(sc, run(sc, strategy, seed=3), strategy)


def test_purchase_amounts_follow_each_segments_spend_cv():
    """``spend_cv`` is a per-segment parameter: a segment with cv 0 pays exactly its mean, and
    a segment with cv 0.5 in the same market still varies around its mean with cv 0.5."""
    sc = CLASSROOM.replace(market_size=6000, initial_customers=3000, horizon_days=180,
                           **{"segments.regulars.spend_cv": 0.0,
                              "segments.high_value.spend_cv": 0.5})
    result = run(sc, lambda view: Actions(), seed=5)
    tx = result.transactions.merge(result.truth[["customer_id", "segment", "spend_mean"]],
                                   on="customer_id")
    single = tx[tx["purchases"] == 1]
    ratio = single["amount"] / single["spend_mean"]
    exact = ratio[single["segment"] == "regulars"]
    assert len(exact) > 1000
    np.testing.assert_allclose(exact, 1.0, rtol=1e-12)
    varied = ratio[single["segment"] == "high_value"].to_numpy()
    n = varied.size
    assert n > 1000
    # One purchase is gamma with mean 1 and cv 0.5 (shape 4, excess kurtosis 1.5): the sample
    # mean has SE 0.5 / sqrt(n) and the sample sd SE ~ 0.5 sqrt((1.5 + 2) / (4 n)).
    assert abs(varied.mean() - 1.0) < 4 * 0.5 / math.sqrt(n)
    assert abs(varied.std(ddof=1) - 0.5) < 4 * 0.5 * math.sqrt(3.5 / (4 * n))



def test_remaining_value_of_a_customer_worth_nothing_is_zero():
    """Without discounting and without churn the expected remaining value m / (h + d) is
    infinite for a profitable customer, but a customer with zero margin is worth exactly 0
    (the integral of 0), never NaN, and the customer equity must stay a number."""
    d = CLASSROOM.to_dict()
    seg = dict(d["segments"][1], name="free", share=1.0, margin=0.0, cost_per_purchase=0.0,
               annual_churn=0.0)
    d.update(segments=[seg], market_size=1000, initial_customers=200, horizon_days=60,
             annual_discount_rate=0.0)
    result = run(Scenario.from_dict(d), lambda view: Actions(), seed=1)
    value = result.truth["expected_remaining_value"]
    assert not value.isna().any()
    assert (value == 0).all()
    assert result.summary()["customer_equity"] == 0.0


def test_truth_hazard_of_active_customers_is_the_one_in_force():
    from sim import strategies

    base = Scenario.load("classroom").replace(horizon_days=120)
    flat = base.replace(**{"satisfaction.churn_effect": 0.0, "competitors.waves_per_year": 0.0})
    for scenario, exact in ((flat, True), (base, False)):
        r = run(scenario, strategies.transactional, seed=8)
        active = r.truth[(r.customers["status"] == "active").to_numpy()]
        assert len(active) > 1000
        if exact:  # nothing moves the hazard away from the customer's baseline
            np.testing.assert_array_equal(active["hazard"], active["base_hazard"])
        else:
            assert (active["hazard"] > 0).all()
            assert not np.allclose(active["hazard"], active["base_hazard"])
