"""Sales channels: field reps with territories, telemarketing, e-mail campaigns, a web shop.

DESIGN 3.7; the course's "all channels on one shared customer database" and its sales tools:
sales force automation, time and territory management, telemarketing (SOURCE-DIGEST 2, 6).
Mixed into :class:`~sim.engine.model.Model`; the scenario's ``sales`` section
(:class:`~sim.scenario_sales.Sales`) gives the costs and conversions, the strategy's
:class:`~sim.actions.Actions` how much of each channel to use.

**Sales representatives** are the SimPy part. The market's people live in ``territories``
equal regions (person ``p`` of ``n`` lives in territory ``p * T // n``: the people were drawn
independently, so contiguous blocks are random regions). Each territory with reps has a
``simpy.Resource`` whose capacity is its reps. Every working day the territory's visit
processes queue for a rep; a rep who is free takes the next prospect of the territory's list
(valuable accounts first, or in random order), travels and meets for an Erlang-distributed time
of mean ``visit_hours`` (shorter with sales force automation), and wins the prospect with
``visit_conversion`` times the segment's ``marketing_response``. A rep works ``selling_hours``
a day: a visit that would run past the end of the day is not started, and the rep's day ends
there (so the time a rep spends in visits never exceeds the selling hours, and with
exponential visit times the visits per rep-day are Poisson with mean selling hours / hours per
visit). Orders signed during a day are entered into the customer database the next morning,
with that day's new customers; a rep works every day of the run but the last (whose orders
would be booked after the horizon).

**Valuable accounts first** ranks the segments by what the firm's own records show: the
margin its customers of each segment earned per day as customers (observable columns only,
never a prospect's latent value); reps visit the top segment's prospects, in random order, then
the next segment's, and so on. ``target_segments`` restricts every sales channel to the chosen
segments, as it does targeted marketing.

**Telemarketing**, **e-mail** and the **web shop** are daily and vectorised, like mass
marketing: calls reach prospects of the chosen segments, e-mails the prospects who opted in
(each at most once a cycle), and the web shop adds a spontaneous adoption rate to every
prospect. Unhappy customers' voice and a welcome discount move their conversion as they move
every marketing channel's.

Every draw comes from the run's ``sales`` stream, and only once a sales channel is used: a run
that uses none draws nothing here and repeats exactly the runs of a firm without them.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import simpy

from ..rng import STREAMS
from .market import ACTIVE, CHANNELS, LOST, PROSPECT

__all__ = ["EMAIL", "REP", "TELEMARKETING", "WEB", "Selling", "territory_bounds"]

REP, TELEMARKETING, EMAIL, WEB = (CHANNELS.index(name)
                                  for name in ("rep", "telemarketing", "email", "web"))
HOURS_PER_DAY = 24.0
#: Columns of the log of reps' visits (``result.rep_visits``).
VISIT_COLUMNS = ("day", "start_hour", "hours", "territory", "rep", "prospect", "segment",
                 "converted")


def territory_bounds(market_size: int, territories: int) -> np.ndarray:
    """Where each territory's people begin: territory ``i`` holds the people ``p`` with
    ``bounds[i] <= p < bounds[i + 1]``, that is ``p * territories // market_size == i``.

    Parameters
    ----------
    market_size : int
        People in the market.
    territories : int
        Number of territories (equal shares, as far as the people divide).

    Returns
    -------
    numpy.ndarray
        ``territories + 1`` ascending integers from 0 to ``market_size``.
    """
    i = np.arange(territories + 1, dtype=np.int64)
    return (i * market_size + territories - 1) // territories  # ceil(i n / T)


class _RepDay:
    """One territory's working day: the prospects still to visit and when the day ends."""

    __slots__ = ("day", "detract", "end", "prospects", "territory")

    def __init__(self, territory: int, prospects: Iterator[int], day: int, end: float,
                 detract: float):
        self.territory, self.prospects, self.day, self.end = territory, prospects, day, end
        self.detract = detract


class Selling:
    """The model's sales channels (uses the model's environment, market, ledger and streams)."""

    def _init_sales(self) -> None:
        s = self.sc.sales
        self._selling = False  # a sales channel is in use, or reps' orders wait to be booked
        # One generator per channel, made on first use: turning one channel on or off never
        # shifts another's draws (DESIGN section 6).
        self._sales_rng: dict[int, np.random.Generator] = {}
        self._visit_rand = None
        self._opt_in: np.ndarray | None = None
        self._bounds = territory_bounds(self.sc.market_size, s.territories)
        self._rep_orders: list[int] = []  # people won by visits, booked the next morning
        self._visits: list[tuple] = []  # the visit log, one tuple a visit (VISIT_COLUMNS)
        self._sales_start = 0  # first day of the cycle the calls and e-mails are paced over
        self._emails_planned = 0
        self._rep_split = np.zeros(s.territories, dtype=np.int64)
        self._rep_res: list[simpy.Resource | None] = []
        self._rep_free: list[list[int]] = []
        self._rep_first: np.ndarray = np.zeros(s.territories, dtype=np.int64)

    # -- the cycle's plan -------------------------------------------------------------------------
    def _plan_sales(self, actions, day: int) -> None:
        """Take the cycle's sales decisions: reps per territory and their resources, the order
        of visits, the call and e-mail lists and their daily pace."""
        s = self.sc.sales
        used = (actions.sales_reps > 0 or actions.telemarketing_calls > 0
                or actions.email_campaign > 0 or actions.web_shop)
        self._selling = used or bool(self._rep_orders)
        if not used:
            self._rep_split[:] = 0
            return
        if not self._sales_rng:
            main = self.streams.numpy("sales")
            self._sales_rng = {TELEMARKETING: main, EMAIL: self._sales_child(3),
                               WEB: self._sales_child(4), REP: self._sales_child(5)}
            self._visit_rand = self.streams.scalar("sales")
        self._sales_start = day
        names = self.sc.segment_names
        chosen = actions.target_segments or names
        codes = np.array([names.index(x) for x in chosen], dtype=np.int64)
        self._sales_segs = codes
        self._sales_seg_ok = np.zeros(len(names), dtype=bool)
        self._sales_seg_ok[codes] = True
        self._call_pool = (None if not actions.target_segments
                           else np.concatenate([self.seg_persons[k] for k in codes]))
        if actions.email_campaign > 0:
            market = self.market
            pool = np.flatnonzero(self._opted_in() & self._sales_seg_ok[market.segment])
            self._email_pool = pool
            open_ = int(np.count_nonzero(market.status[pool] == PROSPECT))
            # At most one e-mail a cycle to each opted-in prospect: more would only annoy.
            self._emails_planned = min(actions.email_campaign, open_)
        reps = actions.sales_reps
        split = (np.array(actions.rep_territories, dtype=np.int64) if actions.rep_territories
                 else reps // s.territories + (np.arange(s.territories) < reps % s.territories))
        self._rep_split = split
        # Rep ids run across territories: territory i's reps are first[i], first[i] + 1, ...
        self._rep_first = np.concatenate([[0], np.cumsum(split)[:-1]])
        self._rep_res = [simpy.Resource(self.env, capacity=int(r)) if r else None for r in split]
        self._rep_free = [list(range(int(f) + int(r) - 1, int(f) - 1, -1))
                          for f, r in zip(self._rep_first, split, strict=True)]
        cut = s.sfa_time_cut * self.adoption if actions.sales_force_automation else 0.0
        self._visit_mean_hours = s.visit_hours * (1.0 - cut)
        if reps and actions.rep_priority == "value":
            self._rep_order = self._rank_segments(codes, day)
        else:
            self._rep_order = None

    def _rank_segments(self, codes: np.ndarray, day: int) -> np.ndarray:
        """Segment codes ``codes`` from the most to the least valuable by the firm's records:
        margin per customer-day since the start of the run (segments without customers last).
        Ties, such as every segment before the firm has any record, are broken at random: the
        order the scenario lists its segments in is no knowledge the firm has."""
        c = self.cust
        self.ledger.settle(c)
        seg = c.col("segment")
        lost = c.col("status") == LOST
        # Days as a customer within the run, from the firm's records (whole days of loss).
        end = np.where(lost, np.floor(c.col("lost_day")), float(day))
        exposure = np.maximum(end - np.maximum(c.col("acquired_day"), 0.0), 0.0)
        k = len(self.sc.segments)
        margin = np.bincount(seg, weights=c.col("margin"), minlength=k)
        days = np.bincount(seg, weights=exposure, minlength=k)
        with np.errstate(invalid="ignore", divide="ignore"):
            value = np.where(days > 0, margin / np.where(days > 0, days, 1.0), -np.inf)
        tiebreak = self._sales_rng[REP].permutation(codes.size)
        return codes[np.lexsort((tiebreak, -value[codes]))]

    def _sales_child(self, j: int) -> np.random.Generator:
        """Generator ``j`` of the ``sales`` stream's children (1: visits, 2: e-mail opt-in)."""
        seq = np.random.SeedSequence(self.seed, spawn_key=(STREAMS.index("sales"), j))
        return np.random.Generator(np.random.PCG64(seq))

    def _opted_in(self) -> np.ndarray:
        """Who agreed to receive e-mail: a fixed trait of each person, drawn on first use from a
        child of the ``sales`` stream of its own, so it is the same under every strategy."""
        if self._opt_in is None:
            rng = self._sales_child(2)
            self._opt_in = rng.random(self.sc.market_size) < self.sc.sales.email_opt_in
        return self._opt_in

    # -- the market day ---------------------------------------------------------------------------
    def _sell(self, day: int, detract: float, new: list[tuple[np.ndarray, int]]) -> None:
        """Today's sales: yesterday's orders from visits, calls, e-mails and the web shop (new
        customers appended to ``new`` as (people, channel) groups), and the reps' visits of
        today. ``detract`` scales conversion as for every marketing channel."""
        if self._rep_orders:
            new.append((np.array(self._rep_orders, dtype=np.int64), REP))
            self._rep_orders = []
        act, s = self.actions, self.sc.sales
        if act.telemarketing_calls > 0:
            avail = int(self.prospects_by_seg[self._sales_segs].sum())
            n = min(self._sales_contacts(act.telemarketing_calls, day), avail)
            self.ledger.add("telemarketing_calls", n)
            self.ledger.add("cost_telemarketing", n * s.telemarketing_cost_per_call)
            self._convert(n, s.telemarketing_conversion * detract, self._call_pool,
                          TELEMARKETING, new)
        if act.email_campaign > 0:
            n = self._sales_contacts(self._emails_planned, day)
            self.ledger.add("emails_sent", n)
            self.ledger.add("cost_email_campaign", n * s.email_cost_per_message)
            self._convert(n, s.email_conversion * detract, self._email_pool, EMAIL, new)
        if act.web_shop and s.web_shop_adoption > 0:
            left = int(self.prospects_by_seg.sum()) - sum(w.size for w, _ in new)
            rng = self._sales_rng[WEB]
            k = int(rng.binomial(max(left, 0), -math.expm1(-s.web_shop_adoption / 365.0)))
            if k:
                won = self._sample_prospects(None, k, rng)
                self.market.status[won] = ACTIVE  # taken: no other channel draws them today
                new.append((won, WEB))
        if act.sales_reps > 0 and day < self.sc.horizon_days - 1:
            self._start_rep_day(day, detract)
        self._selling = bool(self._rep_orders) or (
            act.sales_reps > 0 or act.telemarketing_calls > 0 or act.email_campaign > 0
            or act.web_shop)

    def _sales_contacts(self, planned: int, day: int) -> int:
        """Today's share of ``planned`` contacts a cycle, spread evenly in whole contacts: day
        ``i`` of the cycle makes ``floor((i + 1) n / L) - floor(i n / L)``, so a full cycle
        makes exactly ``n`` and nothing carries into the next."""
        i, length = day - self._sales_start, self.sc.cycle_days
        return (i + 1) * planned // length - i * planned // length

    def _convert(self, n: int, conversion: float, pool: np.ndarray | None, channel: int,
                 new: list) -> None:
        """``n`` contacts with prospects of ``pool`` (None: anyone), each converting with
        ``conversion`` times the prospect's segment response, by thinning as in
        :meth:`Acquisition._acquire`: only the would-be converts are drawn."""
        if n <= 0:
            return
        rng, market = self._sales_rng[channel], self.market
        k = int(rng.binomial(n, min(1.0, conversion * self.max_response)))
        if not k:
            return
        persons = self._sample_prospects(pool, k, rng)
        keep = rng.random(persons.size) * self.max_response < self.seg_response[
            market.segment[persons]]
        won = persons[keep]
        if won.size:
            market.status[won] = ACTIVE  # taken until welcomed with the day's newcomers
            new.append((won, channel))

    # -- the reps' day: SimPy processes around a Resource per territory ---------------------------
    def _start_rep_day(self, day: int, detract: float) -> None:
        s = self.sc.sales
        end = day + s.selling_hours / HOURS_PER_DAY
        reps = int(self._rep_split.sum())
        self.ledger.add("rep_days", reps)
        self.ledger.add("rep_hours", reps * s.selling_hours)
        for t, reps in enumerate(self._rep_split.tolist()):
            if reps:
                plan = _RepDay(t, self._prospects(t), day, end, detract)
                for _ in range(reps):
                    self.env.process(self._visit(plan))

    def _prospects(self, t: int) -> Iterator[int]:
        """Territory ``t``'s prospects of the chosen segments in the order reps visit them:
        the ranked segments one after another, random order within each (drawn lazily, so
        only the segments reached are shuffled)."""
        lo, hi = int(self._bounds[t]), int(self._bounds[t + 1])
        market = self.market
        ok = (market.status[lo:hi] == PROSPECT) & self._sales_seg_ok[market.segment[lo:hi]]
        if self._rep_order is None:
            groups = [np.flatnonzero(ok)]
        else:
            seg = market.segment[lo:hi]
            groups = [np.flatnonzero(ok & (seg == k)) for k in self._rep_order]
        for g in groups:
            if g.size:
                yield from (lo + g[self._sales_rng[REP].permutation(g.size)]).tolist()

    def _visit(self, plan: _RepDay):
        """One visit: wait for a free rep of the territory, take the next prospect on the list,
        travel and meet, win the prospect or not; then the next visit queues up."""
        env, s = self.env, self.sc.sales
        t = plan.territory
        with self._rep_res[t].request() as req:
            yield req
            now = env.now
            if now >= plan.end:
                return  # the working day is over
            person = next(plan.prospects, None)
            if person is None:
                return  # no prospect left to visit in the territory
            rep = self._rep_free[t].pop()
            shape = s.visit_shape
            hours = self._visit_rand.gammavariate(shape, self._visit_mean_hours / shape)
            if now + hours / HOURS_PER_DAY > plan.end:
                # The visit does not fit in the rep's day: the rep stops for today.
                yield env.timeout(plan.end - now)
                self._rep_free[t].append(rep)
                return
            yield env.timeout(hours / HOURS_PER_DAY)
            seg = int(self.market.segment[person])
            p = s.visit_conversion * self.seg_response[seg] * plan.detract
            # Another channel may have won the prospect since the list was made. The draw is
            # made either way, so the visits that follow see the same numbers.
            u = self._visit_rand.random()
            won = self.market.status[person] == PROSPECT and u < p
            if won:
                self.market.status[person] = ACTIVE  # taken until booked tomorrow
                self._rep_orders.append(person)
            start = (now - plan.day) * HOURS_PER_DAY
            self._visits.append((plan.day, start, hours, t, rep, person, seg, won))
            self.ledger.add("rep_visits", 1)
            self.ledger.add("rep_visit_hours", hours)
            self._rep_free[t].append(rep)
            env.process(self._visit(plan))  # the rep, free again, takes the next prospect

    # -- records -----------------------------------------------------------------------------------
    def visit_log(self) -> dict[str, np.ndarray]:
        """Every visit so far as columns (:data:`VISIT_COLUMNS`): day, start hour within the
        rep's day, hours, territory, rep id, prospect (person), segment code, converted."""
        types = (np.int64, float, float, np.int64, np.int64, np.int64, np.int64, bool)
        if not self._visits:
            return {k: np.zeros(0, dtype=d) for k, d in zip(VISIT_COLUMNS, types, strict=True)}
        cols = list(zip(*self._visits, strict=True))
        return {k: np.array(v, dtype=d) for k, v, d in zip(VISIT_COLUMNS, cols, types,
                                                            strict=True)}
