"""The outcome of one run: tidy tables plus everything needed to replay it (DESIGN section 7).

KPI definitions, used everywhere (notebooks, reports, experiments):

* **churn rate of a cycle** = customers lost in the cycle / customers active at its start;
* **annual churn rate** = 1 - (product over cycles of (1 - churn rate)) ** (365 / days run): the
  share of customers a year loses, compounded from the cycles;
* **retention rate** = 1 - annual churn rate;
* **CAC** (customer acquisition cost) = marketing spend / customers won by marketing, per channel
  and overall (referrals cost nothing and are not counted);
* **realised CLV** = mean over customers acquired during the run of their margin to date,
  discounted to day 0 continuously at ``annual_discount_rate`` (margin = revenue x gross margin
  - cost to serve);
* **customer equity** (ground truth) = sum over active customers of their expected remaining
  discounted margin at baseline behaviour, ``m / (h + d)`` with margin rate ``m`` per day,
  baseline hazard ``h`` and discount rate ``d`` per day;
* **top-20% revenue share** = share of all revenue of the run brought by the 20% of customers
  who brought most;
* **service level** = share of contacts answered within ``service.wait_target_minutes``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["KPI_INFO", "Result", "top_share"]

#: Every KPI of :meth:`Result.summary`: (label, unit, format) for reports and tables.
KPI_INFO: dict[str, tuple[str, str, str]] = {
    "customers_start": ("Customers on day 0", "customers", "{:,.0f}"),
    "customers_active_end": ("Active customers at the end", "customers", "{:,.0f}"),
    "customers_acquired": ("Customers acquired", "customers", "{:,.0f}"),
    "customers_lost": ("Customers lost", "customers", "{:,.0f}"),
    "annual_churn_rate": ("Annual churn rate", "share/year", "{:.1%}"),
    "retention_rate": ("Annual retention rate", "share/year", "{:.1%}"),
    "revenue": ("Revenue", "EUR", "{:,.0f}"),
    "profit": ("Profit", "EUR", "{:,.0f}"),
    "marketing_cost": ("Marketing cost", "EUR", "{:,.0f}"),
    "cac": ("Acquisition cost per customer (CAC)", "EUR/customer", "{:,.2f}"),
    "cac_mass": ("CAC, mass marketing", "EUR/customer", "{:,.2f}"),
    "cac_targeted": ("CAC, targeted marketing", "EUR/customer", "{:,.2f}"),
    "referral_share": ("Share of new customers from word of mouth", "share", "{:.1%}"),
    "realised_clv": ("Realised CLV of new customers (discounted)", "EUR/customer", "{:,.2f}"),
    "customer_equity": ("Customer equity (ground truth)", "EUR", "{:,.0f}"),
    "top20_revenue_share": ("Revenue share of the top 20% of customers", "share", "{:.1%}"),
    "contacts": ("Service contacts", "contacts", "{:,.0f}"),
    "mean_wait_minutes": ("Mean wait for service", "minutes", "{:,.2f}"),
    "service_level": ("Answered within the target wait", "share", "{:.1%}"),
    "first_contact_resolution": ("First-contact resolution", "share", "{:.1%}"),
    "satisfaction_end": ("Mean satisfaction at the end (ground truth)", "0-1", "{:.3f}"),
    "retention_offers": ("Retention offers made", "offers", "{:,.0f}"),
    "retention_cost": ("Cost of retention offers", "EUR", "{:,.0f}"),
    "retention_waste_share": ("Accepted offers to customers who would have stayed (truth)",
                              "share", "{:.1%}"),
    "retention_wasted_cost": ("Cost of those wasted offers", "EUR", "{:,.0f}"),
    "cross_sell_accepted": ("Products added by cross-selling", "products", "{:,.0f}"),
    "won_back": ("Customers won back", "customers", "{:,.0f}"),
}


def top_share(values, top: float = 0.2) -> float:
    """Share of the total held by the largest ``top`` fraction of values.

    Parameters
    ----------
    values : array-like
        Non-negative amounts, one per customer (EUR).
    top : float
        Fraction of customers, in (0, 1].

    Returns
    -------
    float
        Between ``top`` (perfect equality) and 1; NaN if the total is zero.
    """
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    total = v.sum()
    if v.size == 0 or total <= 0:
        return math.nan
    k = max(1, math.ceil(top * v.size))
    return float(v[:k].sum() / total)


@dataclass(frozen=True, eq=False)
class Result:
    """Tables of one run and its provenance.

    Attributes
    ----------
    scenario : Scenario
        The scenario simulated.
    strategy : str
        The strategy's readable name.
    seed : int
        The seed used (pass it to :func:`sim.run` to replay the run exactly).
    customers : pandas.DataFrame
        One row per customer ever acquired: observable history (money in EUR, days since start).
    transactions : pandas.DataFrame
        ``customer_id, day, amount, purchases``: one row per customer and day with purchases
        (the lifetimes / PyMC-Marketing input format).
    service : pandas.DataFrame
        One row per service contact: arrival day, wait and handling minutes, resolution.
    timeline : pandas.DataFrame
        One row per CRM cycle: customers, flows, money by lever, service KPIs, decisions.
    truth : pandas.DataFrame
        The latent ground truth per customer (rates, hazards, satisfaction, loss reason,
        expected remaining value), which strategies never see.
    campaigns : pandas.DataFrame
        One row per campaign contact (retention offer, cross-sell, win-back): day, customer,
        accepted, cost in EUR, and for retention offers the latent ``would_have_left`` (whether
        the customer's own churn clock would have rung while the offer ran, at the hazard of
        the day before): accepted offers to customers who would have stayed are waste.
    """

    scenario: object
    strategy: str
    seed: int
    customers: pd.DataFrame
    transactions: pd.DataFrame
    service: pd.DataFrame
    timeline: pd.DataFrame
    truth: pd.DataFrame
    campaigns: pd.DataFrame

    TABLES = ("customers", "transactions", "service", "timeline", "truth", "campaigns")

    def __repr__(self) -> str:
        tl = self.timeline
        active = int(tl["active_end"].iloc[-1]) if len(tl) else 0
        return (f"Result(scenario={self.scenario.name!r}, strategy={self.strategy!r}, "
                f"seed={self.seed}, customers={len(self.customers)}, active_end={active})")

    def summary(self) -> dict[str, float]:
        """Key performance indicators derived from the tables (definitions in the module doc).

        Returns
        -------
        dict
            KPI name -> value. Money in EUR, waits in minutes, rates as fractions.
        """
        tl, cu, sv = self.timeline, self.customers, self.service
        days = float(tl["days"].sum())
        keep = (1.0 - tl["churn_rate"].fillna(0.0)).prod()
        annual_churn = 1.0 - keep ** (365.0 / days) if days else math.nan
        mass, targeted = tl["cost_mass"].sum(), tl["cost_targeted"].sum()
        won_mass, won_targeted = tl["acquired_mass"].sum(), tl["acquired_targeted"].sum()
        new = cu[cu["channel"] != "initial"]
        answered = sv[sv["answered"]]
        active = self.truth["customer_id"].isin(cu.loc[cu["status"] == "active", "customer_id"])
        return {
            "customers_start": int((cu["channel"] == "initial").sum()),
            "customers_active_end": int(tl["active_end"].iloc[-1]),
            "customers_acquired": len(new),
            "customers_lost": int((cu["status"] == "lost").sum()),
            "annual_churn_rate": float(annual_churn),
            "retention_rate": float(1.0 - annual_churn),
            "revenue": float(tl["revenue"].sum()),
            "profit": float(tl["profit"].sum()),
            "marketing_cost": float(mass + targeted),
            "cac": _ratio(mass + targeted, won_mass + won_targeted),
            "cac_mass": _ratio(mass, won_mass),
            "cac_targeted": _ratio(targeted, won_targeted),
            "referral_share": _ratio(tl["acquired_referral"].sum(), len(new)),
            "realised_clv": float(new["discounted_margin"].mean()) if len(new) else math.nan,
            "customer_equity": float(self.truth.loc[active, "expected_remaining_value"].sum()),
            "top20_revenue_share": top_share(cu["revenue"]),
            "contacts": len(sv),
            "mean_wait_minutes": float(answered["wait_minutes"].mean()) if len(answered) else
            math.nan,
            "service_level": float(answered["within_target"].mean()) if len(answered) else
            math.nan,
            "first_contact_resolution": float(sv.loc[sv["handle_minutes"].notna(),
                                                     "resolved"].mean()) if len(sv) else math.nan,
            "satisfaction_end": float(tl["satisfaction"].iloc[-1]),
            **self._campaign_kpis(),
        }

    def _campaign_kpis(self) -> dict[str, float]:
        """Campaign counts, costs and the waste of retention offers (from the truth)."""
        cp = self.campaigns
        offers = cp[cp["campaign"] == "retention"]
        taken = offers[offers["accepted"]]
        wasted = taken[~taken["would_have_left"]]
        winback = cp[cp["campaign"] == "winback"]
        return {
            "retention_offers": len(offers),
            "retention_cost": float(offers["cost"].sum()),
            "retention_waste_share": _ratio(len(wasted), len(taken)),
            "retention_wasted_cost": float(wasted["cost"].sum()),
            "cross_sell_accepted": int(cp.loc[cp["campaign"] == "cross_sell", "accepted"].sum()),
            "won_back": int(winback["accepted"].sum()),
        }

    def to_csv(self, folder: str | Path) -> list[Path]:
        """Write every table as ``<name>.csv`` into ``folder`` (created if needed).

        Each file is written to a temporary name and renamed into place, so a reader never sees
        a half-written table. Returns the paths written.
        """
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for name in self.TABLES:
            path = folder / f"{name}.csv"
            tmp = path.with_suffix(".csv.tmp")
            getattr(self, name).to_csv(tmp, index=False)
            tmp.replace(path)
            paths.append(path)
        return paths


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else math.nan
