"""The working state of customers who may still be active, as dense aligned columns.

The daily market step touches every active customer, so their changing, latent state
(satisfaction, competitor pressure, integrated hazard and purchase intensity) lives in
contiguous arrays here rather than being gathered from the customer database every day. A
customer who leaves is *retired* in place (rates set to zero, clocks to infinity) and the rows
are compacted once a cycle, which keeps the step free of per-day reallocations.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

__all__ = ["ActiveSet"]


class ActiveSet:
    """Dense per-customer working state for the daily step.

    Attributes are numpy arrays of capacity ``>= m``; only ``[:m]`` is meaningful and
    :meth:`rows` returns those views. ``row_of[customer_id]`` locates a customer's row.
    """

    COLUMNS: ClassVar[dict] = {
        "cid": np.int64, "seg": np.intp, "alive": bool,
        # Satisfaction is kept as its deviation from the segment baseline ``sb``: the drift back
        # is then one multiplication a day, and the churn factor exp(-effect x dev) needs no
        # subtraction. ``omsb`` = 1 - sb; ``voice0`` and ``voice2`` give a customer's voice
        # referral x (2 s - 1) = voice0 + voice2 x dev.
        # ``bh`` is the hazard the daily step starts from: the personal baseline ``base_h``
        # times the levers' multipliers (an accepted retention offer, loyalty tier), kept up to
        # date by :meth:`rehazard` so the daily step needs no extra multiplication.
        "dev": float, "sb": float, "omsb": float, "press": float, "bh": float, "cum_h": float,
        "base_h": float, "offer_mult": float, "loyal_mult": float, "member": bool,
        "lifted": bool,  # purchase rate raised by loyalty membership (undone on leaving it)
        # ``buy_at``: the instant (fractional day) of the next purchase. The intensity is
        # constant between purchases, so the time-change clock needs no daily integration:
        # the next threshold, divided by the rate, is simply added to the time.
        "clock": float, "buy_at": float, "rate": float, "price_sens2": float,
        "voice0": float, "voice2": float,
        # Prices (sim/engine/pricing.py): the index the customer pays, and the factors it puts
        # on the purchase rate (already in ``rate``) and on the hazard (in ``bh``).
        "price": float, "price_rate": float, "price_haz": float,
        # Scratch of the daily step: today's hazard and its satisfaction factor. A newcomer's
        # hazard is its baseline (no deviation, no pressure) until its first step. ``voice``:
        # scratch for word of mouth (a fresh array a day costs page faults in large markets).
        "h": float, "f": float, "voice": float,
    }

    def __init__(self, capacity: int = 1024):
        self.m = 0
        self._cap = max(16, int(capacity))
        for name, dtype in self.COLUMNS.items():
            setattr(self, name, np.zeros(self._cap, dtype=dtype))
        self.row_of = np.full(self._cap, -1, dtype=np.int64)

    def add(self, ids: np.ndarray, seg: np.ndarray, *, rate: np.ndarray, base_h: np.ndarray,
            churn_clock: np.ndarray, purchase_clock: np.ndarray, start: float,
            seg_sat: np.ndarray, price_sens: np.ndarray, referral: np.ndarray) -> None:
        """Append customers ``ids`` of segments ``seg`` in their starting state: baseline
        satisfaction, no pressure, no lever in force, nothing integrated yet.

        ``rate`` (purchases/day), ``base_h`` (hazard/day) and the unit-exponential thresholds
        ``churn_clock`` and ``purchase_clock`` are per customer; the purchase intensity runs
        from day ``start`` on. ``seg_sat``, ``price_sens`` and ``referral`` are per segment.
        """
        k = ids.size
        if self.m + k > self._cap:
            cap = self._cap
            while cap < self.m + k:
                cap *= 2
            for name in self.COLUMNS:
                old = getattr(self, name)
                new = np.zeros(cap, dtype=old.dtype)
                new[: self.m] = old[: self.m]
                setattr(self, name, new)
            self._cap = cap
        if ids.size and ids[-1] >= self.row_of.size:
            grown = np.full(max(2 * self.row_of.size, int(ids[-1]) + 1), -1, dtype=np.int64)
            grown[: self.row_of.size] = self.row_of
            self.row_of = grown
        rows = slice(self.m, self.m + k)
        self.cid[rows] = ids
        self.seg[rows] = seg
        self.alive[rows] = True
        self.dev[rows] = 0.0
        self.sb[rows] = seg_sat[seg]
        self.omsb[rows] = 1.0 - seg_sat[seg]
        self.press[rows] = 0.0
        self.bh[rows] = self.h[rows] = self.base_h[rows] = base_h
        self.offer_mult[rows] = self.loyal_mult[rows] = 1.0
        self.price[rows] = self.price_rate[rows] = self.price_haz[rows] = 1.0
        self.member[rows] = self.lifted[rows] = False
        self.cum_h[rows] = 0.0
        self.clock[rows] = churn_clock
        # A rate of 0 never buys: the next purchase is at infinity.
        wait = np.divide(purchase_clock, rate, out=np.full(k, np.inf), where=rate > 0)
        wait += start
        self.buy_at[rows] = wait
        self.rate[rows] = rate
        self.price_sens2[rows] = 2.0 * price_sens[seg]
        self.voice0[rows] = referral[seg] * (2.0 * seg_sat[seg] - 1.0)
        self.voice2[rows] = 2.0 * referral[seg]
        self.row_of[ids] = np.arange(self.m, self.m + k)
        self.m += k

    def move_satisfaction(self, rows, delta) -> None:
        """Add ``delta`` (a number or one per row) to the satisfaction of ``rows``, kept within
        [0, 1]. Each row must appear once: a customer moved twice needs two calls."""
        base = self.sb[rows]
        s = base + self.dev[rows]
        s += delta
        np.minimum(s, 1.0, out=s)
        np.maximum(s, 0.0, out=s)
        s -= base
        self.dev[rows] = s

    def rehazard(self, rows) -> None:
        """Recompute the working hazard of ``rows`` after a lever's multiplier changed."""
        self.bh[rows] = (self.base_h[rows] * self.offer_mult[rows] * self.loyal_mult[rows]
                         * self.price_haz[rows])

    def set_rate(self, rows: np.ndarray, rate: np.ndarray, now: float) -> None:
        """Change the purchase rate of ``rows`` from ``now`` on (purchases/day).

        Time change: the intensity still to integrate before the next purchase,
        ``(buy_at - now) x old rate``, is kept, so the change is exact and draws nothing.
        """
        old = self.rate[rows]
        left = (self.buy_at[rows] - now) * old
        self.rate[rows] = rate
        with np.errstate(divide="ignore", invalid="ignore"):
            self.buy_at[rows] = np.where(rate > 0, now + left / rate, np.inf)

    def retire(self, rows: np.ndarray) -> None:
        """Customers at ``rows`` left: they stop buying, leaving, speaking and being reached."""
        self.alive[rows] = False
        self.member[rows] = self.lifted[rows] = False  # levers skip them until compaction
        self.bh[rows] = 0.0
        self.rate[rows] = 0.0
        self.voice0[rows] = 0.0
        self.voice2[rows] = 0.0
        self.clock[rows] = np.inf
        self.buy_at[rows] = np.inf
        self.row_of[self.cid[rows]] = -1

    def write_back(self, cust, rows: np.ndarray | slice) -> None:
        """Copy the latent state of ``rows`` into the customer base (at loss and at the end)."""
        ids = self.cid[rows]
        cust.sat_base[ids] = self.sb[rows]
        cust.satisfaction[ids] = self.satisfaction(rows)
        cust.pressure[ids] = self.press[rows]
        cust.cum_hazard[ids] = self.cum_h[rows]
        cust.next_purchase[ids] = self.buy_at[rows]

    def satisfaction(self, rows) -> np.ndarray:
        """Satisfaction of the customers at ``rows``, in [0, 1]."""
        return self.sb[rows] + self.dev[rows]

    def compact(self) -> None:
        """Drop retired rows (once a cycle)."""
        keep = np.flatnonzero(self.alive[: self.m])
        if keep.size == self.m:
            return
        for name in self.COLUMNS:
            col = getattr(self, name)
            col[: keep.size] = col[keep]
        self.m = keep.size
        self.row_of[self.cid[: self.m]] = np.arange(self.m)

    @property
    def n_alive(self) -> int:
        """Number of active customers."""
        return int(np.count_nonzero(self.alive[: self.m]))
