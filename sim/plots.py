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
    "dashboard",
    "flows",
    "money",
    "service_waits",
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


def _euro_axis(ax) -> None:
    from matplotlib.ticker import StrMethodFormatter

    ax.yaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))


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
