"""Interactive controls for the notebooks: move a slider, see the market answer.

:class:`StrategyExplorer` puts sliders on a preset's numeric parameters (marketing spend,
training, campaign budgets, ...). Each move re-runs a smaller experiment (two years instead of
three, and the batched service queue, which gives the same run as the SimPy one faster) and
updates one figure against a baseline strategy drawn in grey. The figure is built once and its
lines are updated in place (DESIGN section 9: redrawing a figure from scratch costs twice as
much), and results are cached per slider position, so going back is instant.

Everything but :attr:`StrategyExplorer.widget` works without a browser: ``update(**values)``
is the callback the sliders call, so tests and benchmarks drive it directly.

Examples
--------
>>> from sim.widgets import StrategyExplorer              # doctest: +SKIP
>>> StrategyExplorer("analytical").widget                 # doctest: +SKIP
"""

from __future__ import annotations

import html
import io
import math
from collections import OrderedDict

from . import strategies as presets
from .engine.model import run
from .scenario import Scenario

__all__ = ["CACHE_SIZE", "SLIDER_RANGES", "StrategyExplorer"]

#: Slider positions whose runs an explorer keeps (a classroom run's result is a few MB).
CACHE_SIZE = 64

#: Slider range (min, max, step) of the presets' numeric parameters, in their units (EUR a
#: cycle for spends and budgets, a fraction for discounts and rates, agents, days).
SLIDER_RANGES: dict[str, tuple[float, float, float]] = {
    "mass_spend": (0.0, 30_000.0, 1_000.0),
    "targeted_spend": (0.0, 20_000.0, 1_000.0),
    "training_spend": (0.0, 6_000.0, 250.0),
    "offer_budget": (0.0, 10_000.0, 500.0),
    "cross_sell_budget": (0.0, 10_000.0, 500.0),
    "winback_budget": (0.0, 6_000.0, 250.0),
    "agents": (1, 12, 1),
    "initial_agents": (1, 12, 1),
    "welcome_discount": (0.0, 0.5, 0.05),
    "save_rate": (0.0, 1.0, 0.05),
    "max_days_lost": (30.0, 365.0, 15.0),
    "every_days": (30.0, 365.0, 15.0),
}

#: Timeline panels of the explorer's figure: (column, y label, cumulative?).
_PANELS = (("active_end", "active customers", False),
           ("profit", "cumulative profit (EUR)", True),
           ("mean_wait_minutes", "mean wait (minutes)", False))


class StrategyExplorer:
    """Sliders on a preset's parameters; every move re-runs and redraws against a baseline.

    Parameters
    ----------
    strategy : str or Preset
        The preset to explore (``sim.strategies``), by name or object.
    scenario : str or Scenario
        The market (a shipped name, a path, or a Scenario).
    baseline : str or Preset or None
        Drawn in grey for comparison; None for no baseline.
    seed : int
        The seed of every run: a slider change is then the only difference between two runs.
    horizon_days : int or None
        Length of each run (days); None keeps the scenario's. Two years by default, so that a
        run answers within a fraction of a second.
    sliders : sequence of str, optional
        Parameters to put on sliders; default every numeric parameter of the preset with a
        range in :data:`SLIDER_RANGES`.

    Attributes
    ----------
    values : dict
        The current slider values, by parameter.
    result : Result
        The run for the current values.
    figure : matplotlib.figure.Figure
        The explorer's figure (three panels over time: active customers, cumulative profit,
        mean wait), updated in place.
    """

    def __init__(self, strategy="operational", scenario="classroom", *,
                 baseline="transactional", seed: int = 42, horizon_days: int | None = 730,
                 sliders=None):
        self.preset = presets.get(strategy) if isinstance(strategy, str) else strategy
        base = Scenario.load(scenario) if not isinstance(scenario, Scenario) else scenario
        changes = {"service.queue": "batched"}
        if horizon_days is not None:
            changes["horizon_days"] = int(horizon_days)
        self.scenario = base.replace(**changes)
        self.seed = int(seed)
        names = list(sliders) if sliders is not None else [
            k for k, v in self.preset.params.items()
            if k in SLIDER_RANGES and isinstance(v, (int, float)) and not isinstance(v, bool)]
        unknown = [n for n in names if n not in self.preset.params]
        if unknown:
            raise ValueError(f"sliders = {unknown}: not parameters of {self.preset.name}; "
                             f"its parameters: {', '.join(self.preset.params)}")
        missing = [n for n in names if n not in SLIDER_RANGES]
        if missing:
            raise ValueError(f"sliders = {missing}: no range known; add one to "
                             "sim.widgets.SLIDER_RANGES")
        self.values = {n: self.preset.params[n] for n in names}
        self._cache: OrderedDict[tuple, object] = OrderedDict()
        self.baseline = None
        if baseline is not None:
            other = presets.get(baseline) if isinstance(baseline, str) else baseline
            self.baseline = run(self.scenario, other, seed=self.seed, transactions="none")
        self._widget = None
        self._figure = self._lines = self._text = None
        self.result = self._run(self.values)
        self._draw()

    def update(self, **values):
        """Re-run with some slider values changed and update the figure: the sliders' callback.

        Parameters
        ----------
        **values
            New values of slider parameters (in their units).

        Returns
        -------
        Result
            The run for the new values (cached per slider position).
        """
        unknown = sorted(set(values) - set(self.values))
        if unknown:
            raise ValueError(f"{unknown}: not sliders of this explorer; sliders: "
                             f"{', '.join(self.values)}")
        # A slider hands back its own number type; the preset gets the type it declares.
        new = {**self.values,
               **{k: type(self.preset.defaults[k])(v) for k, v in values.items()}}
        self.result = self._run(new)  # values change only once the run succeeded
        self.values = new
        self._draw()
        if self._widget is not None:
            self._image.value = self.png()
        return self.result

    def _run(self, values: dict):
        key = tuple(sorted(values.items()))
        if key in self._cache:
            self._cache.move_to_end(key)
        else:
            strategy = self.preset.configure(**values)
            self._cache[key] = run(self.scenario, strategy, seed=self.seed,
                                   transactions="none")
            if len(self._cache) > CACHE_SIZE:  # forget the position used longest ago
                self._cache.popitem(last=False)
        return self._cache[key]

    @property
    def figure(self):
        return self._figure

    def _draw(self) -> None:
        """Build the figure on the first call; afterwards move its lines and rescale."""
        tl = self.result.timeline
        days = tl["end_day"].to_numpy(dtype=float)
        if self._figure is None:
            from matplotlib.figure import Figure

            self._figure = Figure(figsize=(11, 3.4), layout="constrained")
            axes = self._figure.subplots(1, len(_PANELS))
            self._lines = []
            for ax, (column, label, cumulative) in zip(axes, _PANELS, strict=True):
                if self.baseline is not None:
                    b = self.baseline.timeline
                    ax.plot(b["end_day"], _series(b, column, cumulative), color="#9e9e9e",
                            linewidth=1.5, label=self.baseline.strategy)
                (line,) = ax.plot(days, _series(tl, column, cumulative), color="#1b6ca8",
                                  linewidth=2, label=self.preset.name)
                self._lines.append((ax, line, column, cumulative))
                ax.set_xlabel("day")
                ax.set_ylabel(label)
                if cumulative:  # whole euros, not matplotlib's 1e6 offset
                    ax.yaxis.set_major_formatter(lambda y, _: f"{y:,.0f}")
                ax.legend(loc="best", fontsize="small", frameon=False)
            self._text = self._figure.suptitle("")
        for ax, line, column, cumulative in self._lines:
            line.set_data(days, _series(tl, column, cumulative))
            ax.relim()
            ax.autoscale_view()
        kpis = self.result.summary()
        shown = ", ".join(f"{k} = {_fmt(v)}" for k, v in self.values.items())
        self._text.set_text(f"{self.preset.name} ({shown}): profit EUR {kpis['profit']:,.0f}, "
                            f"{kpis['customers_active_end']:,} customers at the end")

    def png(self) -> bytes:
        """The figure as PNG bytes (what the widget shows)."""
        buffer = io.BytesIO()
        self._figure.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()

    @property
    def widget(self):
        """The ipywidgets control: one slider per parameter above the figure."""
        if self._widget is None:
            import ipywidgets as w

            sliders = []
            for name, value in self.values.items():
                lo, hi, step = SLIDER_RANGES[name]
                whole = all(float(x).is_integer() for x in (lo, hi, step)) and isinstance(
                    value, int)
                kind = w.IntSlider if whole else w.FloatSlider
                slider = kind(value=value, min=lo, max=hi, step=step,
                              description=name.replace("_", " "), continuous_update=False,
                              style={"description_width": "initial"},
                              layout=w.Layout(width="420px"))
                slider.observe(lambda change, n=name: self._moved(n, change["new"]),
                               names="value")
                sliders.append(slider)
            # An exception in a widget callback never reaches the notebook cell: the status
            # line says what is running and what went wrong.
            self._status = w.HTML(value="")
            self._image = w.Image(value=self.png(), format="png")
            self._widget = w.VBox([*sliders, self._status, self._image])
        return self._widget

    def _moved(self, name: str, value) -> None:
        """A slider's callback: re-run, and say so, or say why not."""
        self._status.value = f"<i>running {self.preset.name} with {name} = {value} ...</i>"
        try:
            self.update(**{name: value})
        except Exception as err:  # shown to the student instead of vanishing in a log
            self._status.value = (f"<span style='color:#bc4b51'>{type(err).__name__}: "
                                  f"{html.escape(str(err))}</span>")
        else:
            self._status.value = ""

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)


def _series(timeline, column: str, cumulative: bool):
    values = timeline[column].to_numpy(dtype=float)
    return values.cumsum() if cumulative else values


def _fmt(value) -> str:
    if isinstance(value, float) and math.isfinite(value) and abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:g}" if isinstance(value, float) else str(value)
