"""The batched FIFO recursion gives exactly what the SimPy queue gives (DESIGN section 9)."""

import random

import numpy as np
import pandas as pd
import pytest
import simpy

from sim import Actions, Scenario, run, strategies
from sim.engine.fifo import BatchedCentre
from sim.engine.service import ServiceCentre

KINDS = (ServiceCentre, BatchedCentre)


def _drive(kind, arrivals, handles, staffing, horizon, *, fcr=1.0, recontact=0.0, seed=0):
    """Feed ``arrivals`` (days) with fixed handling times and staffing changes to a centre."""
    env = simpy.Environment()
    times = iter(handles)
    centre = kind(env, agents=staffing[0][1], max_agents=6, handle_minutes=10.0,
                  rand=random.Random(seed), fcr=fcr, recontact_prob=recontact,
                  recontact_days=0.4, open_hours=24.0, handle_times=lambda: next(times))

    def feeder():
        for i, arrival in enumerate(arrivals):
            yield env.timeout(arrival - env.now)
            centre.submit(i, 0.0)

    def staff():
        for when, agents in staffing[1:]:
            yield env.timeout(when - env.now)
            centre.set_agents(agents)

    def days():  # the engine syncs the batched centre at every day boundary
        while True:
            centre.sync(env.now)
            yield env.timeout(0.25)

    env.process(staff())
    env.process(feeder())
    env.process(days())
    env.run(until=horizon)
    if kind is BatchedCentre:
        centre.finish(horizon)
    return centre.log.rows()


@pytest.mark.parametrize("seed", range(6))
def test_same_arrivals_and_handling_times_give_identical_logs(seed):
    rng = np.random.default_rng(seed)
    horizon = 20.0
    arrivals = np.sort(rng.uniform(0, horizon, 900)).tolist()
    handles = rng.exponential(10 / 1440 * 2.5, 2000).tolist()  # heavy load: queues build
    changes = np.sort(rng.uniform(0, horizon, 12))
    staffing = [(0.0, 3)] + [(float(t), int(rng.integers(1, 7))) for t in changes]
    logs = [_drive(kind, arrivals, handles, staffing, horizon, fcr=0.6, recontact=0.7,
                   seed=seed) for kind in KINDS]
    a, b = (pd.DataFrame(log, columns=["customer", "issue", "contact", "arrival", "start",
                                       "end", "resolved"]) for log in logs)
    assert len(a) > 900  # recontacts happened
    pd.testing.assert_frame_equal(a, b)


def test_staffing_down_then_up_before_anyone_left():
    # Three busy agents; staff cut to one, then raised to two before any call ends: the agent
    # whose break was cancelled keeps working (SimPy cancels the most recent break).
    arrivals = [0.0, 0.0, 0.0, 0.01, 0.02, 0.03]
    handles = [0.5, 0.6, 0.7, 0.1, 0.1, 0.1]
    staffing = [(0.0, 3), (0.1, 1), (0.2, 2)]
    logs = [_drive(kind, arrivals, handles, staffing, 3.0) for kind in KINDS]
    assert logs[0] == logs[1]
    starts = [row[4] for row in logs[0]]
    assert starts[3] == pytest.approx(0.6)  # the 0.5 agent went on break; next free at 0.6


def _erratic(view):
    """Staffing up and down every cycle, with and without the CRM system."""
    agents = 1 + (view.cycle * 7) % 4
    return Actions(mass_spend=6_000, targeted_spend=2_000 * (view.cycle % 2),
                   target_segments=("high_value",), agents=agents,
                   crm_system=bool(view.cycle % 3))


@pytest.mark.parametrize("strategy", [strategies.transactional, strategies.operational,
                                      _erratic])
def test_whole_runs_are_identical_under_either_queue(strategy):
    sc = Scenario.load("classroom").replace(
        market_size=20_000, initial_customers=2_500, horizon_days=400,
        **{"service.recontact_days": 0.5, "service.handle_distribution": "lognormal",
           "service.handle_cv": 1.5})
    a = run(sc, strategy, seed=21)
    b = run(sc.replace(**{"service.queue": "batched"}), strategy, seed=21)
    for name in a.TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), obj=name)
    sa, sb = a.summary(), b.summary()
    assert sa.keys() == sb.keys()
    assert all(sa[k] == sb[k] or (np.isnan(sa[k]) and np.isnan(sb[k])) for k in sa)
    assert len(a.service) > 1000


def test_recontacts_never_arrive_before_the_contact_ended():
    sc = Scenario.load("classroom").replace(horizon_days=200, **{
        "service.recontact_days": 0.1, "service.recontact_prob": 1.0, "service.fcr": 0.3})
    for queue in ("simpy", "batched"):
        sv = run(sc.replace(**{"service.queue": queue}), strategies.transactional,
                 seed=2).service
        again = sv[sv["contact"] > 1].merge(
            sv.assign(contact=sv["contact"] + 1)[["issue", "contact", "arrival_day",
                                                  "handle_minutes", "wait_minutes"]],
            on=["issue", "contact"], suffixes=("", "_prev"))
        ended = (again["arrival_day_prev"] + (again["wait_minutes_prev"]
                                              + again["handle_minutes_prev"]) / 1440)
        assert (again["arrival_day"] >= ended - 1e-9).all()
        assert len(again) > 100
