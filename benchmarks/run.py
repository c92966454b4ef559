"""CRM Lab performance benchmarks: ``make bench`` (never part of ``make test``).

What is measured (DESIGN section 9), as one plain-text table:

(a) **classroom**: one run of the default classroom scenario under the ``operational`` preset,
    best of 5 wall-clock times. Target: under 0.5 s, so that a slider in a notebook answers at
    once. Also shown: the same with ``service.queue = "batched"`` (identical results).
(b) **core, classroom size**: the shared core (:func:`sim.reference.core_scenario` of the
    classroom: 5,000 initial customers in a market of 50,000, 3 years) run by the engine and by
    the process-per-customer reference model (:mod:`sim.reference`), and the ratio of their
    times. For information: at this size the textbook model is still quick.
(c) **core, 50,000 customers**: the same at ten times the size (500,000 people). Target: the
    engine at least 10 times faster than the reference, the reason the engine keeps customers
    as numpy columns instead of processes.

Rows (b) and (c) time the engine with each service queue: ``simpy`` (a SimPy process per
request, the classroom default) and ``batched`` (the exact FIFO recursion of
:mod:`sim.engine.fifo`, proven to give identical runs in ``tests/test_fifo.py``). The target of
row (c) applies to the batched queue, the engine's configuration for large markets (DESIGN
section 9); with a SimPy process per request the engine is bound by the same per-event cost as
the reference model, and its row is shown for information.

In (b) and (c) both models simulate the same market with the same constant plan: no marketing
spend (customers still arrive by spontaneous adoption) and the fewest agents that answer 80%
of requests within the target wait by Erlang C, for the request load of the initial customers,
so the queue is stable and neither model spends its time on an ever-growing line.

Absolute times depend on the machine, its load and the Python build, so the engine-versus-
reference targets are ratios of two times measured here, in this one run, on the same machine
in the same state; a ratio from two different runs (or machines) would mix in their
differences. Each time is the best of a few repetitions (``time.perf_counter``): the minimum is
the least disturbed by other work on the machine.

A missed target is reported, not an error: the script exits with status 0 either way. Use
``--quick`` to skip row (c), which takes a minute or so.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import sys
import time
from collections.abc import Callable

import sim
from sim import Scenario, strategies
from sim.actions import Actions, planned_spend
from sim.analytics.queueing import agents_needed
from sim.reference import core_scenario, fixed_strategy, run_reference

CLASSROOM_TARGET_SECONDS = 0.5
SCALE_TARGET_RATIO = 10.0
SEED = 20_240_611


def best_of(repeats: int, func: Callable[[], object]) -> float:
    """Fewest seconds ``func()`` took over ``repeats`` calls (wall clock, ``perf_counter``)."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        func()
        best = min(best, time.perf_counter() - start)
    return best


def requests_per_day(scenario: Scenario) -> float:
    """Expected service requests per day from the initial customers (requests/day).

    Each segment contributes its share of the customers times its mean purchase rate times its
    complaint probability (individual rates have the segment's mean).
    """
    per_customer = sum(s.share * s.purchase_rate / 365.0 * s.complaint_prob
                       for s in scenario.segments)
    return scenario.initial_customers * per_customer


def staffed_core(scenario: Scenario) -> tuple[Scenario, int]:
    """The core of ``scenario`` and the agents that keep its queue stable and on target.

    Returns the scenario (with ``budget_per_cycle`` raised if the agents would not fit in it,
    so the engine accepts the plan) and the number of agents.
    """
    core = core_scenario(scenario)
    srv = core.service
    per_minute = requests_per_day(core) / (24 * 60)
    agents = agents_needed(per_minute, srv.handle_minutes, srv.wait_target_minutes,
                           srv.service_level_target, srv.max_agents)
    cost = planned_spend(Actions(agents=agents), core)
    if cost > core.budget_per_cycle:
        core = core.replace(budget_per_cycle=cost)
    return core, agents


def compare(name: str, scenario: Scenario, repeats: int, target: float | None) -> list[dict]:
    """Time the reference model and the engine, with each of its two service queues, on the
    core of ``scenario``: one table row per queue (the reference is timed once)."""
    core, agents = staffed_core(scenario)
    strategy = fixed_strategy(agents, 0.0)
    reference = best_of(repeats, lambda: run_reference(core, agents=agents, mass_spend=0.0,
                                                       seed=SEED))
    rows = []
    for queue in ("simpy", "batched"):
        variant = core.replace(**{"service.queue": queue})
        engine = best_of(repeats, lambda v=variant: sim.run(v, strategy, seed=SEED))
        ratio = reference / engine
        goal = target if queue == "batched" else None
        rows.append({
            "name": f"{name}, {agents} agent{'s' if agents > 1 else ''}, {queue} queue",
            "engine": engine,
            "reference": reference,
            "ratio": ratio,
            "target": f"ratio >= {goal:g}" if goal else "- (info)",
            "result": ("PASS" if ratio >= goal else "FAIL") if goal else "-",
        })
    return rows


def table(rows: list[dict]) -> str:
    """The rows as an aligned plain-text table."""
    head = ("benchmark", "engine s", "reference s", "ratio", "target", "result")
    body = [(r["name"], f"{r['engine']:.3f}",
             "-" if r["reference"] is None else f"{r['reference']:.3f}",
             "-" if r["ratio"] is None else f"{r['ratio']:.1f}x", r["target"], r["result"])
            for r in rows]
    widths = [max(len(line[i]) for line in (head, *body)) for i in range(len(head))]

    def fmt(line):
        # Names and targets left-aligned, numbers right-aligned.
        return "  ".join(cell.ljust(w) if i in (0, 4, 5) else cell.rjust(w)
                         for i, (cell, w) in enumerate(zip(line, widths, strict=True))).rstrip()

    rule = "-" * (sum(widths) + 2 * (len(widths) - 1))
    return "\n".join([fmt(head), rule, *map(fmt, body)])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks and print the table; always returns 0 (a report, not a test)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="skip the 50,000-customer comparison (row c)")
    args = parser.parse_args(argv)
    # Other work on the machine distorts the times: note the load before this script adds to it.
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else math.nan

    classroom = Scenario.load("classroom")
    rows = []
    seconds = best_of(5, lambda: sim.run(classroom, strategies.operational, seed=SEED))
    rows.append({
        "name": "(a) classroom, operational",
        "engine": seconds, "reference": None, "ratio": None,
        "target": f"engine < {CLASSROOM_TARGET_SECONDS:g} s",
        "result": "PASS" if seconds < CLASSROOM_TARGET_SECONDS else "FAIL",
    })
    batched = classroom.replace(**{"service.queue": "batched"})
    seconds = best_of(5, lambda: sim.run(batched, strategies.operational, seed=SEED))
    rows.append({
        "name": "(a) classroom, operational, batched queue",
        "engine": seconds, "reference": None, "ratio": None, "target": "- (info)",
        "result": "-",
    })
    rows += compare("(b) core, 5,000 customers, 3 y", classroom.replace(horizon_days=3 * 365),
                    3, None)
    if not args.quick:
        big = classroom.replace(market_size=500_000, initial_customers=50_000,
                                horizon_days=3 * 365)
        rows += compare("(c) core, 50,000 customers, 3 y", big, 3, SCALE_TARGET_RATIO)

    print(f"CRM Lab benchmarks (sim {sim.__version__}, Python {platform.python_version()}, "
          f"seed {SEED}); ratio = reference s / engine s")
    print(f"machine: {os.cpu_count()} cores, load average {load:.2f} before the benchmarks"
          + (" (busy: the times are not representative)" if load > 0.5 else ""))
    print(table(rows))
    missed = [r["name"] for r in rows if r["result"] == "FAIL"]
    if missed:
        print(f"MISSED TARGETS: {'; '.join(missed)}")
    else:
        print("All targets met.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
