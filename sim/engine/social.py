"""Social CRM: service experiences told in public (DESIGN section 3.7).

A service contact that ends unresolved, or answered later than the scenario's ``slow_hours``,
may become a complaint post; one resolved within the customer's patience that leaves them
delighted may become a praise post (``scenario.social``). Posts join the market's net voice,
which drives acquisition (:mod:`sim.engine.acquisition`): praise the imitation term,
complaints the detractor term that lowers marketing conversion.

The voice of all posts is kept as two running totals, faded by ``exp(-1 / memory_days)`` a
day: a post made on day ``d`` counts ``w exp(-(t - d) / memory_days)`` on day ``t``, the same as
keeping every post and summing, for a few operations a day instead of one per post. Its weight
``w = reach x 365 / memory_days x referral`` makes its whole influence, summed over the days,
``reach`` years of its author's full word of mouth (``reach`` in customer-years).

Mixed into :class:`~sim.engine.model.Model`; draws come from the run's ``social`` stream,
which nothing else uses, so a market without social media (both reaches 0) draws nothing and
runs exactly as before the feature existed.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["SocialMedia"]


class SocialMedia:
    """The model's social-media posts (uses the model's scenario, ledger and working set)."""

    def _init_social(self) -> None:
        soc = self.sc.social
        self._social = soc.on and soc.posting_share > 0
        self.rng_social = self.streams.numpy("social")
        self._social_fade = math.exp(-1.0 / soc.memory_days)
        # A post's first-day weight per unit of referral and reach: its days of influence sum
        # to 1 / (1 - fade), about memory_days, so the whole is reach years of word of mouth.
        self._social_unit = 365.0 * (1.0 - self._social_fade)
        # Faded voice of all posts so far, in customer voices (positive: praise).
        self.social_praise = 0.0
        self.social_complaints = 0.0

    def _fade_posts(self) -> None:
        """One day passes: every post's influence shrinks by ``exp(-1 / memory_days)``."""
        self.social_praise *= self._social_fade
        self.social_complaints *= self._social_fade

    def _post(self, rows: np.ndarray, end: np.ndarray, resolved: np.ndarray, wait: np.ndarray,
              patience: np.ndarray) -> None:
        """Customers at ``rows`` just had a contact: draw who posts about it.

        Parameters
        ----------
        rows : numpy.ndarray
            Working-set rows of the customers, after their satisfaction moved.
        end : numpy.ndarray
            Instants the contacts ended (days).
        resolved : numpy.ndarray of bool
            Whether each contact resolved the issue.
        wait : numpy.ndarray
            Minutes from the request (or the recontact) to the answer.
        patience : numpy.ndarray
            Minutes each customer takes in stride for this channel.
        """
        soc, a = self.sc.social, self.active
        seg = a.seg[rows]
        slow = wait > soc.slow_hours * 60.0
        complaint = ~resolved | slow
        s = a.sb[rows] + a.dev[rows]
        delighted = resolved & (wait <= patience) & (s >= soc.delight_satisfaction)
        told = complaint | delighted
        if not told.any():
            return
        # One draw per contact that could be told, in order of ending (then of customer), so
        # the batched and the SimPy centre, which hand contacts over in different orders, give
        # the same posts.
        posts = np.flatnonzero(told)
        posts = posts[np.lexsort((a.cid[rows[posts]], end[posts]))]
        posts = posts[self.rng_social.random(posts.size) < soc.posting_share]
        if not posts.size:
            return
        weight = self.seg_referral[seg[posts]] * self._social_unit
        bad = complaint[posts]
        n_bad = int(bad.sum())
        self.social_complaints += soc.complaint_reach * float(weight[bad].sum())
        self.social_praise += soc.delight_reach * float(weight[~bad].sum())
        self.ledger.add("social_complaints", n_bad)
        self.ledger.add("social_praise", int(posts.size) - n_bad)
