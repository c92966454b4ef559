"""The fast engine and the process-per-customer reference model agree on the shared core.

The reference model (``sim/reference.py``) is the textbook SimPy model: one process per
customer. The engine keeps customers as numpy columns and advances them a day at a time. On the
core that both simulate, their KPIs must have the same distribution; the slow test checks the
means over independent replications (DESIGN section 9).
"""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

import sim
from sim import ActionsError, Scenario
from sim.reference import (
    KPI_KEYS,
    core_scenario,
    engine_kpis,
    fixed_strategy,
    run_reference,
)

AGENTS = 2
# 3,000 EUR a cycle buys 200 mass contacts a day and wins about 440 customers in the year;
# with 2 agents (12,000 EUR a cycle) the plan is well inside the 40,000 EUR budget.
MASS_SPEND = 3_000.0

# Replications per model. One run takes about 0.06 s (engine) and 0.12 s (reference) on this
# 2-core machine, so 2 models x 50 runs x 2 service variants take about 19 s, well inside the
# minute a slow test may take even on a busy machine. With 50 replications the standard error
# of the difference of means is about 1-1.5% of the mean for acquisitions, purchases, revenue
# and requests (10-20% for the mean wait, which busy periods make noisy), so a 4-sigma test
# catches a bias of a few percent. (300 replications, tried once, gave |z| < 1 on every KPI.)
REPLICATIONS = 50
# Each z is close to standard normal when the models agree (means of 50 runs, standard
# errors estimated from the same runs). P(|z| >= 4) is about 6e-5 under the normal and about
# 1e-4 under Student's t with ~98 degrees of freedom, so with 7 KPIs and 2 variants (run on
# different seeds) the chance that a correct engine fails is about 14 x 1e-4 = 0.1%. The seeds
# are fixed, so a pass stays a pass until a model changes its draws; a disagreement of 4
# standard errors is a real difference in the models to find, not a reason to loosen this.
Z_LIMIT = 4.0


def small_core(**service) -> Scenario:
    """The classroom market, shared core only, a tenth of the size, one year.

    The cases take 20 hours on average (a slow back office), so that the two agents are busy
    about a third of the time and requests really queue: with the classroom's 35 minutes and a
    24-hour centre almost nobody waits, and the wait KPI would test nothing.
    """
    changes = {"service.handle_minutes": 1200.0}
    changes.update({f"service.{k}": v for k, v in service.items()})
    return core_scenario(Scenario.load("classroom")).replace(
        market_size=4_000, initial_customers=400, horizon_days=365, **changes
    )


def tiny_core() -> Scenario:
    return core_scenario(Scenario.load("classroom")).replace(
        market_size=500, initial_customers=50, horizon_days=60
    )


def _seeds(entropy: int, n: int) -> list[int]:
    """``n`` distinct integer seeds derived from ``entropy`` (never ``seed + i``)."""
    state = np.random.SeedSequence(entropy).generate_state(n, dtype=np.uint64)
    return [int(s >> np.uint64(1)) for s in state]


def _z_values(a: list[dict], b: list[dict]) -> dict[str, float]:
    """z of the difference of means, per KPI, for two independent samples of KPI dicts."""
    out = {}
    for key in KPI_KEYS:
        x = np.array([r[key] for r in a], dtype=float)
        y = np.array([r[key] for r in b], dtype=float)
        se = math.sqrt(x.var(ddof=1) / x.size + y.var(ddof=1) / y.size)
        diff = x.mean() - y.mean()
        out[key] = diff / se if se > 0 else (0.0 if diff == 0 else math.inf)
    return out


@pytest.mark.slow
@pytest.mark.parametrize(
    ("service", "entropy"),
    [({"handle_distribution": "exponential"}, 20_240_611),
     ({"handle_distribution": "lognormal", "handle_cv": 2.0}, 20_240_612)],
    ids=["exponential", "lognormal"],
)
def test_engine_agrees_with_reference(service, entropy):
    scenario = small_core(**service)
    strategy = fixed_strategy(AGENTS, MASS_SPEND)
    # Different seeds for the two models, so the samples are independent; and for the two
    # variants, so the second is a fresh check of every KPI, not only of the waits.
    seeds = _seeds(entropy, 2 * REPLICATIONS)
    start = time.perf_counter()
    engine = [engine_kpis(sim.run(scenario, strategy, seed=s)) for s in seeds[:REPLICATIONS]]
    reference = [run_reference(scenario, agents=AGENTS, mass_spend=MASS_SPEND, seed=s)
                 for s in seeds[REPLICATIONS:]]
    elapsed = time.perf_counter() - start
    z = _z_values(engine, reference)
    means = {k: (np.mean([r[k] for r in engine]), np.mean([r[k] for r in reference]))
             for k in KPI_KEYS}
    report = "\n".join(f"  {k:18s} z = {z[k]:+6.2f}   engine {means[k][0]:12.2f}   "
                       f"reference {means[k][1]:12.2f}" for k in KPI_KEYS)
    print(f"\n{REPLICATIONS} replications each, {elapsed:.1f} s\n{report}")
    assert all(abs(v) < Z_LIMIT for v in z.values()), (
        f"engine and reference disagree (|z| >= {Z_LIMIT}) over {REPLICATIONS} replications "
        f"each:\n{report}"
    )
    # The service KPIs must be exercised: requests queue, and waits are positive.
    assert means["mean_wait_minutes"][1] > 10


def test_reference_is_reproducible():
    scenario = tiny_core()
    first = run_reference(scenario, agents=1, mass_spend=3_000, seed=11)
    again = run_reference(scenario, agents=1, mass_spend=3_000, seed=11)
    other = run_reference(scenario, agents=1, mass_spend=3_000, seed=12)
    assert list(first) == list(KPI_KEYS)
    assert first == again
    assert first != other
    assert first["active_end"] == 50 + first["acquired"] - first["lost"]
    assert first["purchases"] >= first["acquired"]  # every newcomer buys on arrival


def test_reference_refuses_a_scenario_outside_the_core():
    full = Scenario.load("classroom").replace(market_size=500, initial_customers=50)
    with pytest.raises(ValueError, match=r"satisfaction\.churn_effect = 4\.0") as err:
        run_reference(full, agents=1, mass_spend=0, seed=1)
    assert "core_scenario(scenario)" in str(err.value)
    only_one = core_scenario(full).replace(**{"service.recontact_prob": 0.5})
    with pytest.raises(ValueError, match=r"service\.recontact_prob = 0\.5"):
        run_reference(only_one, agents=1, mass_spend=0, seed=1)


def test_reference_refuses_a_plan_over_budget():
    with pytest.raises(ActionsError, match="budget_per_cycle"):
        run_reference(tiny_core(), agents=1, mass_spend=1e9, seed=1)


def test_engine_kpis_have_the_reference_keys():
    strategy = fixed_strategy(1, 3_000)
    assert sim.run(tiny_core(), strategy, seed=3).strategy == "fixed(agents=1, mass_spend=3000)"
    kpis = engine_kpis(sim.run(tiny_core(), strategy, seed=3))
    assert list(kpis) == list(KPI_KEYS)
    assert kpis["active_end"] == 50 + kpis["acquired"] - kpis["lost"]
