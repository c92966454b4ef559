"""Each CRM lever moves the market the way the literature says (issue 3, item 5).

Functional tests with replications and common random numbers: each comparison runs both
strategies on the same seeds (the same market, the same latent customers, the same competitor
waves), so a difference is the lever's and not the dice's. A claim holds when the mean paired
difference is positive with 95% confidence (one-sided t test on the paired differences, the
replication count of each test giving its degrees of freedom); where a lever works by
construction in every run (fewer agents can never shorten waits), the test asks that of every
replication.

Scenarios are a smaller classroom market (2,000 customers, 18 months) so that the whole file
runs in well under a minute.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sim import Actions, Scenario, run, strategies

SC = Scenario.load("classroom").replace(market_size=20_000, initial_customers=2_000,
                                        horizon_days=540)
SEEDS = range(8)


def paired(metric, first, second, scenario=SC, seeds=SEEDS) -> np.ndarray:
    """``metric(result)`` under ``first`` minus under ``second``, one value per seed."""
    return np.array([metric(run(scenario, first, seed=s)) - metric(run(scenario, second, seed=s))
                     for s in seeds])


def assert_positive(diffs: np.ndarray, what: str) -> None:
    """The mean of paired differences is > 0 at 95% confidence (one-sided t test)."""
    n = diffs.size
    se = diffs.std(ddof=1) / np.sqrt(n)
    lower = diffs.mean() - stats.t.ppf(0.95, n - 1) * se
    assert lower > 0, (f"{what}: mean paired difference {diffs.mean():.4g}, one-sided 95% "
                       f"lower bound {lower:.4g} over {n} replications: {np.round(diffs, 4)}")


def summary(key):
    return lambda result: result.summary()[key]


def fixed(**fields):
    """A fixed-plan strategy (no customer table needed)."""
    def strategy(view):
        return Actions(**fields)
    strategy.__name__ = "fixed(" + ", ".join(f"{k}={v}" for k, v in fields.items()) + ")"
    strategy.reads_customers = False
    return strategy


# -- operational: staffing -------------------------------------------------------------------------
def test_more_agents_shorten_waits_and_raise_satisfaction():
    """Waits fall in every replication (a faster queue cannot be slower on the same calls);
    satisfaction, the latent truth a firm cannot see, rises on average."""
    few, many = fixed(mass_spend=8_000.0, agents=1), fixed(mass_spend=8_000.0, agents=3)
    waits = paired(summary("mean_wait_minutes"), few, many)
    assert (waits > 0).all(), waits
    assert_positive(paired(summary("satisfaction_end"), many, few), "satisfaction, 3 vs 1 agents")


# -- analytical: targeting by the churn model ------------------------------------------------------
def _retention(result):
    offers = result.campaigns[result.campaigns["campaign"] == "retention"]
    return offers, offers["would_have_left"].astype(bool)


def waste_share(result) -> float:
    """Share of offers that went to customers who would have stayed anyway (the truth)."""
    _, left = _retention(result)
    return float(1.0 - left.mean())


def reached_per_1000_eur(result) -> float:
    """Would-be leavers who accepted an offer, per EUR 1,000 spent on retention.

    Each of them has their hazard cut for the offer's duration, so each is kept with the same
    chance: customers saved are proportional to this count (the others were never at risk)."""
    offers, left = _retention(result)
    return float((left & offers["accepted"]).sum() / offers["cost"].sum() * 1_000.0)


def test_churn_model_targeting_wastes_less_and_saves_more_per_euro_than_random():
    """Same budget (EUR 300 of contacts a cycle, the same number of offers): offers to the
    highest churn scores go less often to customers who would have stayed, and reach more
    would-be leavers per euro, than offers to customers drawn at random."""
    budget = 300.0
    model = strategies.analytical.configure(target="risk", offer_budget=budget)
    random = strategies.analytical.configure(target="random", offer_budget=budget)
    offers = paired(lambda r: r.timeline["offers_sent"].sum(), model, random, seeds=range(2))
    assert (offers == 0).all()  # the same number of offers: the comparison is per budget
    assert_positive(paired(waste_share, random, model), "waste, random minus churn model")
    assert_positive(paired(reached_per_1000_eur, model, random),
                    "would-be leavers reached per EUR 1,000, churn model minus random")


# -- loyalty programme -----------------------------------------------------------------------------
def test_loyalty_lowers_churn_but_rewards_can_cost_more_than_they_earn():
    """The programme cuts annual churn; with effects as small as the literature's lower end
    (Sharp & Sharp 1997), rewards and running costs exceed what the extra loyalty earns."""
    base = strategies.operational
    assert_positive(paired(summary("annual_churn_rate"), base, strategies.loyalty),
                    "annual churn, without minus with loyalty")
    small = SC.replace(**{"loyalty.hazard_reduction": 0.05, "loyalty.rate_lift": 0.02,
                          "loyalty.reward_rate": 0.05})
    assert_positive(paired(summary("profit"), base, strategies.loyalty, scenario=small),
                    "profit, without minus with a small-effect loyalty programme")


# -- win-back --------------------------------------------------------------------------------------
def test_winback_recovers_some_lost_customers_at_a_cost():
    """Some contacted lost customers come back (second lives), the campaign costs money, and
    the firm ends with more active customers than without it."""
    results = [run(SC, strategies.winback, seed=s) for s in range(3)]
    for result in results:
        wins = result.campaigns[result.campaigns["campaign"] == "winback"]
        assert 0 < wins["accepted"].sum() < len(wins)  # some, not all
        assert result.timeline["cost_winback"].sum() == pytest.approx(wins["cost"].sum())
        # A customer won back twice lives a third life: lives count every success.
        assert (result.customers["lives"] - 1).sum() == wins["accepted"].sum()
    assert_positive(paired(summary("customers_active_end"), strategies.winback,
                           strategies.operational), "active customers, win-back minus none")


# -- people and technology -------------------------------------------------------------------------
def test_technology_without_training_underperforms_technology_with_training():
    """The CRM system raises first-contact resolution only as far as employees use it: without
    training, adoption fades and resolution stays near the no-system level in every run."""
    trained = strategies.operational
    untrained = strategies.operational.configure(training_spend=0.0)
    fcr = paired(summary("first_contact_resolution"), trained, untrained)
    assert (fcr > 0.05).all(), fcr
    adoption = paired(lambda r: r.timeline["adoption"].iloc[-1], trained, untrained,
                      seeds=range(1))
    assert adoption[0] > 0.5
    assert_positive(paired(summary("satisfaction_end"), trained, untrained),
                    "satisfaction, trained minus untrained")


# -- fairness --------------------------------------------------------------------------------------
def loyal_satisfaction(result) -> float:
    """Mean latent satisfaction at the end of the customers active for over a year."""
    cu, truth = result.customers, result.truth
    tenured = cu["acquired_day"] <= SC.horizon_days - SC.fairness.loyal_tenure_days
    loyal = cu[(cu["status"] == "active") & tenured]["customer_id"]
    return float(truth.loc[truth["customer_id"].isin(loyal), "satisfaction"].mean())


def test_fairness_penalty_appears_when_welcome_deals_dwarf_loyalty_rewards():
    """A 30% welcome discount, with nothing for loyal customers, opens a gap far beyond the
    tolerance: loyal customers' satisfaction falls and churn rises. A 5% deal beside a
    loyalty programme stays within the tolerance: the timeline shows no gap to resent."""
    plain = strategies.transactional
    deal = strategies.transactional.configure(welcome_discount=0.3)
    gap = run(SC, deal, seed=0).timeline["fairness_gap"]
    assert gap.to_numpy() == pytest.approx(0.3)
    assert_positive(paired(loyal_satisfaction, plain, deal),
                    "loyal customers' satisfaction, no deal minus a 30% deal")
    assert_positive(paired(summary("annual_churn_rate"), deal, plain),
                    "annual churn, 30% deal minus none")
    fair = fixed(mass_spend=8_000.0, agents=1, loyalty=True, welcome_discount=0.05)
    tolerance = SC.fairness.tolerance
    assert (run(SC, fair, seed=0).timeline["fairness_gap"] <= tolerance).all()
