"""The CRM levers a strategy pulls each cycle (DESIGN sections 3.4 and 3.6).

Mixed into :class:`~sim.engine.model.Model`. Each lever books its cost in the ledger (a
``cost_*`` column of the timeline) and leaves its traces in the tables:

* **retention offers**: accepted offers cut the churn hazard for ``duration_days``; whether the
  customer would have left in that time anyway is judged from the latent truth (the customer's
  own churn clock at the current hazard) and logged, so the waste can be measured;
* **loyalty programme**: every active customer is a member while it runs; points are the spend
  as a member (kept if the programme pauses) and set the tier; the hazard falls by a third,
  two thirds or all of ``hazard_reduction`` by tier, price sensitivity falls, light and
  moderate buyers buy more often, and every member's purchases earn rewards (minus breakage),
  heavy buyers' included;
* **cross- and up-sell**: a latent fit decides who takes another product (higher rate and
  spend); a declined contact may annoy;
* **win-back**: success decays with time since the loss; a won-back customer starts a second
  life with fresh clocks, recorded in ``lives`` and ``won_back_day``;
* **collaborative CRM**: better first-contact resolution and offer fit, partner referrals;
* **people and technology**: the CRM system's effect on first-contact resolution scales with
  employee adoption, which training raises and neglect erodes;
* **fairness**: a welcome discount well above what loyal customers get lowers loyal
  customers' satisfaction (and so their voice and their loyalty).
"""

from __future__ import annotations

import math

import numpy as np

from ..actions import ID_FIELDS
from ..errors import ActionsError
from .market import ACTIVE, LOST

__all__ = ["CAMPAIGNS", "Levers"]

#: Campaign codes of the campaign log.
CAMPAIGNS = ("retention", "cross_sell", "winback")


class Levers:
    """The levers' state and their effects (uses the model's market, customers and ledger)."""

    def _init_levers(self) -> None:
        sc = self.sc
        self.rng_offers = self.streams.numpy("offers")
        self.adoption = sc.people.initial_adoption
        self._expiry: dict[int, list[np.ndarray]] = {}  # day -> ids whose offer ends then
        self._campaigns: list[tuple] = []  # chunks of the campaign log
        segs = sc.segments
        self.seg_mean_rate = np.array([s.purchase_rate for s in segs]) / 365.0
        self.fairness_gap = 0.0

    # -- the cycle's decisions --------------------------------------------------------------------
    def _service_quality(self, actions) -> float:
        """First-contact resolution this cycle: the CRM system's gain in proportion to adoption,
        plus shared knowledge if collaborative CRM runs, plus one customer view across the
        channels if they are integrated (capped at 1)."""
        srv, people = self.sc.service, self.sc.people
        if actions.training_spend > 0:
            self.adoption += (1.0 - self.adoption) * -math.expm1(
                -actions.training_spend / people.training_scale)
        else:
            self.adoption *= 1.0 - people.adoption_decay
        fcr = srv.fcr
        if actions.crm_system:
            # A system raises resolution towards crm_system_fcr as staff adopt it; set below
            # the centre's own rate (a slider on service.fcr passing it) it adds nothing.
            fcr += self.adoption * max(srv.crm_system_fcr - srv.fcr, 0.0)
        if actions.collaborative:
            fcr += self.sc.collaboration.fcr_boost
        if actions.channel_integration:
            fcr += self.sc.channels.integration_fcr_boost
        return min(1.0, max(0.0, fcr))

    def _campaign_ids(self, actions, day: int) -> dict[str, np.ndarray]:
        """The cycle's campaign lists, checked against the customer base before anything of the
        cycle is applied (a bad id is the strategy's error, reported as such)."""
        return {name: self._checked_ids(name, getattr(actions, name), day) for name in ID_FIELDS}

    def _pull_levers(self, actions, day: int, ids: dict[str, np.ndarray]) -> None:
        """Carry out the cycle's campaigns and programme changes (after the ledger opened);
        ``ids`` are the checked campaign lists (:meth:`_campaign_ids`)."""
        self._loyalty_switch(actions.loyalty, day)
        if actions.loyalty:
            self._loyalty_tiers()
        self._fairness(actions, day)
        if ids["retention_offers"].size:
            self._retention(ids["retention_offers"], day, actions.collaborative)
        if ids["cross_sell"].size:
            self._cross_sell(ids["cross_sell"], day, actions.collaborative)
        if ids["winback"].size:
            self._winback(ids["winback"], day, actions.collaborative)

    def _checked_ids(self, name: str, ids: tuple[int, ...], day: int) -> np.ndarray:
        """Customer ids of a campaign, checked: known customers, active (or lost for win-back)."""
        out = np.asarray(ids, dtype=np.int64)
        if not out.size:
            return out
        c = self.cust
        unknown = out[out >= c.n]
        if unknown.size:
            raise ActionsError(f"Actions.{name} contains {int(unknown[0])}: no such customer "
                               f"(ids are 0 to {c.n - 1} on day {day})")
        wanted = LOST if name == "winback" else ACTIVE
        wrong = out[c.status[out] != wanted]
        if wrong.size:
            state = "lost" if wanted == LOST else "active"
            raise ActionsError(f"Actions.{name} contains {int(wrong[0])}, who is not {state}: "
                               f"{name} goes to {state} customers only")
        return out

    def _fit_multiplier(self, collaborative: bool) -> float:
        return 1.0 + self.sc.collaboration.fit_boost if collaborative else 1.0

    def _log_campaign(self, campaign: str, day: int, ids, accepted, cost, would_have_left):
        """One chunk of the campaign log; ``would_have_left`` (the truth) only for retention."""
        if would_have_left is None:
            would_have_left = np.zeros(ids.size, dtype=bool)  # masked as NA in the table
        self._campaigns.append((day, CAMPAIGNS.index(campaign), ids, accepted, cost,
                                would_have_left))

    # -- retention offers -------------------------------------------------------------------------
    def _retention(self, ids: np.ndarray, day: int, collaborative: bool) -> None:
        ro, a, c = self.sc.retention, self.active, self.cust
        rows = a.row_of[ids]
        p = min(1.0, ro.acceptance * self._fit_multiplier(collaborative))
        accepted = self.rng_offers.random(ids.size) < p
        # The truth, for measuring waste only: at the hazard of the last day without any offer
        # (an earlier one may still run), would the customer's own churn clock have rung
        # before this offer ran out?
        h = a.h[rows] / a.offer_mult[rows]
        would_leave = a.cum_h[rows] + h * ro.duration_days >= a.clock[rows]
        cost = ro.contact_cost + accepted * ro.incentive_cost
        c.offers[ids] += 1
        self.ledger.add("offers_sent", ids.size)
        self.ledger.add("offers_accepted", int(accepted.sum()))
        self.ledger.add("cost_retention", float(cost.sum()))
        self._log_campaign("retention", day, ids, accepted, cost, would_leave)
        took, rows = ids[accepted], rows[accepted]
        if not took.size:
            return
        a.offer_mult[rows] = 1.0 - ro.hazard_reduction
        a.rehazard(rows)
        self.active.move_satisfaction(rows, ro.satisfaction_boost)
        until = day + ro.duration_days
        c.offer_until[took] = until
        self._expiry.setdefault(math.ceil(until), []).append(took)

    def _expire_offers(self, day: int) -> None:
        """Offers whose time ran out stop working (called at the start of each day)."""
        due = self._expiry.pop(day, None)
        if due is None:
            return
        ids = np.concatenate(due)
        a, c = self.active, self.cust
        ids = ids[(a.row_of[ids] >= 0) & (c.offer_until[ids] <= day)]  # renewed ones go on
        rows = a.row_of[ids]
        a.offer_mult[rows] = 1.0
        a.rehazard(rows)

    # -- loyalty programme ------------------------------------------------------------------------
    def _loyalty_switch(self, on: bool, day: int) -> None:
        a = self.active
        m = a.m
        members = np.flatnonzero(a.member[:m])
        if on and not members.size:
            self._enrol(a.cid[np.flatnonzero(a.alive[:m])], float(day))
        elif not on and members.size:
            lo = self.sc.loyalty
            a.member[members] = False
            self.cust.member[a.cid[members]] = 0
            a.loyal_mult[members] = 1.0
            a.rehazard(members)
            a.price_sens2[members] /= 1.0 - lo.price_sensitivity_reduction
            light = members[a.lifted[members]]
            a.lifted[light] = False
            a.set_rate(light, a.rate[light] / (1.0 + lo.rate_lift), float(day))

    def _enrol(self, ids: np.ndarray, now: float) -> None:
        """Customers ``ids`` (active, not members) join the loyalty programme; their purchase
        intensity changes from ``now`` (days) on."""
        lo, a, c = self.sc.loyalty, self.active, self.cust
        rows = a.row_of[ids]
        a.member[rows] = True
        c.member[ids] = 1
        a.price_sens2[rows] *= 1.0 - lo.price_sensitivity_reduction
        # Liu (2007): light and moderate buyers buy more once enrolled, heavy buyers do not.
        light = rows[a.rate[rows] < self.seg_mean_rate[a.seg[rows]]]
        a.lifted[light] = True
        a.set_rate(light, a.rate[light] * (1.0 + lo.rate_lift), now)
        self._loyalty_tiers(rows)

    def _loyalty_tiers(self, rows: np.ndarray | None = None) -> None:
        """Members' tiers from their points (spend as members) set their hazard cut: a third,
        two thirds or all of ``hazard_reduction`` (default rows: every member)."""
        lo, a, c = self.sc.loyalty, self.active, self.cust
        if rows is None:
            rows = np.flatnonzero(a.member[: a.m])
        points = c.points[a.cid[rows]]
        tier = (points >= lo.silver_spend).astype(float) + (points >= lo.gold_spend)
        a.loyal_mult[rows] = 1.0 - lo.hazard_reduction * (1.0 + tier) / 3.0
        a.rehazard(rows)

    def _loyalty_rewards(self, ids: np.ndarray, amount: np.ndarray) -> None:
        """Members among today's buyers collect points and rewards (booked at issue, net of
        breakage)."""
        member = self.cust.member[ids] == 1
        if not member.any():
            return
        lo = self.sc.loyalty
        spent = amount[member]
        self.cust.points[ids[member]] += spent  # a day's buyers are distinct customers
        self.ledger.add("cost_loyalty", float(spent.sum()) * lo.reward_rate * (1 - lo.breakage))

    # -- fairness ---------------------------------------------------------------------------------
    def _fairness(self, actions, day: int) -> None:
        """A welcome deal (or newcomers' discounts) far above what loyal customers get lowers
        their satisfaction."""
        lo, fair = self.sc.loyalty, self.sc.fairness
        benefit = lo.reward_rate * (1.0 - lo.breakage) if actions.loyalty else 0.0
        # Customer-specific prices count too: discounts newcomers get are a deal like the
        # welcome discount, and discounts loyal customers get are part of their benefit.
        newcomer, loyal = self._newcomer_and_loyal_discounts(day)
        self.fairness_gap = max(actions.welcome_discount, newcomer) - (benefit + loyal)
        excess = self.fairness_gap - fair.tolerance
        if excess <= 0 or fair.penalty == 0:
            return
        a, c = self.active, self.cust
        rows = np.flatnonzero(a.alive[: a.m])
        rows = rows[c.acquired_day[a.cid[rows]] <= day - fair.loyal_tenure_days]
        self.active.move_satisfaction(rows, -fair.penalty * excess)

    # -- cross- and up-sell -----------------------------------------------------------------------
    def _cross_sell(self, ids: np.ndarray, day: int, collaborative: bool) -> None:
        cs, a, c = self.sc.cross_sell, self.active, self.cust
        rows = a.row_of[ids]
        fit = self.market.fit[c.person[ids]]
        p = np.minimum(1.0, cs.acceptance * fit * self._fit_multiplier(collaborative))
        u = self.rng_offers.random((2, ids.size))
        room = c.products[ids] < cs.max_products
        took = (u[0] < p) & room
        annoyed = ~took & (u[1] < cs.annoyance_prob * (1.0 - fit))
        cost = np.full(ids.size, cs.contact_cost)
        self.ledger.add("cross_sell_contacts", ids.size)
        self.ledger.add("cross_sell_accepted", int(took.sum()))
        self.ledger.add("cost_cross_sell", float(cost.sum()))
        self._log_campaign("cross_sell", day, ids, took, cost, None)
        if annoyed.any():
            self.active.move_satisfaction(rows[annoyed], -cs.annoyance_penalty)
        if took.any():
            won, rows = ids[took], rows[took]
            c.products[won] += 1
            c.spend[won] *= 1.0 + cs.spend_lift
            a.set_rate(rows, a.rate[rows] * (1.0 + cs.rate_lift), float(day))
            # The customer's own habit, without the price in force (a second life or a new
            # price starts from it).
            c.rate[won] = a.rate[rows] / a.price_rate[rows]

    # -- win-back ---------------------------------------------------------------------------------
    def _winback(self, ids: np.ndarray, day: int, collaborative: bool) -> None:
        wb, c = self.sc.winback, self.cust
        since = day - c.lost_day[ids]
        p = np.minimum(1.0, wb.success * np.exp(-since / wb.decay_days)
                       * self._fit_multiplier(collaborative))
        back = self.rng_offers.random(ids.size) < p
        cost = wb.contact_cost + back * wb.incentive_cost
        self.ledger.add("winback_contacts", ids.size)
        self.ledger.add("won_back", int(back.sum()))
        self.ledger.add("cost_winback", float(cost.sum()))
        self._log_campaign("winback", day, ids, back, cost, None)
        won = ids[back]
        if not won.size:
            return
        # A second life: active again with fresh clocks, habits as they were.
        c.lost_day[won] = np.nan
        c.won_back_day[won] = day
        c.lives[won] += 1
        c.status[won] = ACTIVE
        self.market.status[c.person[won]] = ACTIVE
        self.active.add(won, c.segment[won], rate=c.rate[won], base_h=c.base_hazard[won],
                        churn_clock=self.rng_offers.exponential(1.0, won.size),
                        purchase_clock=self.rng_offers.exponential(1.0, won.size),
                        start=float(day), seg_sat=self.seg_sat,
                        price_sens=self.seg_price_sens, referral=self.seg_referral)
        self._price_new_rows(won, float(day))
        if self.actions.loyalty:
            self._enrol(won, float(day))
        self.n_lost -= won.size  # lost_total counts the customers lost now

    # -- partner referrals ------------------------------------------------------------------------
    def _partner_referrals(self, n_active: int) -> int:
        """New customers partners bring today (collaborative CRM), a Poisson count."""
        rate = self.sc.collaboration.partner_referrals * n_active / 1000.0 / 365.0
        return int(self.rng_offers.poisson(rate)) if rate > 0 else 0
