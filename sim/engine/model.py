"""The market simulation: SimPy processes around a columnar customer base (DESIGN sections 3-9).

Processes, all in one ``simpy.Environment`` whose time unit is the day:

* the **CRM cycle** (every ``cycle_days``): closes the books of the cycle, shows the strategy a
  read-only :class:`~sim.view.FirmView`, validates the :class:`~sim.actions.Actions` it returns
  and puts them into effect (Swift's cycle: knowledge discovery, market planning, customer
  interaction, analysis and refinement);
* the **market day** (every day): advances every active customer at once with numpy:
  satisfaction drifts, churn hazards integrate, purchases happen, prospects are contacted and
  converted, satisfied customers talk;
* one **service request** process per request, queueing for agents (:mod:`.service`);
* one **sales visit** process per visit, queueing for a sales rep of its territory
  (:mod:`.sales`);
* **competitor waves** at random times, raising the churn hazard of the customers they reach.

Exactness of the daily batch: churn and purchases use the time-change method (each customer
has unit-exponential thresholds on the integrated hazard and purchase intensity), which is exact
for hazards that change only at day boundaries; service outcomes change satisfaction when they
happen and the hazard from the next day on (a feedback delay of at most one step).
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from ..actions import Actions
from ..errors import ActionsError
from ..rng import Streams, fresh_seed
from ..view import make_view, strategy_name
from .acquisition import MASS, TARGETED, Acquisition
from .active import ActiveSet
from .channels import ChannelDesk
from .fifo import BatchedCentre
from .gcpause import relaxed_gc
from .levers import Levers
from .market import ACTIVE, LOST, CustomerBase, Market
from .pricing import Pricing
from .record import Ledger, build_result
from .sales import Selling
from .service import ServiceCentre
from .social import SocialMedia

__all__ = ["Model", "run"]


class _StrategyFailed(Exception):
    """Carries a strategy's failure out of SimPy; ``Model.simulate`` re-raises the original."""


def run(scenario, strategy, *, seed: int | None = None, transactions: str = "full"):
    """Simulate ``scenario`` under ``strategy`` and return a :class:`~sim.result.Result`.

    Parameters
    ----------
    scenario : Scenario
        The market (see :meth:`sim.Scenario.load`).
    strategy : callable
        ``strategy(view) -> Actions``, called once a CRM cycle: a preset from
        :mod:`sim.strategies` or any function.
    seed : int, optional
        Non-negative integer. The same scenario, strategy and seed give identical results.
        ``None`` draws a fresh seed, stored in ``result.seed`` so the run can be replayed.
    transactions : {"full", "compact", "none"}
        What ``result.transactions`` keeps: every row in 64-bit columns; the same rows in
        32-bit ids and amounts and 16-bit counts (a third of the memory, for large markets);
        or nothing (an empty table). The per-customer totals (purchases, revenue, margin,
        recency) and every KPI are the same whichever is kept.

    Returns
    -------
    Result
    """
    if seed is None:
        seed = fresh_seed()
    with relaxed_gc():
        return Model(scenario, strategy, seed=seed, transactions=transactions).simulate()


class Model(Acquisition, Levers, Pricing, SocialMedia, Selling):
    """One run: the environment, the market, the customer base, the service centre, the books."""

    def __init__(self, scenario, strategy, *, seed: int, transactions: str = "full"):
        if not callable(strategy):
            raise TypeError(f"strategy must be callable as strategy(view) -> Actions, "
                            f"got {strategy!r}")
        self.sc = sc = scenario
        self.ledger = Ledger(sc, transactions)  # first: it checks the transactions option
        # A strategy that learns during a run gets a fresh memory for this one.
        start = getattr(strategy, "for_run", None)
        self.strategy = strategy = start() if callable(start) else strategy
        self.strategy_name = strategy_name(strategy)
        self.streams = Streams(seed)
        self.seed = self.streams.seed
        self.env = simpy.Environment()
        self.market = Market(sc, self.streams.numpy("market"), self.streams.numpy("fit"))
        self.rng_acq = self.streams.numpy("acquisition")
        self.rng_buy = self.streams.numpy("purchases")
        self.rng_spend = self.streams.numpy("spend")
        self.rng_service = self.streams.numpy("service")
        self.rng_comp = self.streams.numpy("competitors")
        segs = sc.segments
        self.seg_sat = np.array([s.satisfaction for s in segs])
        self.seg_margin = np.array([s.margin for s in segs])
        self.seg_cost = np.array([s.cost_per_purchase for s in segs])
        self.seg_complaint = np.array([s.complaint_prob for s in segs])
        self.seg_price_sens = np.array([s.price_sensitivity for s in segs])
        self.seg_response = np.array([s.marketing_response for s in segs])
        self.max_response = max(float(self.seg_response.max()), 1e-300)
        self.seg_referral = np.array([s.referral for s in segs])
        self._patience = np.array([s.patience_minutes for s in segs])
        self._service_sens = np.array([s.service_sensitivity for s in segs])
        sat = sc.satisfaction
        self._sat_terms = (sat.wait_penalty, sat.resolved_bonus, sat.unresolved_penalty)
        cv2 = np.array([s.spend_cv for s in segs]) ** 2
        # Segments with (practically) no spread spend exactly their mean; the others draw gamma
        # amounts. Below cv = 1e-6 the gamma is deterministic to float precision anyway, and its
        # shape 1/cv^2 would overflow.
        self.seg_spend_fixed = cv2 < 1e-12
        self.seg_spend_cv2 = np.where(self.seg_spend_fixed, 1.0, cv2)
        self.seg_persons = [np.flatnonzero(self.market.segment == k) for k in range(len(segs))]
        self.prospects_by_seg = np.array([p.size for p in self.seg_persons], dtype=np.int64)
        self.sat_decay = math.exp(-1.0 / sc.satisfaction.recovery_days)
        self.press_decay = math.exp(-1.0 / sc.competitors.decay_days)
        comp = sc.competitors
        self._competitors = comp.waves_per_year > 0 and comp.reach > 0 and comp.pressure > 0
        # Continuous-time discount rate per day equivalent to the annual rate.
        self.discount_per_day = math.log1p(sc.annual_discount_rate) / 365.0

        self._init_levers()
        self._init_pricing()
        self._init_social()
        self._init_sales()

        self.cust = CustomerBase(capacity=max(1024, 2 * sc.initial_customers))
        self.active = ActiveSet(capacity=max(1024, 2 * sc.initial_customers))
        srv = sc.service
        centre = BatchedCentre if srv.queue == "batched" else ServiceCentre
        self.centre = centre(
            self.env, agents=1, max_agents=srv.max_agents, handle_minutes=srv.handle_minutes,
            distribution=srv.handle_distribution, handle_cv=srv.handle_cv,
            rand=self.streams.scalar("service"), handle_rng=self.streams.numpy("handling"),
            fcr=srv.fcr, open_hours=srv.open_hours,
            recontact_prob=srv.recontact_prob, recontact_days=srv.recontact_days,
            is_active=self._is_active,
        )
        self.desk = ChannelDesk(sc, self.streams.numpy("channels"))
        self.actions = Actions()
        self._carry = {MASS: 0.0, TARGETED: 0.0}
        self._target_pool: np.ndarray | None = None
        self._target_segs = np.zeros(0, dtype=np.intp)
        self.n_lost = 0
        self._retired_rows = 0  # retired rows still in the working set (until compaction)
        if sc.initial_customers:
            persons = self.market.initial
            self.prospects_by_seg -= np.bincount(self.market.segment[persons],
                                                 minlength=len(segs))
            ids = self.cust.add(self.market, persons, 0, 0.0)
            self.cust.acquired_day[ids] = self.market.initial_acquired_day
            self._activate(ids, persons, start=0.0)

    # -- processes --------------------------------------------------------------------------------
    def simulate(self):
        """Run to the horizon and collect the result."""
        self.env.process(self._crm_cycle())
        self.env.process(self._market_days())
        if self._competitors:
            self.env.process(self._competitor_waves())
        try:
            self.env.run(until=self.sc.horizon_days)
        except _StrategyFailed:
            # Re-raise the strategy's own exception object (SimPy would hand back a copy made
            # from its arguments, losing the traceback and breaking custom exception classes).
            raise self._strategy_error from None
        if isinstance(self.centre, BatchedCentre):
            self.centre.finish(self.sc.horizon_days)
        self._apply_outcomes(self.sc.horizon_days)
        if self.ledger.open:
            self.ledger.close(self, self.sc.horizon_days)
        # Only the customers still here: a retired row's state was written back when it left.
        # Their hazard is the one of the last day (a lost customer's is the one at loss).
        a = self.active
        rows = np.flatnonzero(a.alive[: a.m])
        a.write_back(self.cust, rows)
        self.cust.hazard[a.cid[rows]] = a.h[rows]
        # The working set, the market and the prospect pools are not needed any more: freed
        # before the result is built, and the customer columns trimmed to size, which lowers a
        # million-customer run's peak memory by about a third.
        self.active = self.market = self.seg_persons = self._target_pool = None
        self.cust.trim()
        return build_result(self)

    def _crm_cycle(self):
        sc, env = self.sc, self.env
        cycle = 0
        while env.now < sc.horizon_days:
            start = int(env.now)
            self.centre.sync(start)
            self._apply_outcomes(start)
            if cycle:
                self.ledger.close(self, start)
            # Rows of customers who left stay in the working set, inert (no hazard, no
            # purchases, no voice), until they are an eighth of it: compacting every cycle
            # cost more than carrying them through the daily step.
            if self._retired_rows > self.active.m // 8:
                self.active.compact()
                self._retired_rows = 0
            view = make_view(self, cycle, start)
            try:
                actions = self.strategy(view)
                if not isinstance(actions, Actions):
                    raise ActionsError(
                        f"strategy {self.strategy_name!r} returned {type(actions).__name__} "
                        f"{actions!r} in cycle {cycle}: it must return sim.Actions"
                    )
                actions = actions.validated(sc)
                campaign_ids = self._campaign_ids(actions, start)
                discount_ids = self._checked_ids(
                    "discounts", tuple(cid for cid, _ in actions.discounts), start)
            except Exception as exc:
                self._strategy_error = exc
                raise _StrategyFailed from None
            self._apply(actions)
            self._set_prices(actions, start, discount_ids)
            self.ledger.open_cycle(self, cycle, start)
            self._pull_levers(actions, start, campaign_ids)
            yield env.timeout(min(sc.cycle_days, sc.horizon_days - start))
            cycle += 1

    def _apply(self, actions: Actions) -> None:
        self.actions = actions
        self.centre.set_agents(actions.agents)
        self.centre.fcr = self._service_quality(actions)
        self._plan_sales(actions, int(self.env.now))  # after adoption moved: SFA works through it
        self.desk.offer(actions)
        if actions.targeted_spend > 0:
            names = self.sc.segment_names
            chosen = actions.target_segments or names
            self._target_segs = np.array([names.index(s) for s in chosen])
            self._target_pool = np.concatenate([self.seg_persons[k] for k in self._target_segs])

    def _market_days(self):
        env = self.env
        for day in range(self.sc.horizon_days):
            self._step(day)
            yield env.timeout(1)

    def _competitor_waves(self):
        comp, env, rng = self.sc.competitors, self.env, self.rng_comp
        mean_gap = 365.0 / comp.waves_per_year
        while True:
            yield env.timeout(rng.exponential(mean_gap))
            a = self.active
            reached = np.flatnonzero(a.alive[: a.m] & (rng.random(a.m) < comp.reach))
            a.press[reached] += comp.pressure
            self.ledger.add("competitor_waves", 1)

    # -- the market day ---------------------------------------------------------------------------
    def _step(self, day: int) -> None:
        a, sc = self.active, self.sc
        self.centre.sync(day)  # the batched queue catches up; the SimPy one already has
        if self._social:
            self._fade_posts()
        self._apply_outcomes(day)
        if self._expiry:
            self._expire_offers(day)
        m = a.m
        if m:
            dev, h, f = a.dev[:m], a.h[:m], a.f[:m]
            dev *= self.sat_decay  # satisfaction drifts back to its baseline
            # h = base x f(satisfaction) x g(competitor pressure), written into scratch columns;
            # a factor that is identically 1 (no satisfaction effect, no competitors) is skipped.
            beta = sc.satisfaction.churn_effect
            if beta:
                np.multiply(dev, -beta, out=f)
                np.exp(f, out=f)
            if self._competitors:
                press = a.press[:m]
                press *= self.press_decay
                np.subtract(a.omsb[:m], dev, out=h)
                h *= press
                h *= a.price_sens2[:m]  # g = 1 + 2 pressure price_sensitivity (1 - s)
                h += 1.0
                if beta:
                    h *= f
                h *= a.bh[:m]
            elif beta:
                np.multiply(f, a.bh[:m], out=h)
            else:
                # Copied, not aliased: the levers change bh between steps, and a.h must stay the
                # hazard of the last day (read by the truth and by the retention log).
                np.copyto(h, a.bh[:m])
            cum_h = a.cum_h[:m]
            cum_h += h
            gone = np.flatnonzero(cum_h >= a.clock[:m])
            if gone.size:
                # The instant the integrated hazard reached the clock, within the day.
                h_gone = h[gone]
                when = day + (a.clock[gone] - (cum_h[gone] - h_gone)) / h_gone
            hit = np.flatnonzero(a.buy_at[:m] < day + 1)
            until = day + 1.0  # purchases happen before the end of the day...
            if gone.size and hit.size:
                pos = np.searchsorted(hit, gone)  # both ascending
                pos[pos == hit.size] = 0
                leaving = hit[pos] == gone
                if leaving.any():  # ... or, for a leaver, before leaving
                    until = np.full(hit.size, until)
                    until[pos[leaving]] = when[leaving]
                    buys = a.buy_at[hit] < until
                    hit, until = hit[buys], until[buys]
            buyers, counts = self._purchases(hit, until) if hit.size else (None, None)
            if gone.size:
                self._lose(gone, when, h_gone, f[gone] if beta else 1.0)
        else:
            buyers = counts = None
        newcomers = self._acquire(day)
        # Book the day's sales at once: existing customers' purchases and newcomers' first ones.
        n_new = 0 if newcomers is None else newcomers.size
        if newcomers is not None:
            ones = np.ones(newcomers.size, dtype=np.int64)
            buyers = newcomers if buyers is None else np.concatenate([buyers, newcomers])
            counts = ones if counts is None else np.concatenate([counts, ones])
        if buyers is not None:
            self._book(buyers, counts, day, n_new)
        self.ledger.add_daily_costs(self)

    def _purchases(self, rows: np.ndarray, until: float | np.ndarray,
                   ) -> tuple[np.ndarray, np.ndarray]:
        """Purchases of the customers at ``rows``, whose next purchase comes before ``until``
        (a fractional day, or one per row): count them and draw the following instants."""
        a = self.active
        rate = a.rate[rows]
        buy_at = a.buy_at[rows]
        buy_at += self.rng_buy.exponential(1.0, rows.size) / rate
        count = np.ones(rows.size, dtype=np.int64)
        each = not np.isscalar(until)
        todo = np.flatnonzero(buy_at < until)
        while todo.size:  # more than one purchase a day is possible for heavy buyers
            count[todo] += 1
            buy_at[todo] += self.rng_buy.exponential(1.0, todo.size) / rate[todo]
            todo = todo[buy_at[todo] < (until[todo] if each else until)]
        a.buy_at[rows] = buy_at
        return a.cid[rows], count

    def _book(self, ids: np.ndarray, count: np.ndarray, day: int, n_new: int = 0) -> None:
        """Book ``count`` purchases of customers ``ids`` on ``day``, and their service requests;
        the last ``n_new`` are newcomers' first purchases."""
        c = self.cust
        seg = c.segment[ids]
        spend = c.spend[ids]
        # The sum of n gamma(1/cv^2, mean * cv^2) amounts is gamma(n/cv^2, mean * cv^2).
        cv2 = self.seg_spend_cv2[seg]
        amount = self.rng_spend.standard_gamma(count / cv2)
        amount *= spend * cv2
        fixed = self.seg_spend_fixed[seg]
        if fixed.any():
            amount[fixed] = count[fixed] * spend[fixed]
        serve = count * self.seg_cost[seg]
        gross = amount * self.seg_margin[seg]
        if self.pricing:
            # At the reference prices ``amount`` is the revenue; the list price scales it, the
            # discount is a cost, and the goods cost what they cost at the reference.
            goods = amount - gross
            self.ledger.add("revenue_reference", float(amount.sum()))
            amount, discount = self._priced(ids, seg, amount)
            margin = amount - goods - discount - serve
            self.ledger.add("cost_discount", float(discount.sum()))
            paid = amount - discount
        else:
            margin = gross - serve
            goods = amount - gross
            paid = amount
        # Per-customer totals are settled from these chunks when a view or the result needs
        # them (Ledger.settle), not every day.
        self.ledger.book_sales(ids, count, amount, serve, margin, goods, day)
        act = self.actions
        if act.loyalty:
            self._loyalty_rewards(ids, paid)
        if n_new and act.welcome_discount > 0:
            self.ledger.add("cost_welcome", float(amount[-n_new:].sum()) * act.welcome_discount)
        # Service requests: each purchase leads to one with the segment's probability, arriving
        # at a uniform instant of the day's opening hours (exact for Poisson purchase times).
        # Most buyers buy once a day, so a uniform draw per buyer decides the first purchase's
        # request (far cheaper than a binomial per buyer) and a binomial only the rest's.
        p = self.seg_complaint[seg]
        requests = (self.rng_service.random(ids.size) < p).astype(np.int64)
        more = np.flatnonzero(count > 1)
        if more.size:
            requests[more] += self.rng_service.binomial(count[more] - 1, p[more])
        who = ids[requests > 0]
        if who.size:
            requests = requests[requests > 0]
            c.complaints[who] += requests
            who = np.repeat(who, requests)
            self.ledger.add("requests", who.size)
            delays = self.rng_service.random(who.size) * self.centre.open_fraction
            delays += day - self.env.now
            if self.desk.open:  # some go online or write instead of calling
                who, delays = self.desk.route(who, c.segment[who], delays, self.env.now,
                                              self.ledger)
                self.desk.link(self.centre.submit_many(who.tolist(), delays.tolist()))
            else:
                self.centre.submit_many(who.tolist(), delays.tolist())

    def _lose(self, rows: np.ndarray, when: np.ndarray, hazard: np.ndarray, f: np.ndarray,
              ) -> None:
        """Customers at ``rows`` leave at fractional days ``when``; keep their latent state."""
        a, c = self.active, self.cust
        ids = a.cid[rows]
        a.write_back(c, rows)
        c.hazard[ids] = hazard
        c.sat_factor[ids] = f
        c.lever_factor[ids] = a.offer_mult[rows] * a.loyal_mult[rows] * a.price_haz[rows]
        c.lost_day[ids] = when
        # The first loss stays on record through any second life (retention curves count a
        # customer as retained until it).
        first = c.first_lost_day[ids]
        c.first_lost_day[ids] = np.where(np.isnan(first), when, first)
        c.status[ids] = LOST
        self.market.status[c.person[ids]] = LOST
        a.retire(rows)
        self._retired_rows += ids.size
        self.n_lost += ids.size
        self.ledger.add("lost", int(ids.size))

    # -- service feedback -------------------------------------------------------------------------
    def _is_active(self, cid: int, day: float) -> bool:
        """Whether customer ``cid`` is still a customer at instant ``day``."""
        c = self.cust
        return c.status[cid] == ACTIVE or c.lost_day[cid] > day

    def _apply_outcomes(self, now: float) -> None:
        """Contacts that ended by ``now`` move their customers' satisfaction: by how long they
        waited and whether the issue was resolved.

        Applied at day boundaries (the only instants satisfaction is read), vectorised; a
        customer with several contacts in one batch gets them one after another in order of
        ending, since each effect is clipped to [0, 1] and builds on the last. Per-customer
        service counts are derived from the service log instead.
        """
        outcomes = self.centre.take_outcomes(now)
        online = self.desk.take_outcomes(now)
        if not outcomes and online is None:
            return
        a = self.active
        if outcomes:
            ends, cids, waits, resolved = zip(*outcomes, strict=True)
            cids = np.array(cids)
            end, wait, resolved = np.array(ends), np.array(waits), np.array(resolved)
            patience = None  # the segment's, for calls
        else:
            cids = end = wait = resolved = patience = None
        if online is not None:
            # Web and e-mail contacts: the wait that a customer takes in stride is the
            # channel's (an hour for e-mail), not the patience on the phone.
            o_end, o_cids, o_wait, o_resolved, o_expected = online
            if cids is None:
                cids, end, wait, resolved, patience = o_cids, o_end, o_wait, o_resolved, o_expected
            else:
                patience = np.concatenate([np.full(cids.size, np.nan), o_expected])
                cids, end = np.concatenate([cids, o_cids]), np.concatenate([end, o_end])
                wait = np.concatenate([wait, o_wait])
                resolved = np.concatenate([resolved, o_resolved])
        rows = a.row_of[cids]
        here = rows >= 0  # the others left meanwhile
        if not here.all():
            rows, end, wait, resolved = rows[here], end[here], wait[here], resolved[here]
            if patience is not None:
                patience = patience[here]
            if not rows.size:
                return
        seg = a.seg[rows]
        w_wait, w_resolved, w_unresolved = self._sat_terms
        # Waiting hurts with diminishing marginal effect: the first minutes past a customer's
        # patience cost most, an hour costs more than ten minutes but not six times as much.
        if patience is None:
            patience = self._patience[seg]
        else:
            patience = np.where(np.isnan(patience), self._patience[seg], patience)
        delta = np.log1p(wait / patience)
        delta *= -w_wait
        delta += np.where(resolved, w_resolved, -w_unresolved)
        delta *= self._service_sens[seg]
        if np.unique(cids).size == cids.size:
            a.move_satisfaction(rows, delta)
        else:
            self._move_in_order(rows, end, delta)
        if self._social:  # told in public with the satisfaction the contact left
            self._post(rows, end, resolved, wait, patience)

    def _move_in_order(self, rows: np.ndarray, end: np.ndarray, delta: np.ndarray) -> None:
        """Move satisfaction by ``delta`` where a customer may have several contacts."""
        a = self.active
        # A customer with several contacts gets them in order of ending, since each effect is
        # clipped and builds on the last: rank each contact among its customer's (0 = first to
        # end) as its position in the sort by customer, then end, minus where the run begins.
        order = np.lexsort((end, rows))
        same = np.concatenate([[False], rows[order[1:]] == rows[order[:-1]]])
        pos = np.arange(rows.size)
        rank = np.empty(rows.size, dtype=np.int64)
        rank[order] = pos - np.maximum.accumulate(np.where(same, 0, pos))
        for k in range(int(rank.max()) + 1):  # each rank holds every customer at most once
            pick = rank == k
            a.move_satisfaction(rows[pick], delta[pick])
