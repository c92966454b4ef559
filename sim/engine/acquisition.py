"""Acquisition: how prospects become customers each day (DESIGN section 3.2).

Mass marketing reaches random members of the market (contacts on existing customers are
wasted), targeted marketing reaches prospects of the segments the strategy chose, and word of
mouth turns the satisfied customers' net voice into a Bass-style imitation rate. Unhappy
customers' voice lowers marketing conversion. Mixed into :class:`~sim.engine.model.Model`.
"""

from __future__ import annotations

import math

import numpy as np

from .market import ACTIVE, PROSPECT

__all__ = ["CHANNEL_COUNTS", "MASS", "PARTNER", "REFERRAL", "TARGETED", "Acquisition"]

MASS, TARGETED, REFERRAL, PARTNER = 1, 2, 3, 4
CHANNEL_COUNTS = ("acquired_initial", "acquired_mass", "acquired_targeted", "acquired_referral",
                  "acquired_partner", "acquired_rep", "acquired_telemarketing", "acquired_email",
                  "acquired_web")


def _distinct(values: np.ndarray, k: int) -> np.ndarray:
    """The first ``k`` distinct values, in order of first appearance (the draws are random, so
    this is a uniform choice). Arrays here are a handful of people: a Python set beats
    ``np.unique`` by an order of magnitude at that size."""
    if values.size > 64:
        _, first = np.unique(values, return_index=True)
        return values[np.sort(first)[:k]]
    seen: dict[int, None] = {}
    for v in values.tolist():
        seen.setdefault(v, None)
        if len(seen) == k:
            break
    return np.fromiter(seen, dtype=values.dtype, count=len(seen))


class Acquisition:
    """The model's acquisition step (uses the model's market, working set and streams)."""

    # -- acquisition ------------------------------------------------------------------------------
    def _acquire(self, day: int) -> np.ndarray | None:
        """Today's marketing contacts and word of mouth; returns the new customers' ids."""
        sc, a, rng = self.sc, self.active, self.rng_acq
        market = self.market
        m = a.m
        wom = sc.word_of_mouth
        pos = neg = 0.0
        n_active = m - self._retired_rows
        if m and (wom.imitation > 0 or wom.detractor_effect > 0):
            # Net voice: a customer's weight times (2 s - 1), positive for the satisfied.
            # Plain multiply-and-sum, not np.dot: BLAS threads slow the step down many times
            # when the other core is busy (as in parallel replications).
            # The positive part is summed as max(voice, 0): a boolean selection of the
            # positive entries costs six times as much (its branches are unpredictable).
            voice = a.voice[:m]
            np.multiply(a.dev[:m], a.voice2[:m], out=voice)
            voice += a.voice0[:m]
            total = float(voice.sum())
            pos = float(np.maximum(voice, 0.0, out=voice).sum())
            neg = pos - total
        if self._social:  # posts on social media speak on top of the customers' own voice
            pos += self.social_praise
            neg += self.social_complaints
        detract = 1.0 / (1.0 + sc.word_of_mouth.detractor_effect * neg / max(n_active, 1))
        # A welcome discount converts more of the prospects marketing reaches.
        detract *= 1.0 + sc.fairness.welcome_response * self.actions.welcome_discount
        new: list[tuple[np.ndarray, int]] = []
        act = self.actions
        per_day = 1.0 / sc.cycle_days
        # Marketing by thinning, exact and cheap: of n contacts, the ones that would convert at
        # the highest conversion probability p_max are Binomial(n, p_max); each of those then
        # converts with probability p_i / p_max. Only a handful of people are drawn, not n.
        if act.mass_spend > 0:
            n = self._contacts(MASS, act.mass_spend * per_day / sc.mass.cost_per_contact)
            k = rng.binomial(n, min(1.0, sc.mass.conversion * self.max_response * detract))
            if k:
                persons = rng.integers(0, market.size, k)
                keep = rng.random(k) * self.max_response < self.seg_response[
                    market.segment[persons]]
                won = persons[keep & (market.status[persons] == PROSPECT)]
                if won.size:
                    won = _distinct(won, won.size)
                    market.status[won] = ACTIVE  # taken: no other channel can draw them today
                    new.append((won, MASS))
        if act.targeted_spend > 0:
            spend = act.targeted_spend * per_day
            n = self._contacts(TARGETED, spend / sc.targeted.cost_per_contact)
            n = min(n, int(self.prospects_by_seg[self._target_segs].sum()))
            k = rng.binomial(n, min(1.0, sc.targeted.conversion * self.max_response * detract))
            if k:
                persons = self._sample_prospects(self._target_pool, k)
                keep = rng.random(persons.size) * self.max_response < self.seg_response[
                    market.segment[persons]]
                won = persons[keep]
                if won.size:
                    market.status[won] = ACTIVE
                    new.append((won, TARGETED))
        if self._selling:  # reps' orders of yesterday, telemarketing, e-mail, the web shop
            self._sell(day, detract, new)
        prospects = int(self.prospects_by_seg.sum()) - sum(w.size for w, _ in new)
        rate = (wom.innovation + wom.imitation * pos / market.size) / 365.0
        if prospects > 0 and rate > 0:
            k = int(rng.binomial(prospects, -math.expm1(-rate)))
            if k:
                won = self._sample_prospects(None, k)
                market.status[won] = ACTIVE
                new.append((won, REFERRAL))
                prospects -= won.size
        if act.collaborative and prospects > 0:
            k = min(self._partner_referrals(n_active), prospects)
            if k:
                new.append((self._sample_prospects(None, k), PARTNER))
        if not new:
            return None
        return self._welcome(new, day)

    def _contacts(self, channel: int, expected: float) -> int:
        """Whole contacts today for a spend worth ``expected`` contacts (remainders carry over)."""
        total = self._carry[channel] + expected
        n = int(total)
        self._carry[channel] = total - n
        return n

    def _sample_prospects(self, pool: np.ndarray | None, k: int,
                          rng: np.random.Generator | None = None) -> np.ndarray:
        """``k`` distinct prospects drawn uniformly from ``pool`` (None: the whole market), with
        ``rng`` (the acquisition stream unless given: each channel draws from its own).

        Rejection sampling is exact (uniform over the prospects) and cheap while prospects are
        common; when they are rare it falls back to listing them. People won earlier today are
        already customers, so they cannot be drawn again.
        """
        market = self.market
        rng = self.rng_acq if rng is None else rng
        size = market.size if pool is None else pool.size
        if k <= 0 or size == 0:
            return np.zeros(0, dtype=np.int64)
        for _ in range(4):
            draw = rng.integers(0, size, 2 * k + 8)
            cand = draw if pool is None else pool[draw]
            cand = _distinct(cand[market.status[cand] == PROSPECT], k)
            if cand.size == k:
                return cand
        everyone = np.arange(market.size) if pool is None else pool
        left = everyone[market.status[everyone] == PROSPECT]
        return rng.choice(left, size=min(k, left.size), replace=False)

    def _activate(self, ids: np.ndarray, persons: np.ndarray, start: float) -> None:
        """Put new customers ``ids`` (the market's ``persons``) into the working set, with
        their personal habits and thresholds from the market."""
        m = self.market
        self.active.add(ids, m.segment[persons], rate=m.rate[persons],
                        base_h=m.base_hazard[persons], churn_clock=m.churn_clock[persons],
                        purchase_clock=m.purchase_clock[persons], start=start,
                        seg_sat=self.seg_sat, price_sens=self.seg_price_sens,
                        referral=self.seg_referral)
        self._price_new_rows(ids, start)
        if self.actions.loyalty:
            self._enrol(ids, start)

    def _welcome(self, new: list[tuple[np.ndarray, int]], day: int) -> np.ndarray:
        """Today's new customers, as (persons, channel) groups, into the database and the
        working set. Returns their ids (their first purchase is booked with the day's sales)."""
        persons = new[0][0] if len(new) == 1 else np.concatenate([p for p, _ in new])
        if len(new) == 1:
            channel = np.full(persons.size, new[0][1])
        else:
            channel = np.repeat([c for _, c in new], [p.size for p, _ in new])
        self.prospects_by_seg -= np.bincount(self.market.segment[persons],
                                             minlength=self.prospects_by_seg.size)
        ids = self.cust.add(self.market, persons, channel, float(day))
        # A newcomer buys now (booked with the day's sales) and from tomorrow at their rate.
        self._activate(ids, persons, start=day + 1.0)
        for won, code in new:
            self.ledger.add(CHANNEL_COUNTS[code], won.size)
        return ids

