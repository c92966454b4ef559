"""Every validation path of ``Actions`` and of what strategies return (DESIGN sections 4, 12).

A bad value stops the run with an ``ActionsError`` naming the field, the value and what is
allowed; a strategy that fails or returns something else is reported with its name and cycle;
the presets keep within any budget that can pay for the minimum of service.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
import pytest

import sim
from sim import Actions, ActionsError, Scenario, run, strategies
from sim.actions import planned_spend

SC = Scenario.load("classroom")  # budget 40,000; agent 200/day x 30 days; max 50 agents
SMALL = SC.replace(market_size=3000, initial_customers=600, horizon_days=120)


def error_of(actions: Actions, scenario: Scenario = SC) -> str:
    with pytest.raises(ActionsError) as info:
        actions.validated(scenario)
    assert isinstance(info.value, sim.CRMLabError) and isinstance(info.value, ValueError)
    return str(info.value)


def assert_names(message: str, *parts: str) -> None:
    for part in parts:
        assert part in message, f"{part!r} not in {message!r}"


# -- spends ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["mass_spend", "targeted_spend"])
@pytest.mark.parametrize(("value", "shown"), [
    (-1.0, "-1.0"), (math.nan, "nan"), (math.inf, "inf"), (True, "True"), ("100", "'100'"),
    (None, "None"),
])
def test_bad_spend(field, value, shown):
    message = error_of(Actions(**{field: value}))
    assert_names(message, f"Actions.{field}", f"= {shown}", ">= 0")


def test_valid_spends_are_canonical_floats():
    out = Actions(mass_spend=100, targeted_spend=0).validated(SC)
    assert type(out.mass_spend) is float and out.mass_spend == 100.0
    assert type(out.targeted_spend) is float


# -- target segments ------------------------------------------------------------------------------
def test_unknown_target_segment():
    message = error_of(Actions(targeted_spend=1000.0, target_segments=("regulars", "vips")))
    assert_names(message, "Actions.target_segments", "'vips'", "regulars", "high_value",
                 "bargain_hunters", "high_maintenance")


@pytest.mark.parametrize("value", [5, 2.5, {"regulars": 1}, None])
def test_target_segments_must_be_a_list(value):
    message = error_of(Actions(target_segments=value))
    assert_names(message, "Actions.target_segments", repr(value), "list of segment names")


def test_target_segments_forms_are_canonical():
    for given in (["regulars", "high_value", "regulars"], ("regulars", "high_value"),
                  ["regulars", "high_value"]):
        out = Actions(target_segments=given).validated(SC)
        assert out.target_segments == ("regulars", "high_value")
    assert Actions(target_segments="regulars").validated(SC).target_segments == ("regulars",)
    assert Actions().validated(SC).target_segments == ()


# -- agents ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(("value", "shown"), [
    (0, "0"), (-2, "-2"), (51, "51"), (2.5, "2.5"), (True, "True"), ("3", "'3'"), (None, "None"),
    (math.nan, "nan"),
])
def test_bad_agents(value, shown):
    message = error_of(Actions(agents=value))
    assert_names(message, "Actions.agents", f"= {shown}", "1 to 50", "service.max_agents")


def test_agents_whole_float_is_accepted():
    out = Actions(agents=3.0).validated(SC)
    assert out.agents == 3 and type(out.agents) is int
    assert Actions(agents=50).validated(SC.replace(budget_per_cycle=1e6)).agents == 50


def test_numpy_values_from_a_strategys_arithmetic_are_accepted():
    """Strategies compute with numpy/pandas; a numpy integer 3 is a whole number, a numpy bool
    is true or false, a numpy int64 spend is a number."""
    out = Actions(agents=np.int64(3), crm_system=np.bool_(True), mass_spend=np.int64(1000),
                  targeted_spend=np.float32(500.0)).validated(SC)
    assert out.agents == 3 and type(out.agents) is int
    assert out.crm_system is True
    assert out.mass_spend == 1000.0 and out.targeted_spend == 500.0


# -- crm system -----------------------------------------------------------------------------------
@pytest.mark.parametrize("value", [1, 0, "yes", None])
def test_crm_system_must_be_bool(value):
    message = error_of(Actions(crm_system=value))
    assert_names(message, "Actions.crm_system", repr(value), "True or False")


# -- budget ---------------------------------------------------------------------------------------
def test_over_budget():
    # 30,000 + 2,000 data + 5,000 targeted + 2 agents x 200 x 30 = 49,000 > 40,000.
    actions = Actions(mass_spend=30_000.0, targeted_spend=5_000.0, agents=2)
    assert planned_spend(actions, SC) == pytest.approx(49_000.0)
    message = error_of(actions)
    assert_names(message, "49,000", "budget_per_cycle", "40,000")


def test_exactly_on_budget_is_allowed_and_data_cost_counts():
    # 1 agent (6,000) + CRM system (3,000) + data (2,000) + 29,000 targeted = 40,000.
    exact = Actions(targeted_spend=29_000.0, agents=1, crm_system=True)
    assert planned_spend(exact, SC) == pytest.approx(40_000.0)
    exact.validated(SC)
    message = error_of(exact.replace(targeted_spend=29_001.0))
    assert_names(message, "40,001", "budget_per_cycle", "40,000")
    # The data cost is paid only when targeted marketing is used.
    assert planned_spend(Actions(mass_spend=31_000.0, crm_system=True), SC) == 40_000.0


def test_actions_are_frozen_and_keyword_only():
    with pytest.raises(dataclasses.FrozenInstanceError):
        Actions().agents = 3  # type: ignore[misc]
    with pytest.raises(TypeError):
        Actions(100.0)  # type: ignore[misc]
    assert Actions(agents=2).replace(agents=4).agents == 4


# -- strategies inside a run ----------------------------------------------------------------------
def test_strategy_returning_something_else_is_named():
    def forgetful(view):
        if view.cycle == 2:
            return {"agents": 2}
        return Actions()

    with pytest.raises(ActionsError) as info:
        run(SMALL, forgetful, seed=1)
    assert_names(str(info.value), "'forgetful'", "cycle 2", "dict", "sim.Actions")


def test_strategy_returning_none_is_named():
    def silent(view):
        pass

    with pytest.raises(ActionsError) as info:
        run(SMALL, silent, seed=1)
    assert_names(str(info.value), "'silent'", "cycle 0", "None")


def test_invalid_actions_stop_the_run_with_the_field():
    def greedy(view):
        return Actions(agents=view.prices["max_agents"] + 1)

    with pytest.raises(ActionsError, match=r"Actions\.agents = 51"):
        run(SMALL, greedy, seed=1)


class StrategyBug(Exception):
    """An exception whose constructor is not ``type(e)(*e.args)``-compatible."""

    def __init__(self, cycle: int, detail: str):
        super().__init__(f"cycle {cycle}: {detail}")
        self.cycle = cycle


@pytest.mark.parametrize("make", [
    lambda cycle: ZeroDivisionError("division by zero"),
    lambda cycle: KeyError("revenue"),
    lambda cycle: StrategyBug(cycle, "model not fitted"),
], ids=["ZeroDivisionError", "KeyError", "custom"])
def test_strategy_exception_propagates_unchanged(make):
    raised = []

    def broken(view):
        if view.cycle == 1:
            err = make(view.cycle)
            raised.append(err)
            raise err
        return Actions()

    with pytest.raises(Exception) as info:  # checked precisely below
        run(SMALL, broken, seed=1)
    assert raised, "the strategy never raised"
    assert type(info.value) is type(raised[0])
    assert info.value.args == raised[0].args
    # The very exception object, with its attributes (not a copy rebuilt from its args).
    assert info.value is raised[0]


def test_non_callable_strategy():
    with pytest.raises(TypeError, match="callable"):
        run(SMALL, "operational", seed=1)


# -- presets --------------------------------------------------------------------------------------
HEAVY = {f"segments.{name}.complaint_prob": 0.2 for name in SC.segment_names}


def _spent(row, sc) -> float:
    """The committed spend of a timeline row: campaign contacts counted from the ledger (the
    ids themselves do not matter to the cost, only how many)."""
    return planned_spend(Actions(
        mass_spend=row.mass_spend, targeted_spend=row.targeted_spend, agents=int(row.agents),
        crm_system=bool(row.crm_system), training_spend=row.training_spend,
        loyalty=bool(row.loyalty), collaborative=bool(row.collaborative),
        retention_offers=tuple(range(int(row.offers_sent))),
        cross_sell=tuple(range(int(row.cross_sell_contacts))),
        winback=tuple(range(int(row.winback_contacts)))), sc)


@pytest.mark.parametrize("name", sorted(strategies.PRESETS))
@pytest.mark.parametrize("budget", [6_000.0, 10_000.0, 20_000.0])
@pytest.mark.parametrize("load", ["classroom", "heavy"])
def test_presets_stay_within_any_feasible_budget(name, budget, load):
    """Any budget that pays one agent (200 EUR/day x 30 days = 6,000) admits valid actions;
    every preset must find them, cutting marketing first, and never plan over budget."""
    base = SC.replace(market_size=10_000, initial_customers=3_000, horizon_days=300,
                      **(HEAVY if load == "heavy" else {}))
    sc = base.replace(budget_per_cycle=budget)
    result = run(sc, strategies.get(name), seed=1)
    for row in result.timeline.itertuples():
        assert _spent(row, sc) <= budget + 1e-6


def test_transactional_cuts_marketing_to_fit():
    wanted = 9_000.0
    preset = strategies.transactional.configure(mass_spend=wanted, agents=1)
    sc = SMALL.replace(budget_per_cycle=10_000.0)
    tl = run(sc, preset, seed=1).timeline
    assert (tl["agents"] == 1).all()
    assert (tl["mass_spend"] == 4_000.0).all()  # 9,000 wanted; 10,000 - 6,000 for the agent
    roomy = run(sc.replace(budget_per_cycle=40_000.0), preset, seed=1).timeline
    assert (roomy["mass_spend"] == wanted).all()  # nothing is cut when it fits


def test_operational_cuts_marketing_to_fit():
    sc = SMALL.replace(budget_per_cycle=20_000.0)
    preset = strategies.operational.configure(mass_spend=12_000.0, initial_agents=2,
                                              crm_system=True)
    # 2 agents (12,000) + CRM (3,000) + training (1,000) + self-service portal (1,500) + mass
    # 12,000 = 29,500: mass is cut to 2,500 (e-mail has no fixed cost).
    tl = run(sc, preset, seed=1).timeline
    first = tl.iloc[0]
    assert first["agents"] == 2 and first["crm_system"] and first["self_service"]
    assert first["mass_spend"] == pytest.approx(2_500.0)
    assert first["training_spend"] == pytest.approx(1_000.0)


def test_configure_gives_a_new_named_strategy():
    busy = strategies.operational.configure(service_level=0.9)
    assert busy.name == "operational(service_level=0.9)"
    assert strategies.operational.name == "operational"
    assert strategies.operational.params["service_level"] is None
    assert busy.configure(service_level=None).name == "operational"  # back to the defaults
    twice = busy.configure(mass_spend=5_000.0)
    assert twice.name == "operational(mass_spend=5000.0, service_level=0.9)"
    result = run(SMALL.replace(horizon_days=60), twice, seed=1)
    assert result.strategy == twice.name
    assert (result.timeline["mass_spend"] == 5_000.0).all()


def test_configure_unknown_parameter():
    with pytest.raises(TypeError) as info:
        strategies.operational.configure(service_levle=0.9)
    assert_names(str(info.value), "operational", "'service_levle'", "service_level")
    with pytest.raises(TypeError):
        strategies.transactional.configure(crm_system=True)


def test_unknown_preset_name():
    with pytest.raises(ValueError, match="operational"):
        strategies.get("operatonal")


def test_repr_shows_a_plan_at_a_glance():
    plan = Actions(mass_spend=5_000.0, retention_offers=tuple(range(2_000)), cross_sell=(7,),
                   loyalty=True)
    assert repr(plan) == ("Actions(mass_spend=5000.0, retention_offers=<2000 ids: 0, 1, 2, ...>, "
                          "cross_sell=<1 id: 7>, loyalty=True)")
    assert repr(Actions()) == "Actions()"


@pytest.mark.parametrize(("ids", "shown"), [
    ([True, 2], "True"), (np.array([3, -2]), "-2"), ([1.5], "1.5"), (["a"], "'a'"),
    ([4, -1], "-1"), (np.array([True, False]), "True"),
])
def test_campaign_ids_must_be_whole_numbers(ids, shown):
    with pytest.raises(ActionsError, match=f"retention_offers contains {re.escape(shown)}: "):
        Actions(retention_offers=ids).validated(SC)


def test_campaign_ids_are_deduplicated_first_occurrence_first_whatever_their_type():
    for ids in ([5, 3, 5, 1, 3], np.array([5, 3, 5, 1, 3], dtype=np.int32),
                (np.int64(5), 3, 5, 1, np.uint8(3))):
        assert Actions(cross_sell=ids).validated(SC).cross_sell == (5, 3, 1)
    assert Actions(winback={4, 2}).validated(SC).winback == (2, 4)  # a set: sorted
    assert all(type(i) is int for i in Actions(winback=np.arange(3)).validated(SC).winback)
