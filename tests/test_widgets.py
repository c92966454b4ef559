"""The strategy explorer's callback re-runs, caches and redraws, without a browser."""

import numpy as np
import pytest

from sim import Scenario, strategies
from sim.widgets import SLIDER_RANGES, StrategyExplorer


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
    after = explorer.update(mass_spend=24_000.0)
    assert after is explorer.result and after is not before
    assert after.timeline["mass_spend"].iloc[0] == 24_000.0
    new = [np.asarray(line.get_ydata(), dtype=float) for line in lines]
    assert not np.array_equal(old[1], new[1])  # cumulative profit moved
    assert "mass_spend = 24,000" in explorer.figure._suptitle.get_text()
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

    monkeypatch.setattr("sim.widgets.run", broken)
    slider = next(c for c in box.children if getattr(c, "description", "") == "mass spend")
    slider.value = 1_000.0
    assert explorer.values == before and explorer.result is result
    assert "RuntimeError: the market fell over" in explorer._status.value


def test_the_cache_keeps_the_latest_positions(monkeypatch):
    monkeypatch.setattr("sim.widgets.CACHE_SIZE", 2)
    small = Scenario.load("classroom").replace(market_size=4_000, initial_customers=400)
    e = StrategyExplorer("operational", small, horizon_days=60, baseline=None)
    first = e.result
    e.update(mass_spend=1_000.0)
    e.update(mass_spend=2_000.0)  # the default position is now the oldest of three: dropped
    assert len(e._cache) == 2
    assert e.update(mass_spend=12_000.0) is not first  # re-run, not the dropped result
