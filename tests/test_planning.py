"""The planning helpers strategies are built from (``sim.planning``) and the customer-based cost
model (``sim.analytics.profitability``).

These are pure functions of a view, so they are tested on hand-built inputs: a fake view (any
object with the attributes a helper reads) and a hand-built customer table, with every expected
number worked out from the classroom price list in the test itself.
"""

from __future__ import annotations

import math
from types import MappingProxyType, SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sim import Actions, Scenario
from sim.actions import plan_cost, price_list
from sim.analytics.profitability import cost_per_contact, segment_profitability
from sim.analytics.queueing import agents_needed, service_level
from sim.planning import ContactLog, affordable, fit_budget, staff, take_within

SC = Scenario.load("classroom")
PRICES = price_list(SC)
DAYS = SC.cycle_days
AGENT_CYCLE = PRICES["agent_cost_per_day"] * DAYS  # 200 EUR/day x 30 days = 6,000


def fake_view(budget: float) -> SimpleNamespace:
    """What fit_budget reads of a FirmView: the price list, the cycle length and the budget."""
    return SimpleNamespace(prices=PRICES, cycle_days=DAYS, budget=float(budget))


def cost(plan: Actions) -> float:
    return plan_cost(plan, PRICES, DAYS)


# -- fit_budget: a plan that uses every lever -----------------------------------------------------
# Lists in descending id order, so "keeps the first ids" differs from "keeps the smallest ids".
WANTED = Actions(
    mass_spend=5_000.0, targeted_spend=4_000.0, agents=3, crm_system=True, training_spend=1_000.0,
    retention_offers=tuple(range(300, 200, -1)), cross_sell=tuple(range(200, 100, -1)),
    winback=tuple(range(100, 0, -1)), loyalty=True, collaborative=True,
)
# What each part of WANTED costs at the classroom prices (EUR per cycle).
TARGETED = WANTED.targeted_spend + PRICES["targeted_data_cost_per_cycle"]  # 4,000 + 2,000 data
MASS = WANTED.mass_spend  # 5,000
CROSS = 100 * PRICES["cross_sell_contact_cost"]  # 100 x 1.5 = 150
WINBACK = 100 * PRICES["winback_contact_cost"]  # 100 x 3 = 300
RETENTION = 100 * PRICES["retention_contact_cost"]  # 100 x 2 = 200
COLLAB = PRICES["collaboration_cost_per_cycle"]  # 5,000
LOYALTY = PRICES["loyalty_cost_per_cycle"]  # 4,000
TRAINING = WANTED.training_spend  # 1,000
CRM = PRICES["crm_system_cost_per_cycle"]  # 3,000
AGENTS = WANTED.agents * AGENT_CYCLE  # 3 x 6,000
FULL = (TARGETED + MASS + CROSS + WINBACK + RETENTION + COLLAB + LOYALTY + TRAINING + CRM
        + AGENTS)  # 42,650
MARKETING = TARGETED + MASS
LISTS = CROSS + WINBACK + RETENTION
# The plan once every cut before the agents is made: agents alone.
BARE = Actions(agents=WANTED.agents)


def test_plan_cost_of_the_test_plan_is_the_sum_of_its_parts():
    """The hand-computed parts below rest on plan_cost adding exactly these items."""
    assert FULL == 42_650.0
    assert cost(WANTED) == FULL


@pytest.mark.parametrize("budget", [FULL, FULL + 0.01, 1e9])
def test_a_plan_within_budget_is_returned_unchanged(budget):
    """Nothing is cut (not even rebuilt) when the plan fits, on the budget exactly included."""
    assert fit_budget(WANTED, fake_view(budget)) is WANTED


def test_targeted_marketing_is_cut_first():
    """1,000 over: only targeted spend shrinks, by exactly the overrun."""
    out = fit_budget(WANTED, fake_view(FULL - 1_000.0))
    assert out == WANTED.replace(targeted_spend=WANTED.targeted_spend - 1_000.0)
    assert cost(out) == FULL - 1_000.0


def test_mass_marketing_is_cut_second():
    """Cutting targeted spend to zero also saves its data cost (6,000 in all); the remaining
    1,000 comes off mass marketing and nothing else is touched."""
    out = fit_budget(WANTED, fake_view(FULL - TARGETED - 1_000.0))
    assert out == WANTED.replace(targeted_spend=0.0, mass_spend=MASS - 1_000.0)


def test_cross_sell_is_trimmed_from_the_end_after_marketing():
    """30 EUR over after marketing is gone: ceil(30 / 1.5) = 20 contacts dropped from the end,
    so the first 80 ids (the strategy's best) are kept."""
    out = fit_budget(WANTED, fake_view(FULL - MARKETING - 30.0))
    assert out == WANTED.replace(targeted_spend=0.0, mass_spend=0.0,
                                 cross_sell=WANTED.cross_sell[:80])
    assert out.cross_sell[0] == 200 and out.cross_sell[-1] == 121


def test_winback_is_trimmed_after_cross_sell():
    """Cross-sell all gone, 30 EUR over: ceil(30 / 3) = 10 win-back contacts dropped."""
    out = fit_budget(WANTED, fake_view(FULL - MARKETING - CROSS - 30.0))
    assert out == WANTED.replace(targeted_spend=0.0, mass_spend=0.0, cross_sell=(),
                                 winback=WANTED.winback[:90])


def test_retention_is_trimmed_after_winback():
    """Both other lists gone, 20 EUR over: ceil(20 / 2) = 10 retention offers dropped."""
    out = fit_budget(WANTED, fake_view(FULL - MARKETING - CROSS - WINBACK - 20.0))
    assert out == WANTED.replace(targeted_spend=0.0, mass_spend=0.0, cross_sell=(), winback=(),
                                 retention_offers=WANTED.retention_offers[:90])


def test_collaboration_goes_after_the_lists_and_the_overshoot_returns_to_marketing():
    """1 EUR over once marketing and lists are gone: collaboration (5,000) is switched off,
    which overshoots by 4,999; that room goes back to mass marketing (wanted 5,000), not to
    targeted marketing (which would bring back its 2,000 data cost too)."""
    budget = FULL - MARKETING - LISTS - 1.0
    out = fit_budget(WANTED, fake_view(budget))
    assert out == BARE.replace(crm_system=True, training_spend=TRAINING, loyalty=True,
                               mass_spend=COLLAB - 1.0)
    assert cost(out) == budget


def test_loyalty_goes_after_collaboration():
    budget = FULL - MARKETING - LISTS - COLLAB - 1.0
    out = fit_budget(WANTED, fake_view(budget))
    assert out == BARE.replace(crm_system=True, training_spend=TRAINING,
                               mass_spend=LOYALTY - 1.0)


def test_training_is_cut_after_the_programmes():
    """400 EUR over once the programmes are off: training 1,000 -> 600, exactly on budget."""
    budget = FULL - MARKETING - LISTS - COLLAB - LOYALTY - 400.0
    out = fit_budget(WANTED, fake_view(budget))
    assert out == BARE.replace(crm_system=True, training_spend=TRAINING - 400.0)


def test_crm_system_is_cut_after_training_and_agents_are_kept():
    """1 EUR more than training can give: the CRM system goes; agents stay at 3 and the room
    left is handed back so the plan ends exactly on budget."""
    budget = FULL - MARKETING - LISTS - COLLAB - LOYALTY - TRAINING - 1.0
    out = fit_budget(WANTED, fake_view(budget))
    assert out.agents == WANTED.agents and not out.crm_system
    assert not (out.loyalty or out.collaborative or out.retention_offers or out.cross_sell
                or out.winback or out.targeted_spend)
    assert cost(out) == budget


def test_agents_are_shed_last_and_the_room_given_back():
    """1 EUR under three agents alone: one agent is shed (ceil(1 / 6,000) = 1), leaving 5,999
    of room. Given back in order: the CRM system (3,000) and training (1,000) fit; loyalty
    (4,000) and collaboration (5,000) do not; the last 1,999 goes to mass marketing, and
    targeted marketing gets nothing back. The campaign lists are never given back."""
    budget = AGENTS - 1.0
    out = fit_budget(WANTED, fake_view(budget))
    room = AGENT_CYCLE - 1.0 - CRM - TRAINING
    assert room == 1_999.0
    assert out == Actions(agents=2, crm_system=True, training_spend=TRAINING, mass_spend=room)
    assert cost(out) == budget


def test_several_agents_shed_at_once():
    """11,000 over three agents: ceil(11,000 / 6,000) = 2 agents shed in one step, to 1."""
    out = fit_budget(WANTED, fake_view(AGENTS - 11_000.0))
    assert out.agents == 1
    assert cost(out) <= AGENTS - 11_000.0


def test_agents_never_below_one():
    """Even a budget that cannot pay one agent (Scenario refuses such budgets) leaves one."""
    out = fit_budget(WANTED, fake_view(1_000.0))
    assert out == Actions(agents=1)


def test_result_fits_a_grid_of_budgets():
    """From one agent's cost to above the plan, every 50 EUR (and a few odd cents): the result
    fits, never exceeds what was wanted, and keeps list prefixes."""
    for budget in [*np.arange(AGENT_CYCLE, FULL + 100.0, 50.0), 6_000.01, 17_999.99, 42_649.99]:
        out = fit_budget(WANTED, fake_view(budget))
        assert cost(out) <= budget, budget
        _assert_within_wanted(out, WANTED)


def _assert_within_wanted(out: Actions, wanted: Actions) -> None:
    assert 1 <= out.agents <= wanted.agents
    for name in ("mass_spend", "targeted_spend", "training_spend"):
        assert 0.0 <= getattr(out, name) <= getattr(wanted, name)
    for name in ("crm_system", "loyalty", "collaborative"):
        assert getattr(out, name) <= getattr(wanted, name)  # only on if wanted
    for name in ("retention_offers", "cross_sell", "winback"):
        ids = getattr(out, name)
        assert ids == getattr(wanted, name)[: len(ids)]  # a prefix: the best kept
    assert out.target_segments == wanted.target_segments
    assert out.welcome_discount == wanted.welcome_discount


_ids = st.lists(st.integers(0, 5_000), max_size=60, unique=True).map(tuple)
_plans = st.builds(
    Actions,
    mass_spend=st.floats(0, 30_000), targeted_spend=st.floats(0, 20_000),
    agents=st.integers(1, 12), crm_system=st.booleans(), training_spend=st.floats(0, 5_000),
    retention_offers=_ids, cross_sell=_ids, winback=_ids, loyalty=st.booleans(),
    collaborative=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(plan=_plans, budget=st.floats(AGENT_CYCLE, 120_000))
# Found by CI: a cut by the computed overrun left 9e-13 EUR of training, a hair over budget.
@example(plan=Actions(training_spend=2192.534697068645), budget=AGENT_CYCLE)
def test_any_plan_fits_any_feasible_budget(plan, budget):
    """For any plan and any budget paying one agent: the result fits, is the plan itself when
    it fitted, only shrinks the plan, and respects the order of the cuts: a list is trimmed
    only once the lists cut before it are empty, and agents are shed only once every list is
    empty (lists are never given back)."""
    out = fit_budget(plan, fake_view(budget))
    assert cost(out) <= budget
    if cost(plan) <= budget:
        assert out is plan
    _assert_within_wanted(out, plan)
    if len(out.winback) < len(plan.winback):
        assert out.cross_sell == ()
    if len(out.retention_offers) < len(plan.retention_offers):
        assert out.cross_sell == () and out.winback == ()
    if out.agents < plan.agents:
        assert out.cross_sell == out.winback == out.retention_offers == ()


# -- take_within and affordable -------------------------------------------------------------------
PRIORITY = pd.Series([0.5, math.nan, 0.9, 0.5, 0.1], index=[7, 3, 9, 2, 5])


@pytest.mark.parametrize(("budget", "unit_cost", "expected"), [
    (10.0, 2.5, (9, 2, 7, 5)),  # 4 affordable, 4 scored: all, best first, 2 before 7 on a tie
    (7.5, 2.5, (9, 2, 7)),  # exactly 3
    (7.49, 2.5, (9, 2)),  # floor(2.996) = 2
    (100.0, 2.5, (9, 2, 7, 5)),  # more money than scored customers: the NaN one is never taken
    (0.0, 2.5, ()),
    (-5.0, 2.5, ()),
    (1.0, 0.0, (9, 2, 7, 5)),  # free contacts: everyone scored
])
def test_take_within(budget, unit_cost, expected):
    out = take_within(PRIORITY, budget, unit_cost)
    assert out == expected
    assert all(type(i) is int for i in out)


def test_take_within_empty_and_all_nan():
    assert take_within(pd.Series([], dtype=float), 100.0, 1.0) == ()
    assert take_within(pd.Series([math.nan, math.nan], index=[1, 2]), 100.0, 1.0) == ()


def test_take_within_ties_do_not_depend_on_the_order_given():
    """Ties broken by id, not by position, so a shuffled score gives the same campaign."""
    scores = pd.Series(1.0, index=[40, 10, 30, 20])
    assert take_within(scores, 2.0, 1.0) == (10, 20)
    assert take_within(scores.iloc[::-1], 2.0, 1.0) == (10, 20)


@pytest.mark.parametrize(("budget", "unit_cost", "expected"), [
    (10.0, 3.0, 3), (9.0, 3.0, 3), (8.99, 3.0, 2), (2.99, 3.0, 0),
    (0.3, 0.1, 3),  # 0.3 / 0.1 = 2.9999999999999996 in floats: still three contacts
    (0.0, 3.0, 0), (-1.0, 3.0, 0), (0.0, 0.0, 0),  # no money buys nothing, even free contacts
])
def test_affordable(budget, unit_cost, expected):
    assert affordable(budget, unit_cost) == expected


@pytest.mark.parametrize("unit_cost", [0.0, -1.0])
def test_affordable_free_contacts_are_unlimited(unit_cost):
    n = affordable(1.0, unit_cost)
    assert isinstance(n, int) and n >= 2**62


# -- ContactLog -----------------------------------------------------------------------------------
def test_contact_log_records_and_reports_days_since():
    log = ContactLog()
    assert log.since([0, 5], day=10).tolist() == [math.inf, math.inf]  # empty log
    log.record([3, 5], day=30)
    # Unsorted ids, one never contacted, one far beyond anything recorded.
    assert log.since([5, 4, 3, 1_000_000], day=60).tolist() == [30.0, math.inf, 30.0, math.inf]
    log.record(np.array([8]), day=45)  # grows the log; earlier records kept
    assert log.since([3, 8], day=60).tolist() == [30.0, 15.0]
    log.record((3,), day=50)  # re-recording updates
    assert log.since([3, 5], day=60).tolist() == [10.0, 30.0]
    log.record([], day=90)  # nothing to note
    assert log.since([3, 5, 8], day=60).tolist() == [10.0, 30.0, 15.0]
    assert log.since([], day=60).size == 0


# -- staff ----------------------------------------------------------------------------------------
class StaffView:
    """What staff reads: the price list, today's active customers and ``recent(n)``."""

    def __init__(self, rows, n_active: int = 2_050):
        self.prices = PRICES
        self.n_active = n_active
        self._rows = tuple(MappingProxyType(r) for r in rows)
        self.asked = []

    def recent(self, cycles: int = 1):
        self.asked.append(cycles)
        return self._rows[-cycles:] if cycles > 0 else ()


def _row(start, end, contacts, handle, days=30):
    return {"active_start": start, "active_end": end, "days": days, "contacts": contacts,
            "mean_handle_minutes": handle}


ROWS = [_row(1_000, 1_000, 9_999, 99.0),  # older than three cycles: not used
        _row(2_000, 1_900, 300, 30.0), _row(1_900, 2_100, 330, 40.0), _row(2_100, 2_000, 360, 35.0)]


@pytest.mark.parametrize(("initial", "expected"), [(3, 3), (0, 1), (-4, 1), (80, 50)])
def test_staff_before_any_record_is_initial_agents_clipped(initial, expected):
    """No cycle yet, or a last cycle without contacts: the initial guess, within [1, 50]."""
    assert staff(StaffView([]), initial_agents=initial) == expected
    assert staff(StaffView([_row(2_000, 2_000, 0, math.nan)]), initial_agents=initial) == expected


def test_staff_is_erlang_c_on_the_recorded_load():
    """Contacts per customer-day over the last three cycles, times today's customers, over the
    8 opening hours; handling time weighted by contacts; then Erlang C at the 80% target."""
    view = StaffView(ROWS)
    exposure = 1_950 * 30 + 2_000 * 30 + 2_050 * 30  # mean active customers x days
    per_minute = (300 + 330 + 360) / exposure * 2_050 / (8 * 60)
    handle = (300 * 30.0 + 330 * 40.0 + 360 * 35.0) / (300 + 330 + 360)
    expected = agents_needed(per_minute, handle, PRICES["wait_target_minutes"], 0.8, 50)
    assert staff(view) == expected
    assert view.asked == [3]
    # And that is what Erlang C means: the fewest agents reaching the level.
    target = PRICES["wait_target_minutes"]
    assert service_level(per_minute, handle, expected, target) >= 0.8
    assert expected == 1 or service_level(per_minute, handle, expected - 1, target) < 0.8


def test_staff_default_level_is_the_scenarios_target():
    assert PRICES["service_level_target"] == 0.8
    assert staff(StaffView(ROWS)) == staff(StaffView(ROWS), 0.8)


def test_staff_handling_time_skips_cycles_without_one():
    """A cycle whose mean handling time is NaN (nothing handled) adds load but not weight."""
    rows = [_row(2_000, 2_000, 300, math.nan), _row(2_000, 2_000, 300, 30.0)]
    per_minute = 600 / (2_000 * 60) * 2_050 / 480
    expected = agents_needed(per_minute, 30.0, PRICES["wait_target_minutes"], 0.8, 50)
    assert staff(StaffView(rows), history_cycles=2) == expected


def test_staff_higher_service_level_never_needs_fewer_agents():
    levels = np.linspace(0.05, 0.99, 40)
    counts = [staff(StaffView(ROWS), level) for level in levels]
    assert counts == sorted(counts)
    assert counts[-1] > counts[0]  # the range of levels matters, so the check has teeth


def test_staff_is_capped_at_max_agents():
    flood = [_row(2_000, 2_000, 2_000_000, 35.0)]
    assert staff(StaffView(flood)) == PRICES["max_agents"]


# -- profitability --------------------------------------------------------------------------------
def _customers() -> pd.DataFrame:
    """Four segments, observed days worked out by hand (records start on day 0)."""
    rows = [
        # segment, margin, contacts, tenure_days, acquired_day -> observed days
        ("A", 300.0, 2, 365.0, 0.0),  # 365
        ("A", 100.0, 0, 415.0, -50.0),  # 415 - 50 before the records = 365
        ("B", 50.0, 10, 182.5, 100.0),  # 182.5
        ("C", 0.0, 1, 30.0, -30.0),  # all of it before day 0: 0 observed days
        ("D", 10.0, 0, 73.0, 200.0),  # 73
    ]
    frame = pd.DataFrame(rows, columns=["segment", "margin", "contacts", "tenure_days",
                                        "acquired_day"])
    frame["segment"] = pd.Categorical(frame["segment"], categories=["A", "B", "C", "D"])
    return frame


def test_segment_profitability_by_hand():
    """At 10 EUR a contact:
    A: 730 days = 2 years, margin 400 -> 200/year, 2 contacts = 20 -> 10/year, profit 190;
    B: 0.5 years, margin 50 -> 100/year, 10 contacts = 100 -> 200/year, profit -100;
    D: 0.2 years, margin 10 -> 50/year, no contacts, profit 50;
    C: never observed, so NaN (sorted last). Best first: A, D, B, C."""
    table = segment_profitability(_customers(), 10.0)
    assert table.index.name == "segment"
    assert table.index.tolist() == ["A", "D", "B", "C"]
    assert table["customers"].tolist() == [2, 1, 1, 1]
    assert table["customer_years"].tolist() == pytest.approx([2.0, 0.2, 0.5, 0.0])
    assert table.loc[["A", "D", "B"], "margin_per_year"].tolist() == pytest.approx([200, 50, 100])
    assert table.loc[["A", "D", "B"], "service_cost_per_year"].tolist() == pytest.approx(
        [10, 0, 200])
    assert table.loc[["A", "D", "B"], "profit_per_year"].tolist() == pytest.approx([190, 50, -100])
    assert table.loc["C"].drop(["customers", "customer_years"]).isna().all()


@pytest.mark.parametrize("contact_cost", [math.nan, math.inf, 0.0])
def test_segment_profitability_unknown_contact_cost_counts_as_zero(contact_cost):
    """No contact cost known yet (NaN from cost_per_contact): service is free, profit is the
    margin, and the order changes to A (200), B (100), D (50)."""
    table = segment_profitability(_customers(), contact_cost)
    assert table.index.tolist() == ["A", "B", "D", "C"]
    assert table.loc[["A", "B", "D"], "profit_per_year"].tolist() == pytest.approx([200, 100, 50])
    assert (table.loc[["A", "B", "D"], "service_cost_per_year"] == 0).all()


def test_segment_profitability_without_acquired_day_uses_the_tenure():
    """observed_days falls back to the tenure: A then counts 365 + 415 = 780 days."""
    table = segment_profitability(_customers().drop(columns="acquired_day"), 0.0)
    assert table.loc["A", "customer_years"] == pytest.approx(780 / 365)
    assert table.loc["A", "profit_per_year"] == pytest.approx(400 / (780 / 365))


KPIS = [{"cost_agents": 6_000.0, "contacts": 100}, {"cost_agents": 12_000.0, "contacts": 200}]


def test_cost_per_contact_pools_the_rows():
    """(6,000 + 12,000) / (100 + 200) = 60 EUR, from dicts, read-only mappings or a frame."""
    assert cost_per_contact(KPIS) == 60.0
    assert cost_per_contact(tuple(MappingProxyType(r) for r in KPIS)) == 60.0
    assert cost_per_contact(pd.DataFrame(KPIS)) == 60.0


def test_cost_per_contact_is_nan_without_contacts():
    assert math.isnan(cost_per_contact([]))
    assert math.isnan(cost_per_contact([{"cost_agents": 6_000.0, "contacts": 0}]))
    assert math.isnan(cost_per_contact(pd.DataFrame({"cost_agents": [6_000.0],
                                                     "contacts": [0]})))
