"""A comparison view: pick strategies, replications and a KPI; see paired intervals.

:class:`ComparisonView` runs the chosen strategies on the same seeds (common random numbers)
and draws each one's mean difference to a baseline with its confidence interval
(:func:`sim.plots.strategy_comparison`), above the comparison table of
:class:`sim.experiments.Comparison`. Every run's summary is kept per (strategy, seed), so
adding a strategy runs only its replications, adding replications runs only the new seeds,
and switching the KPI or the baseline runs nothing.
"""

from __future__ import annotations

import html
import io

import pandas as pd

from .. import strategies as presets
from ..experiments import Comparison, _seeds, run_summary
from ..scenario import Scenario

__all__ = ["ComparisonView"]

#: KPIs offered by the view's menu (any KPI of Result.summary() can be passed in code).
MENU_KPIS = ("profit", "customer_equity", "customers_active_end", "annual_churn_rate",
             "realised_clv", "cac", "service_level", "first_contact_resolution",
             "satisfaction_end")


class ComparisonView:
    """Strategies compared with paired replications, interactively.

    Parameters
    ----------
    strategies : sequence of str
        Presets shown first (any of :data:`sim.strategies.PRESETS` can be chosen later).
    scenario : str or Scenario
        The market.
    n : int
        Replications (seeds) per strategy, >= 2.
    seed : int
        First seed; the runs use ``seed``, ``seed + 1``, ... as :func:`sim.experiments.compare`.
    horizon_days : int or None
        Length of each run (days); None keeps the scenario's. One year by default, so that a
        strategy's replications take a second or two.
    kpi : str
        The KPI compared (a key of :meth:`sim.result.Result.summary`).
    baseline : str, optional
        The strategy the others are compared with (default: the first chosen).
    level : float
        Confidence level of the intervals (fraction, two-sided).

    Attributes
    ----------
    comparison : Comparison
        The current comparison (runs, table, notes).

    Examples
    --------
    >>> ComparisonView(["transactional", "operational", "analytical"])   # doctest: +SKIP
    """

    def __init__(self, strategies=("transactional", "operational", "analytical"),
                 scenario="classroom", *, n: int = 5, seed: int = 42,
                 horizon_days: int | None = 365, kpi: str = "profit",
                 baseline: str | None = None, level: float = 0.95):
        base = Scenario.load(scenario) if not isinstance(scenario, Scenario) else scenario
        changes = {"service.queue": "batched"}
        if horizon_days is not None:
            changes["horizon_days"] = int(horizon_days)
        self.scenario = base.replace(**changes)
        self.seed = int(seed)
        self.level = float(level)
        self._rows: dict[tuple[str, int], dict] = {}
        self._widget = None
        self._figure = None
        self.strategies: tuple[str, ...] = ()
        self.update(strategies=strategies, n=n, kpi=kpi, baseline=baseline)

    def update(self, *, strategies=None, n: int | None = None, kpi: str | None = None,
               baseline: str | None = None) -> Comparison:
        """Change any of the choices, run what is missing and redraw: the controls' callback.

        Parameters
        ----------
        strategies : sequence of str, optional
            Preset names to compare (at least two).
        n : int, optional
            Replications per strategy (>= 2).
        kpi : str, optional
            KPI to compare.
        baseline : str, optional
            Strategy to compare with; must be among ``strategies`` (default: the first).

        Returns
        -------
        Comparison
        """
        names = tuple(strategies) if strategies is not None else self.strategies
        for name in names:
            presets.get(name)  # a clear error for an unknown preset
        if len(names) < 2:
            raise ValueError(f"strategies = {list(names)}: choose at least two to compare")
        n = int(n) if n is not None else self.n
        if n < 2:
            raise ValueError(f"n = {n}: at least 2 replications give an interval")
        kpi = kpi if kpi is not None else self.kpi
        if baseline is None:
            baseline = getattr(self, "baseline", None)
            if baseline not in names:
                baseline = names[0]
        elif baseline not in names:
            raise ValueError(f"baseline = {baseline!r}: must be one of {', '.join(names)}")
        seeds = _seeds(self.seed, n)
        for name in names:  # missing runs only: a choice seen before costs nothing
            for s in seeds:
                if (name, s) not in self._rows:
                    self._rows[(name, s)] = run_summary((self.scenario, presets.get(name), s))
        runs = pd.DataFrame([self._rows[(name, s)] for name in names for s in seeds])
        if kpi not in runs.columns:
            raise ValueError(f"kpi = {kpi!r}: not a KPI of Result.summary(); e.g. "
                             f"{', '.join(MENU_KPIS)}")
        comparison = Comparison(runs, baseline, self.level, (kpi,))
        self.strategies, self.n, self.kpi, self.baseline = names, n, kpi, baseline
        self.comparison = comparison
        self._draw()
        if self._widget is not None:
            self._image.value = self.png()
            self._table.value = self.table_html()
        return comparison

    @property
    def figure(self):
        """The comparison figure (redrawn on each update)."""
        return self._figure

    def _draw(self) -> None:
        from matplotlib.figure import Figure

        from ..plots import strategy_comparison

        if self._figure is None:
            self._figure = Figure(figsize=(8, 1.2 + 0.55 * 8), layout="constrained")
        fig = self._figure
        fig.clear()
        fig.set_size_inches(8, 1.6 + 0.5 * len(self.strategies))
        ax = fig.subplots()
        strategy_comparison(self.comparison.runs, self.kpi, ax=ax, baseline=self.baseline,
                            level=self.level)
        days = self.scenario.horizon_days
        fig.suptitle(f"{self.scenario.name}, {days} days, seeds {self.seed} to "
                     f"{self.seed + self.n - 1}", fontsize="small")

    def png(self) -> bytes:
        """The figure as PNG bytes (what the widget shows)."""
        buffer = io.BytesIO()
        self._figure.savefig(buffer, format="png", dpi=80)
        return buffer.getvalue()

    def table_html(self) -> str:
        """The comparison table (means, paired differences, intervals) as HTML, with a note
        under it for each difference the replications cannot tell from zero."""
        table = self.comparison.table.drop(columns=["kpi"]).set_index("strategy")
        notes = "".join(f"<li>{html.escape(note)}</li>" for note in self.comparison.notes())
        return (table.to_html(float_format=lambda x: f"{x:,.4g}", na_rep="")
                + (f"<ul>{notes}</ul>" if notes else ""))

    @property
    def widget(self):
        """The ipywidgets control: strategies, replications and KPI above figure and table."""
        if self._widget is None:
            import ipywidgets as w

            self._choose = w.SelectMultiple(options=list(presets.PRESETS),
                                            value=self.strategies, rows=len(presets.PRESETS),
                                            description="strategies")
            self._n = w.IntSlider(value=self.n, min=2, max=30, description="replications",
                                  continuous_update=False,
                                  style={"description_width": "initial"})
            kpis = list(dict.fromkeys((self.kpi, *MENU_KPIS)))
            self._kpi = w.Dropdown(options=kpis, value=self.kpi, description="KPI")
            self._base = w.Dropdown(options=list(self.strategies), value=self.baseline,
                                    description="baseline")
            for control, key in ((self._choose, "strategies"), (self._n, "n"),
                                 (self._kpi, "kpi"), (self._base, "baseline")):
                control.observe(lambda change, k=key: self._changed(k, change["new"]),
                                names="value")
            self._refilling = False
            self._status = w.HTML(value="")
            self._image = w.Image(value=self.png(), format="png")
            self._table = w.HTML(value=self.table_html())
            self._widget = w.VBox([w.HBox([self._choose, w.VBox([self._n, self._kpi,
                                                                  self._base])]),
                                   self._status, self._image, self._table])
        return self._widget

    def _changed(self, key: str, value) -> None:
        """A control's callback: re-run what is missing, and say so, or say why not."""
        if key == "baseline" and (self._refilling or value == self.baseline):
            return  # the menu being refilled below, or no change
        value = tuple(value) if key == "strategies" else value
        self._status.value = f"<i>running {key} = {html.escape(str(value))} ...</i>"
        try:
            self.update(**{key: value})
        except Exception as err:  # shown to the student instead of vanishing in a log
            self._status.value = (f"<span style='color:#bc4b51'>{type(err).__name__}: "
                                  f"{html.escape(str(err))}</span>")
            return
        self._status.value = ""
        if key == "strategies":  # the baseline menu offers the chosen strategies
            self._refilling = True  # refilling moves the menu's value: not a choice
            try:
                self._base.options = list(self.strategies)
                self._base.value = self.baseline
            finally:
                self._refilling = False

    def _ipython_display_(self):
        from IPython.display import display

        display(self.widget)
