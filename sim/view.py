"""What a strategy may look at: the firm's own data, never the latent truth (DESIGN section 5).

A :class:`FirmView` is built fresh for each CRM cycle from *copies* of the observable columns of
the customer database, marked read-only, so a strategy can neither see a customer's true
hazard or satisfaction nor change the engine's state. It holds no reference to the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType

import numpy as np
import pandas as pd

from .actions import Actions, price_list
from .errors import CRMLabError

__all__ = ["OBSERVABLE_COLUMNS", "TRUTH_KPIS", "FirmView", "make_view", "strategy_name"]

#: Customer columns a real firm records (RFM, tenure, service history, status). Days are whole
#: days, as a firm's records date events: ``lost_day`` is the day a customer was lost (the
#: engine's exact instant floored), so a loss at day 29.6 reads 29, and "lost in the last
#: cycle" is ``lost_day >= view.day - view.cycle_days``.
OBSERVABLE_COLUMNS = (
    "customer_id", "segment", "channel", "acquired_day", "status", "lost_day", "tenure_days",
    "purchases", "revenue", "margin", "recency_days", "frequency", "monetary", "complaints",
    "contacts", "unresolved", "mean_wait_minutes", "web_contacts", "email_contacts",
    "products", "offers_received",
    "loyalty_member", "loyalty_points", "lives", "won_back_day",
)
#: Timeline columns that are latent truth (a firm cannot measure them) and are kept from views:
#: customers' satisfaction, and the chance of first-contact resolution the engine draws from
#: (the firm sees the resolution it achieved, ``fcr``). Employee adoption of the CRM system is
#: shown: firms measure their systems' use.
TRUTH_KPIS = ("satisfaction", "fcr_target")


@dataclass(frozen=True, eq=False)
class FirmView:
    """The firm's knowledge at the start of a CRM cycle (read-only).

    Attributes
    ----------
    day : int
        Today, in days since the start of the run.
    cycle : int
        Index of the cycle about to start (0 for the first).
    cycle_days, horizon_days : int
        Length of a cycle and of the run, days.
    budget : float
        Most the strategy may spend this cycle, EUR.
    segments : tuple of str
        Segment names.
    prices : Mapping[str, float]
        The firm's own price list: what each lever costs (EUR) and the service targets.
    actions : Actions
        What the firm did last cycle (defaults before the first decision).
    n_active : int
        Active customers now.
    kpis : pandas.DataFrame
        The timeline so far, one row per finished cycle (observable columns only).
    customers : pandas.DataFrame
        One row per customer ever acquired, observable columns only (:data:`OBSERVABLE_COLUMNS`),
        built on first access. Not available to a strategy that declared
        ``reads_customers = False``.
    """

    day: int
    cycle: int
    cycle_days: int
    horizon_days: int
    budget: float
    segments: tuple[str, ...]
    prices: Mapping[str, float]
    actions: Actions
    n_active: int
    _columns: Mapping[str, np.ndarray] | None = field(repr=False)
    _kpi_rows: tuple = field(repr=False)
    _strategy: str = field(default="", repr=False)

    @cached_property
    def kpis(self) -> pd.DataFrame:
        """The timeline so far, one row per finished cycle (a fresh copy, observable columns)."""
        return pd.DataFrame(list(self._kpi_rows))

    @cached_property
    def customers(self) -> pd.DataFrame:
        """Observable customer table (a fresh copy: changing it changes nothing)."""
        from .engine.market import CHANNELS

        raw = self._columns
        if raw is None:
            raise CRMLabError(
                f"strategy {self._strategy!r} declared reads_customers = False, so its view "
                "has no customer table; set reads_customers = True (or leave it out) to read "
                "view.customers")
        day = float(self.day)
        lost = raw["status_code"] == 1
        purchases, contacts = raw["purchases"], raw["contacts"]
        acquired = raw["acquired_day"]
        with np.errstate(invalid="ignore", divide="ignore"):
            monetary = np.where(purchases > 0, raw["revenue"] / np.maximum(purchases, 1), np.nan)
            mean_wait = np.where(contacts > 0, raw["wait_sum"] / np.maximum(contacts, 1), np.nan)
        return pd.DataFrame({
            "customer_id": np.arange(acquired.size),
            "segment": pd.Categorical.from_codes(raw["segment_code"],
                                                 categories=list(self.segments)),
            "channel": pd.Categorical.from_codes(raw["channel_code"], categories=list(CHANNELS)),
            "acquired_day": acquired.copy(),
            "status": pd.Categorical.from_codes(raw["status_code"],
                                                categories=["active", "lost"]),
            "lost_day": np.where(lost, raw["lost_day"], np.nan),
            "tenure_days": np.where(lost, raw["lost_day"], day) - acquired,
            "purchases": purchases.copy(),
            "revenue": raw["revenue"].copy(),
            "margin": raw["margin"].copy(),
            "recency_days": day - raw["last_purchase_day"],
            "frequency": np.maximum(purchases - 1, 0),
            "monetary": monetary,
            "complaints": raw["complaints"].copy(),
            "contacts": contacts.copy(),
            "unresolved": raw["unresolved"].copy(),
            "mean_wait_minutes": mean_wait,
            "web_contacts": raw["web_contacts"].copy(),
            "email_contacts": raw["email_contacts"].copy(),
            "products": raw["products"].copy(),
            "offers_received": raw["offers"].copy(),
            "loyalty_member": raw["member"] == 1,
            "loyalty_points": raw["points"].copy(),
            "lives": raw["lives"].copy(),
            "won_back_day": raw["won_back_day"].copy(),
        })

    def recent(self, cycles: int = 1) -> tuple[Mapping[str, float], ...]:
        """The KPIs of the last ``cycles`` finished cycles, oldest first, as read-only mappings
        (cheaper than :attr:`kpis` when a strategy needs only a few numbers).

        Examples
        --------
        >>> last = view.recent()[-1] if view.recent() else None  # doctest: +SKIP
        >>> last["contacts"] / last["days"]                        # doctest: +SKIP
        """
        return self._kpi_rows[-cycles:] if cycles > 0 else ()

    @property
    def active_customers(self) -> pd.DataFrame:
        """The rows of :attr:`customers` still active."""
        table = self.customers
        return table[table["status"] == "active"]


def strategy_name(strategy) -> str:
    """A readable name for a strategy: its ``name`` attribute, else its function name."""
    name = getattr(strategy, "name", None) or getattr(strategy, "__name__", None)
    return str(name) if name else type(strategy).__name__


def make_view(model, cycle: int, day: int) -> FirmView:
    """Build the view of ``model`` at the start of ``cycle`` (copies, read-only).

    The customer columns are copied only for a strategy that reads them (see
    ``reads_customers`` in :mod:`sim.strategies`): in a large market the copy, and settling the
    sales and service contacts into per-customer totals before it, are most of a cycle's cost.
    """
    sc = model.sc
    reads = getattr(model.strategy, "reads_customers", True)
    return FirmView(
        day=day, cycle=cycle, cycle_days=sc.cycle_days, horizon_days=sc.horizon_days,
        budget=sc.budget_per_cycle, segments=sc.segment_names, prices=price_list(sc),
        actions=model.actions, n_active=model.active.n_alive,
        _columns=_customer_columns(model) if reads else None,
        # The truth columns are dropped here, so no part of the view holds them.
        _kpi_rows=tuple(MappingProxyType({k: v for k, v in row.items() if k not in TRUTH_KPIS})
                        for row in model.ledger.rows),
        _strategy=model.strategy_name,
    )


def _customer_columns(model) -> Mapping[str, np.ndarray]:
    """Read-only copies of the raw observable customer columns, totals settled to now."""
    from .engine.market import LOST

    c = model.cust
    model.ledger.settle(c)
    n = c.n
    tally = model.centre.per_customer(n)
    online = model.desk.per_customer(n)
    # Only the raw columns are copied now (compact dtypes); the derived ones (tenure, recency,
    # monetary, ...) are computed from these copies if and when the strategy reads them.
    columns = {
        "segment_code": c.col("segment").astype(np.int16),
        "channel_code": c.col("channel").astype(np.int8),
        "status_code": (c.col("status") == LOST).astype(np.int8),
        "acquired_day": c.col("acquired_day").copy(),
        # The firm records the day a customer left, not the latent instant.
        "lost_day": np.floor(c.col("lost_day")),
        "purchases": c.col("purchases").copy(),
        "revenue": c.col("revenue").copy(),
        "margin": c.col("margin").copy(),
        "last_purchase_day": c.col("last_purchase_day").copy(),
        "complaints": c.col("complaints").copy(),
        "products": c.col("products").astype(np.int16),
        "offers": c.col("offers").astype(np.int32),
        "member": c.col("member").astype(np.int8),
        "points": c.col("points").copy(),
        "lives": c.col("lives").astype(np.int16),
        "won_back_day": c.col("won_back_day").copy(),
        "contacts": tally["contacts"],
        "unresolved": tally["unresolved"],
        "wait_sum": tally["wait_sum"],
        "web_contacts": online["web_contacts"],
        "email_contacts": online["email_contacts"],
    }
    for array in columns.values():
        array.flags.writeable = False
    return MappingProxyType(columns)
