"""Social CRM (issue 8, point 4): service experiences told in public amplify word of mouth.

Posts are Bernoulli draws on the contacts that qualify, so their counts are compared with
``posting_share x qualifying contacts`` within 4 binomial standard errors (a false alarm about
once in 16,000 runs). The fading total is checked against its closed form. That slow or
unresolved complaints cost customers is checked on paired seeds: the gain in customers from a
centre that resolves most issues, against one that resolves few, is larger with social media
than without.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import sim
from sim import Actions, Scenario
from sim.engine.model import Model
from sim.errors import ScenarioError

OFF = {"social.complaint_reach": 0.0, "social.delight_reach": 0.0}


def calls_only(view):
    """A fixed plan: three agents and mass marketing, no online channels."""
    return Actions(agents=3, mass_spend=12_000.0)


def _scenario(**changes) -> Scenario:
    return Scenario.load("classroom").replace(**{"horizon_days": 365, **changes})


def _applied_contacts(result) -> pd.DataFrame:
    """Answered calls whose outcome reached their customer (still a customer when it was
    applied, at the day boundary after the call ended), with the customer's patience."""
    sv = result.service
    sv = sv[sv["handle_minutes"].notna()].copy()
    sv["end"] = sv["arrival_day"] + (sv["wait_minutes"] + sv["handle_minutes"]) / (24 * 60)
    cu = result.customers.set_index("customer_id")
    lost = cu["lost_day"].reindex(sv["customer_id"]).to_numpy(dtype=float)
    applied_on = np.ceil(sv["end"].to_numpy())
    here = np.isnan(lost) | (lost >= applied_on)
    sv = sv[here & (sv["end"].to_numpy() <= result.scenario.horizon_days)]
    patience = {s.name: s.patience_minutes for s in result.scenario.segments}
    sv["patience"] = cu["segment"].reindex(sv["customer_id"]).map(patience).to_numpy()
    return sv


def _within(observed: float, n: int, p: float) -> None:
    expected, se = n * p, math.sqrt(n * p * (1 - p))
    assert abs(observed - expected) <= 4 * se + 1, (observed, expected, se)


def test_off_draws_nothing_and_changes_nothing():
    """With both reaches 0 no post is drawn: the other social fields change nothing, and a
    posting share of 0 gives the same run."""
    short = {"horizon_days": 120}
    base = sim.run(_scenario(**OFF, **short), calls_only, seed=3, transactions="none")
    other = sim.run(_scenario(**OFF, **short, **{"social.posting_share": 0.9,
                                                 "social.slow_hours": 0.01,
                                                 "social.memory_days": 2.0}),
                    calls_only, seed=3, transactions="none")
    silent = sim.run(_scenario(**short, **{"social.posting_share": 0.0}), calls_only,
                     seed=3, transactions="none")
    pd.testing.assert_frame_equal(base.timeline, other.timeline)
    pd.testing.assert_frame_equal(base.timeline, silent.timeline)
    assert base.summary()["social_complaints"] == 0 == base.summary()["social_praise"]


def test_complaint_posts_follow_unresolved_and_slow_contacts():
    """Complaint posts ~ Binomial(contacts unresolved or slower than slow_hours, share)."""
    share = 0.3
    sc = _scenario(**{"service.fcr": 0.5, "social.posting_share": share,
                      "social.slow_hours": 0.1})  # six minutes: some calls are slow too
    r = sim.run(sc, calls_only, seed=11, transactions="none")
    sv = _applied_contacts(r)
    slow = sv["wait_minutes"] > 6.0
    qualifying = int((~sv["resolved"] | slow).sum())
    assert slow.sum() > 50 and qualifying > 1_000  # both reasons are exercised
    _within(r.timeline["social_complaints"].sum(), qualifying, share)


def test_praise_posts_follow_quick_resolutions():
    """With every satisfaction level delighted, praise posts ~ Binomial(contacts resolved
    within the customer's patience and not slow, share)."""
    share = 0.3
    sc = _scenario(**{"social.posting_share": share, "social.delight_satisfaction": 0.0})
    r = sim.run(sc, calls_only, seed=5, transactions="none")
    sv = _applied_contacts(r)
    quick = (sv["resolved"] & (sv["wait_minutes"] <= sv["patience"])
             & (sv["wait_minutes"] <= sc.social.slow_hours * 60))
    assert quick.sum() > 1_000
    _within(r.timeline["social_praise"].sum(), int(quick.sum()), share)


def test_posts_fade_as_their_closed_form():
    """A post of weight w on day 0 counts w exp(-t / memory_days) on day t, and its days of
    influence add up to reach years of its author's word of mouth."""
    sc = _scenario(**{"social.posting_share": 1.0, "social.memory_days": 20.0})
    model = Model(sc, calls_only, seed=1, transactions="none")
    rows = np.arange(4)
    referral = model.seg_referral[model.active.seg[rows]]
    model._post(rows, end=np.arange(4.0), resolved=np.array([False, False, True, True]),
                wait=np.zeros(4), patience=np.full(4, 5.0))
    a = model.active
    satisfied = (a.sb[2:4] + a.dev[2:4]) >= sc.social.delight_satisfaction
    unit = 365.0 * -math.expm1(-1.0 / 20.0)
    complaints = sc.social.complaint_reach * unit * referral[:2].sum()
    praise = sc.social.delight_reach * unit * referral[2:][satisfied].sum()
    assert model.social_complaints == pytest.approx(complaints)
    assert model.social_praise == pytest.approx(praise)
    assert model.ledger.acc["social_complaints"] == 2
    assert model.ledger.acc["social_praise"] == satisfied.sum()
    for _ in range(30):
        model._fade_posts()
    assert model.social_complaints == pytest.approx(complaints * math.exp(-30 / 20.0))
    # Summed over every day of its life (weights w, w f, w f^2, ... with f the daily fade), a
    # post is worth reach x 365 days of its author's voice.
    fade = math.exp(-1.0 / 20.0)
    assert model._social_unit / (1.0 - fade) == pytest.approx(365.0)


def test_resolution_matters_more_with_social_media():
    """Paired seeds: resolving 90% of issues at the first contact instead of 40% wins more
    customers with social media than without (the difference in differences is positive by
    more than 3 standard errors; measured at about 8)."""
    gains = []
    for seed in range(8):
        gain = {}
        for label, extra in (("on", {}), ("off", OFF)):
            won = [sim.run(_scenario(**extra, **{"service.fcr": fcr}), calls_only, seed=seed,
                           transactions="none").summary()["customers_acquired"]
                   for fcr in (0.9, 0.4)]
            gain[label] = won[0] - won[1]
        gains.append(gain["on"] - gain["off"])
    gains = np.array(gains, dtype=float)
    assert gains.mean() > 3 * gains.std(ddof=1) / math.sqrt(gains.size), gains


def test_posts_are_in_the_firms_view():
    """Posts are public: the firm's cycle records show them (they are not latent truth)."""
    seen = []

    def watcher(view):
        if view.recent(1):
            seen.append(view.recent(1)[-1]["social_complaints"])
        return calls_only(view)

    sc = _scenario(horizon_days=150, **{"service.fcr": 0.4})
    r = sim.run(sc, watcher, seed=2, transactions="none")
    assert sum(seen) == r.timeline["social_complaints"].iloc[:-1].sum() > 0


@pytest.mark.parametrize(("field", "value"), [("posting_share", 1.5), ("memory_days", 0.0),
                                              ("complaint_reach", -1.0)])
def test_bad_values_name_the_field(field, value):
    with pytest.raises(ScenarioError, match=f"social.{field}"):
        _scenario(**{f"social.{field}": value})
