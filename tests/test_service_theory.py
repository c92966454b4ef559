"""The service centre against queueing theory (DESIGN section 12: Erlang C, Little's law).

``sim.engine.service.ServiceCentre`` is driven directly in a ``simpy.Environment`` (time unit:
days) by a Poisson arrival process written here. With exponential handling, first-contact
resolution 1 and no recontacts the centre is an M/M/c queue, so

* the mean wait must match ``queueing.mean_wait`` and P(wait > 0) must match ``erlang_c``;
* the time-average queue length, sampled by an independent monitor, must match lambda x mean
  wait (Little's law).

Waits of successive customers are strongly autocorrelated, so standard errors come from
independent replications (different seeds, a warm-up dropped from each) or from batch means
over long time batches, never from the raw per-customer spread; every statistical check asserts
|z| < 4 (two-sided false-alarm chance about 6e-5 for a normal statistic, about 0.2 % for a
t statistic with 11 degrees of freedom, 0.05 % with 23). The seeds are fixed, so the outcome
is deterministic.
"""

from __future__ import annotations

import functools
import itertools
import math
import random

import numpy as np
import pytest
import simpy

from sim import Scenario, run, strategies
from sim.analytics import queueing
from sim.engine.service import MINUTES_PER_DAY, ServiceCentre

MIN = 1.0 / MINUTES_PER_DAY  # one minute, in days


# -- helpers --------------------------------------------------------------------------------------
def make_centre(env, *, agents, max_agents=None, handle=10.0, seed=0, **kw):
    kw.setdefault("fcr", 1.0)
    return ServiceCentre(env, agents=agents, max_agents=max_agents or agents, handle_minutes=handle,
                         rand=random.Random(seed), **kw)


def poisson_arrivals(env, centre, rate_per_minute, n, rng):
    """SimPy process: ``n`` Poisson arrivals at ``rate_per_minute``, submitted as they happen."""
    rate_per_day = rate_per_minute * MINUTES_PER_DAY
    for i in range(n):
        yield env.timeout(rng.expovariate(rate_per_day))
        centre.submit(i, 0.0)


def waits_minutes(centre):
    t = centre.table()
    return (t["start"] - t["arrival"]) * MINUTES_PER_DAY


def simulate_mmc(lam, h, c, n, seed, *, max_agents=None):
    env = simpy.Environment()
    centre = make_centre(env, agents=c, max_agents=max_agents, handle=h, seed=seed)
    env.process(poisson_arrivals(env, centre, lam, n, random.Random(10_000 + seed)))
    env.run()  # to the end: every arrival is served, so no waits are censored
    return centre


# (arrival rate per minute, mean handling minutes, agents): loads per agent 0.5, 0.75 and 0.9.
CASES = [(0.05, 10.0, 1), (0.30, 10.0, 4), (0.90, 5.0, 5)]
REPS, WARMUP = 12, 1_000


def design(lam, h, c):
    """(replications, arrivals per replication): twice the work at load 0.9, whose waits vary
    most, spent on twice as many replications rather than longer ones. Near saturation the
    replication means are right-skewed (a rare long busy period lifts one replication a lot),
    so with few replications the spread, and with it the t statistic, is poorly estimated."""
    return (24, 12_000) if lam * h / c > 0.85 else (REPS, 12_000)


@functools.cache
def replicated(lam, h, c):
    """Per-replication mean wait and share waiting, after dropping the first arrivals.

    WARMUP = 1,000 arrivals covers at least 1,100 minutes, more than twice the relaxation time
    h / (c (1 - sqrt(rho))^2) of the heaviest case (~400 minutes), so the empty start does not
    bias the estimates measurably.
    """
    mean_w, p_wait = [], []
    reps, arrivals = design(lam, h, c)
    for rep in range(reps):
        centre = simulate_mmc(lam, h, c, arrivals, seed=rep)
        w = waits_minutes(centre)[WARMUP:]
        mean_w.append(w.mean())
        p_wait.append(np.mean(w > 0))
    return np.array(mean_w), np.array(p_wait)


def z_score(samples, expected):
    se = samples.std(ddof=1) / math.sqrt(samples.size)
    return (samples.mean() - expected) / se, se


# -- M/M/c against Erlang C -----------------------------------------------------------------------
@pytest.mark.parametrize(("lam", "h", "c"), CASES)
def test_mean_wait_matches_erlang_c(lam, h, c):
    means, _ = replicated(lam, h, c)
    expected = queueing.mean_wait(lam, h, c)
    z, se = z_score(means, expected)
    # Power check: 12 replications pin the mean to within ~2-7 % of theory (one standard
    # error), so a lost agent or a wrong discipline (which change W_q by far more than 4 SE)
    # cannot hide in the noise.
    assert se < 0.08 * expected
    assert abs(z) < 4, f"mean wait {means.mean():.3f} min vs Erlang C {expected:.3f} (z={z:.2f})"


@pytest.mark.parametrize(("lam", "h", "c"), CASES)
def test_probability_of_waiting_matches_erlang_c(lam, h, c):
    _, p_wait = replicated(lam, h, c)
    expected = queueing.erlang_c(lam * h, c)
    z, se = z_score(p_wait, expected)
    assert se < 0.02
    assert abs(z) < 4, f"P(wait>0) {p_wait.mean():.4f} vs Erlang C {expected:.4f} (z={z:.2f})"


def test_unstaffed_seats_do_not_serve():
    """Seats above ``agents`` are held by breaks: waits are identical to a centre without them."""
    plain = simulate_mmc(0.3, 10.0, 4, 3_000, seed=7)
    seated = simulate_mmc(0.3, 10.0, 4, 3_000, seed=7, max_agents=9)
    np.testing.assert_array_equal(waits_minutes(plain), waits_minutes(seated))
    assert np.mean(waits_minutes(plain) > 0) > 0.3  # the queue really was busy


# -- Little's law ---------------------------------------------------------------------------------
def test_littles_law_with_independent_queue_monitor():
    lam, h, c, n = 0.3, 10.0, 4, 40_000
    env = simpy.Environment()
    centre = make_centre(env, agents=c, handle=h, seed=11)
    env.process(poisson_arrivals(env, centre, lam, n, random.Random(12)))
    samples: list[tuple[float, int]] = []
    mon_rng = random.Random(13)

    def monitor():
        # Sampling at Poisson instants, independent of the queue, gives an unbiased time average.
        while True:
            yield env.timeout(mon_rng.expovariate(1.0) * MIN)  # mean one minute
            # max_agents == agents: no break requests, every queued request is a customer.
            samples.append((env.now, len(centre.resource.queue)))

    env.process(monitor())
    horizon = n / lam * MIN  # about the time of the last arrival
    env.run(until=horizon)
    t = centre.table()
    times = np.array([s[0] for s in samples])
    qlen = np.array([s[1] for s in samples], dtype=float)

    # 20 time batches after a warm-up of 5 % (batches of ~100 h, far longer than the queue's
    # correlation time of a few hours, so batch means are nearly independent).
    edges = np.linspace(0.05 * horizon, horizon, 21)
    lq, little = [], []
    for lo, hi in itertools.pairwise(edges):
        lq.append(qlen[(times >= lo) & (times < hi)].mean())
        sel = (t["arrival"] >= lo) & (t["arrival"] < hi) & ~np.isnan(t["start"])
        wait = (t["start"][sel] - t["arrival"][sel]) * MINUTES_PER_DAY
        rate = sel.sum() / ((hi - lo) * MINUTES_PER_DAY)  # arrivals per minute in the batch
        little.append(rate * wait.mean())
    lq, little = np.array(lq), np.array(little)

    # L_q = lambda W on the same sample path: the batch differences are sampling noise plus
    # edge effects of the batch boundaries, both zero-mean to first order.
    z, _ = z_score(lq - little, 0.0)
    assert abs(z) < 4, f"sampled L_q {lq.mean():.3f} vs lambda W {little.mean():.3f} (z={z:.2f})"
    # And both agree with the theoretical L_q = lambda W_q of M/M/c.
    theory = lam * queueing.mean_wait(lam, h, c)
    z, se = z_score(lq, theory)
    assert se < 0.1 * theory
    assert abs(z) < 4, f"sampled L_q {lq.mean():.3f} vs theory {theory:.3f} (z={z:.2f})"


# -- staffing changes -----------------------------------------------------------------------------
def _switching_run(first, second, *, switch_day=20.0, days=40.0, seed=3, lam=0.35, h=10.0):
    env = simpy.Environment()
    centre = make_centre(env, agents=first, max_agents=8, handle=h, seed=seed)
    n = int(lam * days * MINUTES_PER_DAY * 1.2)
    env.process(poisson_arrivals(env, centre, lam, n, random.Random(seed + 1)))

    def manager():
        yield env.timeout(switch_day)
        centre.set_agents(second)

    env.process(manager())
    env.run(until=days)
    return centre, switch_day


def _in_service_at_starts(t):
    """For each started contact: customers in service at its start (itself included)."""
    start, end = t["start"], t["end"]
    ok = ~np.isnan(start)
    s, e = start[ok], np.where(np.isnan(end[ok]), np.inf, end[ok])
    return s, np.array([np.sum((s <= x) & (e > x)) for x in s])


@pytest.mark.parametrize(("first", "second"), [(4, 6), (6, 4)])
def test_set_agents_mid_run_moves_waits_in_the_expected_direction(first, second):
    # Load 3.5 erlangs: 4 agents (rho 0.875, W_q = 14.8 min) vs 6 agents (W_q = 0.71 min).
    centre, switch = _switching_run(first, second)
    t = centre.table()
    wait = (t["start"] - t["arrival"]) * MINUTES_PER_DAY
    # Phases: arrivals well inside each half (2 days after the switch let the transient pass).
    before = wait[(t["arrival"] > 2) & (t["arrival"] < switch)]
    after = wait[(t["arrival"] > switch + 2) & ~np.isnan(t["start"])]
    w_first = queueing.mean_wait(0.35, 10.0, first)
    w_second = queueing.mean_wait(0.35, 10.0, second)
    # Each phase has ~9,000 arrivals over 18 days, some 40 relaxation times of the 4-agent
    # queue, so a phase mean is within ~15 % of theory (one SE); the means differ 20-fold, so
    # the direction is unmistakable and a factor-2 band around each theory is > 4 SE wide.
    assert (after.mean() < before.mean()) == (second > first)
    assert w_first / 2 < before.mean() < 2 * w_first
    assert w_second / 2 < after.mean() < 2 * w_second
    # The centre never serves more customers at once than it staffs (calls in progress at a
    # reduction finish, but nobody new starts until the centre is down to the new staffing).
    starts, busy = _in_service_at_starts(t)
    staffed = np.where(starts < switch, first, second)
    assert np.all(busy <= staffed)
    assert busy.max() == max(first, second)  # and it does use all the agents it has


def test_set_agents_does_not_change_the_past():
    """Contacts that started before a staffing change are identical to a run without it."""
    changed, switch = _switching_run(4, 6)
    unchanged, _ = _switching_run(4, 4)
    a, b = changed.table(), unchanged.table()
    early_a = a["start"] < switch
    early_b = b["start"] < switch
    assert early_a.sum() == early_b.sum() > 1000
    for key in ("customer", "arrival", "start", "end"):
        np.testing.assert_array_equal(a[key][early_a], b[key][early_b])


def test_set_agents_rejects_out_of_range():
    env = simpy.Environment()
    centre = make_centre(env, agents=2, max_agents=5)
    for bad in (0, 6):
        with pytest.raises(ValueError, match="1 to 5"):
            centre.set_agents(bad)
    assert centre.agents == 2


# -- a tiny world with an exact event log ---------------------------------------------------------
def test_exact_event_log_fifo_with_deterministic_handling():
    """Two agents, handling exactly 10 minutes (lognormal with cv 0 is deterministic)."""
    env = simpy.Environment()
    centre = make_centre(env, agents=2, max_agents=3, handle=10.0, distribution="lognormal",
                         handle_cv=0.0)
    # Arrivals in minutes; customers 3 and 4 arrive at the same instant, 3 submitted first.
    arrivals = {0: 0.0, 1: 1.0, 2: 2.0, 3: 3.0, 4: 3.0, 5: 45.0}
    for cust, minute in arrivals.items():
        centre.submit(cust, minute * MIN)
    env.run()
    expected = [  # customer, arrival, start, end (minutes), first come first served
        (0, 0, 0, 10),
        (1, 1, 1, 11),
        (2, 2, 10, 20),
        (3, 3, 11, 21),
        (4, 3, 20, 30),
        (5, 45, 45, 55),
    ]
    t = centre.table()
    assert t["customer"].tolist() == [e[0] for e in expected]
    for col, k in (("arrival", 1), ("start", 2), ("end", 3)):
        np.testing.assert_allclose(t[col] * MINUTES_PER_DAY, [e[k] for e in expected],
                                   rtol=0, atol=1e-9)
    assert t["resolved"].all() and (t["contact"] == 1).all()
    assert t["issue"].tolist() == [1, 2, 3, 4, 5, 6]
    # Every contact's outcome is reported once, in order of ending, with its wait in minutes.
    outcomes = centre.take_outcomes(env.now)
    assert centre.take_outcomes(env.now) == []
    assert [o[1] for o in outcomes] == [0, 1, 2, 3, 4, 5]
    np.testing.assert_allclose([o[0] * MINUTES_PER_DAY for o in outcomes],
                               [e[3] for e in expected], atol=1e-9)
    np.testing.assert_allclose([o[2] for o in outcomes], [0, 0, 8, 8, 17, 0], atol=1e-9)
    assert all(o[3] is True for o in outcomes)


def test_unresolved_issue_comes_back_a_few_days_later_during_opening_hours():
    env = simpy.Environment()
    active = {0: True, 1: True}
    centre = make_centre(env, agents=1, handle=30.0, distribution="lognormal", handle_cv=0.0,
                         fcr=0.0, open_hours=8.0, recontact_prob=1.0, recontact_days=2.0,
                         is_active=lambda cid, *day: active[cid])
    centre.submit(0, 0.1)
    centre.submit(1, 0.2)

    def leave():  # customer 1 leaves after the first contact: it must not come back
        yield env.timeout(0.5)
        active[1] = False

    env.process(leave())
    env.run(until=7.5)
    t = centre.table()
    zero = t["customer"] == 0
    # Customer 0 comes back again and again (fcr 0, recontact 1): same issue, contact 1, 2, 3.
    assert t["contact"][zero].tolist()[:3] == [1, 2, 3]
    assert len(set(t["issue"][zero].tolist())) == 1
    ends, backs = t["end"][zero][:-1], t["arrival"][zero][1:]
    # Back on day floor(end + 2), within its 8 opening hours.
    np.testing.assert_array_equal(np.floor(backs), np.floor(ends + 2.0))
    assert np.all(backs - np.floor(backs) < 8 / 24)
    assert (t["customer"] == 1).sum() == 1
    assert not t["resolved"][~np.isnan(t["end"])].any()


@pytest.mark.parametrize("recontact_days", [0.25, 0.5, 0.9])
def test_recontact_within_a_day_does_not_crash(recontact_days):
    """``service.recontact_days`` only has to be > 0 (scenario.py); a recontact may never be
    scheduled before the contact that caused it ended."""
    env = simpy.Environment()
    centre = make_centre(env, agents=1, handle=60.0, distribution="lognormal", handle_cv=0.0,
                         fcr=0.0, open_hours=8.0, recontact_prob=1.0,
                         recontact_days=recontact_days, seed=1)
    for k in range(6):
        centre.submit(k, 0.05 * k)
    env.run(until=5)
    t = centre.table()
    for cust in range(6):
        rows = t["customer"] == cust
        ends, backs = t["end"][rows][:-1], t["arrival"][rows][1:]
        assert np.all(backs >= ends)


def test_recontact_within_a_day_runs_in_the_full_model():
    sc = Scenario.load("classroom").replace(
        market_size=3000, initial_customers=1000, horizon_days=60,
        **{"service.recontact_days": 0.5, "service.fcr": 0.3, "service.recontact_prob": 1.0})
    result = run(sc, strategies.transactional, seed=1)
    assert (result.service["contact"] > 1).any()


# -- the queueing module against textbook values --------------------------------------------------
def test_erlang_b_textbook_values():
    assert queueing.erlang_b(1.0, 1) == pytest.approx(0.5)
    # B(c, a) = (a^c / c!) / sum_k a^k / k!
    for a, c in [(2.0, 3), (5.0, 7), (0.5, 2), (10.0, 12)]:
        terms = [a**k / math.factorial(k) for k in range(c + 1)]
        assert queueing.erlang_b(a, c) == pytest.approx(terms[-1] / sum(terms), rel=1e-12)
    assert queueing.erlang_b(3.0, 0) == 1.0
    with pytest.raises(ValueError):
        queueing.erlang_b(-1.0, 2)


def test_erlang_c_textbook_values():
    assert queueing.erlang_c(2.0, 3) == pytest.approx(4 / 9, rel=1e-12)
    # One server: P(wait) = rho.
    for rho in (0.1, 0.5, 0.9):
        assert queueing.erlang_c(rho, 1) == pytest.approx(rho, rel=1e-12)
    # Closed form C = (a^c/c! * c/(c-a)) / (sum_{k<c} a^k/k! + a^c/c! * c/(c-a)).
    for a, c in [(2.0, 3), (7.5, 9), (0.3, 2), (40.0, 45)]:
        top = a**c / math.factorial(c) * c / (c - a)
        expected = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
        assert queueing.erlang_c(a, c) == pytest.approx(expected, rel=1e-10)
    assert queueing.erlang_c(3.0, 3) == 1.0
    assert queueing.erlang_c(5.0, 3) == 1.0


def test_mean_wait_and_service_level_formulas():
    # M/M/1: W_q = rho h / (1 - rho).
    assert queueing.mean_wait(0.05, 10.0, 1) == pytest.approx(0.5 * 10 / 0.5)
    # M/M/3 with a = 2: W_q = C h / (c - a) = 4/9 h.
    assert queueing.mean_wait(0.2, 10.0, 3) == pytest.approx(4 / 9 * 10.0)
    assert queueing.mean_wait(0.3, 10.0, 3) == math.inf
    # Service level at target 0 is 1 - C; at a long target it approaches 1.
    assert queueing.service_level(0.2, 10.0, 3, 0.0) == pytest.approx(1 - 4 / 9)
    assert queueing.service_level(0.2, 10.0, 3, 1e4) == pytest.approx(1.0)
    assert queueing.service_level(0.2, 10.0, 3, 5.0) == pytest.approx(
        1 - 4 / 9 * math.exp(-(3 - 2) * 5.0 / 10.0))
    assert queueing.service_level(0.4, 10.0, 3, 5.0) == 0.0


def test_agents_needed_is_minimal_and_monotone():
    h, target, level = 8.0, 0.5, 0.8
    previous = 0
    for lam in np.linspace(0.01, 3.0, 40):
        c = queueing.agents_needed(lam, h, target, level)
        # Minimal: c meets the level, c - 1 does not (or is unstable).
        assert queueing.service_level(lam, h, c, target) >= level
        if c > 1:
            assert queueing.service_level(lam, h, c - 1, target) < level
        assert c > lam * h  # stable
        assert c >= previous  # more traffic never needs fewer agents
        previous = c
    # A stricter level or a shorter target never needs fewer agents.
    levels = [queueing.agents_needed(1.0, h, target, lv) for lv in (0.5, 0.7, 0.8, 0.9, 0.99)]
    assert levels == sorted(levels) and levels[-1] > levels[0]
    targets = [queueing.agents_needed(1.0, h, t, level) for t in (10.0, 2.0, 0.5, 0.1)]
    assert targets == sorted(targets) and targets[-1] > targets[0]
    # Capped at max_agents.
    assert queueing.agents_needed(10.0, h, target, level, max_agents=20) == 20
