"""Strategic CRM's customer-based cost model: what each segment earns after its cost to serve.

The course's strategic CRM replaces a product-based cost model with a *customer-based* one:
revenue and profit per segment and per customer (SOURCE-DIGEST section 5, [001]), so that the
firm can tell profitable from unprofitable segments and "avoid bad customers" (section 3).
A segment can look healthy on sales and still lose money once the service centre's time is
charged to the customers who use it; the classroom market's ``high_maintenance`` segment is
built that way.

Everything here is computed from observable data (a ``view.customers``-shaped table and the
KPI timeline), so a strategy may call it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .records import observed_days, segment_codes, segment_totals

__all__ = ["cost_per_contact", "segment_profitability"]


def cost_per_contact(kpis) -> float:
    """Service-centre cost of one contact (EUR): agent cost over contacts handled.

    Parameters
    ----------
    kpis : sequence of mappings or pandas.DataFrame
        Timeline rows with ``cost_agents`` and ``contacts`` (e.g. ``view.recent(3)`` or
        ``result.timeline``); all rows given are pooled.

    Returns
    -------
    float
        EUR per contact; NaN when no contact is recorded.
    """
    if isinstance(kpis, pd.DataFrame):
        cost, contacts = float(kpis["cost_agents"].sum()), float(kpis["contacts"].sum())
    else:
        cost = sum(float(r["cost_agents"]) for r in kpis)
        contacts = sum(float(r["contacts"]) for r in kpis)
    return cost / contacts if contacts > 0 else math.nan


def segment_profitability(customers: pd.DataFrame, contact_cost: float) -> pd.DataFrame:
    """Profit per customer-year of each segment, service time charged to those who use it.

    ``profit = (margin - contacts x contact_cost) / customer_days x 365``, where ``margin`` is
    the recorded margin (revenue x product margin - cost to serve each purchase), ``contacts``
    the service contacts and ``customer_days`` the observed days of every customer of the
    segment, lost ones included (:func:`~sim.analytics.records.observed_days`).

    Parameters
    ----------
    customers : pandas.DataFrame
        Shaped like ``view.customers`` or ``result.customers``.
    contact_cost : float
        EUR per service contact, e.g. :func:`cost_per_contact` (NaN counts as 0).

    Returns
    -------
    pandas.DataFrame
        One row per segment (index ``segment``) with ``customers``, ``customer_years``,
        ``margin_per_year``, ``service_cost_per_year`` and ``profit_per_year`` (EUR per
        customer-year; NaN where nothing was observed), sorted by profit, best first.
    """
    contact_cost = 0.0 if not math.isfinite(contact_cost) else float(contact_cost)
    codes, names = segment_codes(customers)
    k = len(names)
    count = segment_totals(codes, k)
    years = segment_totals(codes, k, observed_days(customers).to_numpy()) / 365.0
    margin = segment_totals(codes, k, customers["margin"].to_numpy(dtype=float))
    service = segment_totals(codes, k, customers["contacts"].to_numpy(dtype=float)) * contact_cost
    with np.errstate(invalid="ignore", divide="ignore"):
        margin_rate = np.where(years > 0, margin / years, np.nan)
        service_rate = np.where(years > 0, service / years, np.nan)
    # Segments with at least one customer in the table, in their first-seen order.
    present, first = np.unique(codes[codes >= 0], return_index=True)
    present = present[np.argsort(first)]
    out = pd.DataFrame({
        "customers": count[present].astype(int),
        "customer_years": years[present],
        "margin_per_year": margin_rate[present],
        "service_cost_per_year": service_rate[present],
    }, index=pd.Index([names[i] for i in present], name="segment"))
    out["profit_per_year"] = out["margin_per_year"] - out["service_cost_per_year"]
    # A stable sort: segments with equal profit keep their first-seen order.
    return out.sort_values("profit_per_year", ascending=False, kind="stable")
