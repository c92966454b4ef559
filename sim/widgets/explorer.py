"""Explorers: move a slider, the market runs again and the figure answers.

:class:`StrategyExplorer` puts sliders on a preset's numeric parameters (marketing spend,
training, campaign budgets, ...); :class:`ScenarioExplorer` puts them on fields of the market
itself (first-contact resolution, how much satisfaction drives churn, a segment's churn
rate, ...) under a fixed strategy. Each move re-runs a smaller experiment (two years instead of
three, and the batched service queue, which gives the same run as the SimPy one faster) and
updates one figure against a baseline drawn in grey. The figure is built once and its lines are
updated in place (DESIGN section 9: redrawing a figure from scratch costs twice as much), and
results are cached per slider position, so going back is instant.

Everything but the ``widget`` property works without a browser: ``update(**values)`` is the
callback the sliders call, so tests and benchmarks drive it directly.
"""

from __future__ import annotations

import dataclasses
import html
import io
import math
from collections import OrderedDict

from .. import strategies as presets
from ..engine.model import run
from ..scenario import Scenario

__all__ = ["CACHE_SIZE", "SCENARIO_RANGES", "SLIDER_RANGES", "ScenarioExplorer",
           "StrategyExplorer", "scenario_field"]

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
    "min_profit": (-100.0, 150.0, 10.0),
}

#: Slider range (min, max, step) of scenario fields worth a slider, in the fields' units; a
#: segment's field is written ``segments[].field``. Other fields get a range from their
#: declared bounds and default (:meth:`ScenarioExplorer.slider_range`).
SCENARIO_RANGES: dict[str, tuple[float, float, float]] = {
    "service.fcr": (0.3, 1.0, 0.05),
    "service.crm_system_fcr": (0.3, 1.0, 0.05),
    "service.handle_minutes": (5.0, 60.0, 5.0),
    "service.agent_cost_per_day": (50.0, 500.0, 25.0),
    "satisfaction.churn_effect": (0.0, 10.0, 0.5),
    "satisfaction.recovery_days": (15.0, 365.0, 15.0),
    "word_of_mouth.imitation": (0.0, 1.0, 0.05),
    "word_of_mouth.detractor_effect": (0.0, 6.0, 0.5),
    "competitors.waves_per_year": (0.0, 12.0, 1.0),
    "competitors.pressure": (0.0, 3.0, 0.1),
    "mass.conversion": (0.001, 0.02, 0.001),
    "targeted.conversion": (0.005, 0.1, 0.005),
    "retention.acceptance": (0.0, 1.0, 0.05),
    "retention.hazard_reduction": (0.0, 1.0, 0.05),
    "loyalty.hazard_reduction": (0.0, 0.6, 0.05),
    "loyalty.reward_rate": (0.0, 0.1, 0.005),
    "loyalty.fixed_cost_per_cycle": (0.0, 10_000.0, 500.0),
    "fairness.penalty": (0.0, 1.0, 0.05),
    "collaboration.fcr_boost": (0.0, 0.3, 0.05),
    "collaboration.fit_boost": (0.0, 1.0, 0.05),
    "collaboration.partner_referrals": (0.0, 100.0, 5.0),
    "segments[].annual_churn": (0.02, 0.6, 0.02),
    "segments[].complaint_prob": (0.0, 0.2, 0.01),
    "segments[].purchase_rate": (1.0, 52.0, 1.0),
    "segments[].margin": (0.05, 0.6, 0.05),
}

#: Timeline panels of an explorer's figure: (column, y label, cumulative?).
_PANELS = (("active_end", "active customers", False),
           ("profit", "cumulative profit (EUR)", True),
           ("mean_wait_minutes", "mean wait (minutes)", False))


def scenario_field(scenario: Scenario, path: str) -> tuple[object, dict]:
    """The value and the declared metadata (unit, meaning, bounds) of a scenario field.

    Parameters
    ----------
    scenario : Scenario
    path : str
        Dotted path as for :meth:`Scenario.replace`: ``"service.fcr"``, or a segment's field
        by the segment's name, ``"segments.regulars.annual_churn"``.

    Returns
    -------
    value, metadata : object, dict
        The field's current value and its metadata (``unit``, ``doc``, ``lo``, ``hi``, ...).
    """
    obj, parts, i = scenario, path.split("."), 0
    while i < len(parts):
        fields = {f.name: f for f in dataclasses.fields(obj)}
        name = parts[i]
        if name not in fields:
            raise ValueError(f"{path}: {type(obj).__name__} has no field {name!r}; its fields: "
                             f"{', '.join(fields)}")
        value = getattr(obj, name)
        if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            names = [getattr(item, "name", str(k)) for k, item in enumerate(value)]
            if i + 1 >= len(parts) or parts[i + 1] not in names:
                raise ValueError(f"{path}: name one of the {name} ({', '.join(names)}), "
                                 f"as in '{name}.{names[0]}.<field>'")
            obj, i = value[names.index(parts[i + 1])], i + 2
        elif dataclasses.is_dataclass(value):
            obj, i = value, i + 1
        elif i == len(parts) - 1:
            return value, dict(fields[name].metadata)
        else:
            raise ValueError(f"{path}: {name!r} is a value, not a group of fields")
    raise ValueError(f"{path}: a group of fields; name one of its fields")


class _Explorer:
    """Sliders whose every move re-runs the market and redraws one figure (subclasses say what
    a slider changes: :meth:`_simulate`, :meth:`slider_range`, :meth:`_coerce`)."""

    label = ""  # what is explored, for the title and the status line

    def _start(self, scenario, seed: int, horizon_days: int | None, values: dict,
               baseline) -> None:
        base = Scenario.load(scenario) if not isinstance(scenario, Scenario) else scenario
        changes = {"service.queue": "batched"}
        if horizon_days is not None:
            changes["horizon_days"] = int(horizon_days)
        self.scenario = base.replace(**changes)
        self.seed = int(seed)
        self.values = dict(values)
        self._cache: OrderedDict[tuple, object] = OrderedDict()
        self.baseline = baseline() if callable(baseline) else None
        self._widget = None
        self._figure = self._lines = self._text = None
        self.result = self._run(self.values)
        self._draw()

    def update(self, **values):
        """Re-run with some slider values changed and update the figure: the sliders' callback.

        Parameters
        ----------
        **values
            New values of sliders (in their units).

        Returns
        -------
        Result
            The run for the new values (cached per slider position).
        """
        unknown = sorted(set(values) - set(self.values))
        if unknown:
            raise ValueError(f"{unknown}: not sliders of this explorer; sliders: "
                             f"{', '.join(self.values)}")
        new = {**self.values, **{k: self._coerce(k, v) for k, v in values.items()}}
        self.result = self._run(new)  # values change only once the run succeeded
        self.values = new
        self._draw()
        if self._widget is not None:
            self._image.value = self.png()
        return self.result

    def _coerce(self, name: str, value):
        return value

    def _simulate(self, values: dict):
        raise NotImplementedError

    def slider_range(self, name: str) -> tuple[float, float, float]:
        """The slider of ``name``: (min, max, step), in its unit."""
        raise NotImplementedError

    def _run(self, values: dict):
        key = tuple(sorted(values.items()))
        if key in self._cache:
            self._cache.move_to_end(key)
        else:
            self._cache[key] = self._simulate(values)
            if len(self._cache) > CACHE_SIZE:  # forget the position used longest ago
                self._cache.popitem(last=False)
        return self._cache[key]

    @property
    def figure(self):
        """The figure (three panels over time: active customers, cumulative profit, mean
        wait), updated in place."""
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
                            linewidth=1.5, label=self._baseline_label)
                (line,) = ax.plot(days, _series(tl, column, cumulative), color="#1b6ca8",
                                  linewidth=2, label=f"{self.label}, slider settings")
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
        self._text.set_text(f"{self.label} ({shown}): profit EUR {kpis['profit']:,.0f}, "
                            f"{kpis['customers_active_end']:,} customers at the end")

    def png(self) -> bytes:
        """The figure as PNG bytes (what the widget shows)."""
        buffer = io.BytesIO()
        self._figure.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()

    @property
    def widget(self):
        """The ipywidgets control: one slider per value above the figure."""
        if self._widget is None:
            import ipywidgets as w

            sliders = []
            for name, value in self.values.items():
                lo, hi, step = self.slider_range(name)
                whole = all(float(x).is_integer() for x in (lo, hi, step)) and isinstance(
                    value, int)
                kind = w.IntSlider if whole else w.FloatSlider
                slider = kind(value=value, min=lo, max=hi, step=step,
                              description=name.replace("_", " "), continuous_update=False,
                              readout_format="d" if whole else _readout(step),
                              style={"description_width": "initial"},
                              layout=w.Layout(width="460px"))
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
        self._status.value = f"<i>running {self.label} with {name} = {value} ...</i>"
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


class StrategyExplorer(_Explorer):
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
    baseline : Result or None
        The baseline strategy's run.

    Examples
    --------
    >>> from sim.widgets import StrategyExplorer              # doctest: +SKIP
    >>> StrategyExplorer("analytical")                        # doctest: +SKIP
    """

    def __init__(self, strategy="operational", scenario="classroom", *,
                 baseline="transactional", seed: int = 42, horizon_days: int | None = 730,
                 sliders=None):
        self.preset = presets.get(strategy) if isinstance(strategy, str) else strategy
        self.label = self.preset.name
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
        other = None
        if baseline is not None:
            other = presets.get(baseline) if isinstance(baseline, str) else baseline
            # Named as a baseline: it may be the explored preset itself at its defaults.
            self._baseline_label = f"baseline: {other.name}"

        def baseline_run():
            return run(self.scenario, other, seed=self.seed, transactions="none")

        self._start(scenario, seed, horizon_days, {n: self.preset.params[n] for n in names},
                    baseline_run if other is not None else None)

    def slider_range(self, name: str) -> tuple[float, float, float]:
        return SLIDER_RANGES[name]

    def _coerce(self, name: str, value):
        # A slider hands back its own number type; the preset gets the type it declares.
        return type(self.preset.defaults[name])(value)

    def _simulate(self, values: dict):
        return run(self.scenario, self.preset.configure(**values), seed=self.seed,
                   transactions="none")


class ScenarioExplorer(_Explorer):
    """Sliders on fields of the market; every move re-runs one strategy in the changed market.

    The baseline (grey) is the same strategy in the market as given, so the figure shows what
    the changed fields do and nothing else (same seed: common random numbers).

    Parameters
    ----------
    fields : sequence of str
        Scenario fields to put on sliders, as dotted paths (see :func:`scenario_field`):
        ``"service.fcr"``, ``"segments.regulars.annual_churn"``.
    strategy : str or Preset or callable
        The strategy run in every market (a preset's name or any strategy function).
    scenario : str or Scenario
        The market before any slider moves.
    seed : int
        The seed of every run.
    horizon_days : int or None
        Length of each run (days); None keeps the scenario's.
    ranges : dict, optional
        Slider (min, max, step) by field path, overriding :data:`SCENARIO_RANGES`.
    baseline : bool
        Draw the unchanged market in grey.

    Examples
    --------
    >>> ScenarioExplorer(["service.fcr", "satisfaction.churn_effect"])  # doctest: +SKIP
    """

    def __init__(self, fields, strategy="operational", scenario="classroom", *,
                 seed: int = 42, horizon_days: int | None = 730, ranges=None,
                 baseline: bool = True):
        fields = [fields] if isinstance(fields, str) else list(fields)
        if not fields:
            raise ValueError("fields is empty: name at least one scenario field")
        self.strategy = presets.get(strategy) if isinstance(strategy, str) else strategy
        self.label = getattr(self.strategy, "name", getattr(self.strategy, "__name__",
                                                            "strategy"))
        self._baseline_label = f"{self.label}, market as given"
        self._ranges = dict(ranges or {})
        base = Scenario.load(scenario) if not isinstance(scenario, Scenario) else scenario
        self._meta = {}
        values = {}
        for path in fields:
            value, meta = scenario_field(base, path)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{path} = {value!r}: only numeric fields can have a slider")
            values[path], self._meta[path] = value, meta

        def baseline_run():  # the market as given is the sliders' first position
            return self._run(self.values)

        self._start(base, seed, horizon_days, values, baseline_run if baseline else None)

    def slider_range(self, name: str) -> tuple[float, float, float]:
        """The slider of field ``name``: given in ``ranges``, listed in
        :data:`SCENARIO_RANGES`, or else from the field's declared bounds (a fraction's whole
        0-1 range; otherwise from its lower bound, or 0, to three times its value) in twenty
        steps."""
        parts = name.split(".")
        generic = f"segments[].{parts[-1]}" if parts[0] == "segments" else name
        spec = self._ranges.get(name) or SCENARIO_RANGES.get(generic)
        if spec is not None:
            return spec
        meta, value = self._meta[name], self.values[name]
        lo = meta.get("lo") if meta.get("lo") is not None else 0.0
        hi = meta.get("hi")
        if hi is None or hi - lo > 1:
            top = 3 * value if value > 0 else lo + 1
            hi = min(hi, top) if hi is not None else top
        step = _nice((hi - lo) / 20)
        if isinstance(value, int):
            step = max(1, round(step))
            lo, hi = math.floor(lo), math.ceil(hi)
        if meta.get("lo_open"):
            lo += step
        if meta.get("hi_open"):
            hi -= step
        return lo, hi, step

    def _coerce(self, name: str, value):
        return int(value) if isinstance(self.values[name], int) else float(value)

    def _simulate(self, values: dict):
        return run(self.scenario.replace(**values), self.strategy, seed=self.seed,
                   transactions="none")


def _series(timeline, column: str, cumulative: bool):
    values = timeline[column].to_numpy(dtype=float)
    return values.cumsum() if cumulative else values


def _nice(x: float) -> float:
    """The round number (1, 2 or 5 times a power of ten) nearest below ``x`` (> 0)."""
    power = 10.0 ** math.floor(math.log10(x))
    return next(m * power for m in (5, 2, 1) if m * power <= x)


def _readout(step: float) -> str:
    """A slider readout with as many decimals as its step needs."""
    decimals = max(0, -math.floor(math.log10(step))) if step < 1 else 0
    return f".{decimals}f"


def _fmt(value) -> str:
    if isinstance(value, float) and math.isfinite(value) and abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:g}" if isinstance(value, float) else str(value)
