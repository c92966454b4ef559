"""Figures of a run: one function per figure, each returning its Axes (or Figure).

Every function takes a :class:`~sim.result.Result` and ``ax=None``; with no ``ax`` it makes a
new figure. Nothing here changes matplotlib's global settings, and pyplot is imported only
when a function has to create a figure for you (importing matplotlib is most of a cold start).
Axis labels carry units: days since the start of the run, customers, EUR, minutes.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "active_by_segment",
    "active_customers",
    "clv_distribution",
    "cohort_heatmap",
    "dashboard",
    "flows",
    "kpi_timeline",
    "lorenz",
    "money",
    "retention_curves",
    "rfm_grid",
    "service_waits",
    "strategy_comparison",
    "survival_curves",
]

_SEGMENT_COLOURS = ("#1b6ca8", "#f4a259", "#5b8e7d", "#bc4b51", "#8e7dbe", "#6c757d")


def _axes(ax):
    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(7, 4), layout="constrained")
    return ax


def _cycle_ends(result) -> np.ndarray:
    return result.timeline["end_day"].to_numpy(dtype=float)


def active_by_segment(result, days=None) -> dict[str, np.ndarray]:
    """Active customers of each segment at ``days`` (default: the end of each cycle).

    Days are instants (day ``t`` = the start of day ``t``, like a cycle's ``end_day``): a
    customer is active then if acquired on an earlier day and not lost by then.

    Returns
    -------
    dict
        Segment name -> counts, one per day in ``days``.
    """
    cu = result.customers
    days = _cycle_ends(result) if days is None else np.asarray(days, dtype=float)
    out = {}
    for name in result.scenario.segment_names:
        rows = cu[cu["segment"] == name]
        joined = np.sort(rows["acquired_day"].to_numpy(dtype=float))
        left = np.sort(rows["lost_day"].to_numpy(dtype=float))
        left = left[~np.isnan(left)]
        out[name] = (np.searchsorted(joined, days, side="left")
                     - np.searchsorted(left, days, side="right"))
    return out


def active_customers(result, ax=None):
    """Stacked area of active customers by segment at the end of each cycle."""
    ax = _axes(ax)
    days = _cycle_ends(result)
    counts = active_by_segment(result, days)
    ax.stackplot(days, *counts.values(), labels=list(counts),
                 colors=_SEGMENT_COLOURS[: len(counts)], alpha=0.85)
    ax.set_xlabel("day")
    ax.set_ylabel("active customers")
    ax.set_title("Active customers by segment")
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    ax.set_xlim(0, days[-1])
    return ax


def flows(result, ax=None):
    """Customers acquired (by channel) and lost in each cycle."""
    ax = _axes(ax)
    tl = result.timeline
    x = tl["start_day"].to_numpy(dtype=float)
    width = 0.85 * tl["days"].to_numpy(dtype=float)
    bottom = np.zeros(len(tl))
    for column, label, colour in (("acquired_mass", "mass marketing", "#1b6ca8"),
                                  ("acquired_targeted", "targeted marketing", "#5b8e7d"),
                                  ("acquired_referral", "word of mouth", "#f4a259")):
        values = tl[column].to_numpy(dtype=float)
        if values.any():
            ax.bar(x, values, width=width, bottom=bottom, label=f"won: {label}", color=colour,
                   align="edge")
            bottom += values
    ax.bar(x, -tl["lost"].to_numpy(dtype=float), width=width, color="#bc4b51", label="lost",
           align="edge")
    ax.axhline(0, color="black", linewidth=0.8)
    low, high = ax.get_ylim()
    ax.set_ylim(low, high + 0.45 * (high - low))  # headroom for the legend above the bars
    ax.set_xlabel("day")
    ax.set_ylabel("customers per cycle")
    ax.set_title("Customers won and lost")
    ax.legend(loc="upper center", ncols=2, fontsize="small", frameon=False)
    return ax


def money(result, ax=None):
    """Revenue, total cost and profit per cycle, EUR per 30 days (a short last cycle is scaled
    up rather than shown as a drop)."""
    ax = _axes(ax)
    tl = result.timeline
    x = tl["end_day"].to_numpy(dtype=float)
    per = 30.0 / tl["days"].to_numpy(dtype=float)
    ax.plot(x, tl["revenue"] * per, label="revenue", color="#1b6ca8")
    ax.plot(x, tl["cost_total"] * per, label="all costs", color="#bc4b51")
    ax.plot(x, tl["profit"] * per, label="profit", color="#5b8e7d", linewidth=2)
    ax.axhline(0, color="black", linewidth=0.8)
    _euro_axis(ax)
    ax.set_xlabel("day")
    ax.set_ylabel("EUR per 30 days")
    ax.set_title("Revenue, costs and profit")
    ax.legend(loc="upper left", fontsize="small", frameon=False)
    return ax


def _euro_axis(ax, axis: str = "y") -> None:
    from matplotlib.ticker import StrMethodFormatter

    getattr(ax, f"{axis}axis").set_major_formatter(StrMethodFormatter("{x:,.0f}"))


def service_waits(result, ax=None):
    """Mean wait per cycle (minutes) and the share answered within the target.

    A last cycle shorter than half a cycle is left out: its few contacts make a noisy point.
    """
    ax = _axes(ax)
    tl = result.timeline
    tl = tl[tl["days"] >= 0.5 * result.scenario.cycle_days]
    x = tl["end_day"].to_numpy(dtype=float)
    ax.plot(x, tl["mean_wait_minutes"], color="#bc4b51", label="mean wait")
    ax.set_xlabel("day")
    ax.set_ylabel("mean wait (minutes)")
    top = float(np.nanmax(tl["mean_wait_minutes"])) if len(tl) else 1.0
    ax.set_ylim(0, 1.4 * top if top > 0 else 1.0)  # headroom for the legend
    twin = ax.twinx()
    twin.plot(x, 100 * tl["service_level"], color="#1b6ca8", label="service level")
    target = 100 * result.scenario.service.service_level_target
    twin.axhline(target, color="#1b6ca8", linestyle=":", linewidth=1, label="target")
    twin.set_ylim(0, 140)
    twin.set_yticks([0, 20, 40, 60, 80, 100])
    seconds = 60 * result.scenario.service.wait_target_minutes
    twin.set_ylabel(f"% answered within {seconds:.0f} s")
    ax.set_title("Service centre")
    lines = ax.get_lines()[:1] + twin.get_lines()[:2]
    ax.legend(lines, [line.get_label() for line in lines], loc="upper center", ncols=3,
              fontsize="small", frameon=False)
    return ax


def kpi_timeline(result, kpis=("active_end", "churn_rate"), ax=None):
    """One or two KPIs of the timeline, cycle by cycle (a second KPI gets its own axis).

    Parameters
    ----------
    result : Result
    kpis : str or sequence of at most two str
        Timeline columns (see ``result.timeline.columns``).
    ax : matplotlib.axes.Axes, optional

    Returns
    -------
    matplotlib.axes.Axes
        The axes of the first KPI.
    """
    from .result import KPI_INFO

    names = (kpis,) if isinstance(kpis, str) else tuple(kpis)
    if not 1 <= len(names) <= 2:
        raise ValueError(f"kpis = {kpis!r}: give one or two timeline columns")
    tl = result.timeline
    unknown = [k for k in names if k not in tl.columns]
    if unknown:
        raise ValueError(f"kpis contains {unknown[0]!r}: not a timeline column; columns are "
                         f"{', '.join(tl.columns)}")
    ax = _axes(ax)
    x = tl["end_day"].to_numpy(dtype=float)
    axes, lines = [ax], []
    if len(names) == 2:
        axes.append(ax.twinx())
    for axis, name, colour in zip(axes, names, ("#1b6ca8", "#bc4b51"), strict=False):
        (line,) = axis.plot(x, tl[name].to_numpy(dtype=float), color=colour,
                            label=name.replace("_", " "))
        lines.append(line)
        unit = KPI_INFO.get(name, ("", _TIMELINE_UNITS.get(name, ""), ""))[1]
        axis.set_ylabel(f"{name.replace('_', ' ')} ({unit})" if unit else name.replace("_", " "))
    ax.set_xlabel("day")
    ax.set_title(" and ".join(n.replace("_", " ") for n in names) + " per cycle")
    ax.legend(lines, [line.get_label() for line in lines], loc="best", fontsize="small",
              frameon=False)
    return ax


#: Units of common timeline columns (cycle values) for axis labels.
_TIMELINE_UNITS = {
    "active_start": "customers", "active_end": "customers", "acquired": "customers",
    "lost": "customers", "churn_rate": "share of the cycle's customers", "revenue": "EUR",
    "profit": "EUR", "cost_total": "EUR", "agents": "agents", "contacts": "contacts",
    "mean_wait_minutes": "minutes", "service_level": "share", "fcr": "share",
    "adoption": "share of employees", "offers_sent": "offers",
}


def clv_distribution(result, ax=None, bins: int = 40):
    """Histogram of realised customer lifetime value: each customer's margin to date,
    discounted to day 0 (EUR), for the customers acquired during the run.

    Customers on the books at day 0 are left out: their margin before the run is not in the
    records. The mean and the median are marked; a long right tail is the Pareto rule at work.
    """
    cu = result.customers
    value = cu.loc[cu["acquired_day"] >= 0, "discounted_margin"].to_numpy(dtype=float)
    ax = _axes(ax)
    if value.size:
        # The top 1% would stretch the axis until the bulk is one bar: they are counted in the
        # mean and median but drawn beyond the axis, and the title says so.
        low, high = np.percentile(value, [0, 99])
        ax.hist(value, bins=bins, range=(low, high) if high > low else None, color="#1b6ca8",
                alpha=0.85)
        for stat, label, style in ((value.mean(), "mean", "-"),
                                   (np.median(value), "median", "--")):
            ax.axvline(stat, color="#bc4b51", linestyle=style,
                       label=f"{label} EUR {stat:,.0f}")
        ax.legend(fontsize="small", frameon=False)
    ax.set_xlabel("realised CLV (EUR, discounted to day 0)")
    ax.set_ylabel("customers")
    ax.set_title("Realised customer lifetime value (top 1% beyond the axis)")
    return ax


def strategy_comparison(runs, kpi: str = "profit", ax=None, *, baseline: str | None = None,
                        level: float = 0.95):
    """Mean of ``kpi`` per strategy with its confidence interval, from replicated runs.

    With ``baseline``, each bar is instead the mean *paired* difference to the baseline
    strategy (runs matched by seed: common random numbers), whose interval is much narrower
    than the two strategies' own intervals; an interval that crosses zero means the
    difference is not significant at ``level``.

    Parameters
    ----------
    runs : pandas.DataFrame
        One row per run with columns ``strategy``, ``seed`` and ``kpi`` (the tidy table of
        an experiment).
    kpi : str
        Column to compare.
    ax : matplotlib.axes.Axes, optional
    baseline : str, optional
        Strategy to compare every other one with (paired by seed).
    level : float
        Confidence level (fraction), two-sided, t distribution.

    Returns
    -------
    matplotlib.axes.Axes
    """
    from .analytics.comparison import comparison_table

    for column in ("strategy", "seed", kpi):
        if column not in runs.columns:
            raise ValueError(f"runs has no column {column!r}: need strategy, seed and {kpi!r}")
    table = comparison_table(runs, [kpi], baseline=baseline, level=level)
    if baseline is not None:
        table = table[table["strategy"] != baseline]
        means = table["difference"].to_numpy(dtype=float)
        halves = (table["high"] - table["difference"]).to_numpy(dtype=float)
    else:
        means = table["mean"].to_numpy(dtype=float)
        halves = table["mean_half_width"].to_numpy(dtype=float)
    names = table["strategy"].tolist()
    ax = _axes(ax)
    y = np.arange(len(names))
    colours = ["#5b8e7d" if m >= 0 else "#bc4b51" for m in means]
    ax.barh(y, means, xerr=halves, color=colours, alpha=0.85, capsize=4)
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.axvline(0, color="black", linewidth=0.8)
    label = kpi.replace("_", " ")
    if baseline is not None:
        ax.set_xlabel(f"{label}: difference to {baseline}\n(mean, {level:.0%} CI, paired by seed)")
    else:
        ax.set_xlabel(f"{label} (mean, {level:.0%} CI)")
    n = int(table["runs"].min()) if len(table) else 0
    ax.set_title(f"Strategies compared on {label} ({n} replications)")
    if np.nanmax(np.abs(means), initial=0.0) >= 1_000:  # money: thousands separators
        _euro_axis(ax, "x")
    return ax


def lorenz(result, ax=None, column: str = "revenue"):
    """Lorenz curve of ``column`` over all customers of the run, with the line of equality.

    The curve runs from the customers who brought least to those who brought most; the top-20%
    share and the Gini coefficient are printed on the figure (SOURCE-DIGEST 7: the Pareto rule;
    real customer bases are nearer 60-75% than 80%).
    """
    from .analytics.concentration import gini, lorenz_curve, top_share

    values = result.customers[column].to_numpy(dtype=float)
    values = np.clip(values, 0.0, None)  # a Lorenz curve needs shares of a non-negative total
    curve = lorenz_curve(values)
    ax = _axes(ax)
    ax.plot(100 * curve["customer_share"], 100 * curve["value_share"], color="#1b6ca8",
            label="customers, poorest first")
    ax.plot([0, 100], [0, 100], color="black", linewidth=0.8, linestyle=":",
            label="equal shares")
    ax.axvline(80, color="#bc4b51", linewidth=0.8, linestyle="--")
    ax.text(0.03, 0.95, f"top 20% bring {top_share(values):.0%}\nGini {gini(values):.2f}",
            transform=ax.transAxes, va="top", fontsize="small")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.set_aspect("equal")
    ax.set_xlabel("% of customers")
    ax.set_ylabel(f"% of {column}")
    ax.set_title(f"Concentration of {column}")
    ax.legend(loc="lower right", fontsize="small", frameon=False)
    return ax


def rfm_grid(result, ax=None):
    """Customers by recency score (columns) and frequency score (rows), 5 = best, from the
    transaction log at the end of the run; each cell shows the count and its share."""
    from .analytics.rfm import rfm_analysis

    table = rfm_analysis(result.transactions, result.scenario.horizon_days - 1)
    counts = np.zeros((5, 5))
    np.add.at(counts, (table["f_score"].to_numpy(int) - 1, table["r_score"].to_numpy(int) - 1),
              1)
    ax = _axes(ax)
    image = ax.imshow(counts, origin="lower", cmap="Blues", aspect="auto")
    total = counts.sum()
    for f in range(5):
        for r in range(5):
            share = counts[f, r] / total if total else 0.0
            dark = counts[f, r] > 0.6 * counts.max()
            ax.text(r, f, f"{counts[f, r]:,.0f}\n{share:.0%}", ha="center", va="center",
                    fontsize="x-small", color="white" if dark else "black")
    ax.set_xticks(range(5), [str(i) for i in range(1, 6)])
    ax.set_yticks(range(5), [str(i) for i in range(1, 6)])
    ax.set_xlabel("recency score (5 = bought most recently)")
    ax.set_ylabel("frequency score (5 = most purchase days)")
    ax.set_title("RFM grid: customers by recency and frequency")
    ax.figure.colorbar(image, ax=ax, label="customers")
    return ax


def retention_curves(result, ax=None):
    """Share of each acquisition cohort still a customer, by months since acquisition, with
    the curve pooled over cohorts in bold.

    One thin line per cohort (customers won in the same CRM cycle), darker for later cohorts;
    cells not yet observed at the end of the run are left out rather than drawn as losses.
    """
    from .analytics.cohorts import overall_retention
    from .analytics.cohorts import retention_curves as curves

    long = curves(result, include_before_run=False)
    pooled = overall_retention(result)
    ax = _axes(ax)
    cohorts = sorted(long["cohort"].unique())
    if cohorts:
        from matplotlib import colormaps

        shades = colormaps["Blues"](np.linspace(0.3, 0.9, len(cohorts)))
        for cohort, shade in zip(cohorts, shades, strict=True):
            rows = long[long["cohort"] == cohort]
            ax.plot(np.r_[0.0, rows["age_days"]] / 30.0, 100 * np.r_[1.0, rows["share"]],
                    color=shade, linewidth=0.7)
    ax.plot(np.r_[0.0, pooled["age_days"]] / 30.0, 100 * np.r_[1.0, pooled["survival"]],
            color="#bc4b51", linewidth=2.2, label="all cohorts pooled")
    ax.set_ylim(0, 102)
    ax.set_xlabel("months since acquisition (30 days)")
    ax.set_ylabel("% of the cohort still a customer")
    ax.set_title(f"Retention by acquisition cohort ({len(cohorts)} cohorts)")
    ax.legend(loc="lower left", fontsize="small", frameon=False)
    return ax


def cohort_heatmap(result, ax=None):
    """Cohort retention table as a heat map: acquisition cohort (rows, by CRM cycle) by
    cycles since acquisition (columns); white cells are not observed yet."""
    from .analytics.cohorts import cohort_table

    table = cohort_table(result, include_before_run=False)
    ax = _axes(ax)
    values = np.ma.masked_invalid(100 * table.to_numpy(dtype=float))
    image = ax.imshow(values, cmap="viridis", vmin=0, vmax=100, aspect="auto",
                      interpolation="nearest")
    cycle = result.scenario.cycle_days
    ax.set_xlabel(f"cycles since acquisition ({cycle} days each)")
    ax.set_ylabel("acquisition cohort (cycle won)")
    step = max(1, len(table.columns) // 12)
    ax.set_xticks(range(0, len(table.columns), step), [str(c) for c in table.columns[::step]])
    step = max(1, len(table.index) // 12)
    ax.set_yticks(range(0, len(table.index), step), [str(c) for c in table.index[::step]])
    ax.set_title("Cohort retention")
    ax.figure.colorbar(image, ax=ax, label="% still a customer")
    return ax


def survival_curves(results, by: str | None = "segment", ax=None):
    """Kaplan-Meier survival of customer lifetimes with 95% bands: by segment for one result,
    or one curve per strategy for several results (a list, or a dict label -> result).

    Customers on the books at day 0 enter at their tenure then (delayed entry), so the curve
    is not biased toward long lives; active customers are censored at the end of the run.
    """
    from .analytics.survival import kaplan_meier

    several = isinstance(results, list | tuple | dict)
    group = "strategy" if several else by
    curve = kaplan_meier(results, by=None if several else by)
    ax = _axes(ax)
    names = list(dict.fromkeys(curve[group])) if group else [None]
    colours = _SEGMENT_COLOURS * (len(names) // len(_SEGMENT_COLOURS) + 1)
    for name, colour in zip(names, colours, strict=False):
        rows = curve if name is None else curve[curve[group] == name]
        t = rows["time"].to_numpy(dtype=float) / 365.0
        ax.step(t, 100 * rows["survival"], where="post", color=colour,
                label="all customers" if name is None else str(name))
        ax.fill_between(t, 100 * rows["lower"], 100 * rows["upper"], step="post",
                        color=colour, alpha=0.15, linewidth=0)
    ax.set_ylim(0, 102)
    ax.set_xlim(left=0)
    ax.set_xlabel("customer age (years)")
    ax.set_ylabel("% surviving (Kaplan-Meier, 95% band)")
    ax.set_title("Customer lifetimes" + (f" by {group}" if group else ""))
    ax.legend(loc="lower left", fontsize="small", frameon=False)
    return ax


def dashboard(result, fig=None):
    """One figure with the key KPIs over time: customers, flows, money and service.

    Parameters
    ----------
    result : Result
    fig : matplotlib.figure.Figure, optional
        Drawn into (cleared first); a new Figure (not registered with pyplot) if omitted.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if fig is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(12, 7.5), layout="constrained")
    else:
        fig.clear()
    axes = fig.subplots(2, 2)
    active_customers(result, axes[0, 0])
    flows(result, axes[0, 1])
    money(result, axes[1, 0])
    service_waits(result, axes[1, 1])
    fig.suptitle(f"{result.scenario.name}: {result.strategy} (seed {result.seed})",
                 fontweight="bold")
    return fig
