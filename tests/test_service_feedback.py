"""How a finished service contact moves the customer's satisfaction (DESIGN section 3.3).

The engine applies the contacts that ended during a day in one vectorised step at the day
boundary. These tests pin that step to the plain definition, one contact after another in order
of ending: satisfaction += sensitivity x (bonus or penalty - wait_penalty x ln(1 + wait /
patience)), clipped to [0, 1] after each contact.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from sim import Scenario, strategies
from sim.engine.model import Model


@pytest.fixture
def model():
    sc = Scenario.load("classroom").replace(market_size=4_000, initial_customers=300)
    return Model(sc, strategies.transactional, seed=3)


def one_by_one(model, outcomes):
    """Satisfaction of every active row after applying ``outcomes`` sequentially, by end."""
    a, sc = model.active, model.sc
    sat = a.satisfaction(slice(0, a.m)).astype(float)
    terms = sc.satisfaction
    for _end, cid, wait, resolved in sorted(outcomes, key=lambda o: o[0]):
        row = a.row_of[cid]
        if row < 0:
            continue
        seg = sc.segments[a.seg[row]]
        delta = (terms.resolved_bonus if resolved else -terms.unresolved_penalty)
        delta -= terms.wait_penalty * math.log1p(wait / seg.patience_minutes)
        sat[row] = min(1.0, max(0.0, sat[row] + seg.service_sensitivity * delta))
    return sat


def test_batch_equals_contacts_applied_one_after_another_in_order_of_ending(model):
    rng = np.random.default_rng(0)
    a = model.active
    cids = a.cid[: a.m]
    # Many contacts on few customers, so most customers have several in the batch, listed out
    # of order of ending; long waits and non-resolution push some to the clip at 0.
    outcomes = [(float(rng.uniform(0, 1)), int(rng.choice(cids[:40])),
                 float(rng.exponential(30.0)), bool(rng.random() < 0.5)) for _ in range(300)]
    expected = one_by_one(model, outcomes)
    model.centre.outcomes = list(outcomes)
    model._apply_outcomes(1.0)
    np.testing.assert_allclose(a.satisfaction(slice(0, a.m)), expected, rtol=0, atol=1e-12)
    assert (expected[:40] == 0.0).any() or (expected[:40] == 1.0).any()  # the clip mattered
    assert model.centre.outcomes == []


def test_contacts_not_ended_yet_wait_for_a_later_boundary(model):
    a = model.active
    cid = int(a.cid[0])
    before = float(a.satisfaction(slice(0, 1))[0])
    model.centre.outcomes = [(1.5, cid, 120.0, False)]
    model._apply_outcomes(1.0)
    assert float(a.satisfaction(slice(0, 1))[0]) == before
    model._apply_outcomes(2.0)
    assert float(a.satisfaction(slice(0, 1))[0]) < before
    assert model.centre.outcomes == []


def test_contacts_of_customers_who_left_are_ignored(model):
    a = model.active
    cid = int(a.cid[0])
    a.retire(np.array([0]))
    model.centre.outcomes = [(0.5, cid, 10.0, True)]
    model._apply_outcomes(1.0)  # no error, nothing to apply
    assert model.centre.outcomes == []
