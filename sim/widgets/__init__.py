"""Interactive controls for the notebooks, each one line to show.

* :class:`StrategyExplorer`: sliders on a preset's parameters (spends, budgets, agents).
* :class:`ScenarioExplorer`: sliders on fields of the market under a fixed strategy.
* :class:`ComparisonView`: strategies side by side with paired replications and intervals.

Each redraws one figure in place and caches what it ran, so a control answers within a second
or two. Their callbacks (``update``) work without a browser, which is how the tests drive them.

Examples
--------
>>> from sim.widgets import StrategyExplorer, ScenarioExplorer, ComparisonView  # doctest: +SKIP
>>> StrategyExplorer("analytical")                                   # doctest: +SKIP
>>> ScenarioExplorer(["service.fcr", "satisfaction.churn_effect"])   # doctest: +SKIP
>>> ComparisonView(["transactional", "operational", "full_crm"])     # doctest: +SKIP
"""

from .comparison import ComparisonView
from .explorer import (
    CACHE_SIZE,
    SCENARIO_RANGES,
    SLIDER_RANGES,
    ScenarioExplorer,
    StrategyExplorer,
    scenario_field,
)

__all__ = ["CACHE_SIZE", "SCENARIO_RANGES", "SLIDER_RANGES", "ComparisonView",
           "ScenarioExplorer", "StrategyExplorer", "scenario_field"]
