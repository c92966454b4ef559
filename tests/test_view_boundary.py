"""The information boundary between strategy and engine (DESIGN section 5).

A strategy sees only what a real firm could know (the observable columns, KPI history without
latent satisfaction), cannot change the engine through its view, and cannot reach the engine
from its view (no reference to the model, no array sharing the engine's memory).
"""

from __future__ import annotations

import dataclasses
import gc
import types

import numpy as np
import pandas as pd
import pytest
import simpy

from sim import Actions, FirmView, Scenario, run
from sim import errors as sim_errors
from sim.engine import active as active_mod
from sim.engine import market as market_mod
from sim.engine import record as record_mod
from sim.engine import service as service_mod
from sim.engine.model import Model
from sim.view import OBSERVABLE_COLUMNS, TRUTH_KPIS

SC = Scenario.load("classroom").replace(market_size=4000, initial_customers=800, horizon_days=150)
LATENT = ("satisfaction", "hazard", "base_hazard", "rate", "purchase_rate", "spend", "spend_mean",
          "expected_remaining_value", "churn_clock", "cum_hazard", "loss_reason", "sat_base",
          "pressure", "next_purchase", "annual_churn_baseline", "person",
          # the levers' latent state: offer and loyalty effects, cross-sell fit, the truth of
          # retention offers
          "offer_until", "offer_mult", "loyal_mult", "lever_factor", "lifted", "fit",
          "would_have_left", "fcr_target")
ENGINE_TYPES = (Model, simpy.Environment, market_mod.Market, market_mod.CustomerBase,
                active_mod.ActiveSet, record_mod.Ledger, service_mod.ServiceCentre)


def plain_actions(view) -> Actions:
    return Actions(mass_spend=6_000.0, agents=2, crm_system=view.cycle % 2 == 1)


def every_lever(view) -> Actions:
    """Pulls every lever, so the levers' columns hold real values while the view is checked."""
    cu = view.customers
    active = cu.loc[cu["status"] == "active", "customer_id"]
    lost = cu.loc[cu["status"] == "lost", "customer_id"]
    return Actions(mass_spend=4_000.0, agents=2, crm_system=True, training_spend=1_000.0,
                   retention_offers=active.iloc[::7].tolist()[:40],
                   cross_sell=active.iloc[3::7].tolist()[:40], winback=lost.tolist()[:40],
                   loyalty=True, collaborative=True, welcome_discount=0.2)


def test_view_shows_only_observable_columns():
    seen = []

    def inspect(view):
        assert isinstance(view, FirmView)
        customers, kpis = view.customers, view.kpis
        seen.append((view.cycle, list(customers.columns), list(kpis.columns), len(customers)))
        assert list(customers.columns) == list(OBSERVABLE_COLUMNS)
        for name in LATENT:
            assert name not in customers.columns, name
        for name in TRUTH_KPIS:
            assert name not in kpis.columns, name
            # Nor anywhere else in the view, private attributes included.
            assert all(name not in row for row in view._kpi_rows), name
            assert all(name not in row for row in view.recent(99)), name
        assert view.active_customers["status"].eq("active").all()
        assert len(view.active_customers) == view.n_active
        # The campaign log holds the truth of retention offers: it is not in the view.
        assert not any(hasattr(view, name) for name in ("campaigns", "truth", "transactions"))
        return every_lever(view)

    result = run(SC, inspect, seed=1)
    # The levers did run, so their columns were there to leak.
    assert result.campaigns["campaign"].nunique() == 3
    assert result.timeline["loyalty"].all()
    assert len(seen) == len(result.timeline)
    assert seen[0][3] == SC.initial_customers and seen[-1][3] > SC.initial_customers
    # From the second cycle on the KPI history is there, without the latent satisfaction that
    # the result's timeline does keep.
    assert "satisfaction" in result.timeline.columns
    assert seen[1][2] and "revenue" in seen[1][2] and "contacts" in seen[1][2]
    assert set(seen[-1][2]) == set(result.timeline.columns) - set(TRUTH_KPIS)


def _view_arrays(view):
    return {k: v for k, v in view._columns.items() if isinstance(v, np.ndarray)}


def test_view_is_read_only():
    checked = []

    def vandal(view):
        with pytest.raises(dataclasses.FrozenInstanceError):
            view.budget = 1e9
        with pytest.raises(dataclasses.FrozenInstanceError):
            view.n_active = 0
        with pytest.raises(TypeError):
            view.prices["agent_cost_per_day"] = 0.0
        with pytest.raises(TypeError):
            view._columns["revenue"] = np.zeros(3)
        arrays = _view_arrays(view)
        assert len(arrays) >= 5  # the raw observable columns, whatever their internal names
        for name, array in arrays.items():
            assert not array.flags.writeable, name
            if array.size:
                with pytest.raises(ValueError, match="read-only"):
                    array[0] = array[0]
        for row in view._kpi_rows:
            with pytest.raises(TypeError):
                row["revenue"] = 0.0
        checked.append(view.cycle)
        return plain_actions(view)

    run(SC, vandal, seed=2)
    assert len(checked) == 5


def test_modifying_the_view_copy_changes_nothing():
    def tamper(view):
        customers = view.customers
        customers["revenue"] = 0.0
        customers.loc[:, "status"] = "lost"
        customers.iloc[:, 0] = -1
        customers.iloc[:10, customers.columns.get_loc("purchases")] = 10**6
        kpis = view.kpis
        if len(kpis):
            kpis["revenue"] = -1.0
            kpis.iloc[0, 0] = -99
        # A second access gives the same (cached) frame, but the engine is untouched.
        assert view.n_active > 0
        return plain_actions(view)

    def honest(view):
        view.customers  # noqa: B018 (build the frame too, so both runs do the same work)
        return plain_actions(view)

    a, b = run(SC, tamper, seed=3), run(SC, honest, seed=3)
    for name in a.TABLES:
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)
    # And the next cycle's view is fresh: what the tamperer wrote is gone.
    fresh = []

    def looks_again(view):
        if view.cycle == 0:
            view.customers["revenue"] = 1e9
        else:
            fresh.append(float(view.customers["revenue"].max()))
        return plain_actions(view)

    run(SC, looks_again, seed=3)
    assert fresh and max(fresh) < 1e9


def _walk(obj, depth, seen):
    """Yield every object reachable from ``obj`` within ``depth`` referent steps."""
    if id(obj) in seen or depth < 0:
        return
    seen.add(id(obj))
    yield obj
    if isinstance(obj, (str, bytes, int, float, type, types.ModuleType, types.FunctionType)):
        return
    children = list(gc.get_referents(obj))
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        children += list(vars(obj).values())
    for child in children:
        yield from _walk(child, depth - 1, seen)


def _engine_arrays(model):
    arrays = {}
    for owner, names in ((model.cust, model.cust.FLOAT + model.cust.INT),
                         (model.active, (*model.active.COLUMNS, "row_of")),
                         (model.market, ("segment", "rate", "spend", "base_hazard", "churn_clock",
                                         "purchase_clock", "status", "customer_id", "initial"))):
        for name in names:
            arrays[f"{type(owner).__name__}.{name}"] = getattr(owner, name)
    arrays["Model.prospects_by_seg"] = model.prospects_by_seg
    if "fit" in vars(model.market):  # drawn on the first cross-sell
        arrays["Market.fit"] = model.market.fit
    return arrays


def leaks(view, model) -> list[str]:
    """What of the engine ``view`` reaches: engine objects within 4 referent steps, and arrays
    (the view's own and its customer frame's) sharing memory with the engine's columns."""
    found = []
    engine = _engine_arrays(model)
    reachable = list(_walk(view, 4, set()))
    found += [f"reaches {type(o).__name__}" for o in reachable if isinstance(o, ENGINE_TYPES)]
    arrays = [o for o in reachable if isinstance(o, np.ndarray)]
    arrays += list(_view_arrays(view).values())
    frame = view.customers
    arrays += [frame[c].to_numpy() for c in frame.columns if frame[c].dtype != object]
    assert len(arrays) > 15
    for array in arrays:
        found += [f"shares {name}" for name, col in engine.items() if np.shares_memory(array, col)]
    return found


def test_view_holds_no_reference_to_the_engine():
    model = None
    checked = []

    def spy(view):
        assert leaks(view, model) == []
        checked.append(view.cycle)
        return every_lever(view)

    model = Model(SC, spy, seed=4)
    result = model.simulate()
    assert checked == list(range(len(result.timeline)))
    assert model.cust.n > SC.initial_customers  # the engine's arrays were real and growing


def test_the_leak_check_detects_leaks():
    """The check above can fail: a view carrying the model, or an engine column, is caught."""
    model = None
    caught = []

    def spy(view):
        n = model.cust.n
        via_prices = dataclasses.replace(view, prices=types.MappingProxyType({"m": model}))
        columns = dict(view._columns)
        columns["revenue"] = model.cust.revenue[:n]  # a view of engine memory, not a copy
        via_column = dataclasses.replace(view, _columns=types.MappingProxyType(columns))
        caught.append((leaks(via_prices, model), leaks(via_column, model)))
        return plain_actions(view)

    model = Model(SC.replace(horizon_days=30), spy, seed=4)
    model.simulate()
    (by_model, by_column), = caught
    assert "reaches Model" in by_model
    assert "shares CustomerBase.revenue" in by_column


def test_recent_kpis_are_read_only_observable_and_oldest_first():
    seen = {}

    def peek(view):
        if view.cycle == 4:
            seen["recent"] = view.recent(3)
            seen["kpis"] = view.kpis
            seen["all"] = view.recent(100)
            seen["none"] = view.recent(0)
        return Actions(mass_spend=1_000)

    run(Scenario.load("classroom").replace(horizon_days=200), peek, seed=4)
    recent, kpis = seen["recent"], seen["kpis"]
    assert [r["cycle"] for r in recent] == [1, 2, 3]
    assert len(seen["all"]) == 4 and seen["none"] == ()
    for row in recent:
        assert "satisfaction" not in row
        with pytest.raises(TypeError):
            row["revenue"] = 0.0  # type: ignore[index]
    assert recent[-1]["revenue"] == kpis["revenue"].iloc[-1]


def test_a_strategy_that_reads_only_kpis_gets_no_customer_table_and_a_clear_error():
    seen = []

    def kpi_only(view) -> Actions:
        seen.append(view)
        return Actions(agents=2)

    kpi_only.reads_customers = False
    result = run(SC, kpi_only, seed=4)
    assert seen and all(v._columns is None for v in seen)
    with pytest.raises(sim_errors.CRMLabError, match=r"kpi_only.*reads_customers = False"):
        _ = seen[-1].customers
    # The KPIs are there, and the run is the same as for a strategy that reads the customers.
    assert len(seen[-1].kpis) == seen[-1].cycle

    def reading(view) -> Actions:
        assert len(view.customers) >= view.n_active
        return Actions(agents=2)

    other = run(SC, reading, seed=4)
    pd.testing.assert_frame_equal(result.customers, other.customers)
    pd.testing.assert_frame_equal(result.timeline, other.timeline)


def test_presets_declare_what_they_read_and_configure_keeps_it():
    from sim import strategies

    for preset in strategies.PRESETS.values():
        assert isinstance(preset.reads_customers, bool)
        assert preset.configure().reads_customers == preset.reads_customers
    assert strategies.operational.reads_customers is False
