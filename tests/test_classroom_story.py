"""The classroom market tells the course's story (issue 3, item 6).

With 30 paired replications (the same seeds, so the same market and customers, for every
strategy) on the default classroom scenario:

* ``full_crm`` beats ``transactional`` on 3-year profit and on customer equity;
* ``analytical`` beats an untargeted retention campaign given the same offer budget;
* there are visible traps: a loyalty programme that lowers churn but costs more than it earns,
  and a welcome discount that alienates loyal customers.

Each claim is a one-sided 95% t test on the paired differences (29 degrees of freedom). The
runs use both cores (``sim.experiments.compare`` with ``jobs=2``). Run this file as a script to
print the README's comparison table for every preset::

    .venv/bin/python tests/test_classroom_story.py
"""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from scipy import stats

from sim import Scenario, experiments, strategies
from sim.view import strategy_name

REPLICATIONS = 30
KPIS = ("profit", "customer_equity", "annual_churn_rate", "retention_cost")

#: The strategies the story needs, by label.
STORY = {
    "transactional": strategies.transactional,
    "full_crm": strategies.full_crm,
    "operational": strategies.operational,
    "analytical": strategies.analytical,
    "untargeted retention": strategies.analytical.configure(target="random"),
    "loyalty": strategies.loyalty,
    "welcome deal": strategies.transactional.configure(welcome_discount=0.3),
}


def replicate(named: dict, replications: int = REPLICATIONS) -> dict[str, dict[str, np.ndarray]]:
    """KPIs of every strategy on seeds 0 .. replications - 1: label -> kpi -> array by seed."""
    cmp = experiments.compare(Scenario.load("classroom"), list(named.values()),
                              n=replications, jobs=min(2, os.cpu_count() or 1), progress=False)
    wide = {kpi: cmp.runs.pivot(index="seed", columns="strategy", values=kpi) for kpi in KPIS}
    return {label: {kpi: wide[kpi][strategy_name(s)].to_numpy(dtype=float) for kpi in KPIS}
            for label, s in named.items()}


def paired_interval(a: np.ndarray, b: np.ndarray, level: float = 0.95):
    """Mean of ``a - b`` and its two-sided confidence interval (t distribution)."""
    d = a - b
    half = stats.t.ppf(0.5 + level / 2, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
    return d.mean(), d.mean() - half, d.mean() + half


def one_sided_lower(d: np.ndarray) -> float:
    return d.mean() - stats.t.ppf(0.95, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)


@pytest.fixture(scope="module")
def story():
    return replicate(STORY)


def test_full_crm_beats_transactional_on_profit_and_customer_equity(story):
    for kpi in ("profit", "customer_equity"):
        d = story["full_crm"][kpi] - story["transactional"][kpi]
        assert one_sided_lower(d) > 0, (kpi, d.mean(), d)


def test_analytical_beats_untargeted_retention_with_the_same_budget(story):
    """Same offer budget: the churn model offers only where the expected value saved exceeds
    the offer's cost; the untargeted campaign spends the budget on whoever it draws."""
    d = story["analytical"]["profit"] - story["untargeted retention"]["profit"]
    assert one_sided_lower(d) > 0, d.mean()
    # And it earns more while spending less on retention.
    assert (story["analytical"]["retention_cost"]
            < story["untargeted retention"]["retention_cost"]).all()


def test_the_loyalty_programme_is_a_visible_trap(story):
    """Loyalty lowers churn against its base (operational CRM) but costs more than it earns
    within three years."""
    churn = story["operational"]["annual_churn_rate"] - story["loyalty"]["annual_churn_rate"]
    assert one_sided_lower(churn) > 0, churn.mean()
    profit = story["operational"]["profit"] - story["loyalty"]["profit"]
    assert one_sided_lower(profit) > 0, profit.mean()


def test_a_welcome_deal_for_newcomers_is_a_visible_trap(story):
    """A 30% welcome discount buys customers but alienates the loyal ones: lower profit and
    lower customer equity than the same firm without it."""
    for kpi in ("profit", "customer_equity"):
        d = story["transactional"][kpi] - story["welcome deal"][kpi]
        assert one_sided_lower(d) > 0, (kpi, d.mean())


# -- the README table -----------------------------------------------------------------------------
TABLE = {
    "transactional": strategies.transactional,
    "operational": strategies.operational,
    "operational(training_spend=0)": strategies.operational.configure(training_spend=0.0),
    "analytical": strategies.analytical,
    "analytical(target='random')": strategies.analytical.configure(target="random"),
    "collaborative": strategies.collaborative,
    "strategic": strategies.strategic,
    "loyalty": strategies.loyalty,
    "winback": strategies.winback,
    "full_crm": strategies.full_crm,
    "transactional(welcome_discount=0.3)": strategies.transactional.configure(
        welcome_discount=0.3),
}


def markdown_table(results: dict, baseline: str = "transactional") -> str:
    """Means over replications and paired 95% intervals of the difference to ``baseline``."""
    lines = ["| strategy | 3-year profit (EUR k) | vs transactional | customer equity (EUR k) "
             "| vs transactional | annual churn |",
             "| --- | ---: | ---: | ---: | ---: | ---: |"]
    base = results[baseline]
    for label, kpis in results.items():
        cells = [f"`{label}`"]
        for kpi in ("profit", "customer_equity"):
            cells.append(f"{kpis[kpi].mean() / 1e3:,.0f}")
            if label == baseline:
                cells.append("")
                continue
            mean, lo, hi = paired_interval(kpis[kpi], base[kpi])
            cells.append(f"{mean / 1e3:+,.0f} ({lo / 1e3:+,.0f} to {hi / 1e3:+,.0f})")
        cells.append(f"{kpis['annual_churn_rate'].mean():.1%}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else REPLICATIONS
    print(markdown_table(replicate(TABLE, n)))
