"""The service centre without a process per request: the exact FIFO multi-server recursion.

For large markets a SimPy process per service request costs more than everything else in a run.
A first-come-first-served queue with ``c`` interchangeable agents needs no event loop, though:
taking requests in order of arrival, each starts when it arrives or when the earliest of the
agents becomes free, whichever is later, and that agent is then busy until the start plus the
handling time (Kiefer & Wolfowitz 1955). Keeping the agents' free times in a heap makes each
request O(log c).

:class:`BatchedCentre` offers the same interface and the same contact log as
:class:`~sim.engine.service.ServiceCentre`, and on the same arrivals and handling times it gives
the same starts and ends, including when staffing changes (``tests/test_fifo.py`` proves it):

* requests are settled lazily, up to the instant ``sync(t)`` asks for; one still waiting at
  ``t`` is decided after any staffing change at ``t``, as in the SimPy queue;
* fewer agents: those who would be free first leave (an agent finishes the current call, then
  goes), exactly like the SimPy centre's break requests that outrank waiting customers;
* more agents: the new ones are free at once.

A contact's outcome (its effect on satisfaction, and whether the issue comes back) is applied
when ``sync`` passes its end, which the engine does at every day boundary: the daily step reads
satisfaction only there, so the effect on the customer is the same as with SimPy.

References
----------
Kiefer, J. & Wolfowitz, J. (1955). On the theory of queues with many servers. *Transactions of
the American Mathematical Society* 78(1), 1-18.
"""

from __future__ import annotations

import heapq
import math

from .service import MINUTES_PER_DAY, CentreBase, recontact_day

__all__ = ["BatchedCentre"]


class BatchedCentre(CentreBase):
    """FIFO queue with ``agents`` servers, settled by recursion instead of SimPy processes.

    Parameters are those of :class:`~sim.engine.service.ServiceCentre` (``env`` is only read for
    the current time).
    """

    def __init__(self, env, *, agents: int, max_agents: int, **settings):
        super().__init__(env, max_agents=max_agents, **settings)
        if not 1 <= agents <= max_agents:
            raise ValueError(f"agents = {agents}: must be 1 to {max_agents}")
        # Every seat starts free; unstaffed seats go to breaks, as in the SimPy centre.
        self._free = [0.0] * max_agents  # heap: when each staffed seat is next free (days)
        self._breaks: list[float] = []  # seats on break, by the time each break began
        self.agents = max_agents
        self._waiting: list[tuple] = []  # heap: (arrival, seq, customer, issue, contact)
        self._ending: list[tuple] = []  # heap: (end, seq, row) of contacts not yet concluded
        self._logged: dict[int, list] = {}  # rows of requests logged while still waiting
        self._seq = 0
        self.set_agents(agents)

    def submit(self, customer: int, delay: float) -> None:
        """A new issue of ``customer`` arrives ``delay`` days from now."""
        self._issues += 1
        self._push(self.env.now + delay, customer, self._issues, 1)

    def submit_many(self, customers: list[int], delays: list[float]) -> None:
        """New issues of ``customers`` arriving ``delays`` days from now (in this order)."""
        now, waiting, seq, issue = self.env.now, self._waiting, self._seq, self._issues
        for customer, delay in zip(customers, delays, strict=True):
            seq += 1
            issue += 1
            waiting.append((now + delay, seq, customer, issue, 1))
        heapq.heapify(waiting)
        self._seq, self._issues = seq, issue

    def _push(self, arrival: float, customer: int, issue: int, contact: int) -> None:
        self._seq += 1
        heapq.heappush(self._waiting, (arrival, self._seq, customer, issue, contact))

    def set_agents(self, agents: int) -> None:
        """Staff ``agents`` agents from now on (settling everything before now first).

        Mirrors the SimPy centre's breaks: a new break takes the seat that is free soonest
        (before any waiting customer); ending a break cancels the most recent one, whose seat
        returns to work when that agent's call ends, or now if the agent had already left.
        """
        if not 1 <= agents <= self.max_agents:
            raise ValueError(f"agents = {agents}: must be 1 to {self.max_agents}")
        now = self.env.now
        self.sync(now)
        while self.agents > agents:
            self._breaks.append(heapq.heappop(self._free))
            self.agents -= 1
        while self.agents < agents:
            heapq.heappush(self._free, max(self._breaks.pop(), now))
            self.agents += 1

    def _gone(self, customer: int, contact: int, arrival: float) -> bool:
        """A recontact whose customer left before it came back never arrives."""
        return contact > 1 and self.is_active is not None and not self.is_active(customer,
                                                                                   arrival)

    def sync(self, now: float) -> None:
        """Settle every contact that starts before ``now``, conclude those that end by it, and
        log (unanswered for now) the requests that arrived before ``now`` and still wait."""
        waiting, free, ending = self._waiting, self._free, self._ending
        while True:
            # Next event in time: a contact starting (FIFO: the longest-waiting request takes
            # the earliest free agent) or a contact ending (its outcome may bring a recontact).
            # Ties go to the ending, as in SimPy, where the freed seat is granted afterwards.
            start = max(waiting[0][0], free[0]) if waiting else math.inf
            end = ending[0][0] if ending else math.inf
            if end <= start and end <= now:
                self._conclude(*heapq.heappop(ending))
                continue
            if start >= now:
                break
            arrival, seq, customer, issue, contact = heapq.heappop(waiting)
            row = self._logged.pop(seq, None)
            if row is None:
                if self._gone(customer, contact, arrival):
                    continue
                row = [customer, issue, contact, arrival, math.nan, math.nan, False]
                self.log.append(row)
            finish = start + self._handle()
            heapq.heapreplace(free, finish)
            row[4], row[5] = start, finish
            heapq.heappush(ending, (finish, seq, row))
        # Requests that arrived before now and still wait are logged now, in order of arrival,
        # so the log (and each cycle's statistics) reads as the SimPy centre's does.
        for arrival, seq, customer, issue, contact in sorted(waiting):
            if arrival >= now:
                break
            if seq in self._logged:
                continue
            if self._gone(customer, contact, arrival):
                waiting.remove((arrival, seq, customer, issue, contact))
                heapq.heapify(waiting)
                continue
            row = [customer, issue, contact, arrival, math.nan, math.nan, False]
            self.log.append(row)
            self._logged[seq] = row

    def _conclude(self, end: float, seq: int, row: list) -> None:
        rand = self.rand
        row[6] = resolved = rand.random() < self.fcr
        customer = row[0]
        if self.on_outcome is not None:
            self.on_outcome(customer, (row[4] - row[3]) * MINUTES_PER_DAY, resolved)
        if resolved or rand.random() >= self.recontact_prob:
            return
        self._push(recontact_day(end, self.recontact_days, rand.random(), self.open_fraction),
                   customer, row[1], row[2] + 1)

    def finish(self, horizon: float) -> None:
        """Close the books at the horizon: what had not started stays unanswered (logged by
        ``sync``), what had not ended stays open, as in a SimPy run stopped there."""
        self.sync(horizon)
        for row in self.log:
            if row[5] > horizon:
                row[5] = math.nan
                row[6] = False
