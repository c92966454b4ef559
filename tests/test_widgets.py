"""The strategy explorer's callback re-runs, caches and redraws, without a browser."""

import numpy as np
import pandas as pd
import pytest

from sim import Scenario, strategies
from sim.widgets import (
    SCENARIO_RANGES,
    SLIDER_RANGES,
    ComparisonView,
    ScenarioExplorer,
    StrategyExplorer,
    scenario_field,
)


@pytest.fixture(scope="module")
def explorer():
    small = Scenario.load("classroom").replace(market_size=8_000, initial_customers=800)
    return StrategyExplorer("operational", small, horizon_days=180, seed=3)


def test_sliders_are_the_presets_numeric_parameters_with_a_range(explorer):
    assert set(explorer.values) == {"mass_spend", "training_spend", "initial_agents"}
    assert explorer.values["mass_spend"] == strategies.operational.params["mass_spend"]
    assert all(name in SLIDER_RANGES for name in explorer.values)


def test_a_slider_move_reruns_and_moves_the_lines(explorer):
    before = explorer.result
    lines = [line for _, line, _, _ in explorer._lines]
    old = [np.asarray(line.get_ydata(), dtype=float).copy() for line in lines]
    # 20,000 of marketing fits the budget beside the operational base (agents, CRM system,
    # training, self-service portal), so the plan carries it out uncut.
    after = explorer.update(mass_spend=20_000.0)
    assert after is explorer.result and after is not before
    assert after.timeline["mass_spend"].iloc[0] == 20_000.0
    new = [np.asarray(line.get_ydata(), dtype=float) for line in lines]
    assert not np.array_equal(old[1], new[1])  # cumulative profit moved
    assert "mass_spend = 20,000" in explorer.figure._suptitle.get_text()
    assert explorer.png().startswith(b"\x89PNG")


def test_a_position_seen_before_comes_from_the_cache_and_types_follow_the_preset(explorer):
    first = explorer.update(mass_spend=20_000)  # an int from an IntSlider-like source
    assert isinstance(explorer.values["mass_spend"], float)
    assert explorer.update(mass_spend=20_000.0) is first


def test_unknown_sliders_are_refused_with_the_known_ones(explorer):
    with pytest.raises(ValueError, match="mass_spend"):
        explorer.update(agents=3)
    with pytest.raises(ValueError, match="not parameters of operational"):
        StrategyExplorer("operational", sliders=["offer_budget"], baseline=None,
                         horizon_days=30)


def test_the_widget_wires_each_slider_to_the_callback(explorer):
    box = explorer.widget
    slider = next(c for c in box.children if getattr(c, "description", "") == "training spend")
    slider.value = 3_000.0
    assert explorer.values["training_spend"] == 3_000.0
    assert explorer.result.timeline["training_spend"].iloc[-1] == 3_000.0
    assert box.children[-1].value == explorer.png()


def test_a_failing_run_leaves_the_values_and_shows_the_error(explorer, monkeypatch):
    box = explorer.widget
    before, result = dict(explorer.values), explorer.result

    def broken(*args, **kwargs):
        raise RuntimeError("the market fell over")

    monkeypatch.setattr("sim.widgets.explorer.run", broken)
    slider = next(c for c in box.children if getattr(c, "description", "") == "mass spend")
    slider.value = 1_000.0
    assert explorer.values == before and explorer.result is result
    assert "RuntimeError: the market fell over" in explorer._status.value


def test_the_cache_keeps_the_latest_positions(monkeypatch):
    monkeypatch.setattr("sim.widgets.explorer.CACHE_SIZE", 2)
    small = Scenario.load("classroom").replace(market_size=4_000, initial_customers=400)
    e = StrategyExplorer("operational", small, horizon_days=60, baseline=None)
    first = e.result
    e.update(mass_spend=1_000.0)
    e.update(mass_spend=2_000.0)  # the default position is now the oldest of three: dropped
    assert len(e._cache) == 2
    assert e.update(mass_spend=12_000.0) is not first  # re-run, not the dropped result


# -- the scenario explorer -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def market():
    return Scenario.load("classroom").replace(market_size=8_000, initial_customers=800)


def test_scenario_field_reads_values_and_bounds_and_names_bad_paths(market):
    value, meta = scenario_field(market, "segments.regulars.annual_churn")
    assert value == market.segment("regulars").annual_churn
    assert meta["unit"] == "probability/year" and meta["hi"] == 1
    assert scenario_field(market, "service.fcr")[0] == market.service.fcr
    with pytest.raises(ValueError, match="no field 'fcrr'"):
        scenario_field(market, "service.fcrr")
    with pytest.raises(ValueError, match="high_value, regulars"):
        scenario_field(market, "segments.vip.annual_churn")
    with pytest.raises(ValueError, match="group of fields"):
        scenario_field(market, "service")


def test_a_scenario_slider_changes_the_market_not_the_strategy(market):
    e = ScenarioExplorer(["service.fcr", "segments.regulars.annual_churn"], "operational",
                         market, horizon_days=180, seed=5)
    assert e.values == {"service.fcr": market.service.fcr,
                        "segments.regulars.annual_churn": 0.18}
    assert e.result is e.baseline  # the market as given: one run, not two
    worse = e.update(**{"segments.regulars.annual_churn": 0.5})
    assert worse.scenario.segment("regulars").annual_churn == 0.5
    assert worse.summary()["customers_lost"] > e.baseline.summary()["customers_lost"]
    assert worse.strategy == "operational"
    assert "annual_churn = 0.5" in e.figure._suptitle.get_text()


def test_scenario_slider_ranges_come_from_the_table_the_caller_or_the_field(market):
    e = ScenarioExplorer(["service.fcr", "segments.high_value.annual_churn",
                          "service.recontact_days", "initial_customers"], "transactional",
                         market, horizon_days=30, baseline=False,
                         ranges={"service.fcr": (0.5, 0.9, 0.1)})
    assert e.slider_range("service.fcr") == (0.5, 0.9, 0.1)  # the caller's
    assert e.slider_range("segments.high_value.annual_churn") == SCENARIO_RANGES[
        "segments[].annual_churn"]
    lo, hi, step = e.slider_range("service.recontact_days")  # > 0 days, default 3
    assert 0 < lo < 3 < hi <= 9 and step > 0
    lo, hi, step = e.slider_range("initial_customers")  # whole people
    assert all(isinstance(x, int) for x in (lo, hi, step)) and hi == 2_400
    e.update(initial_customers=900.0)  # a FloatSlider-like value for a whole-number field
    assert e.values["initial_customers"] == 900 and isinstance(e.values["initial_customers"], int)


def test_an_invalid_market_is_reported_on_the_status_line(market):
    e = ScenarioExplorer("service.fcr", "transactional", market, horizon_days=30,
                         baseline=False)
    box = e.widget
    before = e.result
    e._moved("service.fcr", 1.5)  # a slider cannot go there, but a range given in code can
    assert e.result is before and e.values["service.fcr"] == market.service.fcr
    assert "service.fcr" in box.children[-2].value and "ScenarioError" in box.children[-2].value
    with pytest.raises(ValueError, match="only numeric"):
        ScenarioExplorer("service.queue", market)


# -- the comparison view ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def view(market):
    return ComparisonView(["transactional", "operational"], market, n=3, horizon_days=120,
                          seed=7)


def test_the_comparison_is_paired_and_matches_compare(view, market):
    from sim.experiments import compare

    ref = compare(market.replace(**{"service.queue": "batched", "horizon_days": 120}),
                  [strategies.transactional, strategies.operational], n=3, seed=7,
                  kpis=["profit"], progress=False)
    pd.testing.assert_frame_equal(view.comparison.table, ref.table)
    assert view.baseline == "transactional"
    assert view.png().startswith(b"\x89PNG") and "operational" in view.table_html()


def test_choices_seen_before_run_nothing_and_new_ones_only_what_is_missing(view, monkeypatch):
    import sim.widgets.comparison as module

    calls = []
    real = module.run_summary
    monkeypatch.setattr(module, "run_summary", lambda job: calls.append(job) or real(job))
    view.update(kpi="annual_churn_rate", baseline="operational")
    assert calls == [] and view.comparison.table["kpi"].eq("annual_churn_rate").all()
    view.update(n=4)
    assert sorted(job[1].name for job in calls) == ["operational", "transactional"]
    calls.clear()
    view.update(strategies=["transactional", "operational", "analytical"])
    assert [job[1].name for job in calls] == ["analytical"] * 4
    assert view.baseline == "operational"  # kept while it is still chosen


def test_bad_choices_are_refused_and_shown(view):
    with pytest.raises(ValueError, match="at least two"):
        view.update(strategies=["operational"])
    with pytest.raises(ValueError, match="unknown strategy 'vip'"):
        view.update(strategies=["operational", "vip"])
    with pytest.raises(ValueError, match="baseline = 'loyalty'"):
        view.update(baseline="loyalty")
    with pytest.raises(ValueError, match="not a KPI"):
        view.update(kpi="happiness")
    box = view.widget
    view._choose.value = ("operational",)
    assert "at least two" in box.children[1].value
    view._choose.value = ("operational", "transactional")
    assert box.children[1].value == "" and list(view._base.options) == ["operational",
                                                                        "transactional"]
    assert box.children[-1].value == view.table_html()
