"""Prices: list prices per segment and customer-specific discounts (DESIGN section 3.7).

A strategy sets, each cycle, a list price index per segment (1 = the scenario's reference
prices) and discounts for chosen active customers (``Actions.list_prices``,
``Actions.discounts``). A customer then pays the index ``p = list x (1 - discount)``:

* **purchases**: their purchase intensity is ``p ** -price_elasticity`` times their usual one
  (changed exactly, by time change, when ``p`` changes: see ``ActiveSet.set_rate``);
* **churn**: their hazard is multiplied by ``max(0.05, 1 + churn_effect x price_sensitivity x
  (p - 1))``: price-sensitive customers leave more readily when prices rise, less when they
  fall;
* **money**: a purchase is booked at the list price (revenue), the discount as
  ``cost_discount``, and the cost of goods at the reference price (goods cost what they cost
  whatever the firm charges), so the margin of a purchase moves with the price;
* **fairness**: discounts for newcomers are a deal loyal customers compare with what they get
  (see ``Levers._fairness``).

A run in which no price ever leaves 1 and no discount is given takes none of these paths, so it
is exactly the run of a firm without the lever.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Pricing"]

#: Lowest hazard multiplier a price cut can give (a customer never becomes immortal).
MIN_HAZARD_FACTOR = 0.05


class Pricing:
    """The model's pricing (uses the model's working set, customer base and scenario)."""

    def _init_pricing(self) -> None:
        segs = self.sc.segments
        self._elasticity = np.array([s.price_elasticity for s in segs])
        self._price_churn = self.sc.prices.churn_effect * np.array(
            [s.price_sensitivity for s in segs])
        self._list_index = np.ones(len(segs))
        self._discount_of = np.zeros(0)  # by customer id: this cycle's discount
        self.pricing = False  # whether any price ever left the reference

    def _set_prices(self, actions, day: int, discount_ids: np.ndarray) -> None:
        """Put the cycle's list prices and discounts in force from ``day``."""
        if not (actions.list_prices or actions.discounts or self.pricing):
            return
        self.pricing = True
        names = self.sc.segment_names
        self._list_index = np.ones(len(names))
        for seg, index in actions.list_prices:
            self._list_index[names.index(seg)] = index
        n = self.cust.n
        self._discount_of = np.zeros(max(n, self._discount_of.size))
        if discount_ids.size:
            self._discount_of[discount_ids] = [d for _, d in actions.discounts]
        a = self.active
        rows = np.flatnonzero(a.alive[: a.m])
        self._reprice(rows, float(day))

    def _reprice(self, rows: np.ndarray, now: float) -> None:
        """Bring ``rows`` of the working set to the prices in force (purchase intensity from
        ``now`` on, hazard from the next step)."""
        a = self.active
        seg, cid = a.seg[rows], a.cid[rows]
        discount = np.zeros(rows.size)
        known = cid < self._discount_of.size
        discount[known] = self._discount_of[cid[known]]
        price = self._list_index[seg] * (1.0 - discount)
        changed = price != a.price[rows]
        if not changed.any():
            return
        rows, price, seg = rows[changed], price[changed], seg[changed]
        rate_factor = price ** -self._elasticity[seg]
        a.set_rate(rows, a.rate[rows] / a.price_rate[rows] * rate_factor, now)
        a.price_rate[rows] = rate_factor
        a.price_haz[rows] = np.maximum(MIN_HAZARD_FACTOR,
                                       1.0 + self._price_churn[seg] * (price - 1.0))
        a.price[rows] = price
        a.rehazard(rows)

    def _price_new_rows(self, ids: np.ndarray, now: float) -> None:
        """Customers ``ids`` just joined the working set: at the list prices in force."""
        if self.pricing:
            self._reprice(self.active.row_of[ids], now)

    def _priced(self, ids: np.ndarray, seg: np.ndarray, amount: np.ndarray,
                ) -> tuple[np.ndarray, np.ndarray]:
        """Revenue at list prices and discounts of purchases worth ``amount`` at the reference
        prices (EUR), by customers ``ids`` of segments ``seg``."""
        revenue = amount * self._list_index[seg]
        discount = np.zeros(ids.size)
        known = ids < self._discount_of.size
        discount[known] = self._discount_of[ids[known]]
        return revenue, revenue * discount

    def _newcomer_and_loyal_discounts(self, day: int) -> tuple[float, float]:
        """Mean discount of the newcomers given one, and the mean discount over all loyal
        active customers (zero for those without), for the fairness comparison."""
        if not self.pricing or not self._discount_of.any():
            return 0.0, 0.0
        a, c = self.active, self.cust
        rows = np.flatnonzero(a.alive[: a.m])
        cid = a.cid[rows]
        discount = np.zeros(cid.size)
        known = cid < self._discount_of.size
        discount[known] = self._discount_of[cid[known]]
        loyal = c.acquired_day[cid] <= day - self.sc.fairness.loyal_tenure_days
        new = ~loyal & (discount > 0)
        newcomer = float(discount[new].mean()) if new.any() else 0.0
        return newcomer, float(discount[loyal].mean()) if loyal.any() else 0.0
