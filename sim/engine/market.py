"""The market's people and the firm's customer database, as columns (DESIGN sections 3.1 and 9).

Every prospect's own attributes (segment, purchase rate, mean spend, churn-hazard multiplier and
the "toughness" clocks that decide when they buy and when they leave) are drawn once, vectorised,
when the market is created. Prospect k is therefore the same person under every strategy, which
is what makes common random numbers work: a different strategy changes who is contacted and
how customers are treated, not who the people are.

The customer base is the firm's single customer database ([004]): one row per customer ever
acquired, stored as numpy columns that grow by doubling, in acquisition order (customer id).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np

__all__ = ["ACTIVE", "CHANNELS", "LOSS_REASONS", "LOST", "PROSPECT", "CustomerBase", "Market"]

PROSPECT, ACTIVE, LOST = 0, 1, 2
#: Acquisition channels, by code: the sales channels (:mod:`sim.engine.sales`) come last, so the
#: older codes keep their meaning.
CHANNELS = ("initial", "mass", "targeted", "referral", "partner", "rep", "telemarketing", "email",
            "web")
#: Latent reasons a customer left (competing risks of the hazard's parts), by code.
LOSS_REASONS = ("", "baseline", "dissatisfaction", "competitor")


def daily_hazard(annual_probability: np.ndarray | float) -> np.ndarray | float:
    """Constant daily hazard whose one-year survival is ``1 - annual_probability``.

    Parameters
    ----------
    annual_probability : float or array
        Probability of leaving within 365 days, in [0, 1).

    Returns
    -------
    float or array
        Hazard per day, ``-ln(1 - p) / 365``.
    """
    return -np.log1p(-np.asarray(annual_probability, dtype=float)) / 365.0


class Market:
    """Everybody in the market, prospects and customers, with their fixed personal attributes.

    Parameters
    ----------
    scenario : Scenario
    rng : numpy.random.Generator
        The run's ``market`` stream; used only here, so the people do not depend on strategy.
    fit_rng : numpy.random.Generator, optional
        The run's ``fit`` stream, for :attr:`fit` (drawn on first use).
    """

    def __init__(self, scenario, rng: np.random.Generator,
                 fit_rng: np.random.Generator | None = None):
        segs = scenario.segments
        n = scenario.market_size
        self.size = n
        shares = np.array([s.share for s in segs])
        self.segment = rng.choice(len(segs), size=n, p=shares / shares.sum()).astype(np.int16)
        seg = self.segment
        rate_shape = np.array([s.rate_shape for s in segs])[seg]
        churn_shape = np.array([s.churn_shape for s in segs])[seg]
        sigma = np.array([s.spend_sigma for s in segs])[seg]
        spend_mean = np.array([s.spend_mean for s in segs])[seg]
        # Gamma(k, 1/k) multipliers have mean 1, so the segment means hold on average.
        self.rate = (
            np.array([s.purchase_rate for s in segs])[seg] / 365.0
            * rng.gamma(rate_shape, 1.0 / rate_shape)
        )
        self.spend = spend_mean * np.exp(rng.normal(-0.5 * sigma**2, sigma))
        self.base_hazard = (
            daily_hazard(np.array([s.annual_churn for s in segs]))[seg]
            * rng.gamma(churn_shape, 1.0 / churn_shape)
        )
        # Unit-exponential thresholds of the time-change method: a customer leaves when the
        # integrated hazard reaches ``churn_clock`` and makes a purchase whenever the integrated
        # purchase intensity crosses the next threshold. Drawn per person, so shared by strategies.
        self.churn_clock = rng.exponential(1.0, n)
        self.purchase_clock = rng.exponential(1.0, n)
        self.status = np.zeros(n, dtype=np.int8)
        self.customer_id = np.full(n, -1, dtype=np.int64)
        initial = rng.choice(n, size=scenario.initial_customers, replace=False)
        self.initial = np.sort(initial)
        # Tenure of day-0 customers: acquired on a day of the three years before the run.
        self.initial_acquired_day = -rng.integers(1, 3 * 365 + 1, size=self.initial.size).astype(
            float)
        # Day-0 customers are survivors: having stayed T days, a customer's hazard multiplier
        # follows the gamma posterior given survival, Gamma(k, rate k + h T) (conjugate to the
        # Gamma(k, rate k) prior), so the frailest are already gone and retention by tenure
        # rises among them as it does in real bases. Drawn last, so the other draws stay put.
        init = self.initial
        h = daily_hazard(np.array([s.annual_churn for s in segs]))[seg[init]]
        k = churn_shape[init]
        tenure = -self.initial_acquired_day
        self.base_hazard[init] = h * rng.gamma(k, 1.0 / (k + h * tenure))
        self._scenario = scenario
        self._fit_rng = fit_rng

    @cached_property
    def fit(self) -> np.ndarray:
        """Latent fit of each person for another product (cross- and up-sell), in (0, 1).

        Higher for people who buy more often than their segment, so purchase frequency, which
        the firm sees, is a useful but imperfect guide to it. Drawn for everybody at once from
        the run's ``fit`` stream on first use, so it is the same whichever strategy runs and
        whenever it first cross-sells, and a run that never cross-sells never pays for it.
        """
        if self._fit_rng is None:
            raise RuntimeError("this market was made without a fit stream")
        segs = self._scenario.segments
        mean_rate = np.array([s.purchase_rate for s in segs])[self.segment] / 365.0
        z = (self._scenario.cross_sell.fit_slope * np.log(self.rate / mean_rate)
             + self._fit_rng.normal(0.0, 1.0, self.size))
        return 1.0 / (1.0 + np.exp(-z))


class CustomerBase:
    """The firm's customer database: one row per customer ever acquired, as growable columns.

    Columns are public numpy arrays sliced to the first ``n`` rows by :meth:`col`. Observable
    and latent columns live side by side here; :mod:`sim.view` decides what a strategy sees.
    """

    #: Columns that start as NaN ("not yet"); every other float column starts at zero.
    NAN = ("lost_day", "first_purchase_day", "last_purchase_day", "hazard", "sat_factor",
           "lever_factor", "offer_until", "won_back_day", "first_lost_day")
    ONE = ("products", "lives")  # integer columns that start at 1
    FLOAT = (
        "acquired_day", "lost_day", "rate", "spend", "base_hazard", "satisfaction", "sat_base",
        "cum_hazard", "churn_clock", "next_purchase", "pressure", "revenue",
        "margin", "serve_cost", "discounted_margin", "first_purchase_day",
        "last_purchase_day", "hazard", "sat_factor", "lever_factor", "offer_until",
        "won_back_day",
        "first_lost_day", "points",
    )
    INT = ("person", "segment", "channel", "purchases", "complaints", "status", "products",
           "offers", "member", "lives")

    def __init__(self, capacity: int = 1024):
        self.n = 0
        self._cap = 0
        self._grow(max(16, int(capacity)))

    def _grow(self, needed: int) -> None:
        cap = max(self._cap, 16)
        while cap < needed:
            cap *= 2
        for name in self.FLOAT + self.INT:
            fill = np.nan if name in self.NAN else (1 if name in self.ONE else 0)
            new = np.full(cap, fill, dtype=np.int64 if name in self.INT else float)
            if self._cap:
                new[: self.n] = getattr(self, name)[: self.n]
            setattr(self, name, new)
        self._cap = cap

    def add(self, market: Market, persons: np.ndarray, channel: np.ndarray | int, day: float,
            ) -> np.ndarray:
        """Append customers for ``persons`` acquired on ``day`` by ``channel``; return their ids.

        Only the static columns are written here; the latent state that changes daily lives in
        :class:`~sim.engine.active.ActiveSet` and is written back when a customer leaves and at
        the end of the run.
        """
        k = persons.size
        if self.n + k > self._cap:
            self._grow(self.n + k)
        ids = np.arange(self.n, self.n + k)
        rows = slice(self.n, self.n + k)
        self.person[rows] = persons
        self.segment[rows] = market.segment[persons]
        self.channel[rows] = channel
        self.acquired_day[rows] = day
        self.rate[rows] = market.rate[persons]
        self.spend[rows] = market.spend[persons]
        self.base_hazard[rows] = market.base_hazard[persons]
        self.churn_clock[rows] = market.churn_clock[persons]
        self.status[rows] = ACTIVE
        market.status[persons] = ACTIVE
        market.customer_id[persons] = ids
        self.n += k
        return ids

    def col(self, name: str) -> np.ndarray:
        """Column ``name`` for the customers so far (a view, not a copy)."""
        return getattr(self, name)[: self.n]

    def trim(self) -> None:
        """Shrink every column to the customers there are, one column at a time.

        Columns double as they grow, so up to half of each is spare; at the end of a run the
        result takes the columns over, and a million-customer market would otherwise carry
        about a gigabyte of spare rows into it.
        """
        for name in self.FLOAT + self.INT:
            setattr(self, name, getattr(self, name)[: self.n].copy())
        self._cap = self.n
